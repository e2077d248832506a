"""WSGI entry point for gunicorn: ``gunicorn 'portal.wsgi:app'`` (reads PORTAL_* settings).

Each worker imports this module, so each one warms up before its first request
(``portal.warmup``: templates compiled, /performance rendered once, nothing cached)."""

from portal import create_app
from portal.warmup import warm_up

app = create_app()
warm_up(app)
