"""Word tokens with offsets and sentence starts; words of our placeholders are skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opendata.textscrub.lexicon import wordset
from opendata.textscrub.placeholders import placeholder_spans

# Letters with inner apostrophes and hyphens: O'Brien, Жукеева-Пудовкина, Кок-Жар.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*")
# Abbreviations whose dot does not end a sentence.
ABBREVIATIONS = wordset(
    "ул пр просп пер мкр д кв г им тел моб ст корп под обл пос с т п р-н б-р пр-т ж/м "
    "гос св тов каб no st apt mr mrs ms dr vs etc ul kv pr mkr tel"
)


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the text: its offsets, text and whether it opens a sentence."""

    start: int
    end: int
    text: str
    sent_start: bool

    @property
    def is_cap(self) -> bool:
        """Starts with a capital letter."""
        return self.text[0].isupper()


def tokenize(text: str) -> list[Token]:
    """Split text into word tokens, skipping words inside placeholders."""
    blocked = placeholder_spans(text)
    tokens: list[Token] = []
    prev_end, prev_word = 0, ""
    for m in _WORD.finditer(text):
        if any(a <= m.start() < b for a, b in blocked):
            continue
        gap = text[prev_end : m.start()]
        tokens.append(Token(m.start(), m.end(), m.group(), _opens_sentence(gap, prev_word)))
        prev_end, prev_word = m.end(), m.group()
    return tokens


def _opens_sentence(gap: str, prev_word: str) -> bool:
    if not prev_word or "\n" in gap or re.search(r"[!?…]", gap):
        return True
    if "." not in gap:
        return False
    if re.search(r"\d[^.]*\.", gap):  # "кв. 14. Звоните": the dot closes the number
        return True
    # "ул. Киевская" and "Т. К. Алымкулов" do not start a sentence.
    return len(prev_word) > 1 and prev_word.lower() not in ABBREVIATIONS


def is_initial(token: Token, text: str) -> bool:
    """A one-letter capital followed by a dot: the "Т." of "Алымкулов Т. К."."""
    return len(token.text) == 1 and token.text.isupper() and text[token.end : token.end + 1] == "."
