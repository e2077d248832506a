"""Benchmark of the text search ``q`` at city scale (prints figures; not a timed test).

    python bench/search.py --appeals 50000        # seeds a fresh SQLite database first
    python bench/search.py --database-url sqlite:////tmp/1m.db   # an existing database
    python bench/search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Side by side, in one run, every searching endpoint with the search of now (``new``:
portal.queries.search — on PostgreSQL the matches read from the postings table
``search_terms`` by its key alone) and, as the reference, the search it replaced
(``old``, reproduced below: PostgreSQL matching through a GIN index on the documents,
which this run builds for itself and drops afterwards; SQLite's search is the same in
both). Over a realistic mix of searches (common, rarer and absent words, word forms, a
capital, Kyrgyz, two words, with and without a filter), each request cold (the map
index's per-minute search cache emptied, so the database searches every time), per
endpoint:

- ``list``: GET /appeals?q=… (the HTML list, first page, with the total);
- ``api``: GET /api/v1/appeals?q=… (first page, with the total);
- ``map``: GET /api/v1/map?q=…&zoom=12&bbox=<Bishkek> (clusters of every match);
- ``open311``: GET /open311/v2/requests.json?q=… (the last 90 days, newest first).

The datasets (/datasets/…?q=…) stream every match and are not timed here: they share
``text_matches`` with Open311. The database must have been indexed (`portal db upgrade` or
`portal search-reindex`); besides the reference's GIN index, the run writes nothing.
Target (issue 18): p95 ≤ 150 ms per endpoint on 1,000,000 appeals.

Measured 2026-12-06 on the seeded 1M PostgreSQL 15 database (977,586 published appeals,
default settings: 128 MB shared_buffers), quiet machine (load 0.4-1.3), 5 cold runs each,
p50/p95 ms old -> new: list 183/330 -> 47/105, api 176/325 -> 35/96, map 183/327 -> 39/97,
open311 34/338 -> 22/52. Open311 with a category ("мусор&service_code=garbage") was the
slowest cell (146-151 ms) until it filtered on the city's and categories' keys read
first (portal.open311.queries): now 24/25. The slowest new cells are two words ("мусор
двор", ~100/146 on the list: the intersection of 136,009 and its partner's hits). In an
earlier run, at load 2.5-2.8, new p95 were 114/111/106/146; at load 3.7 224/173/209/213.
SQLite's search is unchanged by the postings (stop 27, load 1.4: p95 list 34, api 27,
map 34, open311 45).
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

#: The searches (with a filter after "&"): common, rarer and absent words (Russian, Kyrgyz),
#: a capital, word forms, two words, and with a category or city filter.
SEARCHES_MIX = (
    "мусор",
    "вода",
    "остановке",
    "жатат",
    "ТРОТУАР",
    "нетакогослова",
    "ямы",
    "свет",
    "мусор двор",
    "мусор&category=garbage",
    "остановке&city=osh",
    "ямы&city=bishkek",
)
ENDPOINTS = {
    "list": "/appeals?q={q}",
    "api": "/api/v1/appeals?q={q}",
    "map": "/api/v1/map?q={q}&zoom=12&bbox=74.48,42.80,74.72,42.93",
    "open311": "/open311/v2/requests.json?q={q}",
}
TARGET_P95_MS = 150
SEARCHES = ("old", "new")


# --- The search of before this change (the reference) -------------------------------------
#: PostgreSQL matched through a GIN index on the documents before the postings; the
#: reference run builds it for itself (a minute at 1M appeals) and drops it afterwards.
GIN_INDEX = "ix_search_documents_tsv"


def gin_matching_select(q: str):
    """PostgreSQL's matches through the GIN index on ``to_tsvector('simple', tokens)``."""
    from sqlalchemy import select

    from portal.models import SearchDocument
    from portal.queries import search

    terms = search.query_terms(q)
    if not terms:
        return None
    return select(SearchDocument.appeal_id.label("appeal_id")).where(_gin_match(terms))


def gin_search_hits(q: str):
    """The same matches with their ``ts_rank``."""
    from sqlalchemy import func, select, text

    from portal.models import SearchDocument
    from portal.queries import search

    terms = search.query_terms(q)
    if not terms:
        return None
    query = func.to_tsquery(text("'simple'"), search._tsquery_expression(terms))
    rank = func.ts_rank(search.tsvector(SearchDocument.tokens), query)
    return select(SearchDocument.appeal_id.label("appeal_id"), rank.label("rank")).where(
        _gin_match(terms)
    )


def _gin_match(terms):
    from sqlalchemy import func, text

    from portal.models import SearchDocument
    from portal.queries import search

    query = func.to_tsquery(text("'simple'"), search._tsquery_expression(terms))
    return search.tsvector(SearchDocument.tokens).op("@@")(query)


