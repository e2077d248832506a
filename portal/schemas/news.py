"""The news form of the mayor's office: a title and a text in ru (required), ky and en, and
an optional photo with what it shows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validates_schema
from marshmallow import fields as f

from portal.schemas.staff import PhotoUpload, StaffSchema, Text, _length

MAX_TITLE = 200
MAX_ALT = 300
#: News items are short: longer texts belong on the city's own site.
MAX_BODY = 4000


class NewsFormSchema(StaffSchema):
    """What an editor sends; empty ky/en fields show the Russian text."""

    title_ru = Text(required=True, validate=_length(3, MAX_TITLE))
    title_ky = Text(load_default=None, validate=_length(3, MAX_TITLE))
    title_en = Text(load_default=None, validate=_length(3, MAX_TITLE))
    body_ru = Text(required=True, validate=_length(10, MAX_BODY))
    body_ky = Text(load_default=None, validate=_length(10, MAX_BODY))
    body_en = Text(load_default=None, validate=_length(10, MAX_BODY))
    photo = PhotoUpload(load_default=None)
    remove_photo = f.Boolean(load_default=False)
    photo_alt_ru = Text(load_default=None, validate=_length(3, MAX_ALT))
    photo_alt_ky = Text(load_default=None, validate=_length(3, MAX_ALT))
    photo_alt_en = Text(load_default=None, validate=_length(3, MAX_ALT))

    @validates_schema
    def pairs(self, data, **kwargs):
        """A language has both a title and a text, or neither."""
        for lang in ("ky", "en"):
            title, body = data.get(f"title_{lang}"), data.get(f"body_{lang}")
            if bool(title) != bool(body):
                name = f"body_{lang}" if title else f"title_{lang}"
                raise ValidationError(_l("Give the title and the text in this language."), name)
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                raise ValidationError(_l("Not a valid text."), name)
