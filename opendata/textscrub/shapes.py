"""What kind of name word a single word is: given name, surname, patronymic, initial…

Judged from the word alone and the language of its sentence: name lists (any case form,
Latin spellings through `translit.skeleton`), the endings of family names and
patronymics (Russian -ов/-ева/-ович, Kyrgyz -ов + case ending "Садыковага", Georgian,
Armenian, Ukrainian), the suffixes of Central Asian given names (-бек, -гүл, -жон,
-жан…), double surnames ("Петрова-Асанбекова", "Осмонова-Ким"), nicknames built on a
patronymic ("Иваныч", "Султаныча"). Words that name organisations (Бишкекзеленхоз) or
are ordinary words of the sentence's language are not names.
"""

from __future__ import annotations

import functools
import re

from opendata.textscrub import context
from opendata.textscrub.lexicon import (
    PARTICLES,
    common_word,
    first_names,
    fold,
    not_names,
    short_surnames,
)

NAME_SHAPES = ("first", "surname", "patronymic")
_SURNAME_ENDINGS = (
    r"(?:а|у|ым|ой|ом|е|ы|ого|ому|ых|ыми|a|y|u)?"
    r"(?:га|ка|ге|ке|го|ко|дын|нын|тын|дин|нин|ны|ну|ды|ду|да|та|ден|дан|тан|нан|дун|нун"
    r"|ga|ka|ge|ke|dyn|nyn|tyn|din|nin|ny|nu|dy|du|da|ta|dan|tan|nan"
    r"|дор|тор|лар|дар|тар|лер|дер)?"  # Kyrgyz plural: "Бекназаровдор", the Beknazarovs
)
_SURNAME = re.compile(
    r"[^\W\d_'’-]{2,}(?:ов|ев|ёв|ин|ын|енко|дзе|швили|ян|ук|юк|ский|цкий|ская|цкая"
    rf"|ov|ev|in|yn|enko|yan|ian|sky|skiy){_SURNAME_ENDINGS}"
)
# In Kyrgyz texts -ин/-ын are case endings ("мектептин", "жанында"), not surnames.
_SURNAME_KY = re.compile(rf"[^\W\d_'’-]{{2,}}(?:ов|ев|енко|ov|ev){_SURNAME_ENDINGS}")
_PATRONYMIC = re.compile(
    r"[^\W\d_]{2,}(?:ович|евич|овн|евн|ичн|ovich|evich|ovn|evn)\w{0,3}"
    r"|[^\W\d_]{3,}(?:ыч|ич)(?:а|у|ем|ом|е)?"  # "Иваныч", "Султаныча", "Палыч"
)
# Given names of Central Asian origin are built with productive suffixes.
_GIVEN = re.compile(
    r"[^\W\d_]{2,}(?:бек|гүл|гуль|гул|күл|куль|жон|джон|жан|бүбү|бубу|нур|мурат|али"
    r"|bek|gul|jon|zhon|dzhon|zhan|jan)(?:[^\W\d_]{0,4})"
)
_GIVEN_ENDINGS = frozenset(
    [
        "а",
        "я",
        "у",
        "ю",
        "е",
        "ом",
        "ем",
        "ой",
        "ей",
        "га",
        "ге",
        "ка",
        "ке",
        "го",
        "гө",
        "ко",
        "кө",
        "дын",
        "дин",
        "нын",
        "нин",
        "тын",
        "тин",
        "ду",
        "дү",
        "ну",
        "нү",
        "ды",
        "ди",
        "ны",
        "ни",
        "да",
        "де",
        "та",
        "те",
        "дан",
        "ден",
        "тан",
        "тен",
        "нан",
        "нен",
        "ым",
        "им",
        "ум",
        "үм",
        "ga",
        "ge",
        "ka",
        "ke",
        "dyn",
        "nyn",
        "din",
        "nin",
    ]
)


@functools.lru_cache(maxsize=16384)
def word_shape(word: str, russian: bool, initial: bool = False) -> str | None:
    """ "initial", "particle", "first", "short", "surname", "patronymic" or None."""
    if initial:
        return "initial"
    folded = fold(word)
    if folded in PARTICLES:
        return "particle"
    if folded in not_names() or context.is_role(word) or context.is_org_word(word):
        return None
    if "-" in word:
        return _double_shape(word, russian)
    if word in first_names():
        return "first"
    if folded in short_surnames():
        return "short"  # used only beside a given name or an initial ("ким" = who)
    if _PATRONYMIC.fullmatch(folded) and not common_word(word):
        return "patronymic"
    if len(word) >= 5 and _SURNAME_KY.fullmatch(folded):
        return "surname"  # -ов/-ев: "Волков", "Петрова" are surnames though also words
    if (russian or word.isascii()) and len(word) >= 5 and _SURNAME.fullmatch(folded):
        return None if _common_unless_proper(word) else "surname"  # not "Магазин"
    if len(word) >= 5 and _given_suffix(folded) and not common_word(word):
        return "first"
    return None


def _double_shape(word: str, russian: bool) -> str | None:
    """ "Петрова-Асанбекова", "Осмонова-Ким": every part a name word → a surname."""
    parts = [p for p in word.split("-") if p]
    shapes = [word_shape(p, russian) for p in parts]
    if len(parts) >= 2 and all(s in ("surname", "short", "first") for s in shapes):
        return "surname" if "surname" in shapes else None
    return None


def _given_suffix(folded: str) -> bool:
    m = _GIVEN.fullmatch(folded)
    if m is None:
        return False
    tail = re.search(r"(?:бек|гүл|гуль|гул|күл|куль|жон|джон|жан|бүбү|бубу|нур|мурат|али|bek|gul"
                     r"|jon|zhon|dzhon|zhan|jan)([^\W\d_]{0,4})$", folded)  # fmt: skip
    return tail is not None and (tail.group(1) == "" or tail.group(1) in _GIVEN_ENDINGS)


def _common_unless_proper(word: str) -> bool:
    """An ordinary word ("Витамин", "Магазин") that merely ends like a surname."""
    if word.isascii():
        return False
    from opendata.textscrub.morph import proper_noun

    return proper_noun(word) is False
