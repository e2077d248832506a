"""Text search ``q`` over the PUBLISHED text of appeals and of their answers.

Only the record's public columns are read (``Appeal.public_text`` and
``Answer.public_text``, written by the gate alone); the raw text the citizen typed is
never searched, so a search cannot reveal what the scrubber removed.

Matching is a case-insensitive substring, Cyrillic (Russian and Kyrgyz letters) included on
both databases: PostgreSQL's ``lower()`` folds every letter of a UTF-8 database, SQLite's
folds only ASCII, so SQLite connections get a ``portal_lower`` function
(``portal.database``) that folds with Python's ``str.lower`` — the same folding applied to
the query.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text

from portal.extensions import db
from portal.models import Answer, Appeal
from portal.queries.record import APPEAL, published_appeals

#: The SQLite function registered on every connection (portal.database).
SQLITE_LOWER = "portal_lower"


def fold(text: str) -> str:
    """How both the query and the searched text are folded before comparing."""
    return text.lower()


class folded(FunctionElement):  # noqa: N801  (reads like the SQL function it renders)
    """``lower(x)`` with every letter folded, whatever the database."""

    type = Text()
    inherit_cache = True


@compiles(folded)
def _folded_default(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"{SQLITE_LOWER}({compiler.process(element.clauses, **kw)})"


def text_matches(q: str) -> ColumnElement[bool]:
    """The appeal's published text, or the published text of one of its answers, contains
    ``q`` (case-insensitive; ``%`` and ``_`` are literal). For a query on appeals."""
    needle = fold(q)
    answer_matches = exists().where(
        Answer.appeal_id == Appeal.id,
        Answer.public_text.is_not(None),
        folded(Answer.public_text).contains(needle, autoescape=True),
    )
    return or_(folded(APPEAL.columns["text"]).contains(needle, autoescape=True), answer_matches)


def matching_ids(q: str) -> list[int]:
    """Ids (``appeals.id``) of the published appeals whose public text matches ``q``."""
    query = published_appeals(select(Appeal.id)).where(text_matches(q))
    return list(db.session.scalars(query))
