"""Plain records of what the portal publishes: public fields only, no ORM, no Flask.

Codes (city, district, category, service) are stable public identifiers; display names
come from the reference records. Datetimes are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """One published appeal."""

    public_id: str
    city: str
    district: str | None
    category: str
    service: str
    status: str
    resolution: str | None
    text: str | None
    lat: float | None
    lon: float | None
    precision_m: int | None
    submitted_at: datetime
    published_at: datetime | None
    acknowledged_at: datetime | None
    first_answer_at: datetime | None
    closed_at: datetime | None
    due_at: datetime
    deadline_extended: bool
    extension_reason: str | None
    first_answer_workdays: int | None
    answered_on_time: bool | None
    reopen_count: int
    last_score: int | None
    last_solved: str | None
    photo_count: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One public event: what happened, when, and which service (never a person)."""

    kind: str
    at: datetime
    service: str | None
    to_service: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """A service's answer and the citizen's rating of it.

    ``text`` is None while a moderator checks it (``in_moderation``) or when the
    moderator withheld it: the answer was given all the same.
    """

    id: int
    appeal_id: str
    service: str
    round: int
    created_at: datetime
    text: str | None
    score: int | None
    solved: str | None
    reason: str | None
    comment: str | None
    in_moderation: bool = False


@dataclass(frozen=True, slots=True)
class NamedRecord:
    """A reference entry (city, district, service, category) with names in three languages."""

    code: str
    name_ru: str
    name_ky: str
    name_en: str
    city: str | None = None
    group: str | None = None
    extra: dict | None = None
