"""The facts of the public appeal page: which public fields it shows, in order, declared once.

``templates/public/appeal.html`` shows them in one loop. A value is shown by what
``opendata.schema`` says of its field: a code by its translated label
(``portal.labels.value_label``), a reference (city, service…) by its name in the page's
language, an instant in Bishkek time. An empty value shows nothing: no line at all for
the fact, or nothing after it for a detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from opendata import schema
from opendata.records import AppealRecord
from portal import labels
from portal.i18n import localized
from portal.templating import local_date, local_datetime


@dataclass(frozen=True)
class Fact:
    """A public field on the page: its title (none for a detail: the value says it), the
    details shown after its value on the same line, and whether an instant is a day."""

    field: str
    title: object = None
    details: tuple[Fact, ...] = ()
    day: bool = False


def _detail(name: str, title: object = None) -> Fact:
    return Fact(name, title)


APPEAL_FACTS: tuple[Fact, ...] = (
    Fact("kind", _l("Kind")),
    Fact("city", _l("City")),
    Fact("district", _l("District")),
    Fact("category", _l("Category")),
    Fact("service", _l("Service")),
    Fact("submitted_at", _l("Submitted")),
    Fact("channel", _l("Received via")),
    Fact(
        "due_at",
        _l("Answer due"),
        (_detail("deadline_extended"), _detail("extension_reason")),
        day=True,
    ),
    Fact("first_answer_at", _l("First answer"), (_detail("on_time"),)),
    Fact("rating_score", _l("Citizen's rating"), (_detail("solved", _l("Solved")),)),
    Fact("outcome", _l("Decision on the proposal"), (_detail("outcome_reason"),)),
    Fact("resolution", _l("Outcome")),
)

#: Where the page's reference data keeps each kind of code, and whether the code is unique
#: only within its city.
_REFERENCES = {
    "city": ("cities", False),
    "district": ("districts", True),
    "category": ("categories", True),
    "service": ("services", False),
}


def _shown(record: AppealRecord, name: str, ref, *, day: bool = False) -> str | Markup:
    """The value of the field ``name`` of ``record`` as the page shows it ("" for none)."""
    spec = schema.APPEALS.field(name)
    value = getattr(record, spec.attribute)
    if value is None:
        return ""
    if name in labels.FIELD_VALUES:
        text = labels.value_label(name, value)
        return f"{value}/{spec.maximum} — {text}" if spec.maximum and text else text  # 4/5 — Good
    if spec.reference:
        table, per_city = _REFERENCES[spec.reference]
        row = getattr(ref, table).get((record.city, value) if per_city else value)
        return localized(row) if row is not None else str(value)
    if spec.type == "datetime":
        shown = local_date(value) if day else local_datetime(value)
        return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), shown)
    return str(value)


def appeal_facts(record: AppealRecord, ref) -> list[tuple[str, list[str | Markup]]]:
    """(title, [value, details…]) of every fact the appeal has, in the declared order."""
    out = []
    for fact in APPEAL_FACTS:
        value = _shown(record, fact.field, ref, day=fact.day)
        if not value:
            continue
        parts = [value]
        for detail in fact.details:
            shown = _shown(record, detail.field, ref)
            if shown:
                parts.append(f"{detail.title}: {shown}" if detail.title else shown)
        out.append((str(fact.title), parts))
    return out
