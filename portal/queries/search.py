"""Text search ``q`` over the PUBLISHED text of appeals and of their answers.

Only the search documents are read (portal.search_index): the tokens of the record's
public columns (``Appeal.public_text``, ``Answer.public_text``), written by the gate
alone; the raw text the citizen typed is never indexed, so a search cannot reveal what
the scrubber removed, and a held text is not found.

A query matches word forms (portal.search_text: Russian and English Snowball stems,
Kyrgyz endings): every query word must occur in some form. The database in use does the
matching and the ranking — SQLite FTS5 with ``bm25``; on PostgreSQL the postings of
portal.search_index for the matching and full-text search's ``ts_rank`` for the ranking —
behind ``text_matches`` / ``ranked_ids`` / ``find``.

Ranking is bounded: when at most RANKED_MAX published appeals match the words (over the
whole portal, before the other filters), the lists, the API and the feeds give them most
relevant first; a word more common than that (say "мусор", a tenth of all appeals) makes
relevance a poor guide and would cost the database a score per match, so its matches come
newest first, like a list without ``q`` (the API says which order it used). Either way
the order is total and stable, so pages do not overlap. The set of matches itself is never
capped: counts, the map and the filters see every match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    false,
    func,
    intersect,
    literal_column,
    select,
    table,
    text,
    true,
)

from portal.extensions import db
from portal.models import Appeal, SearchDocument, SearchTerm
from portal.queries.record import published_appeals
from portal.search_index import FTS_TABLE, tsvector
from portal.search_text import query_terms

#: Matches beyond which a search is listed newest first rather than ranked (docstring).
RANKED_MAX = 10_000
#: Matches beyond which a query on appeals walks the appeals and tests each against the
#: hits rather than looks the hits up (text_matches): PostgreSQL (postings of the rarest
#: word, counted up to this) and SQLite (the query's matches, counted in full).
PROBE_MIN = 2_000


def _fts5_expression(terms: list[tuple[str, ...]]) -> str:
    """An FTS5 MATCH expression: every term, in any of its forms (tokens are quoted)."""
    return " AND ".join("(" + " OR ".join(f'"{stem}"' for stem in stems) + ")" for stems in terms)


def _tsquery_expression(terms: list[tuple[str, ...]]) -> str:
    """A to_tsquery('simple', …) expression (tokens are quoted lexemes)."""
    return " & ".join(
        "(" + " | ".join("'" + stem.replace("'", "") + "'" for stem in stems) + ")"
        for stems in terms
    )


def search_hits(q: str) -> Select | None:
    """SELECT (appeal_id, rank) of the documents matching ``q``, a higher rank more
    relevant; None when ``q`` has no word to search."""
    terms = query_terms(q)
    if not terms:
        return None
    if _is_sqlite():
        fts = table(FTS_TABLE)
        return (
            select(
                literal_column("rowid").label("appeal_id"),
                literal_column(f"-bm25({FTS_TABLE})").label("rank"),
            )
            .select_from(fts)
            .where(literal_column(FTS_TABLE).op("MATCH")(_fts5_expression(terms)))
        )
    query = func.to_tsquery(text("'simple'"), _tsquery_expression(terms))
    vector = tsvector(SearchDocument.tokens)
    return select(
        SearchDocument.appeal_id.label("appeal_id"), func.ts_rank(vector, query).label("rank")
    ).where(SearchDocument.appeal_id.in_(_postings(terms)))


def _postings(terms: list[tuple[str, ...]]) -> Select:
    """PostgreSQL: SELECT appeal_id of the documents holding some form of every term, read
    from the postings' key alone (portal.search_index)."""
    # Not DISTINCT: an appeal holding two forms of a word comes twice, which costs the
    # callers (IN, INTERSECT, find's np.unique) less than a hash of every hit here.
    per_term = [select(SearchTerm.appeal_id).where(SearchTerm.term.in_(stems)) for stems in terms]
    if len(per_term) == 1:
        return per_term[0]
    both = intersect(*per_term).subquery()
    return select(both.c.appeal_id)


def _matching_select(q: str) -> Select | None:
    """SELECT appeal_id of the documents matching ``q``, without ranking them (None when
    ``q`` has no word to search)."""
    terms = query_terms(q)
    if not terms:
        return None
    if _is_sqlite():
        return (
            select(literal_column("rowid").label("appeal_id"))
            .select_from(table(FTS_TABLE))
            .where(literal_column(FTS_TABLE).op("MATCH")(_fts5_expression(terms)))
        )
    return _postings(terms)


