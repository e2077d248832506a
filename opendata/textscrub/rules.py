"""Pattern rules for e-mails, bank cards, ID numbers, car plates and house/flat numbers.

Each finder returns (start, end, type) triples. Patterns are case-insensitive so texts
typed in lower case or capitals are covered too; phones live in `phones.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from opendata.textscrub.lexicon import wordset

Hit = tuple[int, int, str]

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # lookbehind: linear time


def find_emails(text: str) -> Iterator[Hit]:
    """E-mail addresses."""
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "EMAIL"


# ---------------------------------------------------------------- bank cards and IDs

_DIGIT_RUN = re.compile(r"(?<![\w+.])\d(?:[ ./-]?\d){12,18}(?![\w]|[./-]\d)")
_CARD_CUE = re.compile(r"(?i:карт\w*|card|visa|mastercard|элкарт|elcart)\W{0,20}$")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def find_cards(text: str) -> Iterator[Hit]:
    """Card numbers: 13–19 digits, Luhn-valid, grouped in fours, or named as a card."""
    for m in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        grouped = re.fullmatch(r"\d{4}([ ./-])\d{4}(?:\1\d{4}){2}(?:\1\d{1,3})?", m.group())
        pin_like = len(digits) == 14 and digits[0] in "12" and m.group().isdigit()
        cued = _CARD_CUE.search(text[max(0, m.start() - 40) : m.start()]) is not None
        if not pin_like and (_luhn(digits) or grouped is not None or cued):
            yield m.start(), m.end(), "CARD"


_ID_PATTERNS = [
    # 14-digit personal number (ПИН/ИНН) of a citizen: starts with 1 or 2 (sex digit).
    re.compile(r"(?<![\d\w])[12]\d{13}(?![\d\w])"),
    re.compile(
        r"(?i:\b(?:ИНН|ПИН|PIN|INN|TIN)\b|персональн\w*\s+номер\w*|жеке\s+номер\w*)"
        r"\W{0,5}(\d[\d -]{8,18}\d)"
    ),
    # Passport / ID card: ID1234567, AN 1234567, AC1234567 (Latin or Cyrillic letters).
    re.compile(r"(?<![\w])(?i:ID|AN|AC|AA|AB|AD|АН|АС|АА|КР)\s?№?\s?\d(?:[\s-]?\d){6}(?![\d\w])"),
    re.compile(
        r"(?i:паспорт\w*|passport|удостоверени\w*|id[- ]?карт\w*|id\s+card)"
        r"\W{0,4}(?:(?i:серия|series|номер|number|no\.?|№)\W{0,3})*"
        r"([A-ZА-Я]{0,2}\s?\d(?:[\s-]?\d){5,8})(?![\d\w])",
        re.IGNORECASE,
    ),
    # Utility personal account: лицевой счёт / л/с / жеке эсеп / account no. + digits.
    re.compile(
        r"(?i:лицев\w*\s+сч[её]т\w*|(?<![\w])л/сч?|(?<![\w])л\.\s?с\.|жеке\s+эсеп\w*"
        r"|эсеп\s+номер\w*|абонентск\w*\s+(?:номер\w*|сч[её]т\w*)|код\s+плательщика"
        r"|(?:personal\s+|utility\s+)?account(?:\s+(?:no\.?|number|#))?)"
        r"\W{0,5}(?:(?i:№|no\.?|#|n)\W{0,3})?(\d(?:[\d -]{2,18}\d)?)(?![\d\w])"
    ),
]


def find_id_numbers(text: str) -> Iterator[Hit]:
    """PIN/ИНН, passport and ID card numbers, personal account numbers."""
    for pattern in _ID_PATTERNS:
        for m in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            digits = re.sub(r"\D", "", m.group(group))
            if len(digits) >= 4 and not (len(digits) == 14 and digits[0] == "0"):
                yield m.start(group), m.end(group), "ID_NUMBER"  # 0… is a company's INN


# ---------------------------------------------------------------- car plates

_PLATE_LETTER = "A-Za-zАВЕКМНОРСТУХавекмнорстух"
_PLATE_PATTERNS = [
    # Current format: 01 KG 123 ABC / 01KG123ABC / 01 123 ABC.
    re.compile(
        rf"(?<![\w])\d{{2}}\s?(?:(?i:[KК][GГ])\s?)?\d{{3}}\s?([{_PLATE_LETTER}]{{3}})(?![\w])"
    ),
    # Older format: B 1234 AB (Latin letters only; "a"/"i" are English words, not regions).
    re.compile(r"(?<![\w])[B-HJ-Zb-hj-z]\s?\d{4}\s?([A-Za-z]{2})(?![\w])"),
]
# Words that follow a number but are not plate letters: currencies, units, English words.
_NOT_PLATE = wordset(
    "сом сум тыс руб млн как нас вас все кто что тех мне нам som sum kgs usd eur rub kzt "
    "and the are was for but not ago am pm at by in on of to or is it km kg as an be do go "
    "he if me my no so up us we"
)


def find_car_plates(text: str) -> Iterator[Hit]:
    """Kyrgyz car plates in the current and the older format."""
    for old, pattern in enumerate(_PLATE_PATTERNS):
        for m in pattern.finditer(text):
            # "B 7715 AT": an old-format plate typed in capitals is a plate, not "at".
            shouted = bool(old) and m.group().isupper()
            if shouted or m.group(1).lower() not in _NOT_PLATE:
                yield m.start(), m.end(), "CAR_PLATE"


# ---------------------------------------------------------------- house and flat numbers

_NUM = r"\d+(?:[а-яa-zА-ЯA-Z](?![\w]))?(?:\s?/\s?\d+(?:[а-яa-zА-ЯA-Z](?![\w]))?)?"
_MORE = r"(?:\s*(?:,|(?i:и|and)|&)\s*\d{1,4}(?:[а-яa-z](?![\w]))?(?![\d\w])(?!\s*[\d(-]))*"
# Counts and times after a number mean it is not a house number: "дома 2 дня", "ул. Ленина 5 мая".
_NOT_UNIT = (
    r"(?!(?i:\s*-?\s*(?:(?:дн[яе]\w*|день|недел\w*|месяц\w*|год\w*|лет|час\w{0,2}|мин\w*|раз|раза"
    r"|сом\w*|этаж\w*|человек\w*|чел|январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяе]|июн\w*"
    r"|июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*|days?|weeks?|months?|years?"
    r"|hours?|min\w*|times?|som|floors?|stor\w*|jan\w*|feb\w*|mar\w*|apr\w*|may|june?"
    r"|july?|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*|am|pm|жыл\w*|күн\w*|ай|саат\w*|жума\w*"
    r"|мүнөт\w*|киши|кабат\w*|м²|m²|м2|кв\.?\s?м\w*|m2|sq\w*|градус\w*|см|мм|метр\w*|км|km|кг|шт\w*"
    r"|штук\w*|м)(?![\w])|[%°²]|[:.,]\d)))"
)
_UNIT_BEFORE = (
    r"(?<![\w])(?i:кв-ра|кв\.?|квартир(?:а|ы|е|у|ой)?|д\.|дом(?:а|е|у|ом)?|корп\.?|корпус\w*"
    r"|подъезд\w*|под\.|комнат(?:а|ы|е|у)?|комн\.|блок(?:а|е)?|[үу]й(?:[үу]|д[өо]|д[үу]н)?|батир\w*"
    r"|apt\.?|apartment|flat|unit|room|building|bldg\.?|house|block|entrance)"
)
_STREET = (
    r"(?<![\w])(?i:ул\.?|улиц(?:а|ы|е|у|ей)|пр\.|пр-т\.?|проспект(?:а|е|у|ом)?|пер\.|переул\w*"
    r"|бульвар(?:а|е|у|ом)?|б-р\.?)(?:(?<=\.)|(?![\w]))"
)
_STREET_NAME = r"[^\W\d_][\w'’-]*(?:\s+[А-ЯA-ZЁҮӨҢ][\w'’-]*)?"
_EN_WORD = r"(?!(?i:on|at|in|to|near|along|from|via|the|and|of|by|for)\b)[^\W\d_][\w'’-]*"
_EN_STREET = r"(?i:street|st\.?|avenue|ave\.?|road|rd\.?|lane|boulevard|blvd\.?|prospekt|prospect)"
_ADDRESS_PATTERNS = [
    # кв. 45, дом 23, д. 5, подъезд 2, apt 4, house No. 23, кв. 5, 6, 9
    re.compile(rf"{_UNIT_BEFORE}\s*(?i:№|no\.?|#|n|is|:)?\s*{_NUM}{_MORE}(?![\w]){_NOT_UNIT}"),
    # 12 квартиры, 15-үй, 42-батир, 3-подъезд
    re.compile(
        rf"(?<![\w/-]){_NUM}(?:(?:-?(?:й|я|ой|ом|ей))?"
        rf"\s*(?i:квартир(?:а|ы|е|у|ой)|подъезд\w*|корпус\w*)"
        rf"|\s*-\s*(?i:[үу]й\w*|батир\w*|квартир\w*|подъезд\w*))(?![\w])"
    ),
    # ул. Киевская 120 / ул. Салиева, 15 / Ахунбаев көчөсү, 12: the house number
    re.compile(rf"{_STREET}\s*{_STREET_NAME},?\s+({_NUM})(?![\w]){_NOT_UNIT}"),
    re.compile(rf"(?<![^\W\d_])[^\W\d_]+\s+(?i:к[өо]ч[өо]с[үу]),?\s+({_NUM})(?![\w-]){_NOT_UNIT}"),
    # "на Жукеева-Пудовкина 77", "по Московской 12": a capitalised street and a number
    re.compile(
        rf"(?<![\w])(?i:на|по)\s+[А-ЯЁҮӨҢ][а-яёүөң][\w'’-]*,?\s+({_NUM})(?![\w-]){_NOT_UNIT}"
    ),
    # "Киевская 120, кв. 45": the house number just before a flat number
    re.compile(rf"(?<![\w/-])({_NUM}),?\s*(?=(?i:кв\.?|квартира|apt\.?|apartment|flat)\s*№?\s*\d)"),
    # 14 Orozbekova Street / 7 Gorky St.
    re.compile(
        rf"(?<![\w/.:-])(\d+[a-z]?)\s+(?={_EN_WORD}(?:\s+{_EN_WORD})?\s+{_EN_STREET}(?![\w]))"
    ),
    # Moskovskaya St 189
    re.compile(
        rf"(?<![\w'’-])[A-Z][\w'’-]+\s+{_EN_STREET}\s+(\d+[a-zA-Z]?)(?![\w/.:-]){_NOT_UNIT}"
    ),
]
# "15/2-47": house 15, building 2, flat 47.
_HOUSE_FLAT = re.compile(r"(?<![\w/.-])\d{1,3}[а-яa-z]?/\d{1,3}[а-яa-z]?-\d{1,4}(?![\w/-])")
# A public building's address stays: "ЦСМ №3 по ул. Рыскулова, 2", "AUCA (7/6 … St)".
_PUBLIC_BUILDING = re.compile(
    r"(?i:(?<![\w])(?:цсм|фап|гсв|больниц\w*|поликлиник\w*|клиник\w*|школ\w*|гимнази\w*"
    r"|лице[йя]\w*|детск\w+\s+сад\w*|садик\w*|университет\w*|институт\w*|колледж\w*|мэри\w*"
    r"|администраци\w*|офис\w*|каб\.|кабинет\w*|управлени\w*|отдел\w*|центр\w*|тц|трц|рын\w*"
    r"|базар\w*|банк\w*|почт\w*|мектеп\w*|оорукана\w*|school|university|hospital|clinic"
    r"|cent(?:er|re)|office|mall|bank|academy|college)(?![\w]))|[A-ZА-Я]{3,}\s*\($"
)
_PRIVATE_HOME = re.compile(
    r"(?i:(?<![\w])(?:мой|моя|моего|мою|моей|наш\w*|живу|жив[её]м|проживаю|my|our|i\s+live"
    r"|we\s+live|home|квартир\w*|жашайм|жашайбыз|менин|биздин)(?![\w]))"
)
_SENTENCE_START = re.compile(r"[!?\n]|\.(?=\s+[A-ZА-ЯЁ])")
# Patterns whose number follows a street name (a public building may own it).
_AFTER_STREET = frozenset({2, 3, 4, 6, 7})


def find_address_units(text: str) -> Iterator[Hit]:
    """House, building, entrance and flat numbers of a home."""
    for index, pattern in enumerate(_ADDRESS_PATTERNS):
        for m in pattern.finditer(text):
            if index in _AFTER_STREET and public_building_before(text, m.start()):
                continue
            group = 1 if pattern.groups else 0
            yield m.start(group), m.end(group), "ADDRESS_UNIT"
    for m in _HOUSE_FLAT.finditer(text):
        yield m.start(), m.end(), "ADDRESS_UNIT"


def public_building_before(text: str, start: int) -> bool:
    """The words before `start` (same sentence) name a public building, not a home."""
    window = max(0, start - 60)
    cut = max((m.end() for m in _SENTENCE_START.finditer(text, window, start)), default=window)
    before = text[cut:start]
    return _PUBLIC_BUILDING.search(before) is not None and not _PRIVATE_HOME.search(before)


def find_all(text: str) -> list[Hit]:
    """Every pattern hit (phones excluded), overlaps not yet resolved."""
    finders = (find_emails, find_cards, find_id_numbers, find_car_plates, find_address_units)
    return [hit for finder in finders for hit in finder(text)]
