"""Benchmark of /performance and /performance.json (12-month window): p50/p95, cold and warm.

    python bench/performance.py                                   # fresh SQLite, 20,000 appeals
    python bench/performance.py --appeals 200000
    python bench/performance.py --database-url sqlite:////work/benchdb/bench-1m.db
    python bench/performance.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench1m
    python bench/performance.py --database-url … --reference /tmp/reference-tree  # new, then old

With ``--reference`` (a source tree of the previous code, e.g. ``git archive main | tar -x
-C /tmp/reference-tree``) the same benchmark of that tree runs right after this one, on the
same database, and both tables are printed: new then old.

*Cold* requests find an empty cache (the figures are computed from the database: the
summary tables summed over the window, roll-ups, statistics); *warm* requests are served
from the cache. *Event* requests follow a (simulated) new event: the figures are computed
again (synchronous mode); *event bg* is the default background mode, where the request
gets the previous figures at once while a thread computes the new ones.
The database is only read. Prints the timings and the figures per service.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def seeded_sqlite(count: int) -> str:
    """A fresh SQLite database with ``count`` demo appeals (deterministic)."""
    from portal.demo.seeding import seed_demo
    from portal.services.core import work_calendar
    from portal.services.reference import install_reference_data

    folder = tempfile.mkdtemp(prefix="bench-performance-")
    url = f"sqlite:///{os.path.join(folder, 'bench.db')}"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench-secret-key-0123456789", "DATABASE_URL": url}
    )
    with app.app_context():
        db.create_all()
        install_reference_data()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            seed_demo(conn, count, seed=1, today=date.today(), calendar=work_calendar())
        print(f"seeded {count:,} appeals in {time.perf_counter() - started:.1f} s ({url})")
    return url


CPU: dict[str, list[float]] = {}


def timed(client, path: str, name: str = "") -> tuple[float, int, bytes]:
    """Wall time of one request (and this process's CPU time, kept in CPU[name])."""
    cpu, started = time.process_time(), time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    CPU.setdefault(name, []).append(time.process_time() - cpu)
    return elapsed, response.status_code, response.data


@contextlib.contextmanager
def simulated_events(perf, app):
    """Yield ``bump()``: pretend one more status event, touching the window's last month."""
    with app.app_context():
        real = perf.data_version()
    bumps = {"n": 0}
    saved = perf.data_version
    perf.data_version = lambda: perf.DataVersion(real.event_id + bumps["n"], real.updated_at)

    def bump() -> None:
        bumps["n"] += 1

    try:
        yield bump
    finally:
        wait_for_refresh()
        perf.data_version = saved


def wait_for_refresh() -> None:
    for thread in threading.enumerate():
        if thread.name == "performance-refresh":
            thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="existing database (read only)")
    parser.add_argument(
        "--appeals", type=int, default=20_000, help="appeals to seed without --database-url"
    )
    parser.add_argument("--cold", type=int, default=5, help="cold requests per endpoint")
    parser.add_argument("--warm", type=int, default=50, help="warm requests per endpoint")
    parser.add_argument("--redis-url", default="", help="cache in Redis instead of files")
    parser.add_argument("--reference", default="", help="source tree of the previous code")
    args = parser.parse_args()
    if args.reference and not args.database_url:
        parser.error("--reference needs --database-url (both trees read the same database)")

    url = args.database_url or seeded_sqlite(args.appeals)
    if not args.database_url:
        atexit.register(shutil.rmtree, os.path.dirname(url.removeprefix("sqlite:///")), True)
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench-secret-key-0123456789", "DATABASE_URL": url,
         "REDIS_URL": args.redis_url, "CACHE_DIR": tempfile.mkdtemp(prefix="bench-cache-")}
    )  # fmt: skip
    from sqlalchemy import func, select

    from portal.models import Appeal
    from portal.queries import performance as perf

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Appeal))
        backend = db.engine.dialect.name
    print(
        f"database: {backend}, {total:,} appeals; cache: {'redis' if args.redis_url else 'files'}"
    )

    client = app.test_client()
    results: dict[str, list[float]] = {}
    payload = b""
    for name, path in (("page", "/performance?lang=en"), ("json", "/performance.json")):
        cold = []
        for _ in range(args.cold):
            with app.app_context():
                perf.clear_cache()
            elapsed, status, body = timed(client, path, f"{name} cold")
            assert status == 200, status
            cold.append(elapsed)
        warm = []
        for _ in range(args.warm):
            elapsed, status, body = timed(client, path, f"{name} warm")
            assert status == 200, status
            warm.append(elapsed)
        results[f"{name} cold"] = cold
        results[f"{name} warm"] = warm
        if name == "json":
            payload = body
        # A new event (simulated: the database is read only): the data version moves on and
        # the newest month of the window is touched. Synchronously the request counts that
        # month again; with background refresh it gets the previous figures at once.
        for mode, background in (("event", False), ("event bg", True)):
            app.config["BACKGROUND_REFRESH"] = background
            timings = []
            with simulated_events(perf, app) as bump:
                for _ in range(args.cold):
                    timed(client, path, "settle")  # figures of the current version, shown
                    bump()
                    elapsed, status, body = timed(client, path, f"{name} {mode}")
                    assert status == 200, status
                    timings.append(elapsed)
                    wait_for_refresh()
            results[f"{name} {mode}"] = timings
        app.config.pop("BACKGROUND_REFRESH")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average {load:.1f} on {os.cpu_count()} CPUs (wall times include waiting)")
    print(f"{'request':<14} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'cpu p50 ms':>11}")
    for name, values in results.items():
        print(
            f"{name:<14} {len(values):>4} {percentile(values, 0.5) * 1000:>9.1f} "
            f"{percentile(values, 0.95) * 1000:>9.1f} {max(values) * 1000:>9.1f} "
            f"{percentile(CPU[name], 0.5) * 1000:>11.1f}"
        )
    target = max(percentile(results["page warm"], 0.95), percentile(results["json warm"], 0.95))
    print(f"\nwarm p95 (page and JSON): {target * 1000:.0f} ms — target ≤ 500 ms: "
          f"{'met' if target <= 0.5 else 'NOT met'}")  # fmt: skip

    import json

    data = json.loads(payload)
    window = data["window"]
    print(
        f"\nFigures per service, window {window['start']} – {window['end']} ({window['time_zone']}):"
    )
    print(f"{'rank':>4} {'service':<20} {'received':>9} {'median':>7} {'mean':>6} {'on time':>8} "
          f"{'overdue':>8} {'ratings':>8} {'score (95% CI)':>20} {'solved':>7} {'reopen':>7}")  # fmt: skip
    rows = data["groups"]["service"]
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["service"]))
    for r in rows:
        if r["suppressed"]:
            print(f"{'':>4} {r['service']:<20} suppressed (< {data['rules']['min_cell']} appeals)")
            continue
        rank = str(r["rank"]) if r["rank"] else "—"
        score = (f"{r['mean_score']:.2f} ({r['score_ci_low']:.2f}–{r['score_ci_high']:.2f})"
                 if r["score_ci_low"] is not None else "too few ratings")  # fmt: skip
        print(
            f"{rank:>4} {r['service']:<20} {r['received']:>9,} {r['median_workdays'] or 0:>7.1f} "
            f"{r['mean_workdays'] or 0:>6.1f} {(r['on_time_share'] or 0) * 100:>7.1f}% "
            f"{r['overdue_open']:>8,} {r['ratings']:>8,} {score:>20} "
            f"{(r['solved_share'] or 0) * 100:>6.1f}% {(r['reopen_rate'] or 0) * 100:>6.1f}%"
        )
    print(f"\nmedian of cold page timings: {statistics.median(results['page cold']) * 1000:.0f} ms")
    if args.reference:
        print(f"\n===== old: {args.reference} (same database, same arguments) =====", flush=True)
        argv = [a for a in sys.argv[1:] if a != "--reference" and a != args.reference]
        subprocess.run(
            [sys.executable, str(Path(args.reference) / "bench" / "performance.py"), *argv],
            env=dict(os.environ, PYTHONPATH=args.reference), check=True,
        )  # fmt: skip


if __name__ == "__main__":
    main()
