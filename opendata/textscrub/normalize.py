"""Normalisation before matching: what is published, what is matched, and the way back.

People hide personal data from filters with characters a reader does not see or does not
notice: a zero-width space or a soft hyphen inside a name or a number, a Latin "a" inside
a Cyrillic name, a letter O among the digits of a phone, full-width or "mathematical"
letters. `normalize` turns a text into

- ``text``: what may be published — NFKC, with invisible format characters (zero-width,
  soft hyphen, bidi controls, fillers) and stray combining marks removed. "№" and the
  "²"/"³" of units (м²) are kept as typed: NFKC would turn "№61" into "No61";
- ``folded``: a copy of ``text`` of the same length for the detectors, in which
  look-alike letters are folded to the script of their word and letter O among digits
  to 0 (so offsets in ``folded`` are offsets in ``text``);
- a map from offsets in ``text`` back to offsets in the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Invisible characters that are not format characters (category Cf) themselves.
_FILLERS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u180b\u180c\u180d\u180e") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
# Kept as typed though NFKC would change them (see the module docstring).
_KEEP = frozenset("№")
_KEEP_AFTER_LETTER = frozenset("²³")

# Latin letters that look like Cyrillic ones, and the other way round.
_LATIN = "aeopcxyAEOPCXYBKMHT"
_CYRILLIC = "аеорсхуАЕОРСХУВКМНТ"
_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)
_TO_LATIN = str.maketrans(_CYRILLIC + "іІ", _LATIN + "iI")
_LETTERS = re.compile(r"[^\W\d_]+")
# A word of digits with letters O (Latin or Cyrillic) or l/I among them: "077О", "2О24".
_DIGITISH = re.compile(r"(?<![^\W\d_])[\dOoОоlI]*\d[\dOoОоlI]*(?![^\W\d_])")
_TO_DIGITS = str.maketrans("OoОоlI", "000011")


@dataclass(frozen=True, slots=True)
class Normalized:
    """A text in its three forms: the original, the publishable text, the folded copy."""

    original: str
    text: str
    folded: str
    starts: tuple[int, ...]  # starts[i]: where text[i] comes from in the original
    ends: tuple[int, ...]  # ends[i]: where the original character(s) of text[i] end

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of text[start:end]."""
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def normalize(original: str) -> Normalized:
    """NFKC and invisibles removed (``text``), look-alikes folded (``folded``)."""
    if original.isascii() or _already_clean(original):
        ident = tuple(range(len(original)))
        ends = tuple(i + 1 for i in ident)
        return Normalized(original, original, fold_lookalikes(original), ident, ends)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for a, b in _units(original):
        piece = _publishable(original, a, b)
        chars.append(piece)
        starts += [a] * len(piece)
        ends += [b] * len(piece)
    text = "".join(chars)
    return Normalized(original, text, fold_lookalikes(text), tuple(starts), tuple(ends))


def is_invisible(ch: str) -> bool:
    """A format character or filler that a reader does not see."""
    return ch in _FILLERS or unicodedata.category(ch) == "Cf"


def _already_clean(text: str) -> bool:
    return unicodedata.is_normalized("NFKC", text) and not any(
        is_invisible(ch) or unicodedata.combining(ch) for ch in text
    )


def _units(text: str) -> list[tuple[int, int]]:
    """(start, end) of each base character with the combining marks that follow it."""
    units: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        units.append((i, j))
        i = j
    return units


def _publishable(original: str, a: int, b: int) -> str:
    """One unit of the original as published: NFKC, no invisibles, no stray marks."""
    unit = "".join(ch for ch in original[a:b] if not is_invisible(ch))
    if not unit:
        return ""
    if unit in _KEEP or (unit in _KEEP_AFTER_LETTER and a > 0 and original[a - 1].isalpha()):
        return unit
    out = unicodedata.normalize("NFKC", unit)
    return "".join(ch for ch in out if not unicodedata.combining(ch) and not is_invisible(ch))


def fold_lookalikes(text: str) -> str:
    """Same-length copy: mixed-script words in one script, letter O among digits as 0."""
    text = _LETTERS.sub(_fold_word, text)
    return _DIGITISH.sub(lambda m: m.group().translate(_TO_DIGITS), text)


def _fold_word(m: re.Match[str]) -> str:
    word = m.group()
    if word.isascii():
        return word
    cyrillic = sum(_is_cyrillic(ch) for ch in word)
    latin = sum(_is_latin(ch) for ch in word)
    if not latin or not cyrillic:
        return word
    if cyrillic < latin:
        return word.translate(_TO_LATIN)
    # "Асáнов": a Latin letter with an accent counts as its bare letter.
    bare = "".join(unicodedata.normalize("NFD", ch)[0] if _is_latin(ch) else ch for ch in word)
    return bare.translate(_TO_CYRILLIC)


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _is_latin(ch: str) -> bool:
    return ch.isalpha() and ch < "\u0250"


def mixed_script(word: str) -> bool:
    """The word mixes Latin and Cyrillic letters (a look-alike evasion)."""
    return any(map(_is_cyrillic, word)) and any(map(_is_latin, word))
