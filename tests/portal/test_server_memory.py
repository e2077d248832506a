"""A web worker at rest stays small (issue 20, peak RSS): after serving the public pages,
a real gunicorn worker (``portal.wsgi``, warm-up included) has not loaded PyAV, Pillow or
the Parquet library — they are imported where a video, a photo or a Parquet file is
processed — and its RSS stays under a bound.

Which libraries a worker loaded is read from outside, in its ``/proc/PID/maps`` (an
extension module imported is a shared object mapped), so the app needs no hook for the
test. ``bench/download_memory.py`` measures the figures (at rest and while downloading).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL
from tests.portal.test_deploy_nginx import free_port
from tests.portal.test_serving import wait_for

#: RSS of a worker at rest, MB: ~250 with the lazy imports, ~285 without (PyAV, Pillow
#: and pyarrow.parquet imported with the app); the bound leaves room for allocator noise.
MAX_REST_RSS_MB = 270
ROOT = Path(__file__).resolve().parents[2]
PAGES = ("/", "/appeals", "/api/v1/appeals", "/datasets/")
#: Shared objects of the libraries a worker at rest must not load: PyAV (and FFmpeg),
#: Pillow, pyarrow's Parquet module (not libparquet.so, which Arrow's core links).
NOT_AT_REST = {
    "av": ("/av/", "/av.libs/"),
    "PIL": ("/PIL/", "/pillow.libs/"),
    "pyarrow.parquet": ("/pyarrow/_parquet.",),
}


#: Modules a worker serving the pages never imports.
UNUSED_BY_PAGES = ("alembic", "flask_migrate", "mako", "huey", "holidays", "snowballstemmer", "h3")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def worker_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a deployed worker serving the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_REDIS_URL=REDIS_URL,
        PORTAL_SECRET_KEY="a-long-random-secret-for-this-test-only",
        PORTAL_SNAPSHOT_DIR=str(tmp_path / "snapshots"),
        PORTAL_RATE_LIMIT_DB=str(tmp_path / "ratelimits.db"),
        PORTAL_CACHE_DIR=str(tmp_path / "cache"),
        PORTAL_JOBS_DB=str(tmp_path / "jobs.db"),
        PORTAL_MAP_INDEX_DIR=str(tmp_path / "map-index"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )  # the portal of this checkout, whatever the installed one
    return env


@pytest.fixture
def worker(app, database_url, tmp_path):
    """The pid and port of the one worker of a gunicorn serving the test's database."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "portal.wsgi:app"],
        env=worker_env(database_url, tmp_path), cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server, seconds=120)
        (pid,) = children(server.pid)
        yield pid, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_worker_at_rest_loads_no_media_or_parquet_library_and_stays_small(worker):
    pid, port = worker
    for page in PAGES:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=60) as response:
            assert response.status == 200
            response.read()
    rss, maps = rss_mb(pid), Path(f"/proc/{pid}/maps").read_text()
    loaded = sorted(name for name, marks in NOT_AT_REST.items() if any(m in maps for m in marks))
    assert loaded == []
    assert rss < MAX_REST_RSS_MB, f"a worker at rest holds {rss:.0f} MB"


def test_a_worker_serving_pages_does_not_import_what_they_never_need(app, database_url, tmp_path):
    """Flask-Migrate and Alembic (~8 MB of a worker) are imported by the ``db`` commands and
    the schema upgrade; huey (~15 MB with the Redis and PostgreSQL clients it imports) when
    a job is queued; holidays, the stemmers and h3 when a deadline is computed, a text
    indexed or a point masked; PostgreSQL's dialect (~2 MB) by a worker on SQLite. None by
    the pages (pure Python: no shared object in the maps to look for, so the worker's own
    interpreter is asked)."""
    pages = ", ".join(repr(page) for page in PAGES)
    unused = set(UNUSED_BY_PAGES)
    if database_url.startswith("sqlite"):
        unused.add("sqlalchemy.dialects.postgresql")
    code = (
        "import sys\n"
        "from portal.wsgi import app\n"  # what a gunicorn worker imports, warm-up included
        f"statuses = [app.test_client().get(page).status_code for page in ({pages},)]\n"
        f"print(statuses, sorted({unused!r} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=worker_env(database_url, tmp_path),
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == f"{[200] * len(PAGES)} []"


@pytest.mark.skipif(
    bool(os.environ.get("ARROW_DEFAULT_MEMORY_POOL")), reason="the operator chose Arrow's pool"
)
def test_arrow_allocates_with_jemalloc(app):
    """Downloads peak 30–60 MB lower than with pyarrow's default, mimalloc (portal.arrow_memory)."""
    import pyarrow as pa

    assert app.extensions["portal.arrow_memory_pool"] == "jemalloc"
    assert pa.default_memory_pool().backend_name == "jemalloc"
