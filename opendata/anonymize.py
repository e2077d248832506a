"""Anonymization of appeals before publication: text scrubbing and location masking.

`scrub_text` replaces personal data in an appeal with typed, digit-free placeholders:

    >>> scrub_text("Меня зовут Асанов Бакыт, тел. 0555 123 456, кв. 45")  # doctest: +SKIP
    'Меня зовут [ИМЯ], тел. [ТЕЛЕФОН], [АДРЕС]'

It is built on `find_pii`, which the moderation screen uses to highlight what will go.
Names come from natasha's NER plus cue words, name lists and a Bishkek/Osh gazetteer
(opendata/data/); texts typed all in lower case or capitals are truecased first (name list
plus the OpenCorpora dictionary that ships with pymorphy2). Numbers come from pattern rules
and the `phonenumbers` library. The NER model loads on the first call (about 0.6 s).
Nothing here imports Flask, SQLAlchemy or the portal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opendata.geomask import MaskedPoint, mask_point  # noqa: F401
from opendata.textscrub import morph, ner, phones, rules
from opendata.textscrub.lang import LANGS, detect_language
from opendata.textscrub.names import find_persons
from opendata.textscrub.placeholders import PLACEHOLDERS, placeholder_spans
from opendata.textscrub.spans import PII_TYPES, PiiSpan, merge_neighbours, resolve
from opendata.textscrub.truecase import case_mode, truecase

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
class RiskSpan:
    """Something in the original text the scrubber is not sure about (a moderator looks).

    ``reason`` is a short code, e.g. "name_cue", "digit_run", "at_like", "coordinate".
    """

    start: int
    end: int
    reason: str
    text: str


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

    ``lang`` is a hint only (the interface language); the text decides its language.
    """
    lang = _check_lang(lang) or detect_language(text or "")
    spans = find_pii(text, lang)
    out, pos = [], 0
    for span in spans:
        out += [text[pos : span.start], PLACEHOLDERS[lang][span.type]]
        pos = span.end
    return Scrubbed("".join(out) + text[pos:], spans, [], (lang,))


def find_pii(text: str, lang: str | None = None) -> list[PiiSpan]:
    """Personal data in `text`, as non-overlapping spans sorted by position.

    `lang` is "ru", "ky", "en" or None to detect it. Types: PERSON, PHONE, EMAIL,
    ID_NUMBER, ADDRESS_UNIT, CAR_PLATE, CARD. Placeholders already in the text are
    never reported, so scrubbing twice changes nothing.
    """
    if not text or not text.strip():
        return []
    lang = _check_lang(lang) or detect_language(text)
    hits = list(rules.find_all(text)) + list(phones.find_phones(text))
    contacts = [(a, b) for a, b, kind in hits if kind in ("PHONE", "EMAIL")]
    mode = case_mode(text)
    work = truecase(text, lang) if mode else text
    persons = find_persons(work, lang, caseless=mode is not None, contacts=contacts)
    hits += [(a, b, "PERSON") for a, b in persons]
    blocked = placeholder_spans(text)
    spans = [
        PiiSpan(a, b, kind, text[a:b])
        for a, b, kind in hits
        if b > a and all(b <= pa or a >= pb for pa, pb in blocked)
    ]
    return merge_neighbours(resolve(spans, text), text)


def scrub_text(text: str, lang: str | None = None) -> str:
    """`text` with every span of `find_pii` replaced by its typed placeholder.

    Placeholders contain no digits; streets, schools, routes, dates, amounts, appeal
    numbers, organisations and officials named in their role are kept.
    """
    return scrub(text, lang).text


def is_risky(text: str, lang: str | None = None) -> bool:
    """True when the text holds anything `find_pii` finds: do not auto-publish it."""
    return bool(find_pii(text, lang))


def warm_up() -> None:
    """Load the NER model and the dictionary now (about 0.8 s) rather than on the first text."""
    ner.load()
    morph.load()


def _check_lang(lang: str | None) -> str | None:
    if lang is not None and lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS} or None, not {lang!r}")
    return lang
