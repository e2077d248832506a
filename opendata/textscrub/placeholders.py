"""The typed placeholders that replace personal data, per language."""

from __future__ import annotations

import re

PLACEHOLDERS: dict[str, dict[str, str]] = {
    "ru": {
        "PERSON": "[ИМЯ]",
        "PHONE": "[ТЕЛЕФОН]",
        "EMAIL": "[E-MAIL]",
        "ID_NUMBER": "[ДОКУМЕНТ]",
        "ADDRESS_UNIT": "[АДРЕС]",
        "CAR_PLATE": "[НОМЕР АВТО]",
        "CARD": "[КАРТА]",
        "GEO_POINT": "[КООРДИНАТЫ]",
    },
    "ky": {
        "PERSON": "[АТЫ-ЖӨНҮ]",
        "PHONE": "[ТЕЛЕФОН]",
        "EMAIL": "[E-MAIL]",
        "ID_NUMBER": "[ДОКУМЕНТ]",
        "ADDRESS_UNIT": "[ДАРЕК]",
        "CAR_PLATE": "[АВТО НОМЕРИ]",
        "CARD": "[КАРТА]",
        "GEO_POINT": "[КООРДИНАТАЛАР]",
    },
    "en": {
        "PERSON": "[NAME]",
        "PHONE": "[PHONE]",
        "EMAIL": "[E-MAIL]",
        "ID_NUMBER": "[ID]",
        "ADDRESS_UNIT": "[ADDRESS]",
        "CAR_PLATE": "[PLATE]",
        "CARD": "[CARD]",
        "GEO_POINT": "[COORDINATES]",
    },
}

# Only our own placeholders count: "[АСАНОВ БАКЫТ]" typed by a citizen is still a name.
PLACEHOLDER = re.compile(
    "|".join(sorted({re.escape(p) for by_type in PLACEHOLDERS.values() for p in by_type.values()}))
)


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of placeholders already in the text, so a second scrub leaves them alone."""
    return [m.span() for m in PLACEHOLDER.finditer(text)]
