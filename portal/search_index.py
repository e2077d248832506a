"""The full-text index of published texts: its structures per database, and its writer.

``search_documents`` (portal.models.SearchDocument) holds, per published text, the
tokens of portal.search_text. On top of it:

- SQLite: an external-content FTS5 table ``search_fts`` (rowid = appeal id) that three
  triggers keep in step with ``search_documents``; queries rank with ``bm25``;
- PostgreSQL: the postings table ``search_terms`` (portal.models.SearchTerm: one row per
  distinct token of a document and its appeal id, keyed by both), which statement triggers
  keep in step with ``search_documents``; a query's matches are read from its primary key
  alone (an index-only scan: 136,009 ids of a common word in ~20 ms at 1M appeals, where a
  GIN index must visit the document of every hit: 60,000 heap pages, ~400 ms); queries rank
  few enough matches with ``ts_rank`` on ``to_tsvector('simple', tokens)`` (the tokens are
  already stems, so the 'simple' configuration only splits them).

The writer is ``refresh``: the publication gate calls it (through a flush listener it
installs, ``install``) for every appeal whose published text or whose answers' published
texts were written, so the document always equals what the public sees — a held or
withdrawn text leaves the document, a released answer joins it. Only the gate-written
public columns are read; the raw text never reaches the index.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import DDL, Connection, Table, delete, event, func, insert, select, text

from portal.search_text import document_tokens

FTS_TABLE = "search_fts"
#: Tables SQLite creates for the FTS5 table (schema comparisons leave them out).
FTS_TABLES = (FTS_TABLE, *(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "docsize", "config")))

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(tokens, "
    "content='search_documents', content_rowid='appeal_id', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, tokens) VALUES (new.appeal_id, new.tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, tokens) "
    "VALUES ('delete', old.appeal_id, old.tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, tokens) "
    "VALUES ('delete', old.appeal_id, old.tokens); "
    f"INSERT INTO {FTS_TABLE}(rowid, tokens) VALUES (new.appeal_id, new.tokens); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
#: PostgreSQL's postings, filled from the tokens of inserted and deleted documents.
TERMS_TABLE = "search_terms"
_ADD_TERMS = (
    f"INSERT INTO {TERMS_TABLE} (term, appeal_id) SELECT DISTINCT term, appeal_id "
    "FROM added, unnest(string_to_array(added.tokens, ' ')) AS term;"
)
_REMOVE_TERMS = (
    f"DELETE FROM {TERMS_TABLE} t USING (SELECT DISTINCT appeal_id, "
    "unnest(string_to_array(tokens, ' ')) AS term FROM removed) r "
    "WHERE t.term = r.term AND t.appeal_id = r.appeal_id;"
)
_TRIGGERS = {  # function (and trigger) name: (event, transition tables, body)
    "search_terms_insert": ("INSERT", "NEW TABLE AS added", _ADD_TERMS),
    "search_terms_delete": ("DELETE", "OLD TABLE AS removed", _REMOVE_TERMS),
    "search_terms_update": (
        "UPDATE",
        "OLD TABLE AS removed NEW TABLE AS added",
        _REMOVE_TERMS + " " + _ADD_TERMS,
    ),
}
PG_CREATE = tuple(
    statement
    for name, (event_, tables, body) in _TRIGGERS.items()
    for statement in (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {body} RETURN NULL; END $$",
        f"CREATE TRIGGER {name} AFTER {event_} ON search_documents REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    )
)
PG_DROP = tuple(f"DROP FUNCTION IF EXISTS {name}() CASCADE" for name in _TRIGGERS)
#: Fills the postings from the documents already stored (the migration; after a bulk load).
PG_FILL = (
    f"INSERT INTO {TERMS_TABLE} (term, appeal_id) SELECT DISTINCT "
    "unnest(string_to_array(tokens, ' ')) AS term, appeal_id FROM search_documents ORDER BY 1, 2"
)

#: Appeals indexed per statement when (re)building.
BATCH = 5000


def tsvector(tokens):
    return func.to_tsvector(text("'simple'"), tokens)


def declare_indexes(table: Table) -> None:
    """The per-database index of ``search_documents`` for ``create_all`` (the migrations
    create the same)."""
    for dialect, create, drop in (("sqlite", SQLITE_CREATE, SQLITE_DROP),
                                  ("postgresql", PG_CREATE, PG_DROP)):  # fmt: skip
        for statement in create:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
        for statement in drop:
            event.listen(table, "before_drop", DDL(statement).execute_if(dialect=dialect))


def refresh(connection: Connection, appeal_ids: Iterable[int], *, new: bool = False) -> None:
    """Rewrite the search documents of ``appeal_ids`` from their published texts.

    ``new``: the appeals have no document yet (a bulk load), so none is deleted. On
    PostgreSQL a delete, even of nothing, runs the postings' delete trigger, whose plan is
    cached for the connection: planned while the postings were few, it read all of them
    per batch, and seeding 1M appeals took 36 min instead of 9.4."""
    from portal.models import Answer, Appeal, SearchDocument

    ids = sorted(set(appeal_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        texts: dict[int, list[str]] = {}
        for appeal_id, public_text in connection.execute(
            select(Appeal.id, Appeal.public_text).where(
                Appeal.id.in_(chunk), Appeal.public_text.is_not(None)
            )
        ):
            texts[appeal_id] = [public_text]
        for appeal_id, public_text in connection.execute(
            select(Answer.appeal_id, Answer.public_text)
            .where(Answer.appeal_id.in_(chunk), Answer.public_text.is_not(None))
            .order_by(Answer.appeal_id, Answer.id)
        ):
            texts.setdefault(appeal_id, []).append(public_text)
        if not new:
            connection.execute(delete(SearchDocument).where(SearchDocument.appeal_id.in_(chunk)))
        rows = [
            {"appeal_id": appeal_id, "tokens": tokens}
            for appeal_id, parts in sorted(texts.items())
            if (tokens := document_tokens(*parts))
        ]
        if rows:
            connection.execute(insert(SearchDocument), rows)


def rebuild(connection: Connection) -> int:
    """Index every appeal again (after a bulk load or a change of the token rules)."""
    from portal.models import Appeal

    ids = list(connection.scalars(select(Appeal.id).order_by(Appeal.id)))
    refresh(connection, ids)
    return len(ids)


def _written_appeals(session) -> set[int]:
    """Appeals whose published text, or one of whose answers' published text, this flush
    wrote (or whose answer was added or removed)."""
    from sqlalchemy import inspect as sa_inspect

    from portal.models import Answer, Appeal

    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Appeal):
            state = sa_inspect(obj)
            if obj in session.new or state.attrs.public_text.history.has_changes():
                ids.add(obj.id)
        elif isinstance(obj, Answer):
            state = sa_inspect(obj)
            if (
                obj in session.new
                or obj in session.deleted
                or state.attrs.public_text.history.has_changes()
            ):
                ids.add(obj.appeal_id)
    return {i for i in ids if i is not None}


def _after_flush(session, flush_context) -> None:
    from portal.models import Appeal

    ids = _written_appeals(session)
    deleted = {obj.id for obj in session.deleted if isinstance(obj, Appeal)}
    if ids - deleted:
        refresh(session.connection(), ids - deleted)


def install(session_class) -> None:
    """Keep the search documents in step with every flush that writes a published text."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
