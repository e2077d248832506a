"""Summary tables of the service-performance figures, kept current by every write.

``performance_cells`` holds additive counts of the public problems per (city, service,
category, district, month of submission in Asia/Bishkek) with the histogram of working
days to the first answer; ``performance_kinds`` the appeals of every kind per channel;
``performance_days`` and ``performance_kind_days`` the same per day of submission, so
that a window starting or ending within a month sums exact days instead of counting
appeals; ``performance_open`` the open appeals per grain, day and exact deadline, so that
"overdue now" — which changes with time, without any write — is a sum over the deadlines
already past. They are written by
``portal.performance_cells`` only (in the transaction that changes an appeal, or by
``portal performance-rebuild``); ``portal.queries.performance_counts`` reads them.
Imported at the end of ``portal.models``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import UTCDateTime

#: Key of the problem cells (headline figures count problems only), in order.
CELL_KEY = ("city_id", "service_id", "category_id", "district_id", "month")
#: Additive figures of a problem cell, in column order (the histogram of working days
#: to the first answer is the ``workdays`` column, JSON {days: appeals}).
CELL_SUMS = (
    "received", "answered", "on_time", "known", "reopened", "solved_yes", "solved_partly",
    "score_1", "score_2", "score_3", "score_4", "score_5",
)  # fmt: skip
#: Key and figures of the appeals of every kind per channel (/performance breakdowns).
KIND_KEY = ("city_id", "service_id", "kind", "channel", "month")
KIND_SUMS = ("received", "answered", "on_time", "known")
#: Key and figures of the open appeals per deadline.
OPEN_KEY = ("city_id", "service_id", "category_id", "district_id", "kind", "channel", "month",
            "day", "due_at")  # fmt: skip
#: Keys of the per-day tables (same figures as their monthly twins).
DAY_KEY = ("city_id", "service_id", "category_id", "district_id", "day")
KIND_DAY_KEY = ("city_id", "service_id", "kind", "channel", "day")
OPEN_SUMS = ("open", "open_unknown")
#: district_id of appeals without a district (a key column cannot be NULL).
NO_DISTRICT = 0


def _key_int() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True, autoincrement=False)


def _sum() -> Mapped[int]:
    return mapped_column(Integer, default=0)


class PerformanceCell(db.Model):
    """Public problems of one city, service, category, district and month of submission.
    ``known``: answered_on_time is set (the unanswered appeals past their deadline are
    added from ``performance_open`` at read time); ``workdays``: histogram of working days
    to the first answer of the answered ones, as JSON ``{"3": 12, …}``."""

    __tablename__ = "performance_cells"

    city_id: Mapped[int] = _key_int()
    service_id: Mapped[int] = _key_int()
    category_id: Mapped[int] = _key_int()
    district_id: Mapped[int] = _key_int()
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    received: Mapped[int] = _sum()
    answered: Mapped[int] = _sum()
    on_time: Mapped[int] = _sum()
    known: Mapped[int] = _sum()
    reopened: Mapped[int] = _sum()
    solved_yes: Mapped[int] = _sum()
    solved_partly: Mapped[int] = _sum()
    score_1: Mapped[int] = _sum()
    score_2: Mapped[int] = _sum()
    score_3: Mapped[int] = _sum()
    score_4: Mapped[int] = _sum()
    score_5: Mapped[int] = _sum()
    workdays: Mapped[str] = mapped_column(Text, default="{}")


class PerformanceKind(db.Model):
    """Public appeals of every kind per city, service, kind, channel and month."""

    __tablename__ = "performance_kinds"

    city_id: Mapped[int] = _key_int()
    service_id: Mapped[int] = _key_int()
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(48), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    received: Mapped[int] = _sum()
    answered: Mapped[int] = _sum()
    on_time: Mapped[int] = _sum()
    known: Mapped[int] = _sum()


class PerformanceDay(db.Model):
    """``performance_cells`` per day of submission (Asia/Bishkek) instead of month: what a
    window starting or ending within a month reads for the days it covers."""

    __tablename__ = "performance_days"
    __table_args__ = (Index("ix_performance_days_day", "day"),)

    city_id: Mapped[int] = _key_int()
    service_id: Mapped[int] = _key_int()
    category_id: Mapped[int] = _key_int()
    district_id: Mapped[int] = _key_int()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    received: Mapped[int] = _sum()
    answered: Mapped[int] = _sum()
    on_time: Mapped[int] = _sum()
    known: Mapped[int] = _sum()
    reopened: Mapped[int] = _sum()
    solved_yes: Mapped[int] = _sum()
    solved_partly: Mapped[int] = _sum()
    score_1: Mapped[int] = _sum()
    score_2: Mapped[int] = _sum()
    score_3: Mapped[int] = _sum()
    score_4: Mapped[int] = _sum()
    score_5: Mapped[int] = _sum()
    workdays: Mapped[str] = mapped_column(Text, default="{}")


class PerformanceKindDay(db.Model):
    """``performance_kinds`` per day of submission (Asia/Bishkek) instead of month."""

    __tablename__ = "performance_kind_days"
    __table_args__ = (Index("ix_performance_kind_days_day", "day"),)

    city_id: Mapped[int] = _key_int()
    service_id: Mapped[int] = _key_int()
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(48), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    received: Mapped[int] = _sum()
    answered: Mapped[int] = _sum()
    on_time: Mapped[int] = _sum()
    known: Mapped[int] = _sum()


class PerformanceOpen(db.Model):
    """Open public appeals of one grain with one deadline: ``open`` of them, of which
    ``open_unknown`` have neither a first answer nor an on-time verdict (past the
    deadline they join the denominator of the on-time share); ``month`` and ``day``: of
    submission (Asia/Bishkek)."""

    __tablename__ = "performance_open"
    __table_args__ = (Index("ix_performance_open_day", "day"),)

    city_id: Mapped[int] = _key_int()
    service_id: Mapped[int] = _key_int()
    category_id: Mapped[int] = _key_int()
    district_id: Mapped[int] = _key_int()
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(48), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    open: Mapped[int] = _sum()
    open_unknown: Mapped[int] = _sum()
