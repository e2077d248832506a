"""Private persons' names: NER hits, cue words and name lists, vetted by context.

Pipeline on the (truecased) working copy of a text:
1. seeds — natasha PER hits (Cyrillic texts), a word after a person cue ("сосед",
   "меня зовут", "my name is"), a known given name, a patronymic, "X уулу Y", a surname
   with initials;
2. each seed grows over neighbouring name-shaped words (surnames, patronymics, initials);
3. a seed is dropped when it is a place (street cue, gazetteer entry, «quoted» name,
   NER location) or a senior official named in role;
4. a re-pass removes other case forms of every accepted name ("Асанов" → "Асанову").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from opendata.textscrub import context, ner
from opendata.textscrub.lang import Languages
from opendata.textscrub.lexicon import (
    PARTICLES,
    StemSet,
    first_names,
    fold,
    gazetteer,
    not_names,
    short_surnames,
)
from opendata.textscrub.morph import proper_noun
from opendata.textscrub.tokens import Token, is_initial, tokenize
from opendata.textscrub.truecase import case_mode, truecase

_SURNAME_ENDINGS = (
    r"(?:а|у|ым|ой|ом|е|ы|ого|ому|ых|ыми|a|y|u)?"
    r"(?:га|ка|ге|ке|дын|нын|тын|дин|нин|ны|ну|ды|ду|да|та|ден|дан|тан|нан)?"
)
_SURNAME = re.compile(
    rf"[^\W\d_'’-]{{2,}}(?:ов|ев|ин|ын|енко|дзе|швили|ян|ov|ev|in|enko|yan|ian){_SURNAME_ENDINGS}"
)
# In Kyrgyz texts -ин/-ын are case endings ("мектептин", "жанында"), not surnames.
_SURNAME_KY = re.compile(rf"[^\W\d_'’-]{{2,}}(?:ов|ев|енко){_SURNAME_ENDINGS}")
_PATRONYMIC = re.compile(r"[^\W\d_]{2,}(?:ович|евич|овн|евн|ичн|ovich|evich|ovn|evn)\w{0,3}")
_FAMILY = ("surname", "patronymic")
# Kyrgyz honorifics follow a name: "Гүлсана эже", "Токтор ата".
_HONORIFICS = frozenset({"эже", "байке", "ата", "апа", "мырза", "айым", "агай"})


@dataclass
class _Text:
    """One text under analysis: tokens of the working copy and what we know of them."""

    work: str
    caseless: bool  # the original was all lower or all upper case
    langs: Languages
    tokens: list[Token] = field(default_factory=list)
    gazetteer: dict[int, int] = field(default_factory=dict)  # token -> first token of its entry
    ner_names: set[int] = field(default_factory=set)  # tokens inside NER PER hits
    places: set[int] = field(default_factory=set)  # tokens known to be places/organisations
    shapes: dict[int, str | None] = field(default_factory=dict)

    def gap(self, a: int, b: int) -> str:
        return self.work[self.tokens[a].end : self.tokens[b].start]

    def russian(self, k: int) -> bool:
        """tokens[k] stands in a Russian sentence (the dictionary can judge it)."""
        return self.langs.at(self.tokens[k].start) == "ru"


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
    words known to be names here (from e-mail addresses). Texts typed all in lower case
    or capitals are read through a truecased copy of the same length.
    """
    mode = case_mode(text)
    work = truecase(text, langs) if mode else text
    t = _Text(work, mode is not None, langs, tokenize(work))
    t.gazetteer = _gazetteer_cover(t.tokens)
    cyrillic = any(not tok.text.isascii() for tok in t.tokens)
    seeds = _ner_seeds(t) if ner_on and cyrillic else []
    seeds += _rule_seeds(t) + _signature_seeds(t, contacts)
    accepted: list[tuple[int, int]] = []
    for i, j, cued in seeds:
        i, j = _grow(t, i, j)
        if not _rejected(t, i, j, cued):
            accepted.append((i, j))
    accepted += _repass(t, accepted)
    return [_char_span(t, i, j) for i, j in accepted]


