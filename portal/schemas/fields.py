"""marshmallow's field classes, except that text refuses control characters and dates stay
within a sane range.

Nobody types NUL or other C0 control characters into a form, and PostgreSQL cannot store
NUL at all, so every text field of every input schema refuses them with a clear error
instead of failing deep in the database (schemathesis found this). Dates before 2000 or
after 2099 mean nothing here, and at the ends of Python's range (0001-01-01, 9999-12-31)
turning them into instants of a time zone overflows: every date field refuses them.
Schemas import ``from portal.schemas import fields as f`` and keep writing ``f.String(...)``.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from marshmallow.fields import *  # noqa: F403  (the same classes as marshmallow.fields)
from marshmallow.fields import Date as _MarshmallowDate
from marshmallow.fields import String as _MarshmallowString

#: The range of every date field (inclusive): one century, so that the OpenAPI document
#: can state it as a pattern (DATE_PATTERN).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_PATTERN = rf"^{EARLIEST_DATE.year // 100}[0-9]{{2}}-[0-9]{{2}}-[0-9]{{2}}$"

#: C0 controls and DEL, except tab, line feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class String(_MarshmallowString):
    """A text field that refuses invisible control characters."""

    default_error_messages = {"control": _l("Remove invisible control characters from the text.")}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL_CHARACTERS.search(text):
            raise self.make_error("control")
        return text


Str = String


class Date(_MarshmallowDate):
    """An ISO date between EARLIEST_DATE and LATEST_DATE."""

    default_error_messages = {"range": _l("Use a date between 2000-01-01 and 2099-12-31.")}
    #: What the OpenAPI document says it accepts (portal.schemas.grammar).
    grammar = {"type": "string", "format": "date", "pattern": DATE_PATTERN}

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise self.make_error("range")
        return day
