"""Keeping the service-performance summary tables (``portal.performance_models``) current.

Every write to an appeal happens in a session transaction; this module listens to it:

* before an appeal changes (an ORM UPDATE/DELETE statement on appeals, or a flush of a
  changed appeal) its current contribution is read from the database, once per
  transaction and appeal;
* a new appeal contributes nothing before;
* just before the commit, the new contributions of those appeals are read and the
  difference is added to the cells (``UPDATE … SET n = n + delta`` through an upsert, so
  concurrent transactions add up instead of overwriting each other).

So the cells follow submission, publication, every status change, answers, ratings,
reopening, rerouting and duplicate closing without any of those use cases knowing.
Bulk loads that bypass the session (``portal seed-demo``) call ``rebuild``;
``portal performance-rebuild --check`` compares the tables with a full recount.

A contribution is computed in Python from one row (``contribution``): the same function
serves the maintenance and the rebuild, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import and_, delete, event, select
from sqlalchemy.orm import Session

from portal.models import OPEN_STATUSES, PUBLIC_STATUSES, Appeal, Solved
from portal.performance_models import (
    CELL_SUMS,
    DIMENSIONS,
    NO_DISTRICT,
    NOT_ANSWERED,
    OPEN_SUMS,
    PerformanceCell,
    PerformanceOpen,
)
from portal.workdays import BISHKEK

CELLS = PerformanceCell.__table__
OPEN = PerformanceOpen.__table__
CELL_KEY = (*DIMENSIONS, "workdays")
OPEN_KEY = (*DIMENSIONS, "due_at")
_APPEALS = Appeal.__table__
#: What a contribution is computed from (public columns only).
SOURCE_COLUMNS = tuple(
    _APPEALS.c[name]
    for name in (
        "id", "status", "city_id", "service_id", "category_id", "district_id", "kind",
        "channel", "submitted_at", "first_answer_workdays", "first_answer_at",
        "answered_on_time", "reopen_count", "last_solved", "last_score", "due_at",
    )
)  # fmt: skip
#: session.info key: appeal id -> its contribution when the transaction first touched it.
_BEFORE = "portal.performance.before"
_PUBLIC = frozenset(s.value for s in PUBLIC_STATUSES)
_OPEN = frozenset(s.value for s in OPEN_STATUSES)

Contribution = tuple[tuple, tuple[int, ...], tuple | None, tuple[int, int]]


def _code(value: Any) -> Any:
    return getattr(value, "value", value)


def month_of(moment) -> date:
    """First day of the Asia/Bishkek month of an instant (the month of submission)."""
    local = moment.astimezone(BISHKEK)
    return date(local.year, local.month, 1)


def contribution(row) -> Contribution | None:
    """(cell key, cell sums, open key or None, open sums) of one appeal row
    (``SOURCE_COLUMNS``); None when the appeal is not in the public record."""
    status = _code(row.status)
    if status not in _PUBLIC:
        return None
    dims = (
        row.city_id, row.service_id, row.category_id,
        NO_DISTRICT if row.district_id is None else row.district_id,
        _code(row.kind), row.channel, month_of(row.submitted_at),
    )  # fmt: skip
    answered = row.first_answer_at is not None
    workdays = NOT_ANSWERED if row.first_answer_workdays is None else row.first_answer_workdays
    solved, score = _code(row.last_solved), row.last_score
    sums = (
        1, int(answered), int(row.answered_on_time is True),
        int(row.answered_on_time is not None), int((row.reopen_count or 0) > 0),
        int(solved == Solved.YES.value), int(solved == Solved.PARTLY.value),
        *(int(score == s) for s in range(1, 6)),
    )  # fmt: skip
    if status not in _OPEN:
        return (*dims, workdays), sums, None, (0, 0)
    unknown = int(not answered and row.answered_on_time is None)
    return (*dims, workdays), sums, (*dims, row.due_at), (1, unknown)


def _contributions(session_or_conn, ids: Iterable[int]) -> dict[int, Contribution | None]:
    out: dict[int, Contribution | None] = {}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(*SOURCE_COLUMNS).where(_APPEALS.c.id.in_(chunk))
        for row in session_or_conn.execute(query):
            out[row.id] = contribution(row)
    return out


# --- Listening to the session ---------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Listen to every session of this process (once)."""
    for name, listener in (
        ("do_orm_execute", _before_statement),
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _remember(session: Session, ids: Iterable[int]) -> None:
    """Read and keep the current contribution of appeals not yet touched in this transaction."""
    before = session.info.setdefault(_BEFORE, {})
    new = [i for i in ids if i is not None and i not in before]
    if new:
        found = _contributions(session, new)
        for appeal_id in new:
            before[appeal_id] = found.get(appeal_id)


def _before_statement(state) -> None:
    """An UPDATE or DELETE of appeals: keep what the rows it matches contributed."""
    if not (state.is_update or state.is_delete):
        return
    statement = state.statement
    if getattr(getattr(statement, "table", None), "name", None) != _APPEALS.name:
        return
    where = statement.whereclause
    query = select(_APPEALS.c.id) if where is None else select(_APPEALS.c.id).where(where)
    ids = state.session.execute(query).scalars().all()
    _remember(state.session, ids)


def _before_flush(session: Session, flush_context, instances) -> None:
    changed = [o.id for o in (*session.dirty, *session.deleted) if isinstance(o, Appeal)]
    if changed:
        with session.no_autoflush:
            _remember(session, changed)


def _after_flush(session: Session, flush_context) -> None:
    before = session.info.setdefault(_BEFORE, {})
    for obj in session.new:
        if isinstance(obj, Appeal):
            before.setdefault(obj.id, None)  # a new appeal contributed nothing


def _before_commit(session: Session) -> None:
    session.flush()  # the commit flushes after this hook: changed appeals are noted now
    if not session.info.get(_BEFORE):
        return
    before = session.info.pop(_BEFORE, {})
    after = _contributions(session, before)
    apply_changes(session, before, after)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_BEFORE, None)