# ---------------------------------------------------------------- word shapes


def _shape(t: _Text, k: int) -> str | None:
    """What kind of name word tokens[k] is, if any (memoised per text)."""
    if k not in t.shapes:
        t.shapes[k] = _compute_shape(t, k)
    return t.shapes[k]


def _compute_shape(t: _Text, k: int) -> str | None:
    tok = t.tokens[k]
    word = tok.text
    if is_initial(tok, t.work):
        return "initial"
    if fold(word) in PARTICLES:
        return "particle"
    if fold(word) in not_names() or context.is_role(word):
        return None
    if word in first_names():
        return "first"
    if fold(word) in short_surnames():
        return "short"
    if _PATRONYMIC.fullmatch(fold(word)):
        return "patronymic"
    surname = _SURNAME if t.russian(k) or _latin(word) else _SURNAME_KY
    if len(word) >= 5 and surname.fullmatch(fold(word)):
        return "surname"
    return None


def _capitalised(t: _Text, k: int) -> bool:
    """Capitalised like a name: not a stop word, and not an acronym (ИНН, ЦУМ, КНУ)."""
    word = t.tokens[k].text
    if not word[0].isupper() or fold(word) in not_names() or context.is_role(word):
        return False
    shouted = len(word) > 1 and word.isupper() and not t.caseless
    return not shouted or (len(word) >= 4 and _shape(t, k) in ("first", "surname", "patronymic"))


def _uncommon(t: _Text, k: int) -> bool:
    """A lower-case word that may be a name: not a stop word nor a common Russian word."""
    word = t.tokens[k].text
    if len(word) < 3 or fold(word) in not_names() or context.is_role(word):
        return False
    return _shape(t, k) in ("first", "surname", "patronymic") or (
        t.russian(k) and not word.isascii() and proper_noun(word) is not False
    )


def _latin(word: str) -> bool:
    return word.isascii()


# ---------------------------------------------------------------- seeds


def _ner_seeds(t: _Text) -> list[tuple[int, int, bool]]:
    """natasha's PER hits, trimmed; its LOC/ORG hits mark places for the veto."""
    seeds = []
    for start, end, kind in ner.entities(t.work):
        idx = [k for k, tok in enumerate(t.tokens) if start <= tok.start and tok.end <= end]
        if kind != "PER":  # NER calls any word in capitals an ORG: ignore those
            t.places.update(k for k in idx if not t.tokens[k].text.isupper())
            continue
        idx = _trim(t, idx)
        t.ner_names.update(idx)
        if idx:
            seeds.append((idx[0], idx[-1], False))
    return seeds


def _trim(t: _Text, idx: list[int]) -> list[int]:
    """Cut words off a NER hit that cannot be part of a name ("Коңшум", "Бишкекводоканала")."""

    def bad(k: int, leading: bool) -> bool:
        tok = t.tokens[k]
        if not _capitalised(t, k) and _shape(t, k) != "particle":
            return True
        if context.is_place_word(tok.text):
            return True
        if _shape(t, k) is not None:
            return False
        if _in_gazetteer(t, k):
            return True
        # A sentence opener is a name only when a surname follows: "Жаңыл Сабырбекова".
        before_surname = leading and k + 1 in idx and _shape(t, k + 1) in _FAMILY
        return tok.sent_start and (leading or len(idx) == 1) and not before_surname

    if idx and _is_gazetteer_name(t, idx[0], idx[-1]):
        return []
    while idx and bad(idx[0], leading=True):
        idx = idx[1:]
    while idx and bad(idx[-1], leading=False):
        idx = idx[:-1]
    return idx


def _rule_seeds(t: _Text) -> list[tuple[int, int, bool]]:
    return [seed for k in range(len(t.tokens)) if (seed := _rule_seed(t, k))]


