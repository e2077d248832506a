"""Browser fixtures: the portal served on 127.0.0.1 and Debian's Chromium via Playwright.

Never downloads a browser: Chromium comes from the system (apt-get install chromium).
Every request the page makes to a host other than 127.0.0.1 is blocked and recorded;
tests assert that none happened (map tiles are pointed at an unreachable local URL, so
the portal is also exercised without tiles). Pages run under the portal's real
Content-Security-Policy: give ``wait_for_function`` a function (``"() => …"``), since a bare
expression is evaluated with eval() in the page, which the policy refuses.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve ``app`` on a free local port in a background thread; yields the base URL."""
    app.config.update(SERVER_NAME=None, TILE_URL="http://127.0.0.1:9/tiles/{z}/{x}/{y}.png")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("system chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def external_requests() -> list[str]:
    """URLs of blocked requests to anything but 127.0.0.1 (tests assert it stays empty)."""
    return []


def _guard(route, external: list[str]) -> None:
    host = urlsplit(route.request.url).hostname
    if host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        external.append(route.request.url)
        route.abort()


@pytest.fixture
def make_page(browser, external_requests):
    """Factory: a fresh page (``make_page(viewport=..., javascript=False)``)."""
    contexts = []

    def build(viewport=(1280, 900), javascript: bool = True, locale: str = "ru-RU"):
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            java_script_enabled=javascript,
            locale=locale,
        )
        context.route("**/*", lambda route: _guard(route, external_requests))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield build
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page):
    return make_page()


@pytest.fixture
def artifacts(request) -> Path:
    """Folder for this test's screenshots (kept after the run, see .ci/run)."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
