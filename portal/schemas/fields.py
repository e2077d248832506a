"""marshmallow's field classes, except that text refuses control characters.

Nobody types NUL or other C0 control characters into a form, and PostgreSQL cannot store
NUL at all, so every text field of every input schema refuses them with a clear error
instead of failing deep in the database (schemathesis found this). Schemas import
``from portal.schemas import fields as f`` and keep writing ``f.String(...)``.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow.fields import *  # noqa: F403  (the same classes as marshmallow.fields)
from marshmallow.fields import String as _MarshmallowString

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
