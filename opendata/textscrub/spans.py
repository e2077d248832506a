"""The PiiSpan record, overlap resolution and merging of neighbouring spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

PII_TYPES = (
    "EMAIL",
    "CARD",
    "ID_NUMBER",
    "PHONE",
    "GEO_POINT",
    "CAR_PLATE",
    "ADDRESS_UNIT",
    "PERSON",
)
# When detections of two types overlap, the more specific (earlier) type wins.
_PRIORITY = {t: i for i, t in enumerate(PII_TYPES)}
# What may sit between two spans of the same type that should become one placeholder.
_JOINERS = {
    "PERSON": re.compile(r"\s*"),
    "ADDRESS_UNIT": re.compile(r"[\s,;]*(?:(?i:и|and|&)\s*)?"),
}


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A piece of personal data: text[start:end] of the given type."""

    start: int
    end: int
    type: str
    text: str


def resolve(spans: list[PiiSpan], text: str) -> list[PiiSpan]:
    """Union overlapping spans of one type, then let the higher-priority type win overlaps."""
    kept: list[PiiSpan] = []
    for span in sorted(_union_by_type(spans, text), key=lambda s: (_PRIORITY[s.type], s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def _union_by_type(spans: list[PiiSpan], text: str) -> list[PiiSpan]:
    out: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.type, s.start)):
        prev = out[-1] if out else None
        if prev is not None and prev.type == span.type and span.start < prev.end:
            end = max(prev.end, span.end)
            out[-1] = PiiSpan(prev.start, end, span.type, text[prev.start : end])
        else:
            out.append(span)
    return out


def merge_neighbours(spans: list[PiiSpan], text: str) -> list[PiiSpan]:
    """Join same-type neighbours ("дом 23" + "кв. 14") so they get one placeholder."""
    merged: list[PiiSpan] = []
    for span in spans:
        prev = merged[-1] if merged else None
        joiner = _JOINERS.get(span.type)
        if (
            prev is not None
            and prev.type == span.type
            and joiner is not None
            and joiner.fullmatch(text[prev.end : span.start])
        ):
            merged[-1] = PiiSpan(prev.start, span.end, span.type, text[prev.start : span.end])
        else:
            merged.append(span)
    return merged
