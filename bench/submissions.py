"""Benchmark of concurrent API submissions against gunicorn (prints figures).

    python bench/submissions.py                                   # SQLite, embedded queue
    python bench/submissions.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0

Starts ``gunicorn --workers 2 portal.wsgi:app`` and ``portal worker`` on a fresh database
(PostgreSQL: a schema of its own, dropped at the end), then sends ``--requests`` POST
/api/v1/appeals from ``--concurrency`` client threads, each with an ``Idempotency-Key``
and an e-mail address (so each submission also queues a receipt). A request that fails
(connection error, 5xx) is retried with the same key, as a client should. Prints
submissions/s (acknowledged per wall second), latency p50/p95/p99, status counts, and checks
the database: **lost** = acknowledged (201) but not stored, **duplicated** = stored more
than once. Target: ≥ 150/s on SQLite with 2 workers, 0 lost, 0 duplicated.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARKER = "Бенчмарк заявка №"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def submission(number: int) -> bytes:
    return json.dumps({
        "city": "bishkek" if number % 3 else "osh",
        "category": "pothole",
        "description": f"{MARKER}{number}: глубокая яма на дороге возле остановки, опасно.",
        "lat": 42.8746 if number % 3 else 40.53,
        "lon": 74.6122 if number % 3 else 72.80,
        "email": f"citizen{number}@example.kg",
        "consent": True,
    }).encode()  # fmt: skip


def post(url: str, body: bytes, key: str, timeout: float = 60) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", "Idempotency-Key": key}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # connection reset, timeout…


def submit_with_retries(url: str, number: int) -> tuple[int, float, int]:
    """(final status, seconds of the last attempt, retries)."""
    key, body = str(uuid.uuid4()), submission(number)
    for attempt in range(4):
        started = time.perf_counter()
        status = post(url, body, key)
        elapsed = time.perf_counter() - started
        if status and status < 500:
            return status, elapsed, attempt
        time.sleep(0.2 * (attempt + 1))
    return status, elapsed, attempt


def prepare_database(url: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    """The URL to use and a clean-up function (SQLite file, or a PostgreSQL schema)."""
    if not url:
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), drop


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)


def stored_counts(database_url: str) -> Counter:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT raw_text FROM appeal_private WHERE raw_text LIKE :m"), {"m": f"{MARKER}%"}
        )
        found = Counter(int(raw.split("№", 1)[1].split(":", 1)[0]) for (raw,) in rows)
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-submissions-"))
    database_url, drop = prepare_database(args.database_url, workdir)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment.update(
        PORTAL_DATABASE_URL=database_url, PORTAL_REDIS_URL=args.redis_url,
        PORTAL_SECRET_KEY=uuid.uuid4().hex * 2, PORTAL_SUBMIT_RATE_LIMIT="1000000 per hour",
        PORTAL_RATE_LIMIT_DB=str(workdir / "ratelimits.db"), PORTAL_JOBS_DB=str(workdir / "jobs.db"),
        PORTAL_CACHE_DIR=str(workdir / "cache"),
        PORTAL_LOG_LEVEL="WARNING", PORTAL_REMIND_SCHEDULE="", PORTAL_PUBLISH_SCHEDULE="",
    )  # fmt: skip
    portal = [sys.executable, "-c", "from portal.cli import main; main()"]
    subprocess.run([*portal, "init-db"], env=environment, check=True, capture_output=True)
    server = subprocess.Popen(
        [shutil.which("gunicorn"), "--workers", str(args.workers), "--bind",
         f"127.0.0.1:{args.port}", "--backlog", "2048", "portal.wsgi:app"],
        env=environment, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen([*portal, "worker"], env=environment, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{args.port}/api/v1/appeals"
    try:
        wait_until_up(f"http://127.0.0.1:{args.port}/healthz", server)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(lambda n: submit_with_retries(url, n), range(args.requests)))
        wall = time.perf_counter() - started
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(timeout=60)
    stored = stored_counts(database_url)
    drop()
    shutil.rmtree(workdir, ignore_errors=True)

    statuses = Counter(status for status, _, _ in results)
    acknowledged = [n for n, (status, _, _) in enumerate(results) if status == 201]
    latencies = [elapsed for status, elapsed, _ in results if status == 201]
    lost = sum(1 for n in acknowledged if stored[n] == 0)
    duplicated = sum(count - 1 for count in stored.values() if count > 1)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{backend}{' + Redis' if args.redis_url else ''}, {args.workers} gunicorn workers, "
          f"{args.requests} submissions from {args.concurrency} client threads")  # fmt: skip
    print(f"  submissions/s   {len(acknowledged) / wall:8.1f}   (wall {wall:.1f} s)")
    if latencies:
        print(f"  latency ms      p50 {statistics.median(latencies) * 1000:6.0f}   "
              f"p95 {percentile(latencies, 0.95) * 1000:6.0f}   "
              f"p99 {percentile(latencies, 0.99) * 1000:6.0f}")  # fmt: skip
    print(f"  statuses        {dict(sorted(statuses.items()))}   "
          f"retried requests {sum(1 for _, _, r in results if r)}")  # fmt: skip
    print(f"  lost            {lost:8d}   (acknowledged, not stored)")
    print(f"  duplicated      {duplicated:8d}   (stored more than once)")
    return 0 if lost == duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
