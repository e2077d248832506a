"""Is a lower-case Russian word a proper noun? Asked of the OpenCorpora dictionary.

The dictionary ships with pymorphy2 (a natasha dependency). pymorphy2's MorphAnalyzer
does not start on Python 3.11, so we read its dictionary directly: a word is a proper
noun when every reading carries a name/surname/patronymic/place tag.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pymorphy2.opencorpora_dict.wrapper import Dictionary

_PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})


@functools.cache
def _dictionary() -> tuple[Dictionary, Any] | None:
    try:
        import pymorphy2_dicts_ru
        from pymorphy2.opencorpora_dict.wrapper import Dictionary
    except ImportError:  # no dictionary: truecasing falls back to the name list
        return None
    dictionary = Dictionary(pymorphy2_dicts_ru.get_path())
    return dictionary, dictionary.words.compile_replaces({"е": "ё"})


def load() -> None:
    """Load the dictionary now (about 0.2 s) instead of on the first caseless text."""
    _dictionary()


@functools.lru_cache(maxsize=65536)
def proper_noun(word: str) -> bool | None:
    """True for a proper noun, False for a common word, None when the word is unknown."""
    loaded = _dictionary()
    if loaded is None:
        return None
    dictionary, e_to_yo = loaded  # people write "е" for "ё": "подает" is "подаёт"
    found = dictionary.words.similar_items(word.lower(), e_to_yo)
    readings = [reading for _, values in found for reading in values]
    if not readings:
        return None
    return all(
        _PROPER & set(str(dictionary.build_tag_info(para, idx)).replace(" ", ",").split(","))
        for para, idx in readings
    )
