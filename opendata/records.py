"""Plain records of what the portal publishes: public fields only, no ORM, no Flask.

``AppealRecord`` is generated from the published schema (``opendata.schema.APPEALS``).

Codes (city, district, category, service) are stable public identifiers; display names
come from the reference records. Datetimes are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, make_dataclass
from datetime import datetime

from opendata.schema import APPEALS, OPEN_STATUSES
from opendata.tableschema import Dataset


def record_type(name: str, dataset: Dataset, base: type = object) -> type:
    """A frozen dataclass with one attribute per field of ``dataset``, in field order.

    Attributes are named by ``Field.attribute`` and typed by the field's Table Schema type,
    so that a field added to the schema is on every record at once.
    """
    fields = [(spec.attribute, spec.python_type) for spec in dataset.fields]
    record = make_dataclass(name, fields, bases=(base,), frozen=True, slots=True)
    record.__module__ = __name__
    return record


class _AppealBehaviour:
    """What a published appeal can tell beyond its fields."""

    __slots__ = ()

    def is_overdue(self, now: datetime) -> bool:
        """The service still owes an answer and the deadline has passed."""
        return self.status in OPEN_STATUSES and self.due_at < now  # type: ignore[attr-defined]


#: One published appeal: the fields of ``opendata.schema.APPEALS``.
AppealRecord = record_type("AppealRecord", APPEALS, _AppealBehaviour)


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
