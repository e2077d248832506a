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
    "detect_language",
    "find_pii",
    "is_risky",
    "mask_point",
    "scrub_text",
    "warm_up",
]
# PLACEHOLDERS[lang][pii_type] is the placeholder text, e.g. PLACEHOLDERS["ky"]["PERSON"].


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
    lang = _check_lang(lang) or detect_language(text or "")
    out, pos = [], 0
    for span in find_pii(text, lang):
        out += [text[pos : span.start], PLACEHOLDERS[lang][span.type]]
        pos = span.end
    return "".join(out) + text[pos:]


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
