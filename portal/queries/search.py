"""Text search ``q`` over the PUBLISHED text of appeals and of their answers.

Only the search documents are read (portal.search_index): the tokens of the record's
public columns (``Appeal.public_text``, ``Answer.public_text``), written by the gate
alone; the raw text the citizen typed is never indexed, so a search cannot reveal what
the scrubber removed, and a held text is not found.

A query matches word forms (portal.search_text: Russian and English Snowball stems,
Kyrgyz endings): every query word must occur in some form. The database in use does the
matching and the ranking — SQLite FTS5 with ``bm25``, PostgreSQL full-text search with
``ts_rank`` — behind ``text_matches`` / ``ranked_ids``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, func, literal_column, select, table, text

from portal.extensions import db
from portal.models import Appeal, SearchDocument
from portal.queries.record import published_appeals
from portal.search_index import FTS_TABLE, tsvector
from portal.search_text import query_terms


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
    if db.session.get_bind().dialect.name == "sqlite":
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
    ).where(vector.op("@@")(query))


def text_matches(q: str) -> ColumnElement[bool]:
    """The appeal's published text, or the published text of one of its answers, matches
    ``q`` in some word form. For a query on appeals."""
    hits = _materialized(q)
    if hits is None:
        return false()
    return Appeal.id.in_(select(hits.c.appeal_id))


def _materialized(q: str):
    """The hits as a MATERIALIZED common table expression: the database searches its
    full-text index first, whatever it guesses of the other tables (a planner without
    statistics, e.g. after a bulk load, would otherwise test every appeal's document)."""
    hits = search_hits(q)
    return None if hits is None else hits.cte("search_hits").prefix_with("MATERIALIZED")


def ranked_ids(q: str) -> list[int]:
    """Ids of the published appeals matching ``q``, most relevant first (then newest)."""
    found = _materialized(q)
    if found is None:
        return []
    query = (
        published_appeals(select(Appeal.id))
        .join(found, found.c.appeal_id == Appeal.id)
        .order_by(found.c.rank.desc(), Appeal.published_at.desc(), Appeal.id.desc())
    )
    return list(db.session.scalars(query))


#: The ids the map index keeps per search (portal.queries.map_index).
matching_ids = ranked_ids
