"""Residual risk: what the scrubber left in a text but could not rule out as personal data.

A text with risks goes to a moderator instead of being published automatically, with
the risky spans highlighted. Each risk has a short reason code:

- ``name_cue``: a word the scrubber kept right after a person cue ("мастер эркин",
  "звонил …", "my friend …") that is not a known ordinary word;
- ``name_word``: a known given name kept outside any place or organisation name;
- ``digit_run``: 5+ digits in a row (separators aside) that are not a date, a time, an
  amount, an appeal/decree number or a company's INN;
- ``at_like``: "@", "(at)", "собака" or a mail host left in the text;
- ``coordinate``: a coordinate pair kept (a public place, or an unusual format);
- ``mixed_script``: a word mixing Latin and Cyrillic letters (a look-alike evasion).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from opendata.textscrub import context, geo, phones
from opendata.textscrub.lang import Languages
from opendata.textscrub.lexicon import common_word, first_names, fold, gazetteer, not_names
from opendata.textscrub.morph import proper_noun
from opendata.textscrub.normalize import Normalized, mixed_script
from opendata.textscrub.placeholders import placeholder_spans
from opendata.textscrub.spans import PiiSpan
from opendata.textscrub.tokens import ABBREVIATIONS, Token, tokenize
from opendata.textscrub.translit import latin_view
from opendata.textscrub.truecase import case_mode

Risk = tuple[int, int, str]
_MASK = "\u2588"


@dataclass(frozen=True, slots=True)
class RiskSpan:
    """Something in the original text the scrubber is not sure about (a moderator looks).

    ``reason`` is a short code: "name_cue", "name_word", "digit_run", "at_like",
    "coordinate" or "mixed_script" (see `opendata.textscrub.risks`).
    """

    start: int
    end: int
    reason: str
    text: str


# Numbers that are safe to publish: dates, times, ranges of years, appeal and decree
# numbers, amounts of money, companies' INNs (they start with 0).
_SAFE_NUMBERS = re.compile(
    r"(?<!\d)\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}(?!\d)|(?<!\d)(?:19|20)\d{2}-\d{2}-\d{2}"
    r"|(?<!\d)\d{1,2}:\d{2}(?::\d{2})?|(?<!\d)(?:19|20)\d{2}\s*[-–—]\s*(?:19|20)?\d{2}(?!\d)"
    r"|(?i:[a-zа-я]{2,6}-(?:19|20)\d{2}-\d{3,8})|№\s*\d+-?[а-яa-z]{1,2}(?![\w])"
    r"|(?i:(?<![\d.,])(?<!\d\s)\d[\d\s.,]{0,12}\d\s*(?:сом\w*|som|kgs|руб\w*|тенге|тыйын\w*|usd|\$|доллар\w*|евро|eur"
    r"|тыс\w*|млн|миллион\w*|c\.)(?![\w]))"
    r"|(?<!\d)0\d{13}(?!\d)"
    # the number of a request, a receipt, a decree: "заявка №45871", "request #56231"
    r"|(?i:(?:заявк|обращени|квитанци|протокол|решени|постановлени|распоряжени|договор"
    r"|приказ|акт|кайрылуу|арыз|request|ticket|ref|reference|receipt|appeal|invoice)\w*"
    r"\s*(?:№|#|no\.?|n)?\s*\d[\d-]*)"
)
_DIGIT_CHUNK = re.compile(r"\d(?:[\s().-]?\d)*")
_AT_LIKE = re.compile(
    r"@|(?i:[(\[{<]\s*(?:at|dot|собака|точка)\s*[)\]}>]|(?<=[a-z0-9_] )собач?к[аиу]"
    r"|(?<![\w])собач?к[аиу](?=\s+[a-z])|(?<![\w])(?:gmail|yandex|mail\.ru|inbox|outlook|hotmail|yahoo|icloud"
    r"|protonmail)(?![\w]))"
)


def find_risks(norm: Normalized, found: list[PiiSpan], langs: Languages) -> list[Risk]:
    """Residual risks in the normalised text, outside the spans that were replaced."""
    masked = _mask(norm.folded, [(s.start, s.end) for s in found])
    masked = _mask(masked, placeholder_spans(masked))
    tokens = tokenize(masked)
    points = list(geo.coordinate_like(masked))
    desks = phones.desk_numbers(masked)
    risks = [
        *_digit_runs(_mask(masked, points + desks)),
        *((*m.span(), "at_like") for m in _AT_LIKE.finditer(masked)),
        *((a, b, "coordinate") for a, b in points),
        *_mixed_scripts(norm.text, masked),
        *_after_cues(masked, tokens, caseless=case_mode(norm.text) is not None),
        *_name_words(masked, tokens),
    ]
    return sorted(set(risks))


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = _MASK * (b - a)
    return "".join(chars)


def _digit_runs(masked: str) -> Iterator[Risk]:
    unsafe = _SAFE_NUMBERS.sub(lambda m: _MASK * len(m.group()), masked)
    for m in _DIGIT_CHUNK.finditer(unsafe):
        if sum(ch.isdigit() for ch in m.group()) >= 5:
            yield m.start(), m.end(), "digit_run"


def _mixed_scripts(text: str, masked: str) -> Iterator[Risk]:
    for m in re.finditer(r"[^\W\d_]+", text):
        if mixed_script(m.group()) and _MASK not in masked[m.start() : m.end()]:
            yield m.start(), m.end(), "mixed_script"


def _after_cues(masked: str, tokens: list[Token], caseless: bool) -> Iterator[Risk]:
    """An unknown word kept right after a person cue."""
    starts = {tok.start: tok for tok in tokens}
    for end in context.person_cue_ends(masked):
        tok = starts.get(end)
        if tok is None or len(tok.text) < 2 or (tok.text.isupper() and len(tok.text) < 5):
            continue  # an initial or an acronym ("ТСЖ")
        if tok.text.isascii() and not (tok.is_cap or caseless or tok.text in first_names()):
            continue  # English writes names with a capital: "driver demanded …"
        if not _ordinary(tok.text):
            yield tok.start, tok.end, "name_cue"


def _name_words(masked: str, tokens: list[Token]) -> Iterator[Risk]:
    """A known given name kept where no place or organisation explains it."""
    words = [tok.text for tok in tokens]
    in_places: set[int] = set()
    for k in range(len(words)):
        in_places.update(range(k, k + gazetteer().match_at(words, k)))
    for k, tok in enumerate(tokens):
        if len(tok.text) < 3 or k in in_places or tok.text not in first_names():
            continue
        if _ordinary(tok.text):
            continue
        if context.place_before(masked, tok.start) or _place_after(masked, tokens, k):
            continue
        if any(qa < tok.start < qb for qa, qb in context.quoted_ranges(masked)):
            continue
        yield tok.start, tok.end, "name_word"


def _place_after(masked: str, tokens: list[Token], k: int) -> bool:
    """A place word follows, maybe after one more word ("Aaly Tokombaev St")."""
    if context.place_after(masked, tokens[k].end):
        return True
    nxt = tokens[k + 1] if k + 1 < len(tokens) else None
    return (
        nxt is not None
        and masked[tokens[k].end : nxt.start].isspace()
        and nxt.is_cap
        and context.place_after(masked, nxt.end)
    )


def _ordinary(word: str) -> bool:
    """A word that is not a name: a stop word, an abbreviation, a common word of ru/ky/en."""
    folded = fold(word)
    if folded in not_names() or folded in ABBREVIATIONS or context.is_role(word):
        return True
    if context.is_org_word(word) or common_word(word):
        return True
    if word.isascii():  # Russian in Latin letters: "uchastka" is "участка"
        view = latin_view(word, 0, len(word)).text
        return proper_noun(view) is False
    return False