def _rule_seed(t: _Text, k: int) -> tuple[int, int, bool] | None:
    """The seed (first, last, cued) that tokens[k] starts by rule, if any."""
    tok, shape = t.tokens[k], _shape(t, k)
    if context.intro_cue_before(t.work, tok.start) and fold(tok.text) not in not_names():
        return k, k, True  # "меня зовут айбек": case does not matter
    cued = context.person_cue_before(t.work, tok.start)
    if cued and t.caseless and _uncommon(t, k):
        return k, k, True  # "бригадир султанбеков" in a lower-case text
    if shape == "particle":  # "Нурлан уулу Эрлан"
        if 0 < k < len(t.tokens) - 1 and _capitalised(t, k - 1) and _capitalised(t, k + 1):
            return k - 1, k + 1, False
        return None
    if not _capitalised(t, k):
        return None
    if cued or _before_honorific(t, k):
        return k, k, True
    if shape in ("first", "patronymic") or (shape == "surname" and _next_to_initial(t, k)):
        return k, k, False
    if shape == "surname" and _latin(tok.text) and _after_capitalised(t, k):
        return k - 1, k, False  # "Nurzhigit Alybaev": no NER for Latin script
    return None


def _after_capitalised(t: _Text, k: int) -> bool:
    prev = k - 1
    return (
        prev >= 0
        and _adjacent(t, prev, k)
        and _capitalised(t, prev)
        and not t.tokens[prev].text.isupper()
    )


def _before_honorific(t: _Text, k: int) -> bool:
    nxt = k + 1
    return (
        nxt < len(t.tokens)
        and _adjacent(t, k, nxt)
        and fold(t.tokens[nxt].text) in _HONORIFICS
        and not t.tokens[nxt].text[0].isupper()
    )


_SIGNATURE_GAP = re.compile(r"\s*[,—–-]\s*")


