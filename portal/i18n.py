"""Languages: ru (default), ky, en. Choice by ?lang=, a remembered cookie, Accept-Language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_babel import get_locale

from portal.extensions import babel
from portal.workdays import BISHKEK

LANG_COOKIE = "lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def translation_directories() -> list[str]:
    """Every catalog folder: translations/<area>/<lang>/LC_MESSAGES/messages.po."""
    areas = sorted(p for p in TRANSLATIONS_DIR.iterdir() if p.is_dir())
    return [str(p) for p in areas] or [str(TRANSLATIONS_DIR)]


def select_locale() -> str:
    """The interface language of this request (the default one outside a request)."""
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]  # services run from the CLI and tests too
    wanted = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if wanted in languages:
        return wanted
    return request.accept_languages.best_match(languages) or languages[0]


def localized(obj: Any, field: str = "name") -> str:
    """``obj.<field>_<lang>`` in the current language, falling back to Russian."""
    lang = str(get_locale() or "ru")
    return getattr(obj, f"{field}_{lang}", None) or getattr(obj, f"{field}_ru")


def init_app(app: Flask) -> None:
    """Configure Flask-Babel and remember an explicit ?lang= choice in a cookie."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["LANGUAGES"][0]
    app.config["BABEL_DEFAULT_TIMEZONE"] = BISHKEK.key  # the one time zone of the portal
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["current_lang"] = lambda: str(get_locale())

    @app.after_request
    def remember_language(response: Response) -> Response:
        wanted = request.args.get("lang")
        if wanted in app.config["LANGUAGES"] and request.cookies.get(LANG_COOKIE) != wanted:
            response.set_cookie(LANG_COOKIE, wanted, max_age=365 * 86400, samesite="Lax")
        return response
