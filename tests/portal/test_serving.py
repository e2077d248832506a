"""How the portal is started: the quick start, production paths that need a secret,
restarts on the same port, the job worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.portal.test_cli import _free_port, _portal


def clean_env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment.update(extra)
    return environment


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.2)


def serve(database: str, port: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from portal.cli import main; main()", "serve", "--port",
         str(port), *args],
        env=clean_env(PORTAL_DATABASE_URL=database),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_gunicorn_entry_point_refuses_a_missing_secret(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"], capture_output=True, text=True,
        env=clean_env(PORTAL_DATABASE_URL=f"sqlite:///{tmp_path}/x.db"), timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "PORTAL_SECRET_KEY is not set" in result.stderr


def test_gunicorn_entry_point_starts_with_a_secret(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi; print(portal.wsgi.app.name)"],
        capture_output=True, text=True, timeout=60,
        env=clean_env(PORTAL_DATABASE_URL=f"sqlite:///{tmp_path}/x.db",
                      PORTAL_SECRET_KEY="a-long-enough-production-secret"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "portal"


def test_restarted_dev_server_gets_its_port_back_at_once(tmp_path):
    """After a client connection, the port stays in TIME_WAIT; binding like gunicorn does
    (SO_REUSEADDR) must not call it busy."""
    database = f"sqlite:///{tmp_path}/serve.db"
    assert _portal("init-db", PORTAL_DATABASE_URL=database).returncode == 0
    port = _free_port()
    first = serve(database, port, "--no-jobs")
    try:
        assert b'"ok"' in wait_for(f"http://127.0.0.1:{port}/healthz", first)
        with socket.create_connection(("127.0.0.1", port)) as raw:  # the server closes first,
            raw.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")  # so its end waits in TIME_WAIT
            while raw.recv(65536):
                pass
    finally:
        first.send_signal(signal.SIGINT)
        output = first.communicate(timeout=20)[0].decode()
    assert "throwaway key" in output  # the visible notice of the quick start
    second = serve(database, port, "--no-jobs")
    try:
        assert b'"ok"' in wait_for(f"http://127.0.0.1:{port}/healthz", second, seconds=30)
    finally:
        second.terminate()
        second.wait(timeout=20)


def test_serve_still_refuses_a_port_another_server_listens_on():
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = _portal("serve", "--port", str(busy.getsockname()[1]))
    assert result.returncode == 1 and "cannot listen on" in result.stderr


@pytest.mark.parametrize("variable", ["Europe/Moscow", "UTC"])
def test_a_stale_timezone_setting_is_refused(variable):
    result = _portal("init-db", PORTAL_TIMEZONE=variable)
    assert result.returncode == 1
    assert "PORTAL_TIMEZONE was removed" in result.stderr and "Traceback" not in result.stderr
