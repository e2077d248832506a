"""Truecasing for texts typed all in lower case or all in capitals.

NER and the capital-letter rules need "Асанов Бакыт", not "асанов бакыт" or
"АСАНОВ БАКЫТ". We build a copy of the same length where only the case changes:
sentence starts, known given names, surname-shaped words that are not common words,
proper nouns of the Russian dictionary (Russian texts), and the surnames, patronymics and
initials next to them are capitalised. Offsets found in the copy are valid in the original.
"""

from __future__ import annotations

import re

from opendata.textscrub.context import is_place_word
from opendata.textscrub.lang import Languages
from opendata.textscrub.lexicon import (
    PARTICLES,
    common_word,
    first_names,
    fold,
    not_names,
    short_surnames,
)
from opendata.textscrub.morph import proper_noun
from opendata.textscrub.placeholders import PLACEHOLDER
from opendata.textscrub.shapes import word_shape
from opendata.textscrub.tokens import Token, tokenize

# After these words the next word is a name whatever it looks like.
_INTRO = re.compile(r"(?i:зовут|звать|атым|my\s+name\s+is)[\s,:—-]{1,3}$")
_SURNAME_OR_PATRONYMIC = re.compile(
    r"[^\W\d_]{2,}(?:ов|ев|ин|ын|енко|ович|евич|овн|евн|ичн|ov|ev|in|enko|ovich|evich|ovn|evn)"
    r"[^\W\d_]{0,3}"
)
# Russian-style family names (-ов/-ева/-ович…), the endings rare in ordinary Kyrgyz words.
_FAMILY_NAME = re.compile(
    r"[^\W\d_]{2,}(?:ов|ев|ович|евич|овн|евн)(?:а|у|ым|ой|ом|е|ы|на|га|ка|дын|нын|ду|ну)?"
)


def case_mode(text: str) -> str | None:
    """ "lower" or "upper" when the text has no case information, else None."""
    letters = [ch for ch in PLACEHOLDER.sub(" ", text) if ch.isalpha()]
    if len(letters) < 3:
        return None
    upper = sum(ch.isupper() for ch in letters)
    if upper == 0:
        return "lower"
    return "upper" if upper > 0.7 * len(letters) else None


def truecase(text: str, langs: Languages) -> str:
    """A same-length copy of a caseless text with names and sentence starts capitalised."""
    base = "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)
    tokens = tokenize(base)
    names = _name_tokens(base, tokens, langs)
    chars = list(base)
    for k, tok in enumerate(tokens):
        if (k in names and fold(tok.text) not in PARTICLES) or tok.sent_start:
            upper = chars[tok.start].upper()
            if len(upper) == 1:
                chars[tok.start] = upper
    return "".join(chars)


def _name_tokens(text: str, tokens: list[Token], langs: Languages) -> set[int]:
    names = {k for k, tok in enumerate(tokens) if _seed(text, tokens, k, langs.at(tok.start))}
    for _ in range(2):  # grow twice: "асанов б.ж." needs the initials, then the surname
        for k in sorted(names):
            russian = langs.at(tokens[k].start) == "ru"
            for n in (k - 1, k + 1):
                if (
                    0 <= n < len(tokens)
                    and n not in names
                    and _companion(text, tokens, k, n, russian)
                ):
                    names.add(n)
    return names


def _seed(text: str, tokens: list[Token], k: int, lang: str) -> bool:
    """A given name, a word after "меня зовут", a surname, or a Russian proper noun."""
    tok = tokens[k]
    if fold(tok.text) in not_names() or len(tok.text) < 2:
        return False
    if tok.text in first_names() or _INTRO.search(text[max(0, tok.start - 20) : tok.start]):
        return True
    russian = lang == "ru" and not tok.text.isascii()
    if russian and len(tok.text) >= 3 and proper_noun(tok.text):
        return True
    shape = word_shape(tok.text, lang == "ru")
    if shape in ("first", "patronymic") or (
        shape == "surname" and (not russian or proper_noun(tok.text) is not False)
    ):
        return True  # "жээналиева", "садыковага", "ботиржон": shaped like a name
    if any(fold(tokens[n].text) in PARTICLES for n in (k - 1, k + 1) if 0 <= n < len(tokens)):
        return True  # "бакыт кызы айпери"
    return _SURNAME_OR_PATRONYMIC.fullmatch(fold(tok.text)) is not None and any(
        0 <= n < len(tokens) and _initial(text, tokens[n]) and _touching(text, tokens, k, n)
        for n in (k - 1, k + 1)
    )


def _initial(text: str, tok: Token) -> bool:
    return len(tok.text) == 1 and text[tok.end : tok.end + 1] == "."


def _touching(text: str, tokens: list[Token], k: int, n: int) -> bool:
    a, b = sorted((k, n))
    return text[tokens[a].end : tokens[b].start].strip() in ("", ".")


def _companion(text: str, tokens: list[Token], k: int, n: int, russian: bool) -> bool:
    """tokens[n], next to the name word tokens[k], belongs to the same name."""
    if not _touching(text, tokens, k, n):
        return False
    word = tokens[n].text
    if fold(word) in not_names() or is_place_word(word):
        return False
    if len(word) == 1:
        return _initial(text, tokens[n])
    if fold(word) in PARTICLES or fold(word) in short_surnames():
        return True
    # -ин/-ын end many Kyrgyz words ("балдарын"): only -ов/-ева… count in Kyrgyz texts.
    if (_SURNAME_OR_PATRONYMIC if russian or word.isascii() else _FAMILY_NAME).fullmatch(
        fold(word)
    ):
        return True
    if word_shape(word, russian) in ("first", "surname", "patronymic"):
        return True
    if _FAMILY_NAME.fullmatch(fold(tokens[k].text)) and not word.isascii() and n == k - 1:
        # "токтосунова айгүл", "мукаш медербеков": a word unknown to every lexicon
        return len(word) >= 3 and not common_word(word) and proper_noun(word) is not False
    # Latin names: any word after a given name ("john miller"), not before it.
    return word.isascii() and tokens[k].text.isascii() and n == k + 1
