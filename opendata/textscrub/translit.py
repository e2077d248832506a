"""Latin ↔ Cyrillic: transliterated text read as Cyrillic, and one spelling key for names.

People write Russian and Kyrgyz in Latin letters ("Uvazhaemaya Aigerim", "Ustaga
Nurlanga aittyk") and Kyrgyz names in Latin inside Russian text ("спросите Aibek
Sultanov"). Two tools:

- `latin_view` turns a Latin stretch into Cyrillic with an offset map back, so the
  Cyrillic cue words, name lists and case endings apply to it;
- `skeleton` reduces a word in either script to a lossy Latin key ("Чынгыз", "Chyngyz",
  "Chingiz" → "chingiz"), so a name list in Cyrillic also knows its Latin spellings.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from opendata.textscrub.lexicon import fold

# Longest first: "shch" before "sh" before "s".
_LATIN_TO_CYRILLIC = {
    "shch": "щ", "sch": "щ", "dzh": "дж", "zh": "ж", "kh": "х", "ch": "ч", "sh": "ш",
    "ts": "ц", "ya": "я", "yu": "ю", "yo": "ё", "ye": "е", "ia": "я", "iu": "ю", "yi": "ый",
    "iy": "ий", "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з",
    "i": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
    "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф", "h": "х", "c": "ц", "x": "х",
    "w": "в", "q": "к", "y": "ы", "'": "ь", "ü": "ү", "ö": "ө",
}  # fmt: skip
_CHUNK = re.compile("|".join(sorted(map(re.escape, _LATIN_TO_CYRILLIC), key=len, reverse=True)))
_VOWELS = frozenset("aeiouyаеёиоуыэюяөү")

_CYRILLIC_TO_LATIN = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "j", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
})  # fmt: skip
# Applied to Latin words and to transliterated Cyrillic alike (order matters).
_LATIN_KEY = (
    ("shch", "sh"), ("sch", "sh"), ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "h"),
    ("ya", "ia"), ("yu", "iu"), ("yo", "e"), ("ye", "e"), ("y", "i"), ("x", "ks"),
    ("w", "v"), ("q", "k"), ("ü", "u"), ("ö", "o"), ("'", ""), ("’", ""),
)  # fmt: skip
_NG = re.compile(r"(?<=.)ng")
_DOUBLE = re.compile(r"(.)\1+")


@functools.lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """A lossy Latin key of a word in Latin or Cyrillic letters, equal across spellings."""
    key = fold(word).translate(_CYRILLIC_TO_LATIN)
    for a, b in _LATIN_KEY:
        key = key.replace(a, b)
    return _DOUBLE.sub(r"\1", _NG.sub("n", key))


@dataclass(frozen=True, slots=True)
class View:
    """A Cyrillic reading of source[offset:...] with a map back to source offsets."""

    text: str
    starts: tuple[int, ...]  # starts[i]: source offset of the chunk text[i] comes from
    ends: tuple[int, ...]

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Source offsets of text[start:end]."""
        return self.starts[start], self.ends[end - 1]


def latin_view(source: str, start: int, end: int) -> View:
    """Cyrillic transliteration of source[start:end] (non-Latin characters unchanged)."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    lower = source.lower()
    pos = start
    while pos < end:
        m = _CHUNK.match(lower, pos, end) if source[pos].isascii() else None
        if m is None:
            piece, stop = source[pos], pos + 1
        else:
            piece, stop = _chunk(source, pos, m.group()), m.end()
        out.append(piece)
        starts += [pos] * len(piece)
        ends += [stop] * len(piece)
        pos = stop
    return View("".join(out), tuple(starts), tuple(ends))


def _chunk(source: str, pos: int, latin: str) -> str:
    """One Latin chunk in Cyrillic, with its case and context rules."""
    prev = source[pos - 1].lower() if pos > 0 else " "
    nxt = source[pos + len(latin)].lower() if pos + len(latin) < len(source) else " "
    cyr = _LATIN_TO_CYRILLIC[latin]
    if latin in ("i", "y") and prev in _VOWELS and nxt not in _VOWELS:
        cyr = "й"  # "Aigerim", "Aybek", "jashaybyz"
    elif latin == "y" and not prev.isalpha():
        cyr = "й"
    elif latin == "e" and not prev.isalpha():
        cyr = "э"  # "eki", "emi", "Erkin"
    return cyr.capitalize() if source[pos].isupper() else cyr
