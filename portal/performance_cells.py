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

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import and_, delete, event, select
from sqlalchemy.orm import Session

from portal.database import upsert_insert
from portal.models import OPEN_STATUSES, PUBLIC_STATUSES, Appeal, AppealKind, Solved
from portal.performance_models import (
    CELL_KEY,
    CELL_SUMS,
    DAY_KEY,
    KIND_DAY_KEY,
    KIND_KEY,
    KIND_SUMS,
    NO_DISTRICT,
    OPEN_KEY,
    OPEN_SUMS,
    PerformanceCell,
    PerformanceDay,
    PerformanceKind,
    PerformanceKindDay,
    PerformanceOpen,
)
from portal.workdays import BISHKEK

CELLS = PerformanceCell.__table__
KINDS = PerformanceKind.__table__
OPEN = PerformanceOpen.__table__
DAYS = PerformanceDay.__table__
KIND_DAYS = PerformanceKindDay.__table__
#: Every summary table: (table, key columns, additive columns).
TABLES = (
    (CELLS, CELL_KEY, CELL_SUMS),
    (KINDS, KIND_KEY, KIND_SUMS),
    (OPEN, OPEN_KEY, OPEN_SUMS),
    (DAYS, DAY_KEY, CELL_SUMS),
    (KIND_DAYS, KIND_DAY_KEY, KIND_SUMS),
)
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
_PROBLEM = AppealKind.PROBLEM.value

#: One appeal's share of the tables: table name -> (key, sums, {working days: 1} or None).
Contribution = dict[str, tuple[tuple, tuple[int, ...], dict[int, int] | None]]
#: Several appeals' shares: table name -> key -> [sums, histogram].
Totals = dict[str, dict[tuple, list]]


def _code(value: Any) -> Any:
    return getattr(value, "value", value)


def month_of(moment) -> date:
    """First day of the Asia/Bishkek month of an instant (the month of submission)."""
    local = moment.astimezone(BISHKEK)
    return date(local.year, local.month, 1)


def day_of(moment) -> date:
    """The Asia/Bishkek day of an instant (the day of submission)."""
    return moment.astimezone(BISHKEK).date()


def contribution(row) -> Contribution:
    """What one appeal row (``SOURCE_COLUMNS``) adds to each table; nothing when the
    appeal is not in the public record."""
    status = _code(row.status)
    if status not in _PUBLIC:
        return {}
    kind, day = _code(row.kind), day_of(row.submitted_at)
    month = day.replace(day=1)
    district = NO_DISTRICT if row.district_id is None else row.district_id
    answered = row.first_answer_at is not None
    on_time, known = int(row.answered_on_time is True), int(row.answered_on_time is not None)
    kind_sums = (1, int(answered), on_time, known)
    out: Contribution = {
        KINDS.name: ((row.city_id, row.service_id, kind, row.channel, month), kind_sums, None),
        KIND_DAYS.name: ((row.city_id, row.service_id, kind, row.channel, day), kind_sums, None),
    }
    if kind == _PROBLEM:
        solved, score = _code(row.last_solved), row.last_score
        days = row.first_answer_workdays
        sums = (
            1, int(answered), on_time, known, int((row.reopen_count or 0) > 0),
            int(solved == Solved.YES.value), int(solved == Solved.PARTLY.value),
            *(int(score == s) for s in range(1, 6)),
        )  # fmt: skip
        histogram = {days: 1} if answered and days is not None else None
        grain = (row.city_id, row.service_id, row.category_id, district)
        out[CELLS.name] = ((*grain, month), sums, histogram)
        out[DAYS.name] = ((*grain, day), sums, histogram)
    if status in _OPEN:
        key = (row.city_id, row.service_id, row.category_id, district, kind, row.channel, month,
               day)  # fmt: skip
        unknown = int(not answered and row.answered_on_time is None)
        out[OPEN.name] = ((*key, row.due_at), (1, unknown), None)
    return out


def _contributions(session_or_conn, ids: Iterable[int]) -> dict[int, Contribution]:
    out: dict[int, Contribution] = {}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(*SOURCE_COLUMNS).where(_APPEALS.c.id.in_(chunk))
        for row in session_or_conn.execute(query):
            out[row.id] = contribution(row)
    return out


def _add(totals: Totals, found: Contribution, sign: int) -> None:
    for name, (key, sums, histogram) in found.items():
        table = totals.setdefault(name, {})
        current = table.get(key)
        if current is None:
            table[key] = current = [[0] * len(sums), {}]
        current[0] = [a + sign * b for a, b in zip(current[0], sums, strict=True)]
        for days, count in (histogram or {}).items():
            current[1][days] = current[1].get(days, 0) + sign * count


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


