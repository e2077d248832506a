"""Input of the moderation pages: list pages, decisions on appeals and held texts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, pre_load, validate, validates_schema

from portal.models import RejectionReason
from portal.schemas import fields as f

PUBLIC_ID = validate.Regexp(
    r"^[A-Z]{3}-\d{4}-\d{6}$", error=_l("Use an appeal number like BSK-2026-000123.")
)
TEXT_LENGTH = validate.Length(max=5000, error=_l("The text is too long."))
REASONS = tuple(reason.value for reason in RejectionReason)


class ListPageSchema(Schema):
    """?page=N of a moderation list; other query arguments (lang…) are ignored."""

    class Meta:
        unknown = "exclude"

    page = f.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100_000, error=_l("No such page.")),
        error_messages={"invalid": _l("No such page.")},
    )


def _blank_to_none(data: dict, names: tuple[str, ...]) -> dict:
    cleaned = dict(data)
    for name in names:
        value = cleaned.get(name)
        if isinstance(value, str):
            value = value.strip()
            cleaned[name] = value or None
    return cleaned


#: The moderator's two decisions on a submitted appeal (actions of the staff registry).
DECISIONS = ("publish", "reject")


class DecisionSchema(Schema):
    """Which decision the moderation form asks for."""

    class Meta:
        unknown = "exclude"

    action = f.String(
        required=True,
        validate=validate.OneOf(DECISIONS, error=_l("Choose an action.")),
        error_messages={"required": _l("Choose an action.")},
    )


#: The moderator's decisions on a text the publication gate held → their staff actions.
TEXT_DECISIONS = {"publish": "publish_text", "withhold": "withhold_text"}


class TextDecisionSchema(Schema):
    """Which decision the held-text form asks for: publish (optionally edited) or withhold."""

    class Meta:
        unknown = "exclude"

    action = f.String(
        required=True,
        validate=validate.OneOf(tuple(TEXT_DECISIONS), error=_l("Choose an action.")),
        error_messages={"required": _l("Choose an action.")},
    )


class PublishSchema(Schema):
    """Publishing a submitted appeal or a held text, optionally with the moderator's edit."""

    class Meta:
        unknown = "exclude"

    public_text = f.String(load_default=None, allow_none=True, validate=TEXT_LENGTH)

    @pre_load
    def strip_blanks(self, data, **kwargs):
        return _blank_to_none(data, ("public_text",))


class RejectSchema(Schema):
    """Rejecting a submitted appeal: a reason, and the original of a duplicate."""

    class Meta:
        unknown = "exclude"

    reason = f.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(REASONS, error=_l("Choose a reason.")),
    )
    duplicate_of = f.String(load_default=None, allow_none=True, validate=PUBLIC_ID)

    @pre_load
    def strip_blanks(self, data, **kwargs):
        data = _blank_to_none(data, ("reason", "duplicate_of"))
        if isinstance(data.get("duplicate_of"), str):
            data["duplicate_of"] = data["duplicate_of"].upper()
        return data

    @validates_schema
    def check_reason(self, data, **kwargs):
        if not data.get("reason"):
            raise ValidationError(_l("Choose a reason."), "reason")
        if data["reason"] == RejectionReason.DUPLICATE.value and not data.get("duplicate_of"):
            raise ValidationError(_l("Give the number of the original appeal."), "duplicate_of")
