"""Search tokens: one normaliser for the searched documents and for the queries.

A word becomes the set of its stems, and the same function runs on both sides, so a word
form in a query finds the other forms of the word in a text:

- Latin words: the Snowball English stemmer ("potholes" -> "pothol");
- Cyrillic words: the Snowball Russian stemmer ("яма", "ямы", "ямой" -> "ям") AND the
  Kyrgyz suffix rules below. Both stems are indexed and a query word matches either, so
  the language of a text need not be guessed (a Kyrgyz word without ң, ө, ү looks Russian).

Kyrgyz: no stemmer for Kyrgyz is packaged (Snowball has none; pymorphy2 is Russian and
Ukrainian only), so a small rule set strips the regular case, plural and possessive
endings of nouns (Kyrgyz is agglutinative and its endings follow vowel harmony, hence the
variants): repeatedly the longest known ending, while at least three letters remain.
"көчөлөрдө" (on the streets) -> "көчө", "таштандылар" -> "таштан" <- "таштанды".
Verb forms are not reduced. This is recall-oriented and deliberately small; a false
match costs a less relevant result, never a private text (only published text is read).

Changing these rules changes the tokens: re-index with ``portal search-reindex``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

#: A word: letters and digits (Unicode), at most this long.
WORD = re.compile(r"[^\W_]+")
MAX_WORD = 40
#: At most this many words of a query are searched.
MAX_QUERY_WORDS = 12

_CYRILLIC = re.compile(r"[а-яёңөү]")
_LATIN = re.compile(r"[a-z]")

# Kyrgyz noun endings (all harmony variants), longest first when matched.
_KY_GROUPS = {
    "plural": "лар лер лор лөр дар дер дор дөр тар тер тор төр",
    "genitive": "нын нин нун нүн дын дин дун дүн тын тин тун түн",
    "dative": "га ге го гө ка ке ко кө",
    "accusative": "ны ни ну нү ды ди ду дү ты ти ту тү",
    "locative": "да де до дө та те то тө",
    "attributive locative": "дагы деги догу дөгү тагы теги тогу төгү",
    "ablative": "дан ден дон дөн тан тен тон төн нан нен нон нөн",
    "possessive": "сы си су сү ым им ум үм ың иң уң үң",  # 3rd (vowel stem), 1st, 2nd
}
_KY_ENDINGS = [ending for group in _KY_GROUPS.values() for ending in group.split()]
_KY_BY_LENGTH = sorted(set(_KY_ENDINGS), key=len, reverse=True)
_KY_MIN_STEM = 3


@cache
def _stemmer(language: str):
    import snowballstemmer  # on first use: a web worker may never need it

    return snowballstemmer.stemmer(language)


def kyrgyz_stem(word: str) -> str:
    """``word`` without its Kyrgyz case, plural and possessive endings (see module doc)."""
    changed = True
    while changed:
        changed = False
        for ending in _KY_BY_LENGTH:
            if word.endswith(ending) and len(word) - len(ending) >= _KY_MIN_STEM:
                word = word[: -len(ending)]
                changed = True
                break
    return word


@lru_cache(maxsize=100_000)
def word_stems(word: str) -> tuple[str, ...]:
    """The search tokens of one lower-cased word (one or two)."""
    word = word.replace("ё", "е")[:MAX_WORD]
    if _CYRILLIC.search(word):
        stems = (_stemmer("russian").stemWord(word), kyrgyz_stem(word))
    elif _LATIN.search(word):
        stems = (_stemmer("english").stemWord(word),)
    else:
        stems = (word,)
    return tuple(dict.fromkeys(s for s in stems if s))


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def document_tokens(*texts: str | None) -> str:
    """The tokens of a document (the texts joined), space-separated, in text order."""
    return " ".join(
        stem for text in texts if text for word in words(text) for stem in word_stems(word)
    )


def query_terms(q: str) -> list[tuple[str, ...]]:
    """Per query word, the stems any one of which must occur (all words must match)."""
    terms = [word_stems(word) for word in words(q)[:MAX_QUERY_WORDS]]
    return [t for t in dict.fromkeys(terms) if t]
