"""Benchmark of the staff inbox pages (prints figures; target ≤ 200 ms p95).

    python bench/inbox.py --database-url sqlite:////work/benchdb/bench-1m.db
    python bench/inbox.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench1m

Measures whole requests through the Flask test client (routing, login session, schema,
queries, template rendering) for the service with the most open appeals: the first page,
filtered pages and a deep page, in steady state (every page warmed up first). The database is never changed: the benchmark's staff
account (and any index the model declares but the database lacks) is created inside a
transaction that is rolled back at the end (the requests run in the same session).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = (
    ("first page", ""),
    ("overdue only", "overdue=1"),
    ("category filter", "category=pothole"),
    ("status + district", "status=in_progress&district=leninsky"),
    ("page 20", "page=20"),
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _create_missing_indexes(connection, table) -> None:
    """Indexes the model declares but the database lacks (a database seeded before they
    were added), created inside the benchmark's transaction — rolled back with it."""
    from sqlalchemy import inspect

    present = {index["name"] for index in inspect(connection).get_indexes(table.name)}
    for index in sorted(table.indexes, key=lambda i: i.name):
        if index.name not in present:
            started = time.perf_counter()
            index.create(bind=connection)
            print(
                f"created missing index {index.name} in the rolled-back transaction "
                f"({time.perf_counter() - started:.1f} s)"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds of all pages")
    parser.add_argument("--service", default=None, help="service code (default: busiest)")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.models import OPEN_STATUSES, Appeal, Service, StaffRole, StaffUser

    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench-secret-key-0123456789",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        started = time.perf_counter()
        total = db.session.scalar(select(func.count()).select_from(Appeal))
        if args.service:
            service = db.session.scalars(select(Service).where(Service.code == args.service)).one()
            open_count = db.session.scalar(
                select(func.count()).where(
                    Appeal.service_id == service.id, Appeal.status.in_(OPEN_STATUSES)
                )
            )
        else:
            service_id, open_count = db.session.execute(
                select(Appeal.service_id, func.count())
                .where(Appeal.status.in_(OPEN_STATUSES))
                .group_by(Appeal.service_id)
                .order_by(func.count().desc())
                .limit(1)
            ).one()
            service = db.session.get(Service, service_id)
        print(
            f"database: {args.database_url}\nappeals: {total:,}; service {service.code}: "
            f"{open_count:,} open appeals (found in {time.perf_counter() - started:.1f} s)"
        )
        # A throwaway account, never committed: the requests share this session.
        user = StaffUser(
            email="bench-inbox@bench.invalid",
            private_name="bench",
            password_hash="!",
            role=StaffRole.SERVICE,
            service_id=service.id,
            active=True,
        )
        db.session.add(user)
        db.session.flush()
        _create_missing_indexes(db.session.connection(), Appeal.__table__)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        try:
            print(
                f"\n{'page':<20}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
                f"{'cpu p50':>9}{'cpu p95':>9}  rows"
            )
            worst = 0.0
            urls = [f"/staff/inbox?{query}" if query else "/staff/inbox" for _, query in PAGES]
            # Steady state, as in a running worker: every page warmed up (templates
            # compiled, statements prepared, caches filled) before any is timed.
            for _ in range(args.warmup):
                for url in urls:
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)
            gc.collect()
            for (name, _query), url in zip(PAGES, urls, strict=True):
                timings, cpu = [], []
                for _ in range(args.requests):
                    t0, c0 = time.perf_counter(), time.process_time()
                    response = client.get(url)
                    timings.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
                    assert response.status_code == 200
                rows = response.get_data(as_text=True).count('href="/staff/appeals/')
                p95 = percentile(timings, 0.95)
                worst = max(worst, p95)
                print(
                    f"{name:<20}{statistics.median(timings):>9.1f}{p95:>9.1f}"
                    f"{max(timings):>9.1f}{statistics.median(cpu):>9.1f}"
                    f"{percentile(cpu, 0.95):>9.1f}  {rows}"
                )
            verdict = "OK" if worst <= 200 else "OVER TARGET"
            print(f"\nworst p95: {worst:.1f} ms (target ≤ 200 ms): {verdict}")
            print(
                "(wall-clock per request; cpu = this process's CPU time, i.e. the portal's "
                "own work without waiting for the database server or other processes; "
                f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
            )
        finally:
            db.session.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