def apply_changes(session_or_conn, before: dict, after: dict) -> None:
    """Add ``after - before`` (contributions per appeal id) to the tables."""
    totals: Totals = {}
    for appeal_id in before.keys() | after.keys():
        _add(totals, before.get(appeal_id) or {}, -1)
        _add(totals, after.get(appeal_id) or {}, 1)
    for table, key_names, sum_names in TABLES:
        for key, (sums, histogram) in totals.get(table.name, {}).items():
            histogram = {d: n for d, n in histogram.items() if n}
            if any(sums) or histogram:
                _change_row(session_or_conn, table, key_names, sum_names, key, sums, histogram)


def _change_row(session_or_conn, table, key_names, sum_names, key, sums, histogram) -> None:
    """Add ``sums`` to one row (an upsert: concurrent transactions add up), then merge the
    histogram into it (the upsert holds the row's lock until the commit), and drop the row
    when no appeal is left in it (its first sum counts them)."""
    values = dict(zip(key_names, key, strict=True)) | dict(zip(sum_names, sums, strict=True))
    statement = upsert_insert(session_or_conn)(table).values(**values)
    if "workdays" in table.c:
        statement = statement.values(workdays="{}")  # merged below
    statement = statement.on_conflict_do_update(
        index_elements=list(key_names),
        set_={n: table.c[n] + statement.excluded[n] for n in sum_names},
    )
    session_or_conn.execute(statement)
    where = and_(*(table.c[n] == v for n, v in zip(key_names, key, strict=True)))
    if histogram and "workdays" in table.c:
        stored = decode_histogram(
            session_or_conn.execute(select(table.c.workdays).where(where)).scalar_one()
        )
        for days, count in histogram.items():
            stored[days] = stored.get(days, 0) + count
        merged = encode_histogram(stored)
        session_or_conn.execute(table.update().where(where).values(workdays=merged))
    session_or_conn.execute(delete(table).where(where, table.c[sum_names[0]] <= 0))


def encode_histogram(histogram: dict[int, int]) -> str:
    """``{3: 12, 0: 1}`` -> ``'{"0":1,"3":12}'`` (zero counts left out)."""
    return json.dumps({str(d): n for d, n in sorted(histogram.items()) if n}, separators=(",", ":"))


def decode_histogram(text: str | None) -> dict[int, int]:
    return {int(d): n for d, n in json.loads(text or "{}").items()}


# --- Rebuild and check -------------------------------------------------------------------------


def recount(conn) -> Totals:
    """Every table as it should be, counted from every appeal (streamed)."""
    totals: Totals = {}
    rows = conn.execute(
        select(*SOURCE_COLUMNS).execution_options(stream_results=True, yield_per=20_000)
    )
    for row in rows:
        _add(totals, contribution(row), 1)
    return totals


def stored(conn) -> Totals:
    """Every table as stored."""
    totals: Totals = {}
    for table, key_names, sum_names in TABLES:
        histogram = [table.c.workdays] if "workdays" in table.c else []
        query = select(*(table.c[n] for n in (*key_names, *sum_names)), *histogram)
        width, end = len(key_names), len(key_names) + len(sum_names)
        totals[table.name] = {
            tuple(r[:width]): [list(r[width:end]), decode_histogram(r[end]) if histogram else {}]
            for r in conn.execute(query)
        }
    return totals


def rebuild(conn) -> dict[str, int]:
    """Replace every table by a full recount (inside the caller's transaction); returns the
    number of rows per table."""
    totals = recount(conn)
    for table, key_names, sum_names in TABLES:
        conn.execute(delete(table))
        rows = totals.get(table.name, {})
        batch = []
        for key, (sums, histogram) in rows.items():
            values = dict(zip(key_names, key, strict=True)) | dict(
                zip(sum_names, sums, strict=True)
            )
            if "workdays" in table.c:
                values["workdays"] = encode_histogram(histogram)
            batch.append(values)
        for start in range(0, len(batch), 5000):
            conn.execute(table.insert(), batch[start : start + 5000])
    return {table.name: len(totals.get(table.name, {})) for table, _, _ in TABLES}


def drift(conn) -> list[str]:
    """How the stored tables differ from a full recount (empty when they agree)."""
    problems = []
    expected, actual = recount(conn), stored(conn)
    for table, _, _ in TABLES:
        want, have = expected.get(table.name, {}), actual.get(table.name, {})
        for key in sorted(want.keys() | have.keys(), key=repr):
            if want.get(key) != have.get(key):
                problems.append(
                    f"{table.name} {key}: stored {have.get(key)}, counted {want.get(key)}"
                )
    return problems
