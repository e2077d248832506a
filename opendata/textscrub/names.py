"""Private persons' names: NER hits, cue words and name lists, vetted by context.

Pipeline on the (truecased) working copy of a text:
1. seeds — natasha PER hits (Cyrillic texts), a word after a person cue ("сосед",
   "мастер", "уста", "my friend"; in lower case too when it looks like a name), a known
   given name, a patronymic, "X уулу Y", a surname with initials, a word before an
   honorific ("Ислам ака"), a word set off next to a phone, a word of an e-mail address;
2. each seed grows over neighbouring name-shaped words (surnames, patronymics, initials);
3. a seed is dropped when it is a place (street cue, gazetteer entry, «quoted» name,
   NER location) or a senior official named in role (`vetting`);
4. a re-pass removes other case forms of every accepted name ("Асанов" → "Асанову").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from opendata.textscrub import context, ner
from opendata.textscrub.lang import Languages
from opendata.textscrub.lexicon import StemSet, common_word, first_names, fold, not_names
from opendata.textscrub.nametext import NameText
from opendata.textscrub.translit import skeleton
from opendata.textscrub.truecase import case_mode, truecase
from opendata.textscrub.vetting import gazetteer_name, rejected

Seed = tuple[int, int, bool]  # first token, last token, cued
_FAMILY = ("surname", "patronymic")
# Honorifics follow a name: "Гүлсана эже", "Токтор ата", "Ахмаджон ака".
_HONORIFICS = frozenset(
    [
        "эже",
        "байке",
        "ата",
        "апа",
        "мырза",
        "айым",
        "агай",
        "ака",
        "аке",
        "эжеке",
        "ханым",
        "хон",
        "aka",
        "ake",
        "eje",
        "baike",
    ]
)
_SIGNATURE_GAP = re.compile(r"\s*[,—–-]\s*")


def find_persons(
    text: str,
    langs: Languages,
    contacts: Sequence[tuple[int, int]] = (),
    hints: frozenset[str] = frozenset(),
    ner_on: bool = True,
) -> list[tuple[int, int]]:
    """Character spans of private persons' names in `text`.

    `contacts` are the spans of phones and e-mails: a word set off by a comma right
    before or after one ("Сайкал, 0555 44 33 22") is taken for a signature. `hints` are
    words of e-mail addresses: the same word elsewhere in the text is a name. Texts
    typed all in lower case or capitals are read through a truecased copy.
    """
    mode = case_mode(text)
    t = NameText.of(truecase(text, langs) if mode else text, mode is not None, langs)
    cyrillic = any(not tok.text.isascii() for tok in t.tokens)
    seeds = _ner_seeds(t) if ner_on and cyrillic else []
    seeds += _rule_seeds(t) + _signature_seeds(t, contacts) + _hinted_seeds(t, hints)
    accepted: list[tuple[int, int]] = []
    for i, j, cued in seeds:
        i, j = _grow(t, i, j)
        if not rejected(t, i, j, cued):
            accepted.append((i, j))
    accepted += _repass(t, accepted)
    return [t.char_span(i, j) for i, j in accepted]


# ---------------------------------------------------------------- seeds


def _ner_seeds(t: NameText) -> list[Seed]:
    """natasha's PER hits, trimmed; its LOC/ORG hits mark places for the veto."""
    seeds = []
    for start, end, kind in ner.entities(t.work):
        idx = [k for k, tok in enumerate(t.tokens) if start <= tok.start and tok.end <= end]
        if kind != "PER":  # NER calls any word in capitals an ORG: ignore those
            t.places.update(k for k in idx if not t.tokens[k].text.isupper() and not t.named(k))
            continue
        idx = _trim(t, idx)
        t.ner_names.update(idx)
        if idx:
            seeds.append((idx[0], idx[-1], False))
    return seeds


def _trim(t: NameText, idx: list[int]) -> list[int]:
    """Cut words off a NER hit that cannot be part of a name ("Коңшум", "Бишкекводоканала")."""

    def bad(k: int, leading: bool) -> bool:
        tok = t.tokens[k]
        if not t.capitalised(k) and t.shape(k) != "particle":
            return True
        if context.is_place_word(tok.text):
            return True
        if t.shape(k) is not None:
            return False
        if t.in_gazetteer(k) or common_word(tok.text):
            return True  # "Отлично!", "Канал", "Рахмат"
        # A sentence opener is a name only when a surname follows: "Жаңыл Сабырбекова".
        before_surname = leading and k + 1 in idx and t.shape(k + 1) in _FAMILY
        return tok.sent_start and (leading or len(idx) == 1) and not before_surname

    if idx and gazetteer_name(t, idx[0], idx[-1]):
        return []
    if len(idx) == 1 and t.shape(idx[0]) == "short":
        return []  # "Ким", "Ли" alone: Kyrgyz "who", a Korean surname only beside a name
    while idx and bad(idx[0], leading=True):
        idx = idx[1:]
    while idx and bad(idx[-1], leading=False):
        idx = idx[:-1]
    return idx


def _rule_seeds(t: NameText) -> list[Seed]:
    return [seed for k in range(len(t.tokens)) if (seed := _rule_seed(t, k))]