def _signature_seeds(t: _Text, contacts: Sequence[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """A capitalised word set off by a comma right before or after a phone or e-mail."""
    seeds = []
    for a, b in contacts:
        for k, tok in enumerate(t.tokens):
            if a < tok.end and tok.start < b:
                continue  # inside the contact itself
            gap = t.work[tok.end : a] if tok.end <= a else t.work[b : tok.start]
            if _SIGNATURE_GAP.fullmatch(gap) and _capitalised(t, k):
                seeds.append((k, k, True))
    return seeds


def _next_to_initial(t: _Text, k: int) -> bool:
    before = k > 0 and is_initial(t.tokens[k - 1], t.work) and _adjacent(t, k - 1, k)
    after = k + 1 < len(t.tokens) and is_initial(t.tokens[k + 1], t.work) and _adjacent(t, k, k + 1)
    return before or after


# ---------------------------------------------------------------- growing and vetting


def _adjacent(t: _Text, a: int, b: int) -> bool:
    gap = t.gap(a, b)
    return gap.strip() == "" or (is_initial(t.tokens[a], t.work) and gap.strip() == ".")


def _companion(t: _Text, k: int, latin_seed: bool) -> bool:
    """tokens[k] may extend a neighbouring name."""
    tok = t.tokens[k]
    if k in t.places or (context.place_after(t.work, tok.end) and k not in t.ner_names):
        return False
    shape = _shape(t, k)
    if shape == "particle":
        return True
    if not _capitalised(t, k):
        return False
    if shape is not None or k in t.ner_names:
        return True
    if t.caseless and not tok.sent_start and not _in_gazetteer(t, k):
        return True  # truecasing capitalised it as part of a name
    return latin_seed and _latin(tok.text) and len(tok.text) > 1


def _grow(t: _Text, i: int, j: int) -> tuple[int, int]:
    latin = _latin(t.tokens[i].text)
    while j + 1 < len(t.tokens) and _adjacent(t, j, j + 1) and _companion(t, j + 1, latin):
        j += 1
    while i > 0 and _adjacent(t, i - 1, i) and _companion(t, i - 1, latin):
        if context.place_before(t.work, t.tokens[i - 1].start):
            break
        i -= 1
    # A particle is a bridge, never an edge: "Бакыт кызы" alone is not a full name.
    while i < j and _shape(t, i) == "particle":
        i += 1
    while j > i and _shape(t, j) == "particle":
        j -= 1
    return i, j


def _rejected(t: _Text, i: int, j: int, cued: bool) -> bool:
    """The words tokens[i..j] are a place, an official, or no name at all."""
    span = range(i, j + 1)
    shapes = [_shape(t, k) for k in span]
    if all(s in ("initial", "particle") for s in shapes):
        return True
    if _quoted(t, i, j) or (not cued and any(k in t.places for k in span)):
        return True  # a cue word outweighs NER's LOC/ORG label
    first, last = t.tokens[i], t.tokens[j]
    if context.place_before(t.work, first.start) or context.place_after(t.work, last.end):
        return True
    if context.official_nearby(t.tokens, i, j, t.work):
        return True
    named = any(s in ("first", "surname", "patronymic") for s in shapes)
    if _is_gazetteer_name(t, i, j) and not (cued and named):
        return True
    if _latin(first.text) and context.preposition_before(t.work, first.start):
        return "first" not in shapes
    return not cued and i == j and _listed_with_place(t, i)


def _gazetteer_cover(tokens: list[Token]) -> dict[int, int]:
    """Map each token inside a gazetteer name to the first token of that name."""
    words = [tok.text for tok in tokens]
    cover: dict[int, int] = {}
    k = 0
    while k < len(words):
        n = gazetteer().match_at(words, k)
        cover.update({m: k for m in range(k, k + n)})
        k += max(n, 1)
    return cover


def _is_gazetteer_name(t: _Text, i: int, j: int) -> bool:
    """All words (initials aside) lie inside one gazetteer name: "Ч. Айтматова", "Жибек"."""
    ids = {t.gazetteer.get(k) for k in range(i, j + 1) if not is_initial(t.tokens[k], t.work)}
    return len(ids) == 1 and None not in ids


def _in_gazetteer(t: _Text, k: int) -> bool:
    return k in t.gazetteer


def _listed_with_place(t: _Text, k: int) -> bool:
    """ "между Боконбаева и Киевской": a word joined by "и" to a place is a place."""
    before = k > 0 and context.joined_by_conjunction(t.work, t.tokens[k - 1], t.tokens[k])
    after = k + 1 < len(t.tokens) and context.joined_by_conjunction(
        t.work, t.tokens[k], t.tokens[k + 1]
    )
    return (before and _is_place(t, k - 1)) or (after and _is_place(t, k + 1))


def _is_place(t: _Text, k: int) -> bool:
    tok = t.tokens[k]
    return (
        k in t.places
        or _in_gazetteer(t, k)
        or context.place_before(t.work, tok.start)
        or context.place_after(t.work, tok.end)
    )


def _quoted(t: _Text, i: int, j: int) -> bool:
    a, b = t.tokens[i].start, t.tokens[j].end
    return any(qa < a and b < qb for qa, qb in context.quoted_ranges(t.work))


# ---------------------------------------------------------------- re-pass


def _repass(t: _Text, accepted: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Find other case forms of accepted names elsewhere in the text."""
    covered = {k for i, j in accepted for k in range(i, j + 1)}
    words = [
        t.tokens[k].text
        for k in covered
        if _shape(t, k) not in ("initial", "particle") and len(t.tokens[k].text) >= 3
    ]
    if not words:
        return []
    known = StemSet(words, bare_stems=True)
    found: list[tuple[int, int]] = []
    for k, tok in enumerate(t.tokens):
        if k in covered or not (_capitalised(t, k) or t.caseless) or tok.text not in known:
            continue
        if fold(tok.text) in not_names():
            continue
        i, j = _grow(t, k, k)
        if not _rejected(t, i, j, cued=False):
            found.append((i, j))
            covered.update(range(i, j + 1))
    return found


def _char_span(t: _Text, i: int, j: int) -> tuple[int, int]:
    end = t.tokens[j].end
    if is_initial(t.tokens[j], t.work):
        end += 1  # keep the initial's dot with it
    return t.tokens[i].start, end
