"""The map API behind 2 gunicorn workers, a different random filter on every request:
map views from the index's spatial slices (new) side by side with the per-filter masks
(old, ``PORTAL_MAP_VIEW_SLICES=0``), in one run, on the same database and shared index.

    python bench/map_servers.py --database-url sqlite:////work/bench1m/NAME.sqlite
    python bench/map_servers.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/NAME
    python bench/map_servers.py --database-url … --old-source /tmp/main   # old = that tree
    (bench/map.py runs it too, at the end)

``--old-source DIR`` serves "old" from another source tree (e.g. ``git archive main | tar
-x -C DIR``) instead of this one with the slices turned off.

Each random request (zoom 11, 13 or 15 over a 1280×800 screen in Bishkek or Osh; a random
category, submission date range, status, district, kind, overdue and layer, each present
or not) goes to both servers, in random order. Prints per zoom p50/p95 of the wall time
seen by the client (HTTP over loopback) and of the worker's CPU time for the request
(gunicorn's pre/post-request hooks, thread CPU), whether every pair of responses was
byte-identical, and ``uptime`` before and after: the machine may be shared, and wall
times then include waiting for a core. The database is only read.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.map import bbox_for, make_app, percentile, random_centre  # noqa: E402

ZOOMS = (11, 13, 15)
TARGET_P95_MS = 25
#: gunicorn server hooks: each worker appends "<uri> <CPU ms>" per request to BENCH_CPU_LOG.
HOOKS = """
import os, time

def pre_request(worker, req):
    worker.bench_cpu = time.thread_time()

def post_request(worker, req, environ, resp):
    with open(os.environ["BENCH_CPU_LOG"], "a") as log:
        log.write(f"{req.uri} {(time.thread_time() - worker.bench_cpu) * 1000:.3f}\\n")
"""


def random_query(rng: random.Random, names: dict[str, list[str]], zoom: int) -> str:
    """A map request with a random viewport and a random combination of filters."""
    lat, lon = random_centre(rng)
    args = {"zoom": zoom, "bbox": bbox_for(lat, lon, zoom)}
    if rng.random() < 0.7:
        args["category"] = rng.choice(names["category"])
    if rng.random() < 0.7:
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
        args.update(date_from=start, date_to=start + timedelta(days=rng.randrange(7, 365)))
    if rng.random() < 0.3:
        args["status"] = rng.choice(("published", "in_progress", "answered", "closed"))
    if rng.random() < 0.2:
        args["district"] = rng.choice(names["district"])
    if rng.random() < 0.1:
        args["kind"] = rng.choice(("problem", "proposal", "question"))
    if rng.random() < 0.15:
        args["overdue"] = 1
    if rng.random() < 0.1:
        args["layer"] = "heat"
    return "/api/v1/map?" + urlencode(args)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, index_dir: str, slices: bool, tmp: Path, source: Path = ROOT) -> tuple:
    """2 gunicorn workers of the portal in ``source`` on a free port; returns (port,
    process, CPU log)."""
    port, log = free_port(), tmp / f"cpu-{int(slices)}.log"
    hooks = tmp / "hooks.py"
    hooks.write_text(HOOKS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=url,
        PORTAL_SECRET_KEY="benchmark-only-secret-key-0123456789",
        PORTAL_MAP_INDEX_DIR=index_dir,
        PORTAL_CACHE_DIR=str(tmp / f"cache-{int(slices)}"),
        PORTAL_MAP_VIEW_SLICES="1" if slices else "0",
        BENCH_CPU_LOG=str(log),
        PYTHONPATH=str(source),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--config", str(hooks), "portal.wsgi:app"],
        env=env, cwd=tmp, stdout=subprocess.DEVNULL,
        stderr=(tmp / f"gunicorn-{int(slices)}.log").open("wb"),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port, process, log
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: see {tmp}") from None
            time.sleep(0.2)


def get(port: int, path: str) -> tuple[float, bytes]:
    """Wall time (ms) of one GET over a new connection, and the body."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status} for {path}: {body[:300]!r}")
    return elapsed, body


