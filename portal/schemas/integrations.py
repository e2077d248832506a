"""Input schemas of the integration kit: an API client (admin form) and a webhook URL
(admin form and the client's own JSON API)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse_many
from marshmallow import ValidationError, validate, validates

from opendata.schema import CLIENT_NAME_PATTERN
from portal.schemas import fields as f
from portal.schemas.staff import REQUIRED, StaffSchema, Text, _length

SLUG = validate.Regexp(
    rf"^{CLIENT_NAME_PATTERN}$",
    error=_l("Use 1–40 lowercase letters, digits, - or _, starting with a letter or digit."),
)


def check_rate_limit(value: str) -> None:
    try:
        parse_many(value)
    except ValueError:
        raise ValidationError(
            _l('Write a limit like "120 per minute" or "1000 per day".')
        ) from None


class WebhookSchema(StaffSchema):
    """A webhook URL; empty (or absent) removes the webhook."""

    url = Text(load_default=None, validate=_length(1, 500))

    @validates("url")
    def _check_url(self, value, **kwargs) -> None:
        from portal.integrations.webhooks import url_problem

        if value is None:
            return
        problem = url_problem(value, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])
        if problem:
            raise ValidationError(problem)


class ApiClientFormSchema(WebhookSchema):
    name = Text(required=True, validate=_length(1, 200))
    slug = f.String(required=True, validate=SLUG, error_messages=REQUIRED)
    contact = Text(required=True, validate=_length(3, 200))
    rate_limit = Text(load_default=None, validate=[_length(1, 60), check_rate_limit])
