"""Structured logs: one line per record on stderr, carrying the request's id.

gunicorn passes its workers' stderr to its error log and systemd to journald; both keep a
line as one entry, so every record — a traceback included — is written on one line: a
JSON object (``LOG_FORMAT=json``, the default) or ``time level logger message`` with the
traceback's line breaks escaped (``LOG_FORMAT=text``).

Each request gets an id: the ``X-Request-ID`` header set by the proxy (nginx's
``$request_id``) when it looks like one, else a fresh one. It is logged with every record
of the request, sent back in the response's ``X-Request-ID`` and shown on error pages, so
a citizen's "error reference" leads to the traceback.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
#: What a proxy's request id may look like (anything else is replaced, never logged).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: Marks the handler this module installed, so a second app does not add another.
_HANDLER_NAME = "portal.stderr"


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    if not has_request_context():
        return None
    current = g.get("request_id")
    if current is None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        current = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        g.request_id = current
    return current


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (and the request's method and path) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = request_id()
            record.http = f"{request.method} {request.path}"
        return True


class OneLineFormatter(logging.Formatter):
    """A record as one line: JSON, or text with escaped line breaks."""

    def __init__(self, style: str = "json") -> None:
        super().__init__()
        self.style = style

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for extra in ("request_id", "http"):
            if getattr(record, extra, None):
                entry[extra] = getattr(record, extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if self.style == "json":
            return json.dumps(entry, ensure_ascii=False, default=str)
        line = " ".join(str(value) for value in entry.values())
        return line.replace("\\", "\\\\").replace("\n", "\\n")


def configure_logging(level: str = "INFO", style: str = "json") -> None:
    """Send every logger's records to stderr in one-line form (idempotent)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(OneLineFormatter(style))
    root.setLevel(logging.WARNING)
    for name in ("portal", "huey"):
        logging.getLogger(name).setLevel(level.upper())


def init_app(app: Flask) -> None:
    """Configure logging and give every request an id, echoed in ``X-Request-ID``."""
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])

    @app.before_request
    def assign_request_id() -> None:
        request_id()

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers.setdefault(REQUEST_ID_HEADER, request_id() or "")
        return response

    app.jinja_env.globals["request_id"] = request_id