# --- Writing the tables ------------------------------------------------------------------------


def _add(target: dict, key, sums, sign: int) -> None:
    current = target.get(key)
    values = [sign * v for v in sums]
    target[key] = (
        values if current is None else [a + b for a, b in zip(current, values, strict=True)]
    )


def apply_changes(session_or_conn, before: dict, after: dict) -> None:
    """Add ``after - before`` (contributions per appeal id) to the tables."""
    cells: dict[tuple, list[int]] = {}
    opens: dict[tuple, list[int]] = {}
    for appeal_id in before.keys() | after.keys():
        for sign, found in ((-1, before.get(appeal_id)), (1, after.get(appeal_id))):
            if found is None:
                continue
            cell_key, cell_sums, open_key, open_sums = found
            _add(cells, cell_key, cell_sums, sign)
            if open_key is not None:
                _add(opens, open_key, open_sums, sign)
    _upsert(session_or_conn, CELLS, CELL_KEY, CELL_SUMS, cells)
    _upsert(session_or_conn, OPEN, OPEN_KEY, OPEN_SUMS, opens)


def _insert_for(session_or_conn):
    bind = session_or_conn.get_bind() if hasattr(session_or_conn, "get_bind") else session_or_conn
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _upsert(session_or_conn, table, key_names, sum_names, deltas: dict) -> None:
    insert = _insert_for(session_or_conn)
    for key, sums in deltas.items():
        if not any(sums):
            continue
        values = dict(zip(key_names, key, strict=True)) | dict(zip(sum_names, sums, strict=True))
        statement = insert(table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=list(key_names),
            set_={n: table.c[n] + statement.excluded[n] for n in sum_names},
        )
        session_or_conn.execute(statement)
        # A grain nobody is in any more goes (its first sum counts its appeals).
        where = and_(*(table.c[n] == v for n, v in zip(key_names, key, strict=True)))
        session_or_conn.execute(delete(table).where(where, table.c[sum_names[0]] <= 0))


# --- Rebuild and check -------------------------------------------------------------------------


def recount(conn) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
    """Both tables as they should be, counted from every appeal (streamed)."""
    cells: dict[tuple, list[int]] = {}
    opens: dict[tuple, list[int]] = {}
    rows = conn.execute(
        select(*SOURCE_COLUMNS).execution_options(stream_results=True, yield_per=20_000)
    )
    for row in rows:
        found = contribution(row)
        if found is None:
            continue
        cell_key, cell_sums, open_key, open_sums = found
        _add(cells, cell_key, cell_sums, 1)
        if open_key is not None:
            _add(opens, open_key, open_sums, 1)
    return cells, opens


def stored(conn) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
    """Both tables as stored."""
    out = []
    for table, key_names, sum_names in ((CELLS, CELL_KEY, CELL_SUMS), (OPEN, OPEN_KEY, OPEN_SUMS)):
        query = select(*(table.c[n] for n in key_names), *(table.c[n] for n in sum_names))
        width = len(key_names)
        out.append({tuple(r[:width]): list(r[width:]) for r in conn.execute(query)})
    return out[0], out[1]


def rebuild(conn) -> tuple[int, int]:
    """Replace both tables by a full recount (inside the caller's transaction); returns
    the number of cells and of open-appeal rows."""
    cells, opens = recount(conn)
    for table, key_names, sum_names, rows in (
        (CELLS, CELL_KEY, CELL_SUMS, cells),
        (OPEN, OPEN_KEY, OPEN_SUMS, opens),
    ):
        conn.execute(delete(table))
        batch = [
            dict(zip(key_names, key, strict=True)) | dict(zip(sum_names, sums, strict=True))
            for key, sums in rows.items()
        ]
        for start in range(0, len(batch), 5000):
            conn.execute(table.insert(), batch[start : start + 5000])
    return len(cells), len(opens)


def drift(conn) -> list[str]:
    """How the stored tables differ from a full recount (empty when they agree)."""
    problems = []
    for name, expected, actual in zip(("cells", "open"), recount(conn), stored(conn), strict=True):
        for key in sorted(expected.keys() | actual.keys(), key=repr):
            if expected.get(key) != actual.get(key):
                problems.append(
                    f"{name} {key}: stored {actual.get(key)}, counted {expected.get(key)}"
                )
    return problems