def gin_text_matches(q: str):
    """The reference's ``text_matches``: a word the planner expects more than 50,000 times
    probes each appeal's document; a rarer one's hits come first (a MATERIALIZED CTE)."""
    import json

    from sqlalchemy import false, select, text

    from portal.extensions import db
    from portal.models import Appeal

    hits = gin_matching_select(q)
    if hits is None:
        return false()
    sql = str(hits.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    plan = db.session.scalar(text("EXPLAIN (FORMAT JSON) " + sql))
    plan = plan if isinstance(plan, list) else json.loads(plan)
    if plan[0]["Plan"]["Plan Rows"] > 50_000:
        return Appeal.id.in_(hits)
    found = hits.cte("search_hits").prefix_with("MATERIALIZED")
    return Appeal.id.in_(select(found.c.appeal_id))


@contextmanager
def gin_index(engine):
    """The reference's GIN index, for the length of the run (PostgreSQL only)."""
    from sqlalchemy import text

    made = engine.dialect.name == "postgresql"
    if made:
        print("building the reference's GIN index…", flush=True)
        with engine.begin() as connection:
            connection.execute(text(f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON search_documents "
                                    "USING gin (to_tsvector('simple', tokens))"))  # fmt: skip
            connection.execute(text("ANALYZE search_documents"))
    try:
        yield
    finally:
        if made:
            with engine.begin() as connection:
                connection.execute(text(f"DROP INDEX IF EXISTS {GIN_INDEX}"))


@contextmanager
def using(search: str, dialect: str):
    """Make the portal run the ``new`` or the ``old`` search (the same on SQLite, which
    this change leaves alone)."""
    from portal.open311 import queries as open311_queries
    from portal.queries import search as search_module

    if search == "new" or dialect != "postgresql":
        yield
        return
    patched = {
        (search_module, "_matching_select"): gin_matching_select,
        (search_module, "search_hits"): gin_search_hits,
        (open311_queries, "text_matches"): gin_text_matches,
    }
    saved = {key: getattr(*key) for key in patched}
    for (module, name), function in patched.items():
        setattr(module, name, function)
    try:
        yield
    finally:
        for (module, name), function in saved.items():
            setattr(module, name, function)


def _timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code, response.data[:300])
    return elapsed


def _for(endpoint: str, q: str) -> str:
    """The search's filter under Open311's names for it."""
    if endpoint != "open311":
        return q
    return q.replace("category=", "service_code=").replace("city=", "jurisdiction_id=")


def bench(app, repeats: int) -> dict[tuple[str, str], list[float]]:
    """Cold times (ms) per (endpoint, search) over the mix, old and new interleaved."""
    from portal.queries.map_index_cache import point_index

    client = app.test_client()
    with app.app_context():
        from portal.extensions import db

        dialect = db.engine.dialect.name
    times: dict[tuple[str, str], list[float]] = {}
    for q in SEARCHES_MIX:
        for endpoint, url in ENDPOINTS.items():
            for _ in range(repeats):
                for search in SEARCHES:
                    with using(search, dialect):
                        with app.app_context():
                            point_index()._cache.clear()  # cold: the database searches
                        ms = _timed(client, url.format(q=_for(endpoint, q)))
                    times.setdefault((endpoint, search), []).append(ms)
                    times.setdefault((f"{endpoint} {q}", search), []).append(ms)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--appeals", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--detail", action="store_true", help="figures per search too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or seed_sqlite(Path(tmp) / "search.db", args.appeals)
        app = make_app(url)
        client = app.test_client()
        client.get("/api/v1/appeals?per_page=1")  # the map index, built once
        total = client.get("/api/v1/appeals?per_page=1").json["total"]
        print(f"search over {total:,} published appeals ({url.split(':')[0]}), cold, "
              f"{len(SEARCHES_MIX)} searches x {args.repeats}")  # fmt: skip
        print(f"{'endpoint':<28} {'old p50/p95 ms':>16} {'new p50/p95 ms':>16}")
        with app.app_context():
            from portal.extensions import db

            engine = db.engine
        with gin_index(engine):
            times = bench(app, args.repeats)
        for key in dict.fromkeys(k for k, _ in times):
            if " " in key and not args.detail:
                continue
            cells = [
                f"{percentile(times[key, s], 0.5):7.1f}/{percentile(times[key, s], 0.95):7.1f}"
                for s in SEARCHES
            ]
            print(f"{key:<28} {cells[0]:>16} {cells[1]:>16}")
        for search in SEARCHES:
            worst = max(percentile(times[e, search], 0.95) for e in ENDPOINTS)
            verdict = "meets" if worst <= TARGET_P95_MS else "misses"
            print(f"{search}: worst p95 {worst:.1f} ms — {verdict} the {TARGET_P95_MS} ms target")


if __name__ == "__main__":
    main()
