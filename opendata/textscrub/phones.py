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


# Digits with any separators people use: "0700/55/18/20", "0 5 5 5-1 2-3 4", "0555.12.34.56".
_SEPARATED = re.compile(r"(?<![\w+])\+?\d(?:(?:[ \-‐–—/()\\_*]|\.(?!\s)){0,3}\d){6,14}(?!\d)")
_DATE = re.compile(
    r"(?<![\d.])(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?:19|20)?\d\d(?![\d])"
)
# An organisation's desk: its landline (area code 03…) with a word saying so stays.
_DESK = re.compile(
    r"(?i:диспетчер\w*|горяч\w*\s+лини\w*|hotline|hot\s+line|call[- ]?cent\w*|колл-центр\w*"
    r"|справочн\w*|при[её]мн\w*|канцеляри\w*|дежурн\w*\s+част\w*|кабыл\s+алуу\w*)"
)


_SENTENCE_END = re.compile(r"[!?\n]|\.(?=\s+[A-ZА-ЯЁ])")


def find_phones(text: str) -> Iterator[Hit]:
    """Phone numbers of persons in any Kyrgyz or international format (not service desks)."""
    phones = list(_all_phones(text))
    desks = desk_numbers(text, phones)
    for a, b, kind in phones:
        if not any(a < db and da < b for da, db in desks):
            yield a, b, kind


def desk_numbers(text: str, phones: list[Hit] | None = None) -> list[tuple[int, int]]:
    """Landlines that the same sentence names as a service's dispatch desk or hotline."""
    return list(_desks(text, list(_all_phones(text)) if phones is None else phones))


def _desks(text: str, phones: list[Hit]) -> Iterator[tuple[int, int]]:
    for a, b, _ in phones:
        digits = re.sub(r"\D", "", text[a:b])
        landline = digits.startswith("03") or digits.startswith("9963")
        before = text[max(0, a - 90) : a]
        after = text[b : b + 40]
        cut = max((m.end() for m in _SENTENCE_END.finditer(before)), default=0)
        cue = _DESK.search(before[cut:]) or _DESK.search(_SENTENCE_END.split(after)[0])
        if landline and cue:
            yield a, b


def _all_phones(text: str) -> Iterator[Hit]:
    """Every phone-shaped number."""
    yield from _separated(text)
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


def _separated(text: str) -> Iterator[Hit]:
    """Numbers typed with odd separators; the longest stretch of digit groups that is valid."""
    clean = _DATE.sub(lambda m: "#" * len(m.group()), text)
    for m in _SEPARATED.finditer(clean):
        groups = list(re.finditer(r"\d+", m.group()))
        best = None
        for i in range(len(groups)):
            for j in range(len(groups) - 1, i - 1, -1):
                digits = "".join(g.group() for g in groups[i : j + 1])
                if _valid(digits, plus=i == 0 and m.group().startswith("+")):
                    if best is None or j - i > best[1] - best[0]:
                        best = (i, j)
                    break
        if best is not None:
            yield m.start() + groups[best[0]].start(), m.start() + groups[best[1]].end(), "PHONE"


def _valid(digits: str, plus: bool) -> bool:
    if plus:
        return 10 <= len(digits) <= 15
    if digits.startswith("996"):
        return len(digits) == 12
    if digits.startswith("0"):
        return len(digits) == 10 and digits[1] != "0"
    if digits.startswith("8") and len(digits) == 10:  # the Russian trunk prefix: 8 (700) …
        return _valid(digits[1:], plus=False)
    if len(digits) == 9 and digits[0] in "2579":
        return phonenumbers.is_valid_number(phonenumbers.parse(digits, "KG"))
    return False


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)
