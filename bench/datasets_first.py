"""/datasets/ on the first requests of new gunicorn processes, this tree side by side with
a reference tree, in one run (without Redis: the embedded deployment).

    git archive main | (mkdir -p /tmp/reference-tree && tar -x -C /tmp/reference-tree)
    python bench/datasets_first.py --database-url sqlite:////work/rssdb/1m.sqlite \\
        --reference /tmp/reference-tree

Each round starts, for each variant in turn (alternating order), a new gunicorn with 2
workers on a new, empty figures cache and sends ``--requests`` GET /datasets/ ("start": the
first one counts the rows of every dataset); then restarts it — new processes, the same
cache directory, as after a deploy — and sends them again ("restart"). The reference tree
cached per process, so each new worker counted for itself; this tree's workers share
their figures through files (``PORTAL_CACHE_DIR``). The database is only read.

Stop 37, 1M appeals in SQLite, main at 0f8330f (old) → this tree (new), 2 rounds of 5
requests, while a CI run shared the 2 cores; ms, p50 / max:

    requests             old            new
    start, first         6512 / 7372    7625 / 9856   (both count every dataset)
    start, others        8 / 5817       9 / 30        (old: the other worker counts too)
    restart, first       6054 / 6138    44 / 52
    restart, others      11 / 6034      8 / 31
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from performance import percentile  # noqa: E402
from performance_cold import free_port, start  # noqa: E402


def timed_gets(port: int, count: int) -> list[float]:
    """Seconds each of ``count`` GET /datasets/ took (a new connection each: either worker)."""
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = requests.get(f"http://127.0.0.1:{port}/datasets/", timeout=600)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="existing database (read only)")
    parser.add_argument("--reference", required=True, help="source tree of the previous code")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per variant")
    parser.add_argument("--requests", type=int, default=6, help="requests per server start")
    args = parser.parse_args()

    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.NamedTemporaryFile("w", prefix="gunicorn-", suffix=".log", delete=False) as log:
        for round_ in range(args.rounds):
            for variant in ("new", "old") if round_ % 2 == 0 else ("old", "new"):
                cache_dir = tempfile.mkdtemp(prefix="bench-cache-")
                for phase in ("start", "restart"):
                    port = free_port()
                    server = start(variant, args.reference, args.database_url, port, log, cache_dir)
                    try:
                        timings = timed_gets(port, args.requests)
                    finally:
                        server.terminate()
                        server.wait(30)
                    results.setdefault((variant, f"{phase} first"), []).append(timings[0])
                    results.setdefault((variant, f"{phase} others"), []).extend(timings[1:])
    print(f"database: {args.database_url.split(':')[0]}; {args.rounds} rounds; "
          f"{args.requests} requests per start; 2 gunicorn workers")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'variant':<7} {'requests':<15} {'n':>3} {'p50 ms':>8} {'max ms':>8}")
    for (variant, kind), values in sorted(results.items()):
        print(f"{variant:<7} {kind:<15} {len(values):>3} {percentile(values, 0.5) * 1000:>8.0f} "
              f"{max(values) * 1000:>8.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
