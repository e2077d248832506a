"""E-mail addresses written to get past filters, and the names inside e-mail addresses.

"aibek.t (at) mail (dot) kg", "aizada [at] mail [dot] ru", "dilnoza собака gmail точка
com", "kanat.design at gmail dot com", "name @ mail . ru". A bracketed "(at)" or "@" is
enough; the bare words "at"/"dot"/"собака"/"точка" need a known mail host or top-level
domain, so "meet at the park" stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from opendata.textscrub.lexicon import wordset

Hit = tuple[int, int, str]

_AT_WORDS = r"at|собака|собачка|собачку|эт"
_DOT_WORDS = r"dot|точка|точку|дот"
_BRACKETED_AT = rf"[(\[{{<]\s*(?:{_AT_WORDS})\s*[)\]}}>]"
_BRACKETED_DOT = rf"[(\[{{<]\s*(?:{_DOT_WORDS})\s*[)\]}}>]"
_OBFUSCATED = re.compile(
    r"(?i:(?<![\w.+-])(?P<local>[a-z0-9][\w.+-]*[a-z0-9_]|[a-z0-9])"
    rf"(?P<at>\s*@\s*|\s*{_BRACKETED_AT}\s*|\s+(?:{_AT_WORDS})\s+|[-_](?:at)[-_])"
    r"(?P<domain>[a-z0-9]\w*)"
    rf"(?P<rest>(?:(?:\s*\.\s*|\s*{_BRACKETED_DOT}\s*|\s+(?:{_DOT_WORDS})\s+|[-_]dot[-_])"
    r"[a-z0-9][\w]*)+))"
)
_HOSTS = wordset(
    "gmail mail yandex ya inbox bk list rambler outlook hotmail yahoo icloud me protonmail "
    "proton aol gmx mailru tutanota zoho live msn yopmail elcat ktnet saimanet megaline"
)
_TLDS = wordset(
    "com ru kg kz uz tj net org info io me edu gov biz co uk de us tr cn su рф online site "
    "pro app dev"
)


def find_obfuscated(text: str) -> Iterator[Hit]:
    """E-mail addresses with "@" spelt out, bracketed or spaced."""
    pos = 0
    while (m := _OBFUSCATED.search(text, pos)) is not None:
        if _plausible(m):
            yield m.start(), m.end(), "EMAIL"
            pos = m.end()
        else:  # "me at lukas.schneider (at) …": try again from the next word
            pos = m.start() + 1


def _plausible(m: re.Match[str]) -> bool:
    """A bracketed or "@" separator, or a known mail host or top-level domain."""
    at = m.group("at")
    if "@" in at or re.search(r"[(\[{<]", at):
        return True
    parts = re.split(r"[^\w]+|(?i:\b(?:dot|точка|точку|дот)\b)|[-_]dot[-_]", m.group("rest"))
    last = next((p for p in reversed(parts) if p), "").lower()
    return last in _TLDS or m.group("domain").lower() in _HOSTS


def local_names(hits: list[Hit], text: str) -> frozenset[str]:
    """Words of 3+ letters in the local parts of e-mails: "n.ryskulova" → {"ryskulova"}."""
    words: set[str] = set()
    for a, b, kind in hits:
        if kind == "EMAIL":
            local = re.split(r"@|\s|[(\[{<]", text[a:b], maxsplit=1)[0]
            words.update(w for w in re.split(r"[\W\d_]+", local) if len(w) >= 3)
    return frozenset(words)