def text_matches(q: str) -> ColumnElement[bool]:
    """The appeal's published text, or the published text of one of its answers, matches
    ``q`` in some word form. For a query on appeals (Open311, the datasets); unranked:
    ranking every match of a common word costs more than the rest of the query."""
    terms = query_terms(q)
    if not terms:
        return false()
    if not _is_sqlite():
        return _pg_text_matches(terms)
    # MATERIALIZED: SQLite searches its full-text index once (without statistics it
    # would otherwise test every appeal's document). A common word's hits are then a
    # filter ("+ 0": no index lookups by id), so the other conditions' index (e.g. the
    # newest appeals of a city) is walked and a page of hits comes within a few hundred
    # appeals; a rarer word's hits are looked up one by one. Counting stops past
    # PROBE_MIN: a common word's 136,000 hits at 1M appeals took 17 ms to count, 1 ms so.
    hits = _matching_select(q)
    found = hits.cte("search_hits").prefix_with("MATERIALIZED")
    counted = hits.limit(PROBE_MIN + 1).subquery()
    common = db.session.scalar(select(func.count()).select_from(counted)) > PROBE_MIN
    appeal_id = Appeal.id + 0 if common else Appeal.id
    return appeal_id.in_(select(found.c.appeal_id))


def _pg_text_matches(terms: list[tuple[str, ...]]) -> ColumnElement[bool]:
    """PostgreSQL's ``text_matches``. When some word is rare (at most PROBE_MIN postings),
    its hits come first (a MATERIALIZED CTE) and the appeals are looked up by id. A query
    of common words instead walks the other conditions' index (e.g. the newest appeals of
    a city) and probes each appeal in the postings' key: a page of hits comes within a few
    hundred appeals. The probe is a scalar subquery so that the planner, which cannot
    estimate the other conditions well, never turns it into a join collecting every hit."""
    rarest = min(
        db.session.scalar(
            select(func.count()).select_from(
                select(SearchTerm.appeal_id)
                .where(SearchTerm.term.in_(stems))
                .limit(PROBE_MIN + 1)
                .subquery()
            )
        )
        for stems in terms
    )
    if rarest <= PROBE_MIN:
        found = _postings(terms).cte("search_hits").prefix_with("MATERIALIZED")
        return Appeal.id.in_(select(found.c.appeal_id))
    probes = (
        select(true())
        .where(SearchTerm.term.in_(stems), SearchTerm.appeal_id == Appeal.id)
        .limit(1)
        .scalar_subquery()
        .is_not(None)
        for stems in terms
    )
    return and_(*probes)


def ranked_ids(q: str) -> list[int]:
    """Ids of the published appeals matching ``q``, most relevant first (then newest)."""
    hits = search_hits(q)
    if hits is None:
        return []
    found = hits.cte("search_hits").prefix_with("MATERIALIZED")
    query = (
        published_appeals(select(Appeal.id))
        .join(found, found.c.appeal_id == Appeal.id)
        .order_by(found.c.rank.desc(), Appeal.published_at.desc(), Appeal.id.desc())
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Found:
    """What a search found: every matching appeal, and their relevance order when few
    enough match for it to be worth computing."""

    ids: np.ndarray  # ids of every matching document (int64, ascending; may include
    #                  appeals no longer public: callers intersect with the public record)
    ranked: np.ndarray | None  # the public ones, most relevant first; None: newest first


def find(q: str) -> Found:
    """All the appeals matching ``q`` — read as one comma-joined string, since a common
    word matches a few hundred thousand appeals and a row per id costs ten times more —
    ranked when at most RANKED_MAX match (module docstring)."""
    hits = _matching_select(q)
    if hits is None:
        return Found(ids=np.zeros(0, dtype=np.int64), ranked=np.zeros(0, dtype=np.int64))
    if not _is_sqlite():
        # The planner's estimate for a common word passes PostgreSQL's JIT threshold, and
        # compiling costs more (35-100 ms) than it saves on a scan of an index's hits.
        db.session.execute(text("SET LOCAL jit = off"))
    found = hits.subquery()
    as_text = func.cast(found.c.appeal_id, String)
    joined = func.group_concat(as_text, ",") if _is_sqlite() else func.string_agg(as_text, ",")
    listed = db.session.scalar(select(joined))
    ids = np.unique(_parse_ids(listed))
    ranked = np.asarray(ranked_ids(q), dtype=np.int64) if ids.size <= RANKED_MAX else None
    return Found(ids=ids, ranked=ranked)


def _parse_ids(listed: str | None) -> np.ndarray:
    if not listed:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(listed, dtype=np.int64, sep=",")


def _is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"
