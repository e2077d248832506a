"""Every setting of the portal, with its default and why it exists.

Each setting can be overridden by an environment variable named ``PORTAL_<NAME>``
(e.g. ``PORTAL_DATABASE_URL``) or by the ``config`` mapping given to ``create_app``.
Values from the environment are converted to the type of the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is shown to the operator as is."""


@dataclass
class Settings:
    """Portal settings. Comments are the documentation (README lists them too)."""

    # Flask session and CSRF signing key; the portal refuses to start with the default
    # outside DEBUG/TESTING.
    SECRET_KEY: str = DEFAULT_SECRET_KEY
    # Development mode: debugger, auto-reload, no Secure cookies.
    DEBUG: bool = False
    # Test mode (set by the test suite).
    TESTING: bool = False
    # SQLAlchemy URL; empty means a SQLite file ``portal.db`` in the instance folder (WAL).
    # PostgreSQL: postgresql+psycopg://user@host:5432/dbname
    DATABASE_URL: str = ""
    # SQLite busy timeout in seconds: how long a writer waits for another writer.
    SQLITE_BUSY_TIMEOUT: float = 15.0
    # Optional Redis URL (redis://host:6379/0); when set, rate limits, caches and the job
    # queue are shared by every worker and host. Redis only accelerates: when it is down or
    # frozen, limits fall back to each process, caches miss and jobs run in the request.
    REDIS_URL: str = ""
    # Seconds a Redis command (or connection attempt) may take before it counts as down.
    REDIS_TIMEOUT: float = 1.0
    # SQLite file holding the rate-limit counters shared by every worker of one machine
    # when REDIS_URL is not set; empty means ``ratelimits.db`` in the instance folder.
    RATE_LIMIT_DB: str = ""
    # Directory of the cache of computed figures (/performance, /datasets/) shared by every
    # worker of one machine, and kept across restarts, when REDIS_URL is not set; empty
    # means ``cache`` in the instance folder.
    CACHE_DIR: str = ""
    # SQLite file of the embedded job queue (when REDIS_URL is not set); empty means
    # ``jobs.db`` in the instance folder.
    JOBS_DB: str = ""
    # Run each job at once in the process that queues it instead of queueing it (tests and
    # one-off scripts; a real deployment runs ``portal worker``).
    JOBS_IMMEDIATE: bool = False
    # When the worker runs the periodic jobs (cron syntax, local time: minute hour day
    # month weekday); empty disables the job (e.g. when system cron runs the command).
    REMIND_SCHEDULE: str = "0 9 * * 1-5"
    PUBLISH_SCHEDULE: str = "30 2 * * *"
    # How long an Idempotency-Key (API) or a form token (web form) is remembered.
    IDEMPOTENCY_TTL_HOURS: int = 24
    # Seconds a client is asked to wait (Retry-After) when the database is unreachable.
    DATABASE_RETRY_AFTER: int = 30
    # Log format on stderr: "json" (one object per line) or "text" (development).
    LOG_FORMAT: str = "json"
    # Log level of the portal's own messages (DEBUG, INFO, WARNING, ERROR).
    LOG_LEVEL: str = "INFO"
    # Where people write about the open data (the catalogues' contact point).
    CONTACT_EMAIL: str = "opendata@achyk-shaar.kg"
    # Public base URL used in e-mailed links (tracking and rating links).
    BASE_URL: str = "http://127.0.0.1:5000"
    # Interface languages; the first is the default.
    LANGUAGES: tuple[str, ...] = ("ru", "ky", "en")
    # Answer deadline in working days when a category does not set its own (Kyrgyz law: 14).
    DEFAULT_DEADLINE_DAYS: int = 14
    # Dates (YYYY-MM-DD, comma-separated) declared non-working by government decree in
    # addition to the statutory holidays of the ``holidays`` package.
    EXTRA_HOLIDAYS: tuple[str, ...] = ()
    # Dates declared working days (transferred weekends).
    EXTRA_WORKING_DAYS: tuple[str, ...] = ()
    # Days a rating link stays valid after the answer it rates.
    RATING_TOKEN_TTL_DAYS: int = 60
    # Publish an appeal without moderation when the scrubber found nothing risky.
    AUTO_PUBLISH: bool = False
    # Largest accepted photo upload in bytes, and how many photos an appeal may carry.
    MAX_PHOTO_BYTES: int = 10 * 1024 * 1024
    MAX_PHOTOS: int = 3
    # Longest side of a stored (re-encoded) photo in pixels.
    PHOTO_MAX_SIDE: int = 2048
    # Largest accepted video upload in bytes (one video per appeal and per answer).
    MAX_VIDEO_BYTES: int = 50 * 1024 * 1024
    # Longest accepted video in seconds.
    MAX_VIDEO_SECONDS: int = 60
    # Shorter side of a stored (re-encoded) video in pixels: 720 is 720p.
    VIDEO_MAX_HEIGHT: int = 720
    # Rate limit for submitting appeals, per client address (Flask-Limiter syntax).
    SUBMIT_RATE_LIMIT: str = "10 per hour"
    # Rate limit for "this affects me too", per client address (Flask-Limiter syntax).
    SUPPORT_RATE_LIMIT: str = "30 per hour"
    # Rate limit for failed staff logins, per client address, over all e-mails; browsers
    # that signed in to the e-mail before are exempt (an office behind one NAT address).
    LOGIN_RATE_LIMIT: str = "10 per 15 minutes"
    # Failed passwords for one e-mail from one address (or one recognised browser) after
    # which that source waits; the wait starts at LOGIN_LOCKOUT_MINUTES and doubles.
    LOGIN_MAX_FAILURES: int = 5
    LOGIN_LOCKOUT_MINUTES: int = 15
    # Failed passwords for one e-mail from all unrecognised sources together after which
    # they wait LOGIN_LOCKOUT_MINUTES (browsers that signed in before still can).
    LOGIN_ACCOUNT_MAX_FAILURES: int = 30
    # Days a browser stays recognised for an account after signing in to it.
    LOGIN_BROWSER_DAYS: int = 90
    # Reverse proxies in front of the portal (nginx: 1): how many X-Forwarded-For and
    # X-Forwarded-Proto hops to trust for the client's address and scheme; 0 trusts none.
    TRUSTED_PROXIES: int = 0
    # Strict-Transport-Security max-age (seconds) sent on HTTPS responses; 0 sends none.
    HSTS_SECONDS: int = 31536000
    # Reminders (``portal remind``) list appeals due within this many working days.
    REMIND_DUE_WITHIN_WORKDAYS: int = 2
    # Map tiles: URL template and attribution (any XYZ tile server, e.g. a city's own).
    TILE_URL: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION: str = "© OpenStreetMap contributors"
    # The map's in-process index: seconds between checks that the data changed (a rebuild
    # then runs in the background), and whether a process's first request starts it.
    MAP_INDEX_REFRESH_SECONDS: float = 5.0
    MAP_INDEX_WARMUP: bool = True
    # Folder where the workers of a host share one map index ("": instance/map-index;
    # "off", and always in TESTING: each worker keeps its own).
    MAP_INDEX_DIR: str = ""
    # Appeals the map shows one by one per view at street zoom ("N more — zoom in" beyond).
    MAP_POINT_LIMIT: int = 300
    # Map views read from the index's spatial order (a viewport is one slice of rows);
    # off: from per-filter masks over the whole city, the slower reference (benchmarks).
    MAP_VIEW_SLICES: bool = True
    # Outgoing mail: "log" writes messages to the application log (development),
    # "smtp" sends through SMTP_HOST.
    MAIL_BACKEND: str = "log"
    MAIL_FROM: str = "noreply@achyk-shaar.kg"
    SMTP_HOST: str = "localhost"
    SMTP_PORT: int = 25
    SMTP_USER: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_STARTTLS: bool = False
    # API keys accepted by Open311 POST requests (comma-separated); empty disables POST.
    OPEN311_API_KEYS: tuple[str, ...] = ()
    # Requests per API key (clients created in the staff admin area) unless the client has
    # its own limit; also the limit of the OPEN311_API_KEYS fallback keys, per address.
    API_KEY_RATE_LIMIT: str = "120 per minute"
    # Seconds to wait before each retry of a failed webhook delivery (comma-separated);
    # after the last one the delivery is marked failed (admins see it and can retry it).
    WEBHOOK_RETRY_DELAYS: tuple[str, ...] = ("60", "300", "1800", "7200", "21600")
    # Seconds a webhook receiver has to answer one delivery.
    WEBHOOK_TIMEOUT: float = 10.0
    # Accept webhook URLs on loopback or private addresses (tests, a receiver on this host).
    WEBHOOK_ALLOW_PRIVATE: bool = False
    # Folder of dated open-data snapshots written by ``portal publish``; empty means
    # ``snapshots`` in the instance folder.
    SNAPSHOT_DIR: str = ""
    # Processes that write a snapshot's datasets in parallel (about the number of cores);
    # 1 writes them one after another in the publishing process.
    PUBLISH_WORKERS: int = 2
    # Default and largest page size of lists and API pages.
    PAGE_SIZE: int = 25
    MAX_PAGE_SIZE: int = 200
    # Mark the session cookie Secure (HTTPS only); switched off in DEBUG/TESTING.
    SESSION_COOKIE_SECURE: bool = True
    # Extra values not declared above (only from the ``config`` mapping, never from env).
    extra: dict[str, Any] = field(default_factory=dict)


