"""Memory of a web worker, this tree side by side with a reference tree, in one run: the
RSS of a gunicorn worker (``portal.wsgi``, one worker, warm-up included) at rest after
serving the public pages, and its peak RSS while /datasets/appeals.csv, .geojson and
.parquet are downloaded in full (a fresh server for each, so each peak is its own).

    git worktree add /work/wt/rss-ref main       # the reference: e.g. main
    portal seed-demo --appeals 1000000 --seed 1 --today 2026-12-01   # PORTAL_DATABASE_URL set
    python bench/download_memory.py --database-url sqlite:////work/rssdb/1m.sqlite \\
        --reference /work/wt/rss-ref
    # as deployed: servers run by a virtualenv with the portal alone (see below)
    python bench/download_memory.py ... --python /work/venv-prod/bin/python

Both trees read the same database and run with the same settings; the map index is not
built (PORTAL_MAP_INDEX_WARMUP=0: the same in both trees, and not what is measured here).
"At rest" is VmRSS after GET / , /appeals, /api/v1/appeals and /datasets/; "peak" is the
worker's VmHWM (the kernel's high-water mark) after the download, which includes start-up
and the warm-up. Prints MB, reference → this tree.

Figures (issue 20), MB, on 1M appeals in SQLite seeded as above, 2 shared cores; the
reference is main at d9acce1. "lazy imports" is this tree with PyAV, Pillow and
pyarrow.parquet imported where used (and the login's stand-in hash precomputed), before
Arrow's pool became jemalloc; "this tree" has both:

    SQLite, 1M appeals        reference   lazy imports   this tree
    at rest, RSS                    319            282         281
    CSV download, peak              343            307         279
    GeoJSON download, peak          354            334         285
    Parquet download, peak          426            407         374

PostgreSQL, 300k appeals (seeded the same way; seed-demo now ANALYZEs), reference → this
tree: at rest 411 → 372 MB, Parquet download peak 429 → 407 MB; jemalloc does not raise
PostgreSQL's Parquet peak as the system allocator did.

(ARROW_DEFAULT_MEMORY_POOL=jemalloc in the environment, which also reaches the C++ code
that asks Arrow's own default pool, brought the Parquet peak to 357 MB.) Runs differ by up
to ~7 MB (the reference's GeoJSON peak: 354, then 347).

**As deployed.** The test extras install pandas, and pyarrow imports pandas whenever it is
installed (``pa.array`` asks whether its input is a pandas object), so a worker of the
test virtualenv carries ~32 MB that a deployed one does not. ``--python`` runs the servers
with another interpreter; the same tree, test virtualenv (reference) → a virtualenv made
with ``pip install -e .`` alone (stop 31, new machine, quiet):

    SQLite, 1M appeals        test venv   as deployed
    at rest, RSS                    245           214
    CSV download, peak              247           214
    GeoJSON download, peak          253           221
    Parquet download, peak          342           307

Stop 34, as deployed, 1M appeals in SQLite, main at 6f0355b → this tree, one run: the
worker no longer imports Flask-Migrate and Alembic (``portal.schema_upgrade.migrate`` binds
them on first use), and downloads parse in a thread of their own (a stage more of batches
in flight; in seconds the downloads took CSV 12.4 → 7.8, GeoJSON 14.3 → 9.3, Parquet
9.0 → 7.1):

    SQLite, 1M appeals        reference   this tree
    at rest, RSS                    214         205
    CSV download, peak              217         221
    GeoJSON download, peak          226         227
    Parquet download, peak          324         330

The CSV and GeoJSON peaks are the start-up's: streaming adds next to nothing. What a
deployed worker holds is the stack itself: importing Flask, SQLAlchemy, numpy, pyarrow
(with its compute kernels) and psycopg takes a Python process from 9 to 106 MB, and the
whole app is 162 MB before its first request (155 MB without Alembic) — above the 150 MB
the issue sets for a download's peak.

Stop 35, as deployed, main at 210b2f2 -> this tree, one run each (while a CI run shared
the machine, so the seconds are not comparable): the rendering joins each line in one pass,
and PostgreSQL reads Arrow from its binary COPY (adbc-driver-postgresql) instead of
psycopg's CSV COPY parsed by Arrow:

    1M appeals                PostgreSQL            SQLite
    at rest, RSS              580 -> 579            205 -> 204
    CSV download, peak        212 -> 199            222 -> 217
    GeoJSON download, peak    220 -> 205            224 -> 222
    Parquet download, peak    306 -> 312            324 -> 337

(At rest on PostgreSQL the same in both trees and not looked into this stop; an in-process
GET / at 1M with the warm-up off was seen to build the map index in the worker before.
SQLite's Parquet path did not change; its +13 MB is run-to-run spread, which earlier runs
put at up to ~7 MB.)

Stop 36, as deployed, main at 84b05a8 -> this tree, one run each on a new, quiet machine.
A worker imports huey (with the Redis and PostgreSQL clients it imports: ~15 MB),
holidays, snowballstemmer, h3, nh3 with markdown-it, and folium's branca on first use
(the app after ``create_app``: 157 -> 130 MB); the map index is built through a
server-side cursor on PostgreSQL (at rest there: 579 -> 202 MB, measured after that
change with ``--phases rest``):

    1M appeals                PostgreSQL            SQLite
    at rest, RSS              579 -> 202            205 -> 183
    CSV download, peak        200 -> 183            216 -> 188
    GeoJSON download, peak    205 -> 188            220 -> 192
    Parquet download, peak    322 -> 304            323 -> 304

Where the ~190 MB of a download's peak go (SQLite, in process): Flask, SQLAlchemy, numpy
and pyarrow with its compute kernels ~90 MB; the portal's own modules and ``create_app``
~35 MB; the warm-up of /performance ~14-20 MB (compiled templates, Babel's locale data,
and ~10 MB freed but kept by malloc, which ``malloc_trim`` would return, though a
download then grows into it again: its peak fell 3 MB); the download ~35-45 MB, of
which ~10 MB is paid once by the first one (SQL compiled, kernels set up) and ~10 MB is
Arrow's pool. Allocator settings took the CSV peak from 186 to 165 MB (glibc
``M_ARENA_MAX`` 1 and ``M_MMAP_THRESHOLD`` 128 KiB, jemalloc decay 0), but each made a
download 8-17% slower and all three 30-40%; 4,000 rows per batch instead of 2,000 add
~20 MB. None is used.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/appeals", "/api/v1/appeals", "/datasets/")
FORMATS = ("csv", "geojson", "parquet")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_mb(pid: int, field: str) -> float:
    """A ``/proc/PID/status`` memory field (VmRSS, VmHWM) in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) / 1024


