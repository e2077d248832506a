"""The "this affects me too" form: an optional e-mail (given, the support counts once the
link mailed to it is opened)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, pre_load, validate

from portal.schemas import fields as f
from portal.schemas.appeal import ERRORS


class SupportSchema(Schema):
    """``load`` returns ``{"email": str | None}`` (lower case)."""

    class Meta:
        unknown = EXCLUDE  # csrf_token, the button, lang

    email = f.String(
        load_default=None, allow_none=True, error_messages=ERRORS,
        validate=[validate.Length(max=200, error=_l("At most %(max)s characters.", max=200)),
                  validate.Email(error=_l("Enter a valid e-mail address."))],
    )  # fmt: skip

    @pre_load
    def blank_is_none(self, data, **kwargs):
        """An empty field means "no e-mail"; addresses compare in lower case."""
        email = data.get("email")
        email = email.strip().lower() if isinstance(email, str) else email
        return {**data, "email": email or None}
