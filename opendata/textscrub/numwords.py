"""Phone numbers spoken in words, wholly or in part (Russian, Kyrgyz, English).

"ноль пять пять пять 12 34 56", "ноль пятьсот пятьдесят пять 19 62 04",
"нөл жети жүз жетимиш 58 14 90", "zero seven seven zero 41 22 18", "double five".
A run of number words and digit groups is read the way people dictate numbers (each
word group is one number: "пятьсот пятьдесят пять" is 555, "жети жүз жетимиш" 770);
a run with at least one word that spells 7 to 15 digits is a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from opendata.textscrub.lexicon import fold

Hit = tuple[int, int, str]


def _words(spec: str) -> dict[str, int]:
    """ "ноль нуль=0 один одна=1" → {"ноль": 0, "нуль": 0, "один": 1, "одна": 1}."""
    out: dict[str, int] = {}
    for group in spec.split():
        *names, value = group.split("=")
        for name in names[0].split(",") if names else []:
            out[fold(name)] = int(value)
    return out


# Units 0-9, "closed" numbers 11-19, tens 10-90 (take a unit), hundreds (take tens/units).
_UNITS = _words(
    "ноль,нуль,нол,нөл,zero,oh=0 один,одна,бир,one=1 два,две,эки,two=2 три,үч,three=3 "
    "четыре,төрт,four=4 пять,беш,five=5 шесть,алты,six=6 семь,жети,seven=7 восемь,сегиз,"
    "eight=8 девять,тогуз,nine=9"
)
_TEENS = _words(
    "одиннадцать,eleven=11 двенадцать,twelve=12 тринадцать,thirteen=13 четырнадцать,"
    "fourteen=14 пятнадцать,fifteen=15 шестнадцать,sixteen=16 семнадцать,seventeen=17 "
    "восемнадцать,eighteen=18 девятнадцать,nineteen=19"
)
_TENS = _words(
    "десять,он,ten=10 двадцать,жыйырма,twenty=20 тридцать,отуз,thirty=30 сорок,кырк,forty=40 "
    "пятьдесят,элүү,fifty=50 шестьдесят,алтымыш,sixty=60 семьдесят,жетимиш,seventy=70 "
    "восемьдесят,сексен,eighty=80 девяносто,токсон,ninety=90"
)
_HUNDREDS = _words(
    "сто=100 двести=200 триста=300 четыреста=400 пятьсот=500 шестьсот=600 семьсот=700 "
    "восемьсот=800 девятьсот=900"
)
_TIMES_HUNDRED = frozenset({fold("жүз"), "hundred"})
_REPEAT = {"double": 2, "triple": 3}
# Words that are also ordinary words ("он" = he, "бир" = a, "oh", "one"): never at an edge.
_AMBIGUOUS = frozenset({"он", "бир", "oh", "one"})
_ITEM = re.compile(r"\d+|[^\W\d_]+")
_GAP = re.compile(r"[\s,.\-–—()/+]*")


@dataclass
class _Reader:
    """Reads number words one by one into a digit string.

    ``slot`` says what the open number still takes: "tens" after a hundred (tens, teens
    or a unit), "units" after tens, "times" after a bare unit (Kyrgyz/English "жети жүз",
    "seven hundred"), None when it is complete.
    """

    digits: str = ""
    value: int | None = None
    slot: str | None = None
    repeat: int = 1

    def flush(self) -> None:
        if self.value is not None:
            self.digits += str(self.value) * self.repeat
            self.repeat = 1
        self.value, self.slot = None, None

    def word(self, w: str) -> None:
        if w in _REPEAT:
            self.flush()
            self.repeat = _REPEAT[w]
        elif w in _TIMES_HUNDRED:
            base = 1
            if self.slot == "times" and self.value:
                base, self.value = self.value, None  # "жети жүз": the seven is a multiplier
            self._start(base * 100, "tens")
        elif w in _HUNDREDS:
            self._start(_HUNDREDS[w], "tens")
        elif w in _TENS:
            self._add(_TENS[w], "units", ("tens",))
        elif w in _TEENS:
            self._add(_TEENS[w], None, ("tens",))
        elif _UNITS[w] == 0:
            self._start(0, None)
        else:
            self._add(_UNITS[w], None, ("tens", "units"), alone="times")

    def digit_group(self, group: str) -> None:
        self.flush()
        self.digits += group

    def _start(self, value: int, slot: str | None) -> None:
        self.flush()
        self.value, self.slot = value, slot

    def _add(
        self, value: int, slot: str | None, fits: tuple[str, ...], alone: str | None = None
    ) -> None:
        if self.value is not None and self.slot in fits:
            self.value += value
            self.slot = slot
        else:
            self._start(value, alone if alone else slot)


def _is_number_word(w: str) -> bool:
    return (
        w in _UNITS
        or w in _TEENS
        or w in _TENS
        or w in _HUNDREDS
        or w in _TIMES_HUNDRED
        or (w in _REPEAT)
    )


def find_spoken_phones(text: str) -> Iterator[Hit]:
    """Runs of number words and digit groups that spell a phone number."""
    for run in _runs(text):
        # "он 12 34 56 78" (he): an ambiguous word counts only beside another number word
        while len(run) > 1 and fold(run[0].group()) in _AMBIGUOUS and run[1].group().isdigit():
            run = run[1:]
        while len(run) > 1 and fold(run[-1].group()) in _AMBIGUOUS and run[-2].group().isdigit():
            run = run[:-1]
        if len(run) == 1 and fold(run[0].group()) in _AMBIGUOUS:
            continue
        if not any(not m.group().isdigit() for m in run):
            continue
        if 7 <= len(read(m.group() for m in run)) <= 15:
            yield run[0].start(), run[-1].end(), "PHONE"


def read(items: object) -> str:
    """The digits that a sequence of number words and digit groups spells."""
    reader = _Reader()
    for item in items:  # type: ignore[attr-defined]
        if item.isdigit():
            reader.digit_group(item)
        else:
            reader.word(fold(item))
    reader.flush()
    return reader.digits


def _runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Maximal runs of number items separated only by spaces and punctuation."""
    run: list[re.Match[str]] = []
    for m in _ITEM.finditer(text):
        item = m.group()
        numeric = item.isdigit() or _is_number_word(fold(item))
        joined = run and _GAP.fullmatch(text, run[-1].end(), m.start())
        if numeric and (not run or joined):
            run.append(m)
            continue
        if len(run) > 1:
            yield run
        run = [m] if numeric else []
    if len(run) > 1:
        yield run
