"""Fixtures that change what the scrubber says, to test the publication gate's rules.

The gate calls ``opendata.anonymize.scrub`` through the module, so patching it there is
enough: ``doubtful_scrubber`` scrubs as usual and reports residual risk on chosen words;
``sure_scrubber`` scrubs as usual and reports none; ``broken_scrubber`` raises, as a bug
or a missing model would.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from opendata import anonymize
from opendata.anonymize import RiskSpan


@pytest.fixture
def doubtful_scrubber(monkeypatch) -> set[str]:
    """The real scrubber, plus a residual risk on every word added to the returned set."""
    words: set[str] = set()
    real = anonymize.scrub

    def scrub(text, lang=None):
        result = real(text, lang)
        doubts = [
            RiskSpan(match.start(), match.end(), "test_doubt", match.group())
            for word in words
            for match in re.finditer(re.escape(word), text)
        ]
        return dataclasses.replace(result, risks=[*result.risks, *doubts])

    monkeypatch.setattr(anonymize, "scrub", scrub)
    return words


@pytest.fixture
def sure_scrubber(monkeypatch) -> None:
    """The real scrubber's replacements, without any residual risk (a sure scrubber)."""
    real = anonymize.scrub
    monkeypatch.setattr(
        anonymize, "scrub", lambda text, lang=None: dataclasses.replace(real(text, lang), risks=[])
    )


class ScrubberBroke(RuntimeError):
    """What the broken scrubber raises."""


@pytest.fixture
def broken_scrubber(monkeypatch) -> list[str]:
    """A scrubber that raises on every text; returns the texts it was given."""
    seen: list[str] = []

    def scrub(text, lang=None):
        seen.append(text)
        raise ScrubberBroke("the NER model could not be loaded")

    monkeypatch.setattr(anonymize, "scrub", scrub)
    return seen
