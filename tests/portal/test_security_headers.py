"""Response headers on every page of the URL map: a strict CSP whose nonce is the only way
to run inline script, HSTS over HTTPS, no-store on private pages; trusted proxies."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from portal.config import ConfigError
from portal.security import tile_origin
from tests.portal_world import PASSWORD, build_world, page_urls

BASE_QUERY = {"api.map_data": {"zoom": "12", "bbox": "74.48,42.80,74.72,42.93"}}


class PageScan(HTMLParser):
    """What a CSP without 'unsafe-inline' would refuse: scripts, styles, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str | None] = []  # their nonces
        self.script_sources: list[str] = []
        self.inline_styles: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if name == "style":
                self.inline_styles.append(f"<{tag} style>")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.handlers.append(f"<{tag} {name}=javascript:>")
        if tag == "script":
            if "src" in attributes:
                self.script_sources.append(attributes["src"])
            else:
                self.inline_scripts.append(attributes.get("nonce"))
        if tag == "style":
            self.inline_styles.append("<style>")


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def world(make_staff):
    return build_world(make_staff)


@pytest.fixture
def fetched(app, world) -> dict:
    """endpoint -> the response of the first browser (anonymous, then each staff role)
    that may see the page."""
    browsers = [app.test_client()]
    for role in ("admin", "moderator", "worker"):
        client = app.test_client()
        email = getattr(world, role).email
        assert (
            client.post("/staff/login", data={"email": email, "password": PASSWORD}).status_code
            == 302
        )
        browsers.append(client)
    found = {}
    for endpoint, url in sorted(page_urls(app, world).items()):
        for client in browsers:
            response = client.get(url, query_string=BASE_QUERY.get(endpoint, {}))
            if response.status_code == 200:
                found[endpoint] = response
                break
    return found


def test_every_page_runs_only_its_own_scripts(fetched):
    html_pages = 0
    for endpoint, response in fetched.items():
        policy = directives(response)
        nonces = [v for v in policy["script-src"] if v.startswith("'nonce-")]
        assert policy["script-src"][0] == "'self'" and len(nonces) == 1, endpoint
        assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(policy["script-src"]), endpoint
        assert policy["style-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'self'"] and policy["base-uri"] == ["'self'"]
        if response.mimetype != "text/html":
            continue
        html_pages += 1
        scan = PageScan()
        scan.feed(response.get_data(as_text=True))
        nonce = nonces[0][len("'nonce-") : -1]
        assert all(found == nonce for found in scan.inline_scripts), endpoint
        assert all(not urlsplit(src).netloc for src in scan.script_sources), endpoint
        assert scan.handlers == [] and scan.inline_styles == [], (endpoint, scan.handlers)
    assert html_pages >= 20
    for endpoint in ("public.map_page", "public.appeal_detail"):  # folium's map scripts
        assert f'nonce="{nonce_of(fetched[endpoint])}"' in fetched[endpoint].get_data(as_text=True)


def nonce_of(response) -> str:
    [value] = [v for v in directives(response)["script-src"] if v.startswith("'nonce-")]
    return value[len("'nonce-") : -1]


def test_each_response_gets_a_new_nonce(client):
    nonces = {nonce_of(client.get("/map")) for _ in range(3)}
    assert len(nonces) == 3 and all(len(n) >= 22 for n in nonces)


def test_map_tiles_are_allowed_from_the_configured_tile_server(make_app):
    assert tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    assert (
        tile_origin("https://{s}.tiles.bishkek.kg/{z}/{x}/{y}.png") == "https://*.tiles.bishkek.kg"
    )
    assert tile_origin("/tiles/{z}/{x}/{y}.png") == ""  # the portal's own: 'self'
    app = make_app(TILE_URL="https://{s}.tiles.bishkek.kg/{z}/{x}/{y}.png")
    with app.app_context():
        response = app.test_client().get("/privacy")
    assert "https://*.tiles.bishkek.kg" in directives(response)["img-src"]


def no_cache_directives(response) -> set[str]:
    value = response.headers.get("Cache-Control", "")
    return {part.strip() for part in value.split(",") if part.strip()}


#: Public pages that are never stored for a reason of their own (a health check's state).
ALWAYS_FRESH = {"health.readyz"}


def test_private_pages_are_never_stored_and_public_ones_may_be(app, world, fetched):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    private = set()
    for endpoint, response in fetched.items():
        rule = rules[endpoint]
        if endpoint.startswith("staff.") or "token" in rule.arguments:
            private.add(endpoint)
            assert "no-store" in no_cache_directives(response), endpoint
        elif endpoint not in ALWAYS_FRESH:
            assert "no-store" not in no_cache_directives(response), endpoint
    assert {"citizen.track", "api.track_api", "staff.inbox", "staff.appeal"} <= private
    # Answers to a tracking link's forms and errors on staff pages are private too.
    refused = app.test_client().post(f"/api/v1/track/{world.token}/rating", json={})
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/staff/login").headers["Cache-Control"] == "no-store"


def test_hsts_is_sent_over_https_only(client, make_app):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://portal.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    off = make_app(HSTS_SECONDS=0)
    with off.app_context():
        response = off.test_client().get("/", base_url="https://portal.test")
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_trusted_proxy_its_scheme_counts(make_app, client):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    assert "Strict-Transport-Security" not in client.get("/", headers=forwarded).headers
    proxied = make_app(TRUSTED_PROXIES=1)
    with proxied.app_context():
        response = proxied.test_client().get("/", headers=forwarded)
    assert "Strict-Transport-Security" in response.headers


def submit_statuses(app, forwarded_for: list[str]) -> list[int]:
    client = app.test_client()
    with app.app_context():
        return [
            client.post("/api/v1/appeals", json={}, headers={"X-Forwarded-For": xff}).status_code
            for xff in forwarded_for
        ]


def test_limits_see_the_client_behind_a_trusted_proxy_and_nothing_else(make_app):
    limits = {"RATELIMIT_ENABLED": True, "SUBMIT_RATE_LIMIT": "2 per hour"}
    proxied = make_app(TRUSTED_PROXIES=1, **limits)
    # The proxy appends the address it sees: a client's own X-Forwarded-For is not trusted.
    one, other = "198.51.100.1", "198.51.100.2"
    first = submit_statuses(proxied, [one, one, f"203.0.113.9, {one}"])
    assert first == [400, 400, 429]  # 400: the empty body; the third is over the limit
    assert submit_statuses(proxied, [other]) == [400]
    direct = make_app(TRUSTED_PROXIES=0, **limits)  # no proxy: X-Forwarded-For is a lie
    assert submit_statuses(direct, ["198.51.100.3", "198.51.100.4", "198.51.100.5"]) == [
        400,
        400,
        429,
    ]


def test_a_negative_number_of_proxies_is_refused(make_app):
    with pytest.raises(ConfigError, match="PORTAL_TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES=-1)
