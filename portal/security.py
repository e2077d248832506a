"""Request protection: CSRF, rate limits, staff sessions, proxies, response headers.

- Staff sessions carry the account's session version (``StaffUser.get_id``) and are
  checked on every request: logout, a password reset or deactivation ends them all.
- Behind reverse proxies (``TRUSTED_PROXIES`` hops) the client's address and scheme come
  from X-Forwarded-For / X-Forwarded-Proto (Werkzeug's ProxyFix), so rate limits and logs
  see the client, not the proxy.
- Every response carries a strict Content-Security-Policy: scripts only from the portal
  itself or inline with this response's nonce (``csp_nonce()`` in templates), no inline
  styles, images from the portal and the tile server. HTTPS responses get HSTS; staff
  pages and the citizen's private link pages (any route with a ``token``) are no-store.
- JSON bodies are checked before any view reads them (portal.json_bodies).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

from portal import json_bodies
from portal.config import ConfigError, Settings
from portal.extensions import csrf, limiter, login_manager

#: What the development server names itself in the Server header (no versions).
SERVER_NAME = "Achyk-Shaar"


def init_app(app: Flask, settings: Settings) -> None:
    """Wire CSRF, the login manager, proxies and headers (limits: portal.ratelimits)."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.user_loader(load_user)
    _trust_proxies(app, settings.TRUSTED_PROXIES)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.before_request(_forget_nonce)
    app.before_request(json_bodies.check_json_body)
    app.after_request(security_headers)


def load_user(session_id: str):
    """The active account whose current session version the session carries, else None."""
    from portal.extensions import db
    from portal.models import StaffUser

    ident, _, version = session_id.partition(":")
    if not (ident.isdigit() and version.isdigit()):
        return None  # a session from before session versions, or garbage
    user = db.session.get(StaffUser, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _trust_proxies(app: Flask, hops: int) -> None:
    if hops < 0:
        raise ConfigError(f"PORTAL_TRUSTED_PROXIES must be 0 or more, got {hops}")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def csp_nonce() -> str:
    """This response's script nonce: ``<script nonce="{{ csp_nonce() }}">``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _forget_nonce() -> None:
    """Every request gets its own nonce, even when ``g`` outlives a request (tests)."""
    g.pop("csp_nonce", None)


def tile_origin(tile_url: str) -> str:
    """The CSP source of the map tiles ("https://*.tile.example" for a {s} template)."""
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""  # tiles served by the portal itself: 'self'
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str, tile_url: str) -> str:
    """The policy of every response (see the module docstring)."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self'",
        "img-src": f"'self' data: blob: {tile_origin(tile_url)}".rstrip(),
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def is_private_page() -> bool:
    """Staff pages and the citizen's capability links: never stored by any cache."""
    return request.blueprint == "staff" or "token" in (request.view_args or {})


def security_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), config["TILE_URL"])
    if request.is_secure and config["HSTS_SECONDS"] > 0:
        headers["Strict-Transport-Security"] = f"max-age={config['HSTS_SECONDS']}"
    if is_private_page() and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
    return response


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's development request handler, without versions in the Server header."""

    def version_string(self) -> str:
        return SERVER_NAME
