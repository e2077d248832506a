"""Guess the language of an appeal: Russian, Kyrgyz or English."""

from __future__ import annotations

import re

from opendata.textscrub.lexicon import wordset
from opendata.textscrub.tokens import PLACEHOLDER

LANGS = ("ru", "ky", "en")
# Frequent function words; Kyrgyz names contain ү/ө too, so letters alone cannot decide.
_RU = wordset(
    "и в во на не что с со по я из у для это уже как нет до от за прошу мы нас наш наша "
    "но а же его её ее они он она который очень просим когда где так только"
)
_KY = wordset(
    "жана менен үчүн бул бир мен менин биз биздин жок бар жатат эмес деп болуп келет кечээ "
    "азыр эч ким бери жанында суранам саламатсызбы ал анын алар да дагы бирок көп абдан "
    "жатышат болот керек эле берген бергиле"
)
_WORDS = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str:
    """Return "en" for mostly Latin text, else "ky" or "ru" by function words."""
    text = PLACEHOLDER.sub(" ", text)
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "ru"
    latin = sum(ch.isascii() for ch in letters)
    if latin > len(letters) / 2:
        return "en"
    words = [w.lower() for w in _WORDS.findall(text)]
    ky = sum(w in _KY for w in words) + sum(_looks_kyrgyz(w) for w in words) / 2
    ru = sum(w in _RU for w in words)
    return "ky" if ky > ru else "ru"


def _looks_kyrgyz(word: str) -> bool:
    # Case endings with ө/ү/ң are Kyrgyz grammar, not just a name's spelling.
    return bool(re.search(r"[өүң]\w*(?:да|дө|дү|нда|ндө|ны|нү|га|гө|ка|кө|дын|дүн|нүн)$", word))
