"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""

import gc

from pwposts import create_app

app = create_app()

# Everything loaded at start-up (Flask, SQLAlchemy's mappers and compiled statements, the templates)
# lives as long as the process: move it out of the garbage collector's way. Otherwise every full
# collection walks all of it — about 20 ms in a list page of 50 persons on the 50,000-person demo,
# a third of the page (measured with cProfile; see bench/RESULTS.md). Done before gunicorn forks,
# the frozen objects also stay shared between the workers.
gc.collect()
gc.freeze()
