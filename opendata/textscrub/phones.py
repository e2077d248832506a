"""Phone numbers: the `phonenumbers` matcher (region KG) plus rules for what it misses.

It misses numbers that are not "valid" by its metadata (fictional or new ranges) and
short local landlines ("54-32-10") that only a cue word marks as a phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

Hit = tuple[int, int, str]

# +7 926 555-44-33, +1 415 555 0132: any international number.
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{2,4}\)?){2,5}(?![\d])")
# 0555 123 456, 0 (312) 62-45-67, 996 700 123 456: Kyrgyz numbers with trunk or country code.
_NATIONAL = re.compile(r"(?<![\w+.])(?:996|0)[ -]{0,2}\(?\d{3,4}\)?(?:[ -]{0,2}\d){5,7}(?![\d])")
# 555 12 34 56, 700123456: a mobile number typed without the trunk 0.
_MOBILE = re.compile(
    r"(?<![\w+.,])[2579]\d{2}(?:[\s-]?\d{3}[\s-]?\d{3}|[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2})"
    r"(?![\d]|[.,]\d|\s*(?i:сом|som|тыс|млн|руб|usd|\$))"
)
# Local landline without area code: 54-32-10, 5-67-89, 623456 — only after a phone cue.
_LOCAL = re.compile(r"(?<![\w+/.:№#-])(?:\d{1,3}(?:[\s-]\d{2}){2}|\d{5,6})(?![\w/:-]|[.\s]\d)")
_CUE = re.compile(
    r"(?i:тел\w*|моб\w*|сот\w*|звон\w*|whatsapp|viber|telegram|телеграм\w*|phone|call|tel\.?"
    r"|байланыш\w*|номер(?:им|ум|\s+мой|\s+телефона)|мой\s+номер)"
    r"[^.!?\n]{0,30}$"
)


def find_phones(text: str) -> Iterator[Hit]:
    """Phone numbers in any Kyrgyz or international format."""
    for match in phonenumbers.PhoneNumberMatcher(text, "KG", leniency=phonenumbers.Leniency.VALID):
        yield match.start, match.end, "PHONE"
    for m in _INTERNATIONAL.finditer(text):
        if 10 <= _digits(m.group()) <= 15:
            yield m.start(), m.end(), "PHONE"
    for m in _NATIONAL.finditer(text):
        if _digits(m.group()) == (12 if m.group().startswith("996") else 10):
            yield m.start(), m.end(), "PHONE"
    for m in _MOBILE.finditer(text):
        if phonenumbers.is_valid_number(phonenumbers.parse(re.sub(r"\D", "", m.group()), "KG")):
            yield m.start(), m.end(), "PHONE"
    for m in _LOCAL.finditer(text):
        if _CUE.search(text[max(0, m.start() - 40) : m.start()]):
            yield m.start(), m.end(), "PHONE"


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)
