"""Public records → Open311 GeoReport v2 objects (plain dicts, for JSON and XML alike).

Only public fields are read: ``description`` is the scrubbed public text, ``lat``/``long``
the masked point (absent for sensitive categories), ``address`` the district and city
(never what the citizen typed), ``media_url`` the re-encoded public photo. Datetimes are
ISO 8601 in Asia/Bishkek with their offset. ids and codes are strings.

Status: ``closed`` for closed appeals; every other public status (published, acknowledged,
in progress, answered, reopened) is ``open`` and ``status_notes`` says which, or carries
the service's latest answer once there is one.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _

from opendata.records import AnswerRecord, AppealRecord, TimelineEntry
from opendata.schema import APPEALS
from portal import labels
from portal.open311.queries import ServiceType
from portal.queries.reference import Reference
from portal.workdays import BISHKEK

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: Date of the last change of this API (discovery's changeset).
CHANGESET = "2026-11-22T00:00:00+06:00"


def lang() -> str:
    return str(get_locale() or "ru")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the Asia/Bishkek offset, to the second."""
    if moment is None:
        return None
    return moment.astimezone(BISHKEK).isoformat(timespec="seconds")


def named(record, default: str = "") -> str:
    """A reference record's name in the current language (Russian when missing)."""
    if record is None:
        return default
    return getattr(record, f"name_{lang()}", None) or record.name_ru


def open311_status(status: str) -> str:
    return "closed" if status == "closed" else "open"


def discovery(base_url: str, contact: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _("Ask the portal's operators for an API key to submit appeals."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def service(item: ServiceType) -> dict:
    language = lang()
    agency = item.agency_names.get(language) or item.agency_names["ru"]
    return {
        "service_code": item.code,
        "service_name": item.names.get(language) or item.names["ru"],
        "description": _("Answered by %(agency)s.", agency=agency),
        "metadata": False,
        "type": "batch",
        "keywords": item.group,
        "group": item.group,
    }


def service_definition(item: ServiceType) -> dict:
    """No extra attributes: every service takes the same fields."""
    return {"service_code": item.code, "attributes": []}


def _status_notes(record: AppealRecord, answers: list[AnswerRecord]) -> str:
    if record.status in ("answered", "closed") and answers:
        latest = answers[-1]
        if latest.text is not None:
            return latest.text
        return str(labels.ANSWER_TEXT["in_moderation" if latest.in_moderation else "withheld"])
    notes = str(labels.STATUS.get(record.status, record.status))
    if record.status == "closed" and record.resolution in labels.RESOLUTION:
        notes = f"{notes}: {labels.RESOLUTION[record.resolution]}"
    return notes


def _service_notice(record: AppealRecord) -> str | None:
    if record.status == "closed":
        return None
    due = record.due_at.astimezone(BISHKEK).date().isoformat()
    notice = _("The service must answer by %(date)s.", date=due)
    if record.deadline_extended and record.extension_reason:
        notice = _(
            "%(notice)s The deadline was extended: %(reason)s",
            notice=notice,
            reason=record.extension_reason,
        )
    return notice


def _address(record: AppealRecord, ref: Reference) -> str:
    city = named(ref.cities.get(record.city), record.city)
    if record.district:
        district = named(ref.districts.get((record.city, record.district)), record.district)
        return f"{district}, {city}"
    return city


def service_request(
    record: AppealRecord,
    ref: Reference,
    *,
    answers: list[AnswerRecord],
    media_url: str | None,
    timeline: list[TimelineEntry] | None = None,
) -> dict:
    """One published appeal as an Open311 request; ``timeline`` given = with extensions."""
    agency = ref.services.get(record.service)
    updated = record.closed_at if record.status == "closed" and record.closed_at else None
    result = {
        "service_request_id": record.public_id,
        "status": open311_status(record.status),
        "status_notes": _status_notes(record, answers),
        "service_name": named(ref.categories.get((record.city, record.category)), record.category),
        "service_code": record.category,
        "description": record.text or "",
        "agency_responsible": named(agency, record.service),
        "service_notice": _service_notice(record),
        "requested_datetime": iso(record.submitted_at),
        "updated_datetime": iso(updated or record.updated_at),
        "expected_datetime": iso(record.due_at),
        "address": _address(record, ref),
        "address_id": None,
        "zipcode": None,
        "lat": record.lat,
        "long": record.lon,
        "media_url": media_url,
    }
    if timeline is not None:
        result["extended_attributes"] = _extended(record, answers)
        result["notes"] = _notes(timeline, ref)
    return result


#: Fields of the public record that the specification's own members already carry;
#: every other field is an extended attribute (under its Open311 name, Field.open311).
CORE_FIELDS = frozenset(
    {"id", "category", "text", "lat", "lon", "submitted_at", "due_at", "updated_at",
     "latest_answer_text"}
)  # fmt: skip


def _extended(record: AppealRecord, answers: list[AnswerRecord]) -> dict:
    """Every published field the core members do not carry, then the answers."""
    out = {}
    for spec in APPEALS.fields:
        if spec.name not in CORE_FIELDS:
            value = getattr(record, spec.attribute)
            out[spec.open311 or spec.name] = iso(value) if spec.type == "datetime" else value
    out["answers"] = [_answer(answer) for answer in answers]
    return out


def _answer(answer: AnswerRecord) -> dict:
    rating = None
    if answer.score is not None:
        rating = {
            "score": answer.score,
            "solved": answer.solved,
            "reason": answer.reason,
            "comment": answer.comment,
        }
    return {
        "answer_id": str(answer.id),
        "round": answer.round,
        "datetime": iso(answer.created_at),
        "service": answer.service,
        "text": answer.text,
        "in_moderation": answer.in_moderation,
        "rating": rating,
    }


def _notes(timeline: list[TimelineEntry], ref: Reference) -> list[dict]:
    """The public timeline (answers themselves are in extended_attributes.answers)."""
    return [
        {
            "type": entry.kind,
            "datetime": iso(entry.at),
            "summary": str(labels.EVENT.get(entry.kind, entry.kind)),
            "description": entry.note,
            "service": named(ref.services.get(entry.service), entry.service)
            if entry.service
            else None,
            "to_service": (
                named(ref.services.get(entry.to_service), entry.to_service)
                if entry.to_service
                else None
            ),
        }
        for entry in timeline
    ]


def error(code: int, description: str) -> dict:
    return {"code": code, "description": description}


def token(token_value: str, service_request_id: str | None) -> dict:
    return {"service_request_id": service_request_id, "token": token_value}


def new_request(token_value: str, service_request_id: str | None, notice: str) -> dict:
    return {
        "token": token_value,
        "service_request_id": service_request_id,
        "service_notice": notice,
        "account_id": None,
    }
