"""The app as gunicorn serves it, plus the floors the list-page benchmark compares against.

    gunicorn -w 2 bench.bench_app:app

/_bench/bare       a bare Flask response (no database, no template)
/_bench/one-query  one SELECT of 50 persons (name, village, id number) rendered in a small template —
                   what a list page costs when it is nothing but its query
Both need no login. This module is used by bench/list_pages_bench.py only; it is not part of the app.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from pwposts import create_app  # noqa: E402
from pwposts.extensions import csrf, db  # noqa: E402

app = create_app()

ONE_QUERY = """<!doctype html><html><body><table>
{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.name }}</td><td>{{ r.village_id }}</td>
<td>{{ r.id_number }}</td></tr>
{% endfor %}</table></body></html>"""


@app.get("/_bench/bare")
@csrf.exempt
def bench_bare():
    return "ok"


@app.get("/_bench/one-query")
@csrf.exempt
def bench_one_query():
    rows = db.session.execute(
        text("SELECT id, name, village_id, id_number FROM person ORDER BY id LIMIT 50")
    ).all()
    return _one_query_template().render(rows=rows)


_compiled = []


def _one_query_template():
    """Compiled once, as the app's file templates are (render_template_string compiles on every call)."""
    if not _compiled:
        _compiled.append(app.jinja_env.from_string(ONE_QUERY))
    return _compiled[0]


gc.collect()  # as wsgi.py does
gc.freeze()
