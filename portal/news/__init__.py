"""News of the mayor's office: /news, one item's page and the Atom feed /news.atom."""

from flask import Blueprint

bp = Blueprint("news", __name__)

from portal.news import views  # noqa: E402,F401  (routes register on import)
