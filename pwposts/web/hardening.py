"""What every request gets, whatever the view: ids in URLs that can exist, security headers,
a Chinese page (or JSON) for a server error.

Ids in paths: the app replaces Werkzeug's `int` converter with IdConverter before any blueprint
is registered, so every `<int:…>` route refuses an id no row can have (above inputs.MAX_ID) with
a 404 instead of handing it to the database, where it would overflow into a 500.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from ..domain.inputs import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:x>` for ids: 0 … MAX_ID (a 32-bit INTEGER primary key); larger → no route → 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)

    def to_python(self, value: str):
        if len(value) > 20:  # do not even convert a thousand-digit number
            from werkzeug.routing import ValidationError

            raise ValidationError()
        return super().to_python(value)


def install_converters(app) -> None:
    """Before any route is added: `int` in every rule means an id that can exist."""
    app.url_map.converters["int"] = IdConverter
