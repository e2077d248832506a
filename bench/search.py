"""Benchmark of the text search ``q`` (prints figures; not a timed test).

    python bench/search.py --appeals 50000        # seeds a fresh SQLite database first
    python bench/search.py --database-url sqlite:////tmp/1m.db   # an existing database
    python bench/search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Side by side, in one run, for each search word: the full-text search of issue 18
(portal.queries.search: SQLite FTS5 / PostgreSQL tsvector, ranked) and, as the reference,
the substring search it replaced (LIKE on the folded published texts, reproduced below).
Per word and search, p50/p95/max server time, cold (the map index's per-minute search
cache emptied, so the database searches every time), of

- ``sql``: all matching ids (the new one ranked) — what the list, the map and the API
  ask the database for;
- ``api``: GET /api/v1/appeals?q=… (first page, with the total);
- ``open311``: GET /open311/v2/requests.json?q=… (the last 90 days);

with the number of matches. The database is only read (an existing one must have been
indexed: `portal db upgrade` or `portal search-reindex`). Target (issue 18): p95 ≤ 150 ms
on 1,000,000 appeals. Measured figures: see the end of this docstring and CHANGELOG.

Measured 2026-12-05 (2 shared cores, other jobs and test runs on the machine):
see bench/README or the branch's report — filled in from the run below.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.map import make_app, percentile, seed_sqlite  # noqa: E402

#: Common, rarer and absent words of the demo texts (Russian and Kyrgyz), a capital, a
#: word form and two words.
WORDS = ("мусор", "вода", "остановке", "жатат", "ТРОТУАР", "нетакогослова", "ямы", "мусор двор")
TARGET_P95_MS = 150
SEARCHES = ("new", "old")


# --- The substring search of before issue 18 (the reference) -----------------------------


def _fold(value):
    return value.lower() if isinstance(value, str) else value


def old_text_matches(q: str):
    """The old ``text_matches``: case-insensitive substring of the published texts."""
    from sqlalchemy import exists, func, or_

    from portal.extensions import db
    from portal.models import Answer, Appeal

    sqlite = db.engine.dialect.name == "sqlite"

    def folded(column):
        return func.bench_lower(column) if sqlite else func.lower(column)

    needle = _fold(q)
    answer_matches = exists().where(
        Answer.appeal_id == Appeal.id,
        Answer.public_text.is_not(None),
        folded(Answer.public_text).contains(needle, autoescape=True),
    )
    return or_(folded(Appeal.public_text).contains(needle, autoescape=True), answer_matches)


def old_matching_ids(q: str) -> list[int]:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Appeal
    from portal.queries.record import published_appeals

    return list(db.session.scalars(published_appeals(select(Appeal.id)).where(old_text_matches(q))))


def register_sqlite_lower(app) -> None:
    """SQLite's lower() folds ASCII only: the old search folded with Python's str.lower."""
    from sqlalchemy import event

    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _register(dbapi_connection, record):
            dbapi_connection.create_function("bench_lower", 1, _fold, deterministic=True)

        engine.dispose()


@contextmanager
def using(search: str):
    """Make the portal run the ``new`` or the ``old`` search."""
    from portal.open311 import queries as open311_queries
    from portal.queries import map_index
    from portal.queries import search as new

    if search == "new":
        yield new.ranked_ids
        return
    saved = map_index.matching_ids, open311_queries.text_matches
    map_index.matching_ids, open311_queries.text_matches = old_matching_ids, old_text_matches
    try:
        yield old_matching_ids
    finally:
        map_index.matching_ids, open311_queries.text_matches = saved


def _timed(client, url: str) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response.json


def bench(app, repeats: int) -> list[tuple[str, str, str, list[float], int]]:
    """(word, address, search, cold ms, matches) for each word, address and search."""
    from portal.queries.map_index_cache import point_index

    client = app.test_client()
    rows = []
    for word in WORDS:
        for search in SEARCHES:
            with using(search) as matching_ids:
                times, found = [], 0
                for _ in range(repeats):
                    with app.app_context():
                        started = time.perf_counter()
                        found = len(matching_ids(word))
                        times.append((time.perf_counter() - started) * 1000)
                rows.append((word, "sql", search, times, found))
                for kind, url in (
                    ("api", f"/api/v1/appeals?q={word}"),
                    ("open311", f"/open311/v2/requests.json?q={word}"),  # the last 90 days
                ):
                    times, matches = [], 0
                    for _ in range(repeats):
                        with app.app_context():
                            point_index()._cache.clear()  # cold: the database searches
                        ms, body = _timed(client, url)
                        times.append(ms)
                        matches = body["total"] if kind == "api" else len(body)
                    rows.append((word, kind, search, times, matches))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--appeals", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or seed_sqlite(Path(tmp) / "search.db", args.appeals)
        app = make_app(url)
        register_sqlite_lower(app)
        client = app.test_client()
        client.get("/api/v1/appeals?per_page=1")  # the map index, built once
        total = client.get("/api/v1/appeals?per_page=1").json["total"]
        print(f"search over {total:,} published appeals ({url.split(':')[0]}), cold times")
        print(f"{'word':<14} {'address':<8} {'search':<4} {'matches':>8}  p50/p95/max ms")
        worst = dict.fromkeys(SEARCHES, 0.0)
        for word, kind, search, times, matches in bench(app, args.repeats):
            p95 = percentile(times, 0.95)
            worst[search] = max(worst[search], p95)
            print(
                f"{word:<14} {kind:<8} {search:<4} {matches:>8}  {percentile(times, 0.5):7.1f}/"
                f"{p95:7.1f}/{max(times):7.1f}"
            )
        for search in SEARCHES:
            verdict = "meets" if worst[search] <= TARGET_P95_MS else "misses"
            print(
                f"{search}: worst p95 {worst[search]:.1f} ms — {verdict} the "
                f"{TARGET_P95_MS} ms target"
            )


if __name__ == "__main__":
    main()
