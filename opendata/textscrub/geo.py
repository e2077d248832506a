"""Exact coordinates typed into a text (GEO_POINT): "мой дом 42.87461, 74.61225".

A coordinate pair would undo the location masking of the appeal, so it goes — unless the
words before it in the same sentence name a public place (a park, a bazaar, a stop) and
nothing private (my house, our flat). Decimal degrees with a dot or a comma and
degrees-minutes-seconds are recognised; latitude must be within ±90, longitude ±180.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Hit = tuple[int, int, str]

_LABEL = r"(?:(?<![\w])(?i:lat\w*|lon\w*|lng|широт\w*|долгот\w*|кеңдик\w*|узундук\w*)\s*[:=]?\s*)?"
_DECIMAL = re.compile(
    rf"(?<![\w.,]){_LABEL}(?:(?i:[NSСЮ])\s?)?(?P<lat>[-+]?\d{{1,2}}\.\d{{3,}})°?\s*[NSСЮ]?"
    rf"\s*[,;/]?\s*{_LABEL}(?:(?i:[EWВЗ])\s?)?(?P<lon>[-+]?\d{{1,3}}\.\d{{3,}})°?(?:\s*[EWВЗ](?![\w]))?(?!\d|\.\d)"
    rf"|(?<![\w.,]){_LABEL}(?P<lat2>[-+]?\d{{1,2}},\d{{3,}})°?"
    rf"\s*[;/ ]\s*{_LABEL}(?P<lon2>[-+]?\d{{1,3}},\d{{3,}})°?(?!\d|,\d)"
)
_DMS_ONE = (
    r"\d{1,3}\s*°\s*\d{1,2}\s*['′’]\s*(?:\d{1,2}(?:[.,]\d+)?\s*(?:\"|″|''|”)?)?\s*[NSEWСЮВЗ]?"
)
_DMS = re.compile(rf"(?<![\w.]){_DMS_ONE}\s*[,;/]?\s*{_DMS_ONE}")
_PUBLIC = re.compile(
    r"(?i:парк\w*|сквер\w*|рощ\w*|базар\w*|рын\w*|площад\w*|остановк\w*|вход\w*|аллея\w*"
    r"|школ\w*|мектеп\w*|аянт\w*|аялдама\w*|park|square|bazaar|market|stop|entrance"
    r"|school|playground|площадк\w*)"
)
_PRIVATE = re.compile(
    r"(?i:(?<![\w])(?:мой|моя|моё|мое|моего|моем|моём|мою|моей|мои|моих|наш\w*|дом\w*|квартир\w*|участ\w*|двор\w*|house|home|my"
    r"|our|flat|үй\w*|менин|биздин|короо\w*)(?![\w]))"
)
_SENTENCE = re.compile(r"[.!?\n](?=\s)")


def find_points(text: str) -> Iterator[Hit]:
    """Coordinate pairs of private places."""
    for m in _DECIMAL.finditer(text):
        lat = float((m.group("lat") or m.group("lat2")).replace(",", "."))
        lon = float((m.group("lon") or m.group("lon2")).replace(",", "."))
        if abs(lat) <= 90 and abs(lon) <= 180 and not public_place(text, m.start()):
            yield m.start(), m.end(), "GEO_POINT"
    for m in _DMS.finditer(text):
        if not public_place(text, m.start()):
            yield m.start(), m.end(), "GEO_POINT"


def public_place(text: str, start: int) -> bool:
    """The sentence before `start` names a public place and nothing private."""
    window = max(0, start - 200)
    cut = max((m.end() for m in _SENTENCE.finditer(text, window, start)), default=window)
    before = text[cut:start]
    return _PUBLIC.search(before) is not None and _PRIVATE.search(before) is None


def coordinate_like(text: str) -> Iterator[tuple[int, int]]:
    """Every coordinate-shaped pair, public or private (for the residual-risk report)."""
    for pattern in (_DECIMAL, _DMS):
        for m in pattern.finditer(text):
            yield m.span()
