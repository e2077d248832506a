"""WSGI entry point for gunicorn: ``gunicorn 'portal.wsgi:app'`` (reads PORTAL_* settings)."""

from portal import create_app

app = create_app()