def _convert(name: str, raw: str, default: Any) -> Any:
    """Convert an environment string to the type of the setting's default."""
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"PORTAL_{name} must be true or false, got {raw!r}")
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    try:
        return type(default)(raw)
    except ValueError:
        raise ConfigError(
            f"PORTAL_{name} must be a {type(default).__name__}, got {raw!r}"
        ) from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from defaults, then ``PORTAL_*`` environment variables, then overrides."""
    environ = os.environ if environ is None else environ
    _refuse_removed(environ)
    settings = Settings()
    for spec in fields(Settings):
        if spec.name == "extra":
            continue
        raw = environ.get(f"PORTAL_{spec.name}")
        if raw is not None:
            setattr(settings, spec.name, _convert(spec.name, raw, getattr(settings, spec.name)))
    known = {spec.name for spec in fields(Settings)}
    for key, value in (overrides or {}).items():
        if key in known and key != "extra":
            setattr(settings, key, value)
        else:
            settings.extra[key] = value
    return settings


#: Settings that no longer exist: the one value they may still carry, and why. Another
#: value is refused rather than silently ignored.
REMOVED = {
    "TIMEZONE": (
        "Asia/Bishkek",
        "the portal always shows dates and counts working days in Asia/Bishkek "
        "(the Kyrgyz Republic has one time zone)",
    ),
}


def _refuse_removed(environ: Mapping[str, str]) -> None:
    for name, (kept, why) in REMOVED.items():
        value = environ.get(f"PORTAL_{name}")
        if value is not None and value != kept:
            raise ConfigError(f"PORTAL_{name} was removed: {why}; unset it")


def check_production_safety(settings: Settings) -> None:
    """Refuse to run in production with the well-known development secret."""
    if settings.DEBUG or settings.TESTING:
        return
    if settings.SECRET_KEY == DEFAULT_SECRET_KEY or len(settings.SECRET_KEY) < 16:
        raise ConfigError(
            "PORTAL_SECRET_KEY is not set: set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))') "
            "or run with PORTAL_DEBUG=1 for development"
        )