def cpu_times(log: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        uri, _, ms = line.rpartition(" ")
        times.setdefault(uri, []).append(float(ms))
    return times


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def side_by_side(
    url: str, index_dir: str, names: dict, requests: int, seed: int, old_source: Path = ROOT
) -> bool:
    """Run both servers, send every request to each, print the table; True when every
    pair of responses was byte-identical."""
    rng = random.Random(seed)
    queries = [(zoom, random_query(rng, names, zoom)) for zoom in ZOOMS for _ in range(requests)]
    rng.shuffle(queries)
    with tempfile.TemporaryDirectory(prefix="bench-map-servers-") as tmp:
        servers = {}
        try:
            for label, slices, source in (("old", False, old_source), ("new", True, ROOT)):
                servers[label] = start_server(url, index_dir, slices, Path(tmp), source)
            for port, _, _ in servers.values():  # first requests: imports, mapping the index
                for zoom in ZOOMS * 4:
                    get(port, random_query(rng, names, zoom))
            before = uptime()
            wall: dict = {(label, zoom): [] for label in servers for zoom in ZOOMS}
            same = 0
            for zoom, path in queries:
                bodies = {}
                for label in rng.sample(sorted(servers), 2):
                    elapsed, bodies[label] = get(servers[label][0], path)
                    wall[label, zoom].append((path, elapsed))
                same += bodies["old"] == bodies["new"]
            after = uptime()
            cpu = {label: cpu_times(log) for label, (_, _, log) in servers.items()}
        except (OSError, RuntimeError):
            for log in sorted(Path(tmp).glob("gunicorn-*.log")):
                print(
                    f"--- {log.name} (last lines)\n" + "\n".join(log.read_text().splitlines()[-15:])
                )
            raise
        finally:
            for _, process, _ in servers.values():
                process.terminate()
            for _, process, _ in servers.values():
                process.wait(timeout=30)
    old = "per-filter masks" if old_source == ROOT else f"the portal in {old_source}"
    print(f"\nGET /api/v1/map behind 2 gunicorn workers, {requests} requests per zoom, a new "
          f"random filter each (old: {old}; new: spatial slices), ms:")  # fmt: skip
    print(f"  uptime before: {before}")
    print(f"{'zoom':>6} {'wall p50 old/new':>18} {'wall p95 old/new':>18} "
          f"{'CPU p50 old/new':>17} {'CPU p95 old/new':>17}")  # fmt: skip
    worst = 0.0
    for zoom in ZOOMS:
        row = {}
        for label in ("old", "new"):
            walls = [ms for _, ms in wall[label, zoom]]
            cpus = [cpu[label][path].pop(0) for path, _ in wall[label, zoom]]
            row[label] = (percentile(walls, 0.5), percentile(walls, 0.95),
                          percentile(cpus, 0.5), percentile(cpus, 0.95))  # fmt: skip
        worst = max(worst, row["new"][1])
        print(f"{zoom:>6} " + " ".join(
            f"{row['old'][i]:8.1f} /{row['new'][i]:7.1f}" for i in range(4)
        ))  # fmt: skip
    print(f"  uptime after:  {after}")
    met = "met" if worst <= TARGET_P95_MS else "NOT met"
    print(f"  new: worst wall p95 {worst:.1f} ms (target ≤ {TARGET_P95_MS} ms: {met} at this load)")
    print(f"  byte-identical responses: {same} of {len(queries)}")
    return same == len(queries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a seeded database; only read")
    parser.add_argument("--requests", type=int, default=200, help="requests per zoom")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--old-source", type=Path, default=ROOT, help="source tree of 'old'")
    args = parser.parse_args(argv)
    from portal.queries.map_index_cache import point_index

    with tempfile.TemporaryDirectory(prefix="bench-map-index-") as index_dir:
        app = make_app(args.database_url, index_dir)
        with app.app_context():
            names = point_index().names  # built once and shared with both servers
        same = side_by_side(
            args.database_url, index_dir, names, args.requests, args.seed, args.old_source
        )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
