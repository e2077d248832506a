"""The citizen's rating of a service's answer (web form and JSON API)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, pre_load, validate

from portal.models import RatingReason, Solved
from portal.schemas import fields as f
from portal.schemas import grammar
from portal.schemas.appeal import ERRORS

MAX_COMMENT = 2000


class RatingSchema(Schema):
    """score 1–5, solved yes/partly/no, optional reason and comment."""

    class Meta:
        unknown = EXCLUDE

    score = f.Integer(
        required=True,
        strict=False,
        error_messages={
            **ERRORS,
            "required": _l("Choose a score from 1 to 5."),
            "invalid": _l("Choose a score from 1 to 5."),
        },
        validate=validate.Range(1, 5, error=_l("Choose a score from 1 to 5.")),
    )
    solved = f.String(
        required=True,
        error_messages={**ERRORS, "required": _l("Tell us whether the problem was solved.")},
        validate=validate.OneOf(
            [s.value for s in Solved], error=_l("Tell us whether the problem was solved.")
        ),
    )
    reason = f.String(
        load_default=None,
        allow_none=True,
        error_messages=ERRORS,
        validate=validate.OneOf([r.value for r in RatingReason], error=_l("Unknown reason.")),
    )
    comment = f.String(
        load_default=None,
        allow_none=True,
        metadata={"grammar": grammar.optional_text(MAX_COMMENT)},
        error_messages=ERRORS,
        validate=validate.Length(
            max=MAX_COMMENT, error=_l("At most %(max)s characters.", max=MAX_COMMENT)
        ),
    )

    @pre_load
    def clean(self, data, **kwargs):
        if not hasattr(data, "items"):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "" and key in ("reason", "comment", "score", "solved"):
                    continue
            cleaned[key] = value
        return cleaned
