"""/performance from the first request: new gunicorn (2 workers), random filters, p95.

    python bench/performance_cold.py --database-url sqlite:////work/bench1m/copy.sqlite \\
        --reference /tmp/reference-tree
    python bench/performance_cold.py --database-url postgresql+psycopg://…/copy1m \\
        --reference /tmp/reference-tree

Each round starts a new gunicorn with 2 workers for every variant — *new* (this tree:
whole months from the monthly summary tables, the days of months covered in part from the
per-day ones, each worker warmed up at start) and *old* (``--reference``, a source tree of
the previous code, e.g. ``git archive main | tar -x -C /tmp/reference-tree``: whole months
from the monthly tables, months covered in part counted from the appeals) — on the same
database (migrated to this tree's schema; the old code reads the columns it knows), in
alternating order. It sends the same
random requests to both: /performance or /performance.json with a random city, service
and window (the default, whole months, or any days). *Cold* is the first request of each
filter in a new process (nothing cached), *warm* the same request again. The database is
only read. Prints p50/p95/max per variant, kind of window and temperature, and the load.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from performance import percentile  # noqa: E402

HERE = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference_lists(url: str) -> tuple[dict[str, list[str]], date]:
    """Services per city, and the last day with appeals (the windows end before it)."""
    from sqlalchemy import create_engine, func, select

    from portal.models import Appeal, City, Service

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(City.slug, Service.code).join(City, City.id == Service.city_id))
        services: dict[str, list[str]] = {}
        for city, code in rows:
            services.setdefault(city, []).append(code)
        last = conn.scalar(select(func.max(Appeal.__table__.c.submitted_at)))
    engine.dispose()
    return services, (last.date() if last else date.today())


def random_requests(n: int, services: dict[str, list[str]], today: date, seed: int) -> list:
    """(kind of window, path) for ``n`` random filters."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        city = rng.choice([None, *services])
        service = rng.choice([None, None, *services[city]]) if city else None
        kind = rng.choice(["default", "months", "days"])
        args = {}
        if kind == "months":
            end_month = date(today.year, today.month, 1) - timedelta(days=rng.randint(1, 400))
            span = rng.randint(1, 24)
            index = end_month.year * 12 + end_month.month - 1 - (span - 1)
            start = date(index // 12, index % 12 + 1, 1)
            end = date(end_month.year, end_month.month, 1) + timedelta(days=31)
            args = {"from": start, "to": end.replace(day=1) - timedelta(days=1)}
        elif kind == "days":
            end = today - timedelta(days=rng.randint(1, 400))
            args = {"from": end - timedelta(days=rng.randint(7, 700)), "to": end}
        if city:
            args["city"] = city
        if service:
            args["service"] = service
        path = rng.choice(["/performance", "/performance.json"])
        query = "&".join(f"{k}={v}" for k, v in args.items())
        out.append((kind, f"{path}?{query}" if query else path))
    return out


def start(
    variant: str, reference: str, url: str, port: int, log, cache_dir: str = ""
) -> subprocess.Popen:
    """gunicorn with 2 workers of ``variant`` on ``port``; its figures cache in
    ``cache_dir``, else in a new directory (nothing warm)."""
    env = dict(os.environ, PORTAL_DATABASE_URL=url, PORTAL_SECRET_KEY="b" * 40)
    env.pop("PORTAL_REDIS_URL", None)  # no shared Redis
    env["PORTAL_CACHE_DIR"] = cache_dir or tempfile.mkdtemp(prefix="bench-cache-")
    # Each variant's tree before the editable install (which may be yet another tree).
    env["PYTHONPATH"] = reference if variant == "old" else str(HERE)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "300",
         "portal.wsgi:app"],
        env=env, stdout=log, stderr=log, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=60).status_code == 200:
                time.sleep(3)  # the second worker boots too
                return process
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"gunicorn ({variant}) did not start; see its log")


def measure(port: int, paths: list[tuple[str, str]], results: dict, variant: str) -> None:
    """Each path cold then warm; the very first request of the process is also kept apart
    ("first": a cold process), as are the first ones each of the 2 workers answers."""
    session = requests.Session()
    for temperature in ("cold", "warm"):
        for number, (kind, path) in enumerate(paths):
            started = time.perf_counter()
            response = session.get(f"http://127.0.0.1:{port}{path}", timeout=300)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (path, response.status_code)
            keys = [(variant, temperature, kind), (variant, temperature, "all")]
            if temperature == "cold" and number < 2:
                keys.append((variant, "first", "all"))
            for key in keys:
                results.setdefault(key, []).append(elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="existing database (read only)")
    parser.add_argument("--reference", required=True, help="source tree of the previous code")
    parser.add_argument("--rounds", type=int, default=3, help="new processes per variant")
    parser.add_argument("--requests", type=int, default=20, help="random filters per round")
    args = parser.parse_args()

    services, today = reference_lists(args.database_url)
    print(f"load average at start {os.getloadavg()[0]:.1f}")
    results: dict[tuple, list[float]] = {}
    with tempfile.NamedTemporaryFile("w", prefix="gunicorn-", suffix=".log", delete=False) as log:
        for round_ in range(args.rounds):
            paths = random_requests(args.requests, services, today, seed=round_)
            order = ("new", "old") if round_ % 2 == 0 else ("old", "new")
            for variant in order:
                port = free_port()
                process = start(variant, args.reference, args.database_url, port, log)
                try:
                    measure(port, paths, results, variant)
                finally:
                    process.terminate()
                    process.wait(30)
    load = os.getloadavg()
    print(f"database: {args.database_url.split(':')[0]}; {args.rounds} rounds x "
          f"{args.requests} random filters; 2 gunicorn workers per new process")  # fmt: skip
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'variant':<5} {'temp':<5} {'window':<8} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    )
    for key in sorted(results, key=lambda k: (k[1], k[2], k[0])):
        values = results[key]
        print(f"{key[0]:<5} {key[1]:<5} {key[2]:<8} {len(values):>4} "
              f"{percentile(values, 0.5) * 1000:>8.0f} {percentile(values, 0.95) * 1000:>8.0f} "
              f"{max(values) * 1000:>8.0f}")  # fmt: skip
    for variant in ("new", "old"):
        cold, first = results[(variant, "cold", "all")], results[(variant, "first", "all")]
        worst = percentile(cold + results[(variant, "warm", "all")], 0.95)
        print(f"{variant}: p95 of every request {worst * 1000:.0f} ms (cold {percentile(cold, 0.95) * 1000:.0f}, "
              f"first of a new process {percentile(first, 0.95) * 1000:.0f}) — target ≤ 500 ms: "
              f"{'met' if worst <= 0.5 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
