"""The portal as deployed: 2 gunicorn workers behind Debian's nginx with deploy/nginx.conf.

Only the values the config marks "site:" are replaced (ports, certificate, static folder);
each replacement must find its text, so the config and this test cannot drift apart.
Clients connect from distinct loopback addresses (127.x.y.z), so nginx sees distinct
clients and the rate limits (in Redis, shared by the workers) must tell them apart through
X-Forwarded-For — and must not believe a client's own X-Forwarded-For.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL

pytestmark = pytest.mark.redis  # the workers share their limits through Redis

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx.conf"
HOST = "portal.example.kg"
SUBMIT_LIMIT = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.skip("nginx not installed (apt-get install nginx)")
    return found


def wait_until_answering(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, f"nothing answers on port {port}"
            time.sleep(0.2)


def site_config(tmp: Path, *, upstream: int, http_port: int, https_port: int) -> str:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    text = CONFIG.read_text()
    replacements = {
        "127.0.0.1:8000": f"127.0.0.1:{upstream}",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;  # site: IPv6": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;  # site: IPv6": "",
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(tmp / "cert.pem"),
        f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(tmp / "key.pem"),
        "/srv/achyk-shaar/static/": f"{ROOT / 'static'}/",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def main_config(tmp: Path, site: Path) -> str:
    """A whole nginx.conf around the site (what Debian's /etc/nginx/nginx.conf provides)."""
    user = "user root;" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"};
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp / "access.log"};
    {temp}
    include {site};
}}
"""


@pytest.fixture
def deployed(app, database_url, tmp_path):
    """(https port, http port, gunicorn port) of the running stack."""
    nginx = nginx_binary()
    upstream, http_port, https_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_REDIS_URL=REDIS_URL,
        PORTAL_SECRET_KEY="a-long-random-secret-for-this-test-only",
        PORTAL_TRUSTED_PROXIES="1",
        PORTAL_SUBMIT_RATE_LIMIT=f"{SUBMIT_LIMIT} per hour",
    )
    gunicorn_log = tmp_path / "gunicorn.log"
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{upstream}",
         "portal.wsgi:app"],
        env=env, cwd=tmp_path, stdout=gunicorn_log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    site = tmp_path / "site.conf"
    site.write_text(
        site_config(tmp_path, upstream=upstream, http_port=http_port, https_port=https_port)
    )
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / kind).mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_config(tmp_path, site))
    server = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_answering(upstream, gunicorn, gunicorn_log)
        wait_until_answering(https_port, server, tmp_path / "error.log")
        yield https_port, http_port, upstream
    finally:
        for process in (server, gunicorn):
            process.terminate()
        for process in (server, gunicorn):
            process.wait(timeout=20)


def client_address() -> str:
    """A loopback address of its own (and so its own rate-limit keys in a shared Redis)."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def request(port: int, path: str, *, source: str, method="GET", body=None, headers=None, tls=True):
    context = ssl._create_unverified_context()  # the test's self-signed certificate
    if tls:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, source_address=(source, 0), context=context, timeout=30
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, source_address=(source, 0), timeout=30
        )
    headers = {"Host": HOST, **(headers or {})}
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def submit(port: int, source: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return request(
        port, "/api/v1/appeals", source=source, method="POST", body="{}", headers=headers
    ).status


def test_limits_see_each_client_through_nginx_and_no_client_can_pose_as_another(deployed):
    https_port, _, _ = deployed
    one, other = client_address(), client_address()
    # 400: the empty body is refused, and counted like any submission.
    assert [submit(https_port, one) for _ in range(SUBMIT_LIMIT)] == [400] * SUBMIT_LIMIT
    assert submit(https_port, one) == 429
    # Posing as somebody else (or as many fresh addresses) does not help.
    assert submit(https_port, one, forwarded_for=other) == 429
    assert submit(https_port, one, forwarded_for=f"{client_address()}, {other}") == 429
    assert submit(https_port, other) == 400  # the other client has its own bucket


def test_nginx_serves_https_with_the_portals_headers_and_no_versions(deployed):
    https_port, http_port, upstream = deployed
    source = client_address()
    plain = request(http_port, "/map?lang=en", source=source, tls=False)
    assert plain.status == 301 and plain.getheader("Location") == f"https://{HOST}/map?lang=en"
    page = request(https_port, "/", source=source)
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000"  # saw https
    assert "'nonce-" in page.getheader("Content-Security-Policy")
    assert page.getheader("Server") == "nginx"
    inbox = request(https_port, "/staff/login", source=source)
    assert inbox.getheader("Cache-Control") == "no-store"
    static = request(https_port, "/static/css/portal.css", source=source)
    assert static.status == 200 and static.getheader("Content-Type") == "text/css"
    direct = request(upstream, "/healthz", source=source, tls=False)
    assert direct.status == 200 and not re.search(r"\d", direct.getheader("Server"))
