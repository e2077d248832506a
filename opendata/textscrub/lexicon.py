"""Word lists shipped as data (opendata/data/*.txt) and the stem matching used on them.

Russian and Kyrgyz decline names ("Асанов" → "Асанову", "Айгүл" → "Айгүлгө"), so every
lookup folds the word (lower case, ё→е, ү→у, ө→о, ң→н) and accepts it when a known stem
is followed by one of a closed list of case endings.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

_FOLD = str.maketrans("ёүөңһ", "еуонх")

_RU_ENDINGS = (
    "а я у ю е и ы ь й о ой ей ом ем ём ою ею ым им ам ям ами ями ах ях "
    "ая яя ую юю ое ее ий ый ого его ому ему ых их ые ие ыми ими "
    "ский ская ское ского ской скому ском ские ских скую"
)
_KY_ENDINGS = (
    "га ге го гө ка ке ко кө ны ни ну нү ды ди ду дү ты ти ту тү "
    "нын нин нун нүн дын дин дун дүн тын тин тун түн да де до дө та те то тө "
    "дан ден дон дөн тан тен тон төн нан нен нон нөн ым им ум үм ын ин ун үн "
    "сы си су сү м н ү нда нде ндо ндө нан нен дагы деги догу дөгү"
)
# Folded case endings that may follow a stem ("" = the bare stem).
ENDINGS: frozenset[str] = frozenset(
    {""} | {e.translate(_FOLD) for e in (_RU_ENDINGS + " " + _KY_ENDINGS).split()}
)
# Endings stripped to build a stem from a dictionary form (nominative or genitive).
_STRIP = sorted(
    {e.translate(_FOLD) for e in _RU_ENDINGS.split() if len(e) <= 3}, key=len, reverse=True
)
_MAX_ENDING = max(map(len, ENDINGS))


def wordset(words: str) -> frozenset[str]:
    """A frozenset of the space-separated words (keeps long word lists readable)."""
    return frozenset(words.split())


# Patronymic particles are part of a name: "Нурлан уулу Эрлан", "Бакыт кызы Айпери".
PARTICLES = wordset("уулу кызы uulu kyzy оглы ogly угли кизи ugli")


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower-case and fold Kyrgyz-specific letters so spelling variants compare equal."""
    return word.lower().translate(_FOLD)


def stem(word: str, min_len: int = 4) -> str:
    """Strip one case ending off a folded word, keeping at least `min_len` letters."""
    w = fold(word)
    for ending in _STRIP:
        if w.endswith(ending) and len(w) - len(ending) >= min_len:
            return w[: -len(ending)]
    return w


@functools.lru_cache(maxsize=65536)
def stem_candidates(word: str) -> tuple[str, ...]:
    """The folded word and its prefixes that leave a known case ending behind."""
    w = fold(word)
    cuts = range(1, min(_MAX_ENDING, len(w) - 2) + 1)
    return (w, *(w[:-cut] for cut in cuts if w[-cut:] in ENDINGS))


def read_list(name: str) -> list[str]:
    """Non-empty, non-comment lines of opendata/data/<name>."""
    text = resources.files("opendata").joinpath("data", name).read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


# Endings that may follow a short (3-letter) name stem: "Анна" → "Анны", "Анне".
_SHORT_STEM_ENDINGS = wordset("а я у ю е и ы ой ей ом ем ою ею")


class StemSet:
    """A set of words matched in any case form: "Бакыт" also matches "Бакыту", "Бакытка".

    A stem cut from a listed name ("Мария" → "мари") does not match bare unless
    `bare_stems` (right for names seen in an oblique case: "Асанову" → "Асанов"), and a
    three-letter stem ("Инна" → "инн") only takes a Russian case ending, so "ИНН" and
    "калды" stay out.
    """

    def __init__(self, words: list[str], bare_stems: bool = False) -> None:
        self._full = {fold(w) for w in words}
        self._stems = {stem(w, min_len=3) for w in words} | self._full
        if bare_stems:
            self._full |= {s for s in self._stems if len(s) >= 4}

    def __contains__(self, word: str) -> bool:
        w = fold(word)
        if w in self._full:
            return True
        for c in stem_candidates(word)[1:]:
            if c in self._stems and (len(c) >= 4 or w[len(c) :] in _SHORT_STEM_ENDINGS):
                return True
        return False


@dataclass(frozen=True)
class Gazetteer:
    """Place and organisation names; multi-word entries are tuples of stems."""

    entries: frozenset[tuple[str, ...]]
    firsts: frozenset[str]
    max_len: int

    def match_at(self, words: list[str], i: int) -> int:
        """Length of the longest entry starting at words[i] (0 if none)."""
        if not self.firsts.intersection(stem_candidates(words[i])):
            return 0
        for n in range(min(self.max_len, len(words) - i), 0, -1):
            if self._matches(words[i : i + n]):
                return n
        return 0

    def _matches(self, words: list[str]) -> bool:
        options = [stem_candidates(w) for w in words]
        return any(combo in self.entries for combo in _combos(options))


def _combos(options: list[list[str]]) -> list[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for opts in options:
        combos = [c + (o,) for c in combos for o in opts]
    return combos


_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


@functools.cache
def gazetteer() -> Gazetteer:
    """Bishkek and Osh streets, districts, landmarks and organisations (loaded once)."""
    entries: set[tuple[str, ...]] = set()
    for name in ("gazetteer_bishkek.txt", "gazetteer_osh.txt"):
        for line in read_list(name):
            words = _WORD.findall(line)
            entries.add(tuple(stem(w, min_len=3) for w in words))
            entries.add(tuple(fold(w) for w in words))
    entries.discard(())
    firsts = frozenset(e[0] for e in entries)
    return Gazetteer(frozenset(entries), firsts, max(map(len, entries)))


class NameSet(StemSet):
    """A StemSet that also knows the Latin spellings of its words ("Chyngyz" for "Чынгыз")."""

    def __init__(self, words: list[str]) -> None:
        from opendata.textscrub.translit import skeleton  # translit needs `fold` from here

        super().__init__(words)
        self._skeleton = skeleton
        self._keys = {skeleton(w) for w in words}

    def __contains__(self, word: str) -> bool:
        if word.isascii() and self._skeleton(word) in self._keys:
            return True
        return super().__contains__(word)


@functools.cache
def first_names() -> NameSet:
    """Common given names (Kyrgyz, Russian, Uzbek, English…) in any case form or script."""
    return NameSet(read_list("names_first.txt"))


@functools.cache
def short_surnames() -> frozenset[str]:
    """Surnames without a telltale suffix (Ким, Ли, Пак…), folded."""
    return frozenset(fold(w) for w in read_list("surnames_short.txt"))


@functools.cache
def not_names() -> frozenset[str]:
    """Capitalised words that are never part of a person's name, folded."""
    return frozenset(fold(w) for w in read_list("not_names.txt"))


@functools.cache
def _common_words() -> tuple[frozenset[str], StemSet]:
    words = read_list("common_words.txt")
    latin = frozenset(w for w in words if w.isascii())
    return latin, StemSet([w for w in words if not w.isascii()])


def common_word(word: str) -> bool:
    """An everyday word of English, Kyrgyz (any case form) or Russian (the dictionary)."""
    latin, kyrgyz = _common_words()
    if word.isascii():
        return word.lower() in latin
    if word in kyrgyz:
        return True
    from opendata.textscrub.morph import proper_noun  # the dictionary loads lazily

    return proper_noun(word) is False


def load() -> None:
    """Read every word list now (the name list also builds its Latin spellings)."""
    first_names(), short_surnames(), not_names(), gazetteer(), _common_words()