def _rule_seed(t: NameText, k: int) -> Seed | None:
    """The seed (first, last, cued) that tokens[k] starts by rule, if any."""
    tok, shape = t.tokens[k], t.shape(k)
    if context.intro_cue_before(t.work, tok.start) and _not_stop_word(tok.text):
        return k, k, True  # "меня зовут айбек": case does not matter
    cued = context.person_cue_before(t.work, tok.start)
    if cued and not tok.is_cap and t.uncommon(k):
        return k, k, True  # "мастер эркину", "бригадир султанбеков"
    if shape == "particle":  # "Нурлан уулу Эрлан"
        if 0 < k < len(t.tokens) - 1 and t.capitalised(k - 1) and t.capitalised(k + 1):
            return k - 1, k + 1, False
        return None
    if not t.capitalised(k):
        return _lower_case_name(t, k)
    if (cued or _before_honorific(t, k)) and (shape is not None or not common_word(tok.text)):
        return k, k, True  # not "Ответственный — Управление …"
    if shape in ("first", "patronymic") or (shape in _FAMILY and t.next_to_initial(k)):
        return k, k, False
    if shape == "surname" and tok.text.isascii() and _after_capitalised(t, k):
        return k - 1, k, False  # "Nurzhigit Alybaev": no NER for Latin script
    return None


def _lower_case_name(t: NameText, k: int) -> Seed | None:
    """ "ulan molodec", "— kanat": a listed given name in lower case before an honorific."""
    if _before_honorific(t, k) and t.uncommon(k):
        return k, k, True
    return None


def _not_stop_word(word: str) -> bool:
    return fold(word) not in not_names() and not context.is_role(word)


def _after_capitalised(t: NameText, k: int) -> bool:
    prev = k - 1
    return (
        prev >= 0
        and t.adjacent(prev, k)
        and t.capitalised(prev)
        and not t.tokens[prev].text.isupper()
    )


def _before_honorific(t: NameText, k: int) -> bool:
    nxt = k + 1
    return (
        nxt < len(t.tokens)
        and t.adjacent(k, nxt)
        and fold(t.tokens[nxt].text) in _HONORIFICS
        and not t.tokens[nxt].text[0].isupper()
    )


def _signature_seeds(t: NameText, contacts: Sequence[tuple[int, int]]) -> list[Seed]:
    """A capitalised word set off by a comma right before or after a phone or e-mail."""
    seeds = []
    for a, b in contacts:
        for k, tok in enumerate(t.tokens):
            if a < tok.end and tok.start < b:
                continue  # inside the contact itself
            gap = t.work[tok.end : a] if tok.end <= a else t.work[b : tok.start]
            if _SIGNATURE_GAP.fullmatch(gap) and t.capitalised(k):
                seeds.append((k, k, True))
    return seeds


def _hinted_seeds(t: NameText, hints: frozenset[str]) -> list[Seed]:
    """Words spelt like a word of an e-mail address ("n.ryskulova@…" and "Рыскулова Н.")."""
    if not hints:
        return []
    keys = {skeleton(h) for h in hints if len(h) >= 3 and not common_word(h)}
    return [
        (k, k, True)
        for k, tok in enumerate(t.tokens)
        if len(tok.text) >= 3 and skeleton(tok.text) in keys and _not_stop_word(tok.text)
    ]


# ---------------------------------------------------------------- growing


def _companion(t: NameText, k: int, latin_seed: bool, after: bool) -> bool:
    """tokens[k] may extend a neighbouring name (`after` it, or before it)."""
    tok = t.tokens[k]
    if k in t.places or (context.place_after(t.work, tok.end) and k not in t.ner_names):
        return False
    if context.is_place_word(tok.text):
        return False
    shape = t.shape(k)
    if shape == "particle":
        return True
    if not t.capitalised(k):
        return False
    if shape is not None or k in t.ner_names:
        return True
    if t.caseless and not tok.sent_start and not t.in_gazetteer(k):
        return True  # truecasing capitalised it as part of a name
    # Latin names: any capitalised word after a given name ("John Miller"), not before it.
    return after and latin_seed and tok.text.isascii() and len(tok.text) > 1


_MAX_NAME_WORDS = 6  # "Бакыт уулу Нурсултан", "Петрова-Асанбекова Л. К.": a name is short


def _grow(t: NameText, i: int, j: int) -> tuple[int, int]:
    latin = t.tokens[i].text.isascii()
    while (
        j + 1 < len(t.tokens)
        and j - i < _MAX_NAME_WORDS
        and t.adjacent(j, j + 1)
        and _companion(t, j + 1, latin, True)
    ):
        j += 1
    while (
        i > 0
        and j - i < _MAX_NAME_WORDS
        and t.adjacent(i - 1, i)
        and _companion(t, i - 1, latin, False)
    ):
        if context.place_before(t.work, t.tokens[i - 1].start):
            break
        i -= 1
    # A particle is a bridge, never an edge: "Бакыт кызы" alone is not a full name.
    while i < j and t.shape(i) == "particle":
        i += 1
    while j > i and t.shape(j) == "particle":
        j -= 1
    return i, j


# ---------------------------------------------------------------- re-pass


def _repass(t: NameText, accepted: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Find other case forms of accepted names elsewhere in the text."""
    covered = {k for i, j in accepted for k in range(i, j + 1)}
    words = [
        t.tokens[k].text
        for k in covered
        if t.shape(k) not in ("initial", "particle") and len(t.tokens[k].text) >= 3
    ]
    if not words:
        return []
    known = StemSet(words, bare_stems=True)
    found: list[tuple[int, int]] = []
    for k, tok in enumerate(t.tokens):
        if k in covered or tok.text not in known or not _not_stop_word(tok.text):
            continue
        if not (t.capitalised(k) or t.caseless or tok.text in first_names()):
            continue
        i, j = _grow(t, k, k)
        if not rejected(t, i, j, cued=False):
            found.append((i, j))
            covered.update(range(i, j + 1))
    return found
