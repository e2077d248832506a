"""Every detector run over one normalised text, overlaps resolved.

Works on the folded copy of the text (`normalize.Normalized.folded`), so offsets are
offsets in the publishable text; `opendata.anonymize` maps them back to the original.
"""

from __future__ import annotations

from opendata.textscrub import emails, geo, numwords, phones, rules
from opendata.textscrub.lang import Languages, Sentence
from opendata.textscrub.names import find_persons
from opendata.textscrub.placeholders import placeholder_spans
from opendata.textscrub.spans import PiiSpan, merge_neighbours, resolve
from opendata.textscrub.translit import latin_view

Hit = tuple[int, int, str]


def find_spans(text: str, langs: Languages) -> list[PiiSpan]:
    """Personal data in the folded text `text`, as sorted non-overlapping spans."""
    if not text.strip():
        return []
    hits = pattern_hits(text)
    contacts = [(a, b) for a, b, kind in hits if kind in ("PHONE", "EMAIL")]
    persons = find_persons(text, langs, contacts=contacts, hints=emails.local_names(hits, text))
    hits += [(a, b, "PERSON") for a, b in persons]
    hits += _transliterated(text, langs)
    blocked = placeholder_spans(text)
    spans = [
        PiiSpan(a, b, kind, text[a:b])
        for a, b, kind in hits
        if b > a and all(b <= pa or a >= pb for pa, pb in blocked)
    ]
    return merge_neighbours(resolve(spans, text), text)


def pattern_hits(text: str) -> list[Hit]:
    """Hits of the pattern rules: contacts, numbers, documents, plates, addresses, points."""
    return [
        *rules.find_all(text),
        *phones.find_phones(text),
        *numwords.find_spoken_phones(text),
        *emails.find_obfuscated(text),
        *geo.find_points(text),
    ]


def _transliterated(text: str, langs: Languages) -> list[Hit]:
    """Names and addresses in Russian/Kyrgyz typed in Latin letters ("Ustaga Nurlanga").

    The Latin sentences are read through a Cyrillic transliteration, so the Cyrillic cue
    words, name lists and case endings apply; the hits are mapped back to `text`.
    """
    hits: list[Hit] = []
    for sentence in langs.transliterated:
        view = latin_view(text, sentence.start, sentence.end)
        whole = Sentence(0, len(view.text), sentence.lang, latin=False)
        cyr = Languages(sentence.lang, (sentence.lang,), (whole,))
        found = [(a, b, "PERSON") for a, b in find_persons(view.text, cyr, ner_on=False)]
        found += list(rules.find_address_units(view.text))
        hits += [(*view.to_source(a, b), kind) for a, b, kind in found]
    return hits
