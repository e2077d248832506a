"""natasha's Russian NER (Slovnet news model), loaded lazily once per process."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from natasha import NewsNERTagger, Segmenter

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one request = one thread; no BLAS pool


@functools.cache
def _models() -> tuple[Segmenter, NewsNERTagger]:
    from natasha import NewsEmbedding, NewsNERTagger, Segmenter

    return Segmenter(), NewsNERTagger(NewsEmbedding())


def load() -> None:
    """Load the models now (about 0.6 s) instead of on the first text."""
    _models()


def entities(text: str) -> list[tuple[int, int, str]]:
    """(start, end, type) of PER, LOC and ORG entities natasha finds in `text`."""
    from natasha import Doc

    segmenter, tagger = _models()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    return [(s.start, s.stop, s.type) for s in doc.spans]
