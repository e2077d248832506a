"""Summary tables of the service-performance figures, kept current by every write.

``performance_cells`` holds additive counts of the public appeals per (city, service,
category, district, kind, channel, month of submission in Asia/Bishkek, working days to
the first answer); ``performance_open`` holds the open appeals per the same dimensions
(without working days) and their exact deadline, so that "overdue now" — which changes with
time, without any write — is a sum over the deadlines already past. Both are written by
``portal.performance_cells`` only (in the transaction that changes an appeal, or by
``portal performance-rebuild``); ``portal.queries.performance_counts`` reads them.
Imported at the end of ``portal.models``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import UTCDateTime

#: Dimensions shared by both tables, in key order.
DIMENSIONS = ("city_id", "service_id", "category_id", "district_id", "kind", "channel", "month")
#: Additive figures of a cell, in column order.
CELL_SUMS = (
    "received", "answered", "on_time", "known", "reopened", "solved_yes", "solved_partly",
    "score_1", "score_2", "score_3", "score_4", "score_5",
)  # fmt: skip
#: Additive figures of an open-appeals row.
OPEN_SUMS = ("open", "open_unknown")
#: district_id of appeals without a district (a key column cannot be NULL).
NO_DISTRICT = 0
#: workdays of appeals without a first answer.
NOT_ANSWERED = -1


class PerformanceCell(db.Model):
    """Public appeals of one grain. ``known``: answered_on_time is set; the unanswered
    appeals past their deadline are added from ``performance_open`` at read time."""

    __tablename__ = "performance_cells"

    city_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(48), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    workdays: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    received: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    known: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    solved_yes: Mapped[int] = mapped_column(Integer, default=0)
    solved_partly: Mapped[int] = mapped_column(Integer, default=0)
    score_1: Mapped[int] = mapped_column(Integer, default=0)
    score_2: Mapped[int] = mapped_column(Integer, default=0)
    score_3: Mapped[int] = mapped_column(Integer, default=0)
    score_4: Mapped[int] = mapped_column(Integer, default=0)
    score_5: Mapped[int] = mapped_column(Integer, default=0)


class PerformanceOpen(db.Model):
    """Open public appeals of one grain with one deadline: ``open`` of them, of which
    ``open_unknown`` have neither a first answer nor an on-time verdict (past the
    deadline they join the denominator of the on-time share)."""

    __tablename__ = "performance_open"

    city_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(48), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    open: Mapped[int] = mapped_column(Integer, default=0)
    open_unknown: Mapped[int] = mapped_column(Integer, default=0)
