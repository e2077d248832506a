"""Guess the language of an appeal: Russian, Kyrgyz or English."""

from __future__ import annotations

import re

from opendata.textscrub.lexicon import wordset
from opendata.textscrub.placeholders import PLACEHOLDER

LANGS = ("ru", "ky", "en")
# Frequent function words; Kyrgyz names contain ү/ө too, so letters alone cannot decide.
_RU = wordset(
    "и в во на не что с со по я из у для это уже как нет до от за прошу мы нас наш наша "
    "но а же его её ее они он она который очень просим когда где так только меня мне мой моя "
    "мою вас вам вы ты этот эта там тут здесь зовут звоните пожалуйста здравствуйте добрый "
    "день спасибо ещё еще всё все был была было есть живу при или"
)
_KY = wordset(
    "жана менен үчүн бул бир мен менин биз биздин жок бар жатат эмес деп болуп келет кечээ "
    "азыр эч ким бери жанында суранам саламатсызбы ал анын алар да дагы бирок көп абдан "
    "жатышат болот керек эле берген бергиле турам жашайм дарегим телефонум атым байланыш "
    "рахмат салам көчөсү көчөдө үйдө батир жол"
)
_WORDS = re.compile(r"[^\W\d_]+")
# E-mails, web addresses and HTML tags are Latin whatever the language of the appeal.
_NOT_PROSE = re.compile(r"(?<!\S)[^\s@]+@\S+|https?://\S+|www\.\S+|<[^<>]*>|&\w+;")


def detect_language(text: str) -> str:
    """Return "en" for mostly Latin text, else "ky" or "ru" by function words."""
    text = _NOT_PROSE.sub(" ", PLACEHOLDER.sub(" ", text))
    words = _WORDS.findall(text)
    latin = sum(w.isascii() for w in words)
    if latin > len(words) / 2:
        return "en"
    ky = sum(w.lower() in _KY for w in words) + sum(_looks_kyrgyz(w) for w in words) / 2
    ru = sum(w.lower() in _RU for w in words)
    return "ky" if ky > ru else "ru"


def _looks_kyrgyz(word: str) -> bool:
    # Not capitalised words: names like "Айгүл" also appear in Russian texts.
    # ө/ү/ң and long vowels (айдоочу, уулу, унаанын) are rare in Russian words.
    if word.istitle():
        return False
    return re.search(r"[өүң]|аа|оо|уу|ээ|ыы", word.lower()) is not None
