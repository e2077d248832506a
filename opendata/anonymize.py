"""Anonymization of appeals before publication: text scrubbing and location masking.

`scrub` replaces personal data in a text with typed, digit-free placeholders and says
what it replaced and what residual risk it could not rule out:

    >>> scrub("Меня зовут Асанов Бакыт, тел. 0555 123 456, кв. 45").text  # doctest: +SKIP
    'Меня зовут [ИМЯ], тел. [ТЕЛЕФОН], [АДРЕС]'

Steps: normalise (NFKC, invisible characters removed, look-alike letters folded —
`textscrub.normalize`); decide the languages from the text itself, per sentence
(`textscrub.lang`; the interface language is only a tie-breaker); run the detectors
(`textscrub.detect`: pattern rules, phones in digits and in words, obfuscated e-mails,
coordinates, names from natasha's NER plus cue words, name lists, gazetteers, Kyrgyz and
Russian case endings, truecasing, transliteration); then list the residual risks
(`textscrub.risks`). The NER model loads on the first call (about 0.6 s; `warm_up`).
Nothing here imports Flask, SQLAlchemy or the portal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opendata.geomask import MaskedPoint, mask_point  # noqa: F401
from opendata.textscrub import lexicon, morph, ner
from opendata.textscrub.detect import find_spans
from opendata.textscrub.lang import LANGS, detect_language, detect_languages
from opendata.textscrub.normalize import normalize
from opendata.textscrub.placeholders import PLACEHOLDERS
from opendata.textscrub.risks import RiskSpan, find_risks
from opendata.textscrub.spans import PII_TYPES, PiiSpan

__all__ = [
    "PII_TYPES",
    "PLACEHOLDERS",
    "MaskedPoint",
    "PiiSpan",
    "RiskSpan",
    "Scrubbed",
    "detect_language",
    "find_pii",
    "is_risky",
    "mask_point",
    "scrub",
    "scrub_text",
    "warm_up",
]
# PLACEHOLDERS[lang][pii_type] is the placeholder text, e.g. PLACEHOLDERS["ky"]["PERSON"].


@dataclass(frozen=True, slots=True)
class Scrubbed:
    """What the scrubber made of one text.

    ``text`` is the publishable text; ``spans`` are the personal data it replaced and
    ``risks`` what it left but could not rule out (offsets into the original text).
    A text with risks must not be published without a moderator.
    """

    text: str
    spans: list[PiiSpan] = field(default_factory=list)
    risks: list[RiskSpan] = field(default_factory=list)
    languages: tuple[str, ...] = ()

    @property
    def risky(self) -> bool:
        return bool(self.risks)


def scrub(text: str, lang: str | None = None) -> Scrubbed:
    """Scrub ``text`` and report what was replaced and what residual risk remains.

    ``lang`` is a hint only (the interface language): the text decides its languages,
    the hint breaks ties where the text gives no evidence. ``Scrubbed.text`` is always
    normalised (NFKC, no invisible characters), even when nothing was found.
    """
    hint = _check_lang(lang)
    if not text:
        return Scrubbed(text or "", languages=(hint or "ru",))
    norm = normalize(text)
    langs = detect_languages(norm.folded, hint)
    found = find_spans(norm.folded, langs)
    out, pos = [], 0
    for span in found:
        out += [norm.text[pos : span.start], PLACEHOLDERS[langs.primary][span.type]]
        pos = span.end
    spans = [_original(text, norm.to_original(s.start, s.end), s.type) for s in found]
    risks = [
        RiskSpan(a, b, reason, text[a:b])
        for start, end, reason in find_risks(norm, found, langs)
        for a, b in [norm.to_original(start, end)]
    ]
    return Scrubbed("".join(out) + norm.text[pos:], spans, risks, langs.present)


def _original(text: str, bounds: tuple[int, int], kind: str) -> PiiSpan:
    a, b = bounds
    return PiiSpan(a, b, kind, text[a:b])


def find_pii(text: str, lang: str | None = None) -> list[PiiSpan]:
    """Personal data in `text` as non-overlapping spans sorted by position.

    Offsets are into `text` as given (the moderation screen highlights them there).
    `lang` is a hint only. Types: see `PII_TYPES`. Our own placeholders already in the
    text are never reported, so scrubbing twice changes nothing.
    """
    return scrub(text, lang).spans


def scrub_text(text: str, lang: str | None = None) -> str:
    """The publishable text: `scrub(text, lang).text`.

    Placeholders contain no digits; streets, schools, routes, dates, amounts, appeal
    numbers, organisations and officials named in their role are kept.
    """
    return scrub(text, lang).text


def is_risky(text: str, lang: str | None = None) -> bool:
    """True when a moderator should look before the text is published: `scrub(...).risky`.

    A text is risky when the scrubber replaced personal data or reports residual risk.
    """
    result = scrub(text, lang)
    return bool(result.spans or result.risks)


def warm_up() -> None:
    """Load the NER model, the dictionary and the word lists now rather than on the first text."""
    ner.load()
    morph.load()
    lexicon.load()
    scrub("Иван Петров, 0555 123 456. Айбек (at) mail (dot) kg, 42.87461, 74.61225.")


def _check_lang(lang: str | None) -> str | None:
    if lang is not None and lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS} or None, not {lang!r}")
    return lang
