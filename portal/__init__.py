"""Ачык Шаар (Open City): the Flask application.

``create_app`` is the only place where the application is wired; importing the package
reads no configuration, opens no database and writes no file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flask import Flask

from portal.config import Settings, check_production_safety, load_settings

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """static/, templates/ or migrations/: inside the installed wheel, else at the top level."""
    bundled = PACKAGE_DIR / name
    return str(bundled if bundled.is_dir() else PACKAGE_DIR.parent / name)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal application from defaults, ``PORTAL_*`` variables and ``config``."""
    settings = load_settings(config)
    check_production_safety(settings)
    app = Flask(
        __name__,
        static_folder=_asset_dir("static"),
        template_folder=_asset_dir("templates"),
        instance_relative_config=True,
    )
    _apply_settings(app, settings)

    from portal import (
        arrow_memory,
        database,
        errors,
        i18n,
        jobs,
        logs,
        performance_cells,
        ratelimits,
        security,
        templating,
    )
    from portal.alerts import outbox as alerts_outbox
    from portal.extensions import cache
    from portal.integrations import webhooks
    from portal.services import publication

    logs.init_app(app)
    arrow_memory.init_app(app)
    database.init_app(app, settings)
    app.config["MIGRATIONS_DIRECTORY"] = _asset_dir("migrations")  # portal.schema_upgrade
    publication.init_app(app)
    performance_cells.init_app(app)
    alerts_outbox.init_app(app)
    webhooks.init_app(app)
    cache.init_app(app, config=_cache_config(app, settings))
    jobs.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    ratelimits.configure(app, settings)
    security.init_app(app, settings)
    errors.init_app(app)
    _register_blueprints(app)

    from portal.cli import register_commands

    register_commands(app)
    return app


def _apply_settings(app: Flask, settings: Settings) -> None:
    values = asdict(settings)
    extra = values.pop("extra")
    app.config.update(values)
    app.config.update(extra)
    app.config["PORTAL_SETTINGS"] = settings
    if settings.DEBUG or settings.TESTING:
        app.config["SESSION_COOKIE_SECURE"] = False
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=(settings.MAX_PHOTOS + 1) * settings.MAX_PHOTO_BYTES
        + settings.MAX_VIDEO_BYTES,
        MAX_JSON_BYTES=(settings.MAX_PHOTOS + 1) * settings.MAX_PHOTO_BYTES,
        JSON_SORT_KEYS=False,
    )


def _cache_config(app: Flask, settings: Settings) -> dict[str, Any]:
    """Flask-Caching: Redis when configured (a miss when it is down), else files that the
    workers of this machine share (``portal.caching``)."""
    if not settings.REDIS_URL:
        from portal.caching import CACHE_FILES

        return {
            "CACHE_TYPE": "portal.caching.SharedFileCache",
            "CACHE_DIR": settings.CACHE_DIR or str(Path(app.instance_path) / "cache"),
            "CACHE_THRESHOLD": CACHE_FILES,
            "CACHE_DEFAULT_TIMEOUT": 300,
        }
    from portal.redis_link import connection_options

    return {
        "CACHE_TYPE": "portal.caching.ResilientRedisCache",
        "CACHE_REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": f"portal-cache{settings.extra.get('RATELIMIT_KEY_PREFIX', '')}:",
        "CACHE_OPTIONS": connection_options(settings.REDIS_TIMEOUT),
        "CACHE_DEFAULT_TIMEOUT": 300,
    }


def _register_blueprints(app: Flask) -> None:
    from portal import health
    from portal.alerts.views import bp as alerts_bp
    from portal.api import bp as api_bp
    from portal.citizen import bp as citizen_bp
    from portal.datasets import bp as datasets_bp
    from portal.news import bp as news_bp
    from portal.open311 import bp as open311_bp
    from portal.public import bp as public_bp
    from portal.staff import bp as staff_bp

    blueprints = (health.bp, public_bp, citizen_bp, api_bp, open311_bp, datasets_bp, staff_bp)
    blueprints += (news_bp, alerts_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