def worker_of(master: int) -> int:
    """The pid of the one worker gunicorn's master forked."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                return int(entry.name)
    raise RuntimeError("gunicorn has no worker")


def get(port: int, path: str) -> int:
    """GET ``path`` in full (its bytes are read and dropped); returns the size."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    connection.request("GET", path)
    response = connection.getresponse()
    size = 0
    while block := response.read(1 << 20):
        size += len(block)
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status} for {path}")
    return size


class Server:
    """gunicorn with one worker serving the portal of ``source`` on a free port."""

    def __init__(self, url: str, source: Path, tmp: Path, python: str) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env.update(
            PORTAL_DATABASE_URL=url,
            PORTAL_SECRET_KEY="benchmark-only-secret-key-0123456789",
            PORTAL_MAP_INDEX_WARMUP="0",
            PORTAL_MAP_INDEX_DIR=str(tmp / "map-index"),
            PORTAL_SNAPSHOT_DIR=str(tmp / "snapshots"),
            PORTAL_RATE_LIMIT_DB=str(tmp / "ratelimits.db"),
            PORTAL_CACHE_DIR=str(tmp / "cache"),
            PORTAL_JOBS_DB=str(tmp / "jobs.db"),
            PYTHONPATH=str(source),
        )
        self.log = tmp / "gunicorn.log"
        self.process = subprocess.Popen(
            [python, "-m", "gunicorn", "--workers", "1", "--bind",
             f"127.0.0.1:{self.port}", "--timeout", "3600", "portal.wsgi:app"],
            env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=self.log.open("ab"),
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while True:
            try:
                get(self.port, "/healthz")
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: see {self.log}") from None
                time.sleep(0.2)
        self.worker = worker_of(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def measure(url: str, source: Path, phase: str, python: str) -> tuple[float, float]:
    """(MB, seconds) of one phase: ``rest`` (RSS after the pages) or a format's download
    (peak RSS)."""
    with tempfile.TemporaryDirectory(prefix="bench-download-memory-") as tmp:
        server = Server(url, source, Path(tmp), python)
        try:
            started = time.perf_counter()
            if phase == "rest":
                for page in PAGES:
                    get(server.port, page)
                figure = status_mb(server.worker, "VmRSS")
            else:
                get(server.port, f"/datasets/appeals.{phase}")
                figure = status_mb(server.worker, "VmHWM")
            return figure, time.perf_counter() - started
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="Existing database (only read).")
    parser.add_argument("--reference", type=Path, required=True,
                        help="Another source tree, e.g. a worktree of main.")  # fmt: skip
    parser.add_argument("--phases", default=",".join(("rest", *FORMATS)),
                        help="Comma-separated: rest, csv, geojson, parquet.")  # fmt: skip
    parser.add_argument("--python", default=sys.executable,
                        help="The servers' interpreter, e.g. of a virtualenv with the portal "
                             "installed as deployed (pip install -e ., without the test "
                             "extras: pyarrow loads pandas whenever it is installed).")  # fmt: skip
    parser.add_argument("--reference-python", default=None,
                        help="The reference server's interpreter (default: --python).")  # fmt: skip
    args = parser.parse_args()
    pythons = {"reference": args.reference_python or args.python, "this tree": args.python}
    trees = {"reference": args.reference.resolve(), "this tree": ROOT}
    print(f"database: {args.database_url.rsplit('@', 1)[-1]}")
    print(f"reference: {trees['reference']}\nthis tree: {ROOT}")
    print(f"servers' python: {pythons['reference']} / {pythons['this tree']}")
    print(f"{'phase':<22} {'reference':>10} {'this tree':>10} {'change':>8}   seconds (ref/this)")
    for phase in args.phases.split(","):
        figures = {
            label: measure(args.database_url, source, phase, pythons[label])
            for label, source in trees.items()
        }
        (old, old_s), (new, new_s) = figures["reference"], figures["this tree"]
        label = "at rest, RSS" if phase == "rest" else f"{phase} download, peak"
        print(f"{label:<22} {old:>7.0f} MB {new:>7.0f} MB {new - old:>+5.0f} MB   "
              f"{old_s:.1f}/{new_s:.1f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
