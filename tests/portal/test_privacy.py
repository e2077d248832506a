"""The privacy test: personal data planted everywhere a user can put it never comes out.

Sentinel personal data — names, phones, e-mails, ID numbers, flat numbers and the home's
coordinates typed into the text — goes in three forms: plain, with invisible characters
(U+200B, U+00AD) inside, and with Latin look-alike letters inside Cyrillic words. It is
planted in every input channel of an appeal — the citizen's text, contact fields and
address, photo metadata (EXIF with GPS, XMP, the JPEG comment, PNG text chunks), video
metadata (a MOV's ©xyz GPS location atom, artist and comment, of the appeal's and the
answer's videos, all published by a moderator — the waiting appeal's too), the
staff answer, the rating comment, the reroute and the extension reasons and the reason of
a proposal's outcome — through the real use cases, for a proposal submitted through each
interface language (ru, ky, en), which goes publish → answer → rate → reopen → reroute →
extend → declined. A news item's editor (name and e-mail private) publishes one item
with a phone photo (EXIF GPS, author). The rejection note has no free text (its only
input, the original's number, is validated), so nothing can be planted in it.
Each sentinel person also follows e-mail alerts (a category, a box and an area drawn on
the map, whose corners are sentinels too; one appeal) with their address, and says "this
affects me too" with their address on two appeals (one support confirmed by its mailed
link, one left waiting); a city app (an API client whose private contact is a sentinel
person) sends the main appeals, and every webhook delivery of their events is checked. Texts the publication gate holds are handled by a diligent
moderator: the scrubber's proposal, with what it highlighted as doubtful struck out.

Then every public GET route of the application is *discovered* from ``app.url_map`` (so
a feature added later is covered without editing this file), fetched with query variants,
and every same-site link found in the answers (pages, JSON, data packages, dataset
downloads, snapshots) is followed. No response may contain a sentinel — compared with
the evasion folded on both sides (NFKC, invisible characters removed, Latin look-alikes
mapped to Cyrillic, casefold) — the exact coordinates, a staff member's name, or a photo
with EXIF; no public request may run SQL that reads a private table or column. The
citizen's own tracking pages (capability links) may show the citizen's data, but no staff
name or internal note.

A route whose URL arguments this test cannot fill and that no public page links to makes
the test fail: add a sample value to ``ARGUMENT_SAMPLES`` (or link the route from a page).
"""

from __future__ import annotations

import gzip
import html
import io
import itertools
import json
import re
import unicodedata
import zipfile
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urljoin, urlsplit

from PIL import Image, PngImagePlugin
from sqlalchemy import event, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from portal.alerts import services as alerts
from portal.alerts.schemas import SubscriptionSchema
from portal.extensions import db
from portal.integrations import services as integrations
from portal.models import Appeal, HeldText, Photo, Service, Video, VideoState
from portal.schemas.appeal import AppealSubmissionSchema
from portal.schemas.rating import RatingSchema
from portal.services import staff_actions
from portal.services.moderation import approve_text, publish_appeal, reject_appeal
from portal.services.moderation_cases import held_case, moderation_case
from portal.services.news import publish_news
from portal.services.publication import Screening
from portal.services.rating import rate_answer, reopen_appeal
from portal.services.submission import Origin, submit_appeal
from portal.services.support import confirm_support, request_support
from portal.services.videos import publish_video
from portal.support_requests import SupportRequest
from tests.video_samples import make_video

HOST = "portal.test"
LANGUAGES = ("ru", "ky", "en")

# --- Folding: how the evasions are undone before comparing -----------------------------------

#: Cyrillic letters and the Latin letters that look the same.
LOOKALIKES = ("аеорсхукАВЕКМНОРСТХ", "aeopcxykABEKMHOPCTX")
TO_LATIN = str.maketrans(LOOKALIKES[0], LOOKALIKES[1])
TO_CYRILLIC = str.maketrans(LOOKALIKES[1], LOOKALIKES[0])
ZWSP, SHY = "\u200b", "\u00ad"


def fold(text: str) -> str:
    """NFKC, invisible format characters removed, Latin look-alikes made Cyrillic, casefold."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.translate(TO_CYRILLIC).casefold()


def lookalike(text: str) -> str:
    """``text`` with every Cyrillic letter that has a Latin twin replaced by the twin."""
    return text.translate(TO_LATIN)


# --- The sentinels -------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One citizen's personal data, as typed (``evasion``: plain, invisible, lookalike)."""

    evasion: str
    first: str
    last: str
    latin: str  # the name transliterated, as typed through the English interface
    phone: str
    email: str
    pin: str  # personal identification number (ПИН/ИНН, 14 digits)
    flat: str
    home: tuple[str, str]  # coordinates of the home, typed into the text

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


PEOPLE = (
    Person("plain", "Зарылбек", "Сентинелов", "Zarylbek Sentinelov", "+996 555 987 654",
           "sentinel.person@example.kg", "22505199012345", "987", ("42.83917", "74.54862")),
    Person("invisible", "Нурсул" + ZWSP + "тан", "Невиди" + SHY + "мов", "Nursul" + ZWSP + "tan Nevidimov",
           "+996 777" + ZWSP + " 414 " + SHY + "233", "nevidi" + ZWSP + "mov.nur@example.kg",
           "1120319" + ZWSP + "8765432", "4" + SHY + "15", ("42.841" + ZWSP + "23", "74.552" + SHY + "17")),
    Person("lookalike", lookalike("Айгерим"), lookalike("Двойникова"), "Aigerim Dvoinikova",
           "+996 700 246 813", "dvoinikova.a@example.kg", "30101198811223", "362",
           ("42.85531", "74.53368")),
)  # fmt: skip
#: The flat abbreviation, plain and with a Latin look-alike letter.
FLAT_WORDS = {"plain": "кв.", "invisible": "кв.", "lookalike": lookalike("кв.")}
MODERATOR_NAME = "Айпери Модераторова"
SERVICE_STAFF_NAME = "Бакыт Служебников"
#: Exact points (6 decimals) of the appeals; their 5-decimal forms must never appear.
POINTS = {
    "main_ru": (42.876543, 74.598765),
    "main_ky": (42.878765, 74.602345),
    "main_en": (42.874567, 74.606789),
    "home": (42.871234, 74.601234),
    "sensitive": (42.865432, 74.587654),
    "rejected": (42.881234, 74.612345),
    "waiting": (42.883456, 74.623456),
}
#: Corners (lat, lon) of the area the sentinel people draw on the alert form's map: private.
AREA_CORNERS = ((42.851234, 74.571234), (42.853456, 74.638765), (42.897654, 74.601234))
#: Words that exist only in private places (raw text edited out, internal notes, …).
PRIVATE_MARKERS = ("МАРКЕРОРИГИНАЛА", "ЗАМЕТКАДЛЯСЛУЖБЫ", "ОТКЛОНЁННЫЙТЕКСТ", "НЕОПУБЛИКОВАННЫЙ")
#: The city app (API client) that sends the main appeals; its webhook hears their events.
CITY_APP = "mycity"
#: How a citizen introduces themselves, by interface language.
INTRO = {"ru": "Меня зовут", "ky": "Менин атым", "en": "My name is"}


def about(person: Person, language: str) -> str:
    """A sentence carrying every piece of ``person``'s data."""
    name = f"{person.latin} ({person.name})" if language == "en" else person.name
    lat, lon = person.home
    return (
        f"{INTRO[language]} {name}, тел. {person.phone}, почта {person.email}, "
        f"ПИН {person.pin}, живу в доме 12, {FLAT_WORDS[person.evasion]} {person.flat}, "
        f"мой дом {lat}, {lon}."
    )


def channel_text(opening: str, language: str) -> str:
    """``opening`` followed by every sentinel person, plain and evasive."""
    return " ".join([opening, *(about(person, language) for person in PEOPLE)])


def _coordinate_forms(value: float) -> set[str]:
    truncated = f"{value:.6f}"[:-1]
    return {truncated, f"{value:.5f}"}


def _digits(number: str) -> str:
    """A pattern for the digits of ``number`` with up to three separators between them.

    Separators are never letters or digits, so random tokens (a CSP nonce such as
    ``…kB4le152…``) are not mistaken for personal data.
    """
    return r"[\W_]{0,3}".join(re.escape(d) for d in re.sub(r"\D", "", number))


def _words(*words: str) -> str:
    return "|".join(re.escape(fold(word)) for word in words)


def stem(word: str) -> str:
    """A name without its ending, so that inflected forms match too (Сентинелову)."""
    word = fold(word)
    return word[: len(word) - 2] if len(word) >= 7 else word[:5]


def person_patterns(person: Person) -> list[tuple[str, str]]:
    lat, lon = (fold(part) for part in person.home)
    return [
        ("e-mail", _words(fold(person.email).split("@")[0])),
        ("name", _words(*map(stem, [person.first, person.last, *person.latin.split()]))),
        ("phone", _digits(person.phone[5:])),
        ("ID number", _digits(person.pin)),
        ("flat number", rf"(?<!\w)(?:кв\.?|квартир\w*)\s*№?\s*{_digits(fold(person.flat))}"),
        ("home coordinates", f"{_digits(lat)}|{_digits(lon)}"),
    ]


#: What must never appear, matched against the folded text of every response.
SENTINEL_PATTERNS: list[tuple[str, re.Pattern]] = [
    *(
        (f"{person.evasion}: {label}", re.compile(pattern))
        for person in PEOPLE
        for label, pattern in person_patterns(person)
    ),
    ("staff name", re.compile(_words("Модераторов", "Служебников", "aiperi", "bakyt"))),
    ("staff e-mail", re.compile(re.escape(fold("@city-staff.test")))),
    ("private marker", re.compile(_words(*PRIVATE_MARKERS))),
    (
        "exact coordinates",
        re.compile(
            "|".join(
                re.escape(form)
                for lat, lon in (*POINTS.values(), *AREA_CORNERS)
                for form in _coordinate_forms(lat) | _coordinate_forms(lon)
            )
        ),
    ),
]

#: SQL that a public request must never run.
PRIVATE_SQL = re.compile(
    r"\bappeal_private\b|\bcontacts\b|\bprivate_\w+|\bstaff_users\b|\baccess_tokens\b"
    r"|\bheld_texts\b|\blogin_throttles\b|\balert_subscriptions\b|\bsupport_requests\b",
    re.IGNORECASE,
)


def exif_jpeg() -> bytes:
    """A photo straight from a phone: GPS, the owner's name in EXIF, XMP and a comment."""
    person = PEOPLE[0]
    image = Image.new("RGB", (320, 240), (90, 120, 200))
    exif = Image.Exif()
    exif[0x010E] = f"{person.last}, flat {person.flat}"  # ImageDescription
    exif[0x013B] = person.latin  # Artist
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 35.5548), 3: "E", 4: (74.0, 35.0, 55.554)}
    buffer = io.BytesIO()
    image.save(
        buffer, "JPEG", exif=exif, comment=f"{person.latin} {person.phone}".encode(),
        xmp=f"<x:xmpmeta><dc:creator>{person.latin}</dc:creator></x:xmpmeta>".encode(),
    )  # fmt: skip
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # really has GPS
    return data


def text_chunk_png() -> bytes:
    """A PNG whose text chunks (tEXt, zTXt, iTXt) name the citizen."""
    person = PEOPLE[0]
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", person.latin)
    info.add_text("Comment", f"{person.latin} {person.phone}", zip=True)
    info.add_itxt("Description", f"{person.name}, {person.email}", lang="ru")
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), (20, 160, 90)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def gps_video(point) -> bytes:
    """A phone's MOV: the exact point in its ©xyz location atom, the owner in its tags."""
    person = PEOPLE[0]
    lat, lon = point
    data = make_video(
        container="mov",
        metadata={
            "location": f"+{lat:.5f}+{lon:09.5f}/",
            "artist": person.latin,
            "comment": f"{person.name} {person.phone} {person.email}",
        },
    )
    assert b"\xa9xyz" in data and f"{lat:.5f}".encode() in data  # really has the point
    return data


# --- Planting ----------------------------------------------------------------------------------


@dataclass
class Planted:
    appeals: dict[str, Appeal] = field(default_factory=dict)
    photo_ids: list[str] = field(default_factory=list)
    tracking_tokens: list[str] = field(default_factory=list)
    service_codes: set[str] = field(default_factory=set)
    category_codes: set[str] = field(default_factory=set)
    news_ids: list[str] = field(default_factory=list)
    news_photo_id: str = ""
    video_ids: list[str] = field(default_factory=list)
    city_app_key: str = ""

    @property
    def public_ids(self) -> list[str]:
        return [appeal.public_id for appeal in self.appeals.values()]


def submit(category: str, text: str, point, *, language: str = "ru", photos=(), kind=None,
           channel: str = "web", video: bytes | None = None):  # fmt: skip
    """A citizen's submission through the form's schema; contact fields full of data."""
    person = PEOPLE[LANGUAGES.index(language)]
    lat, lon = point
    form = {
        "city": "bishkek",
        "category": category,
        "description": text,
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        "address": f"ул. {person.last}а, дом 12, {FLAT_WORDS[person.evasion]} {person.flat}",
        "name": person.name,
        "email": person.email.replace(ZWSP, ""),
        "phone": person.phone.replace(ZWSP, "").replace(SHY, ""),
        "consent": "y",
        **({"kind": kind} if kind else {}),
    }
    data = AppealSubmissionSchema().load(form)
    origin = Origin(channel=channel, language=language)
    return submit_appeal(data, list(photos), origin, video=video)


def staff(make_staff, name: str, email: str, **kwargs):
    user = make_staff(**kwargs)
    user.private_name, user.email = name, email
    db.session.commit()
    return user


def struck(screening: Screening) -> str | None:
    """What a diligent moderator publishes: the scrubber's text with every doubtful piece
    it highlighted struck out (None: the scrubber's text as it is)."""
    if screening.failed:
        return "Текст удалён модератором."
    if not screening.risks:
        return None
    text = screening.text
    for risk in sorted(screening.risks, key=lambda r: len(r.text), reverse=True):
        text = text.replace(risk.text, "[…]")
    return text


def publish_diligently(moderator, appeal_id: int, edited: str | None = None) -> None:
    case = moderation_case(moderator, appeal_id)
    publish_appeal(appeal_id, moderator, edited or struck(case.screening))


def moderate_held_texts(moderator) -> None:
    for hold_id in db.session.scalars(select(HeldText.id).where(HeldText.decision.is_(None))):
        approve_text(hold_id, moderator, struck(held_case(moderator, hold_id).screening))


def another_service(appeal: Appeal) -> str:
    return db.session.scalars(
        select(Service.code)
        .where(Service.city_id == appeal.city_id, Service.id != appeal.service_id, Service.active)
        .order_by(Service.code)
    ).first()


def walk(make_staff, moderator, language: str):
    """One appeal through the interface ``language``: publish → answer → rate → reopen →
    reroute → extend, every text channel full of sentinels."""
    result = submit(
        "garbage",
        channel_text("Во дворе третью неделю не вывозят мусор.", language),
        POINTS[f"main_{language}"],
        language=language,
        photos=[exif_jpeg(), text_chunk_png()],
        kind="proposal",  # so that the outcome's reason is a channel too
        channel=f"open311:{CITY_APP}",  # sent by a city app: its webhook hears every event
        video=gps_video(POINTS[f"main_{language}"]),
    )
    publish_diligently(moderator, result.appeal.id)
    appeal = db.session.get(Appeal, result.appeal.id)
    worker = staff(make_staff, SERVICE_STAFF_NAME, f"bakyt.{language}@city-staff.test",
                   role="service", service=appeal.service.code)  # fmt: skip
    staff_actions.acknowledge(worker, appeal.public_id)
    staff_actions.answer(
        worker,
        appeal.public_id,
        text=channel_text(f"Ответ подготовил {SERVICE_STAFF_NAME}. Мусор вывезен.", language),
        internal_note=f"ЗАМЕТКАДЛЯСЛУЖБЫ: перезвонить {PEOPLE[0].name} на {PEOPLE[0].phone}",
        photo=exif_jpeg(),
        video=gps_video(POINTS[f"main_{language}"]),
    )
    moderate_held_texts(moderator)
    comment = channel_text("Вывезли не всё.", language)
    rating = RatingSchema().load(
        {"score": "2", "solved": "no", "reason": "not_resolved", "comment": comment[:1000]}
    )
    rate_answer(result.tracking_token, rating)
    reopen_appeal(result.tracking_token)
    reason = channel_text("Вопрос водоканала.", language)
    staff_actions.reroute(worker, appeal.public_id, service_code=another_service(appeal),
                          reason=reason)  # fmt: skip
    successor = staff(make_staff, f"{SERVICE_STAFF_NAME}-Второй",
                      f"bakyt2.{language}@city-staff.test", role="service",
                      service=db.session.get(Appeal, appeal.id).service.code)  # fmt: skip
    reason = channel_text("Нужен доступ в подвал.", language)
    staff_actions.extend_deadline(successor, appeal.public_id, days=5, reason=reason)
    reason = channel_text("Предложение отклонено.", language)
    staff_actions.state_outcome(successor, appeal.public_id, outcome="declined", reason=reason)
    moderate_held_texts(moderator)
    return result


def follow(person: Person, language: str, **target: str) -> None:
    """A confirmed alert subscription with the person's e-mail (private data)."""
    form = {"email": person.email.replace(ZWSP, ""), "frequency": "immediate", **target}
    token = alerts.subscribe(SubscriptionSchema().load(form), language=language)
    assert alerts.confirm(token)


def support_with_email(person: Person, number: int, confirmed: str, waiting: str) -> None:
    """ "This affects me too" with the person's e-mail (private data): confirmed on one
    appeal (counted), left waiting for its link on another."""
    email = person.email.replace(ZWSP, "")
    browser = f"sentinel-browser-{number:024d}"
    confirm_support(request_support(confirmed, browser, email, language="ru"))
    assert request_support(waiting, browser, email, language="ru")


def drawn_area() -> str:
    """The AREA_CORNERS as the alert form's map posts them (a GeoJSON Polygon)."""
    ring = [[lon, lat] for lat, lon in (*AREA_CORNERS, AREA_CORNERS[0])]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def register_city_app(make_staff) -> str:
    """A city app (API client) with a webhook; its private contact is a sentinel person."""
    admin = staff(make_staff, f"{MODERATOR_NAME}-Админ", "admin@city-staff.test", role="admin")
    person = PEOPLE[0]
    client, key = integrations.create_client(
        admin, {"slug": CITY_APP, "name": "My City", "contact": f"{person.name} {person.email}"}
    )
    integrations.set_webhook(admin, client.id, "https://mycity.example/hooks/portal")
    return key


def plant(make_staff) -> Planted:
    planted = Planted()
    planted.city_app_key = register_city_app(make_staff)
    moderator = staff(make_staff, MODERATOR_NAME, "aiperi@city-staff.test", role="moderator")
    for person, language in zip(PEOPLE, LANGUAGES, strict=True):
        follow(person, language, scope="category", city="bishkek", category="garbage")
        follow(person, language, scope="area", bbox="74.55,42.85,74.65,42.90")
        follow(person, language, scope="area", area=drawn_area())
    results = {f"main_{language}": walk(make_staff, moderator, language) for language in LANGUAGES}
    for person in PEOPLE:
        follow(person, "ru", scope="appeal", appeal=results["main_ru"].appeal.public_id)
    for number, person in enumerate(PEOPLE):
        support_with_email(person, number, results["main_ru"].appeal.public_id,
                           results["main_ky"].appeal.public_id)  # fmt: skip
    assert len(db.session.scalars(select(SupportRequest.private_email)).all()) == 2 * len(PEOPLE)

    text = channel_text("Во дворе третью неделю не вывозят мусор.", "ru")
    # A home-tier appeal; the moderator edits the text (the original keeps a marker).
    home = submit("no_heating", f"{text} МАРКЕРОРИГИНАЛА", POINTS["home"], photos=[exif_jpeg()])
    publish_diligently(moderator, home.appeal.id, edited="В квартире нет отопления.")
    # A sensitive appeal: counts only.
    sensitive = submit("social_help", text, POINTS["sensitive"])
    publish_diligently(moderator, sensitive.appeal.id)
    # A rejected appeal and one still waiting: nothing of them is public.
    rejected = submit("garbage", f"{text} ОТКЛОНЁННЫЙТЕКСТ", POINTS["rejected"])
    main = results["main_ru"].appeal.public_id
    reject_appeal(rejected.appeal.id, moderator, "duplicate", main)
    moderate_held_texts(moderator)
    waiting = submit("pothole", f"{text} НЕОПУБЛИКОВАННЫЙ", POINTS["waiting"],
                     photos=[exif_jpeg()], video=gps_video(POINTS["waiting"]))  # fmt: skip
    # Every re-encoded video is published by the moderator (the waiting appeal's too: it
    # must stay hidden with its appeal).
    for video_id in db.session.scalars(select(Video.id).where(Video.state == VideoState.WAITING)):
        publish_video(video_id, moderator)
    results.update(home=home, sensitive=sensitive, rejected=rejected, waiting=waiting)

    db.session.expire_all()
    for key, result in results.items():
        planted.appeals[key] = db.session.get(Appeal, result.appeal.id)
        planted.tracking_tokens.append(result.tracking_token)
    planted.photo_ids = [p.public_id for p in db.session.query(Photo).order_by(Photo.id)]
    planted.video_ids = [v.public_id for v in db.session.query(Video).order_by(Video.id)]
    # News of the mayor's office: its editor's name and e-mail are private.
    editor = staff(make_staff, f"{MODERATOR_NAME}-Редактор", "news@city-staff.test", role="editor")
    # (Its text is published as the editor wrote it — a person, like a moderator's edit.)
    # Its photo comes straight from the editor's phone: GPS and the owner's name in EXIF,
    # XMP and a comment; only the re-encoded pixels may be public.
    item = publish_news(editor, {"title_ru": "Новости мэрии", "body_ru": "Открыт новый сквер.",
                                 "photo": exif_jpeg(), "photo_alt_ru": "Новый сквер"})  # fmt: skip
    planted.news_ids.append(str(item.id))
    news_photo = db.session.scalars(select(Photo).where(Photo.news_item_id == item.id)).one()
    planted.photo_ids.append(news_photo.public_id)
    planted.news_photo_id = news_photo.public_id
    for appeal in planted.appeals.values():
        planted.service_codes.add(appeal.service.code)
        planted.category_codes.add(appeal.category.code)
    return planted


# --- Discovering and fetching every public output ----------------------------------------------

#: Query variants tried on every URL built from a route (formats, languages, filters).
QUERY_VARIANTS = (
    "",
    "?format=json",
    "?format=csv",
    "?format=geojson",
    "?format=geojsonseq",
    "?format=xml",
    "?lang=en",
    "?lang=ky",
    "?city=bishkek",
    "?page=2",
    "?jurisdiction_id=bishkek",
    "?extensions=true",
    # map data: clusters at low zoom, single points at high zoom, the heat layer
    "?zoom=5",
    "?zoom=12",
    "?zoom=18&bbox=74.48,42.80,74.72,42.93",
    "?zoom=12&layer=heat",
    "?zoom=18&layer=heat&city=bishkek&category=social_help",
)
#: Route prefixes that are not public (staff) or are capability links for one citizen.
PRIVATE_PREFIXES = ("/staff", "/t/", "/static/")
#: Routes for one API client, with its key (checked on their own, with the key).
KEYED_ENDPOINTS = {"api.client_info"}
MAX_FETCHES = 4000


def argument_samples(planted: Planted) -> dict[str, list[str]]:
    """Values for URL arguments, by argument name (extend when a route adds a new name)."""
    ids = planted.public_ids
    return {
        "public_id": [*ids, *planted.photo_ids, *planted.video_ids],
        "service_request_id": ids,
        "appeal_id": ids,
        "photo_id": planted.photo_ids,
        "service_code": sorted(planted.category_codes | planted.service_codes),
        "category": sorted(planted.category_codes),
        "service": sorted(planted.service_codes),
        "code": sorted(planted.service_codes),  # a service's report card
        "city": ["bishkek", "osh"],
        "jurisdiction_id": ["bishkek", "osh"],
        "lang": ["ru", "ky", "en"],
        "item_id": planted.news_ids,
    }


def public_rules(app):
    """Every GET route that anyone may call without a login or a private link."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.startswith(PRIVATE_PREFIXES) or "token" in rule.arguments:
            continue
        if rule.endpoint in KEYED_ENDPOINTS:
            continue
        yield rule


def choices(rule, name: str, samples: dict[str, list[str]]) -> list[str] | None:
    converter = rule._converters[name]
    items = getattr(converter, "items", None)  # <any(json, xml):fmt>
    if items:
        return list(items)
    return samples.get(name)


def urls_for_rule(app, rule, samples) -> list[str] | None:
    """Every URL of ``rule`` with sampled arguments, or None when an argument is unknown."""
    names = sorted(rule.arguments)
    options = [choices(rule, name, samples) for name in names]
    if any(option is None for option in options):
        return None
    adapter = app.url_map.bind(HOST)
    urls = []
    for values in itertools.product(*options):
        try:
            urls.append(adapter.build(rule.endpoint, dict(zip(names, values, strict=True))))
        except Exception:  # noqa: BLE001 - a value the converter refuses
            continue
    return urls


def decoded_texts(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    unescaped_json = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return [text, html.unescape(text), unquote_plus(text), html.unescape(unescaped_json)]


def payloads(body: bytes, name: str = "") -> list[tuple[str, bytes]]:
    """The body, or the files inside it (zip, gzip)."""
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            found = []
            for member in archive.namelist():
                found += payloads(archive.read(member), f"{name}!{member}")
            return found
    if body[:2] == b"\x1f\x8b":
        return payloads(gzip.decompress(body), f"{name}!gunzip")
    return [(name, body)]


def image_problems(body: bytes) -> list[str]:
    try:
        image = Image.open(io.BytesIO(body))
    except Exception:  # noqa: BLE001 - not an image Pillow knows
        return []
    problems = []
    exif = image.getexif()
    if exif.get_ifd(0x8825) or 0x8825 in exif:
        problems.append("EXIF GPS in a public photo")
    if len(exif):
        problems.append(f"EXIF tags in a public photo: {sorted(exif)}")
    if "exif" in image.info:
        problems.append("an EXIF block in a public photo")
    return problems


#: All sentinel patterns in one regular expression (one pass over each text).
ANY_SENTINEL = re.compile(
    "|".join(f"(?P<p{i}>{pattern.pattern})" for i, (_, pattern) in enumerate(SENTINEL_PATTERNS))
)


def leaks_in(body: bytes, headers: str) -> list[str]:
    found = []
    for part_name, part in payloads(body):
        if part[:3] == b"\xff\xd8\xff" or part[:8] == b"\x89PNG\r\n\x1a\n" or part[8:12] == b"WEBP":
            found += [f"{part_name}: {p}" for p in image_problems(part)]
        labels: dict[str, str] = {}  # every kind of leak once, with its first context
        for text in dict.fromkeys([headers, *decoded_texts(part)]):
            text = fold(text)
            for match in ANY_SENTINEL.finditer(text):
                label = SENTINEL_PATTERNS[int(match.lastgroup[1:])][0]
                context = text[max(0, match.start() - 60) : match.end() + 60]
                labels.setdefault(label, f"{part_name}: {label}: …{context}…")
        found += labels.values()
    return found


def leak_summary(leaks: list[str]) -> str:
    """How many responses leak each kind of data, then the first examples."""
    counts: dict[str, int] = {}
    for leak in leaks:
        label = leak.split(" → ", 1)[1].split(": …", 1)[0].split(": ", 1)[-1]
        counts[label] = counts.get(label, 0) + 1
    lines = [f"{count:5d} responses: {label}" for label, count in sorted(counts.items())]
    return "\n".join(lines + ["examples:", *leaks[:15]])


LINK_IN_MARKUP = re.compile(r"""(?:href|src|data-url|data-src|action)\s*=\s*["']([^"'#]+)""")
LINK_IN_TEXT = re.compile(r"""["'](/[^"'\s<>{}]*|https?://[^"'\s<>{}]+)["']""")
RELATIVE_FILE = re.compile(
    r"""["']([\w./-]+\.(?:csv|json|geojson|geojsons|geojsonl|ndjson|jsonl|xml|zip|xlsx|gz))["']"""
)


def links_in(body: bytes, base: str) -> set[str]:
    """Same-site links in a response (HTML attributes, JSON strings, data package paths)."""
    text = body[:2_000_000].decode("utf-8", errors="replace")
    text = html.unescape(text).replace("\\/", "/")
    found = set()
    candidates = LINK_IN_MARKUP.findall(text) + LINK_IN_TEXT.findall(text)
    candidates += RELATIVE_FILE.findall(text)
    for candidate in candidates:
        url = urljoin(f"http://{HOST}{base}", candidate.strip())
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != HOST:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(PRIVATE_PREFIXES):
            found.add(path)
    return found


@dataclass
class Crawl:
    fetched: dict[str, int] = field(default_factory=dict)  # url -> status
    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)


def crawl(client, seeds: list[str]) -> Crawl:
    result = Crawl()
    queue = deque(dict.fromkeys(seeds))
    seen = set(queue)

    def remember(conn, cursor, statement, parameters, context, executemany):
        result.sql.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        while queue and len(result.fetched) < MAX_FETCHES:
            url = queue.popleft()
            response = client.get(url, headers={"Accept-Encoding": "identity"})
            body = response.get_data()
            result.fetched[url] = response.status_code
            if response.status_code >= 500:
                result.errors.append(f"{url}: HTTP {response.status_code}")
            if response.status_code == 200:
                result.bodies[url] = body
            headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            result.leaks += [f"{url} → {leak}" for leak in leaks_in(body, headers)]
            followed = set()
            if 300 <= response.status_code < 400 and response.location:
                followed.add(response.location)
            if response.status_code < 400:
                followed |= links_in(body, urlsplit(url).path)
            for link in followed:
                link = urljoin(f"http://{HOST}/", link)
                parts = urlsplit(link)
                if parts.netloc != HOST:
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if path not in seen and not path.startswith(PRIVATE_PREFIXES):
                    seen.add(path)
                    queue.append(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    return result


def endpoint_of(app, url: str) -> str | None:
    parts = urlsplit(url)
    try:
        endpoint, _ = app.url_map.bind(HOST).match(parts.path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    return endpoint


# --- The tests ------------------------------------------------------------------------------------


def seed_urls(app, planted: Planted) -> list[str]:
    samples = argument_samples(planted)
    mains = [planted.appeals[f"main_{language}"].public_id for language in LANGUAGES]
    seeds = []
    for rule in public_rules(app):
        urls = urls_for_rule(app, rule, samples) or []
        for index, url in enumerate(urls):
            # every argument value plain; the query variants on the first URL of each
            # route and on every URL of the planted main appeal
            varied = index == 0 or any(main in url for main in mains)
            seeds += [url + variant for variant in QUERY_VARIANTS] if varied else [url]
    return seeds + nearby_urls(planted)


def nearby_urls(planted: Planted) -> list[str]:
    """The form's duplicate suggestions asked at each main appeal's exact (private) point
    and at its published one: they may show the public record, never what was planted."""
    urls = []
    for language in LANGUAGES:
        main = planted.appeals[f"main_{language}"]
        for lat, lon in ((main.private.lat, main.private.lon), (main.public_lat, main.public_lon)):
            urls.append(
                f"/api/v1/appeals/nearby?city={main.city.slug}&category={main.category.code}"
                f"&lat={lat}&lon={lon}"
            )
    return urls


#: CLI commands that write public files (dated dataset snapshots served under /datasets).
PUBLISHING_COMMANDS = (["publish"],)


def publish_files(app) -> None:
    """Run every command that writes public files, so that their output is crawled too."""
    runner = app.test_cli_runner()
    for args in PUBLISHING_COMMANDS:
        if args[0] in app.cli.commands:
            outcome = runner.invoke(args=args)
            assert outcome.exit_code == 0, outcome.output


def check_planting(planted: Planted) -> None:
    """The use cases kept what they were given (else the crawl would prove nothing)."""
    for language in LANGUAGES:
        main = planted.appeals[f"main_{language}"]
        assert main.private.language == language
        assert PEOPLE[0].name in main.private.raw_text and PEOPLE[2].first in main.private.raw_text
        assert (main.private.lat, main.private.lon) == POINTS[f"main_{language}"]
        assert main.status.value == "reopened" and main.reroute_count == 1
        assert main.deadline_extended and main.public_text and main.public_lat is not None
        assert main.answers and all(a.public_text for a in main.answers)
        assert main.answers[0].rating.public_comment
        notes = [e for e in main.events if e.kind.value in ("rerouted", "deadline_extended")]
        assert len(notes) == 2 and all(e.public_note for e in notes)
    assert "[ИМЯ]" in planted.appeals["main_ru"].public_text
    assert planted.appeals["home"].public_text == "В квартире нет отопления."
    assert planted.appeals["sensitive"].public_lat is None
    assert planted.appeals["rejected"].status.value == "rejected"
    assert planted.appeals["waiting"].status.value == "submitted"
    assert len(planted.photo_ids) >= 10
    videos = db.session.scalars(select(Video)).all()
    assert len(videos) == 7 and all(v.state is VideoState.PUBLISHED for v in videos)
    # The uploads carried the sentinels (gps_video checks it); none is kept once re-encoded.
    assert all(v.private_raw == b"" for v in videos)
    assert db.session.scalars(select(HeldText).where(HeldText.decision.is_(None))).all() == []


def check_coverage(app, planted: Planted, result: Crawl) -> None:
    """The crawl saw the published data and fetched every public route successfully."""
    main = planted.appeals["main_ru"]
    detail = result.bodies[f"/appeals/{main.public_id}"].decode()
    assert "[ТЕЛЕФОН]" in detail and "[ИМЯ]" in detail
    for language in LANGUAGES:  # every channel of every main appeal was fetched
        appeal = planted.appeals[f"main_{language}"]
        page = html.unescape(result.bodies[f"/appeals/{appeal.public_id}"].decode())
        for text in (appeal.public_text, appeal.extension_reason, appeal.answers[0].public_text,
                     appeal.answers[0].rating.public_comment):  # fmt: skip
            assert text in page
    everything = b"\n".join(result.bodies.values()).decode("utf-8", errors="replace")
    published = {repr(main.public_lat), f"{main.public_lat:.6f}", f"{main.public_lat:.4f}"}
    assert any(form in everything for form in published)  # the masked point is published
    assert planted.appeals["home"].public_text in everything
    reached = {endpoint_of(app, url) for url, status in result.fetched.items() if status < 400}
    missing = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in public_rules(app)
        if rule.endpoint not in reached
    ]
    assert not missing, (
        "public routes the privacy test could not fetch (add sample values for their "
        "arguments to argument_samples/QUERY_VARIANTS, or link them from a public page):\n"
        + "\n".join(missing)
    )


def check_feeds_and_search(client, planted: Planted, result: Crawl) -> None:
    """The Atom feeds were crawled (so checked for sentinels like every answer) with the
    answers in them; a text search for a planted person finds nothing anywhere."""
    main = planted.appeals["main_ru"]
    assert "/feeds/appeals.atom" in result.bodies
    feed = html.unescape(result.bodies[f"/feeds/appeals/{main.public_id}.atom"].decode())
    assert main.answers[0].public_text in feed and main.public_text in feed
    # The answers echo the query itself (the visitor's own words), so they are judged by
    # what they find: nothing.
    for person in PEOPLE:
        for word in (person.last, person.first, person.email):
            query = {"q": word}
            assert client.get("/api/v1/appeals", query_string=query).json["total"] == 0, word
            assert client.get("/open311/v2/requests.json", query_string=query).json == [], word
            feed = client.get("/feeds/appeals.atom", query_string=query).get_data(as_text=True)
            assert "<entry>" not in feed, word
    # The search index itself (not public, derived from the published texts only) holds
    # no form of a planted name.
    from portal.models import SearchDocument
    from portal.search_text import query_terms

    tokens = {t for row in db.session.scalars(select(SearchDocument.tokens)) for t in row.split()}
    assert tokens, "nothing was indexed"
    for person in PEOPLE:
        for word in (person.last, person.first):
            for stems in query_terms(word.replace(ZWSP, "")):
                assert not set(stems) & tokens, word


def capture_alert_mails(monkeypatch) -> list[tuple[str, str, str]]:
    """Alert mails (to, subject, body) as the job hands them to the mail server."""
    from portal.alerts import delivery

    mails: list[tuple[str, str, str]] = []
    monkeypatch.setattr(delivery, "send_mail", lambda to, subject, body, headers: mails.append(
        (to, subject, body)))  # fmt: skip
    return mails


def check_alert_mails(mails: list[tuple[str, str, str]]) -> None:
    """Subscribers got alerts (the sentinel addresses are private, yet they are the
    recipients), and an alert carries only public text: no sentinel in subject or body."""
    recipients = {to for to, _, _ in mails}
    assert {person.email.replace(ZWSP, "") for person in PEOPLE} <= recipients
    assert any("[ИМЯ]" in body for _, _, body in mails)  # the scrubbed text is there
    leaks = [leak for _, subject, body in mails for leak in leaks_in(body.encode(), subject)]
    assert not leaks, "personal data in alert mails:\n" + leak_summary(
        [f"alert mail → {leak}" for leak in leaks]
    )


def capture_webhooks(monkeypatch) -> list[tuple[str, bytes, dict]]:
    """Webhook deliveries (url, body, headers) as the job would POST them."""
    from portal.integrations import webhooks

    sent: list[tuple[str, bytes, dict]] = []

    def receive(url, body, headers, timeout):
        sent.append((url, body, headers))
        return 200

    monkeypatch.setattr(webhooks, "post", receive)
    return sent


def check_webhooks(sent: list[tuple[str, bytes, dict]]) -> None:
    """The city app heard about its appeals' events, with public text only."""
    kinds = {json.loads(body)["event"]["kind"] for _, body, _ in sent}
    assert {"published", "answered", "rated", "reopened", "rerouted"} <= kinds, kinds
    assert any("[ИМЯ]" in body.decode() for _, body, _ in sent)  # the scrubbed text is there
    leaks = [leak for _, body, headers in sent for leak in leaks_in(body, json.dumps(headers))]
    assert not leaks, "personal data in webhook deliveries:\n" + leak_summary(
        [f"webhook → {leak}" for leak in leaks]
    )


def test_no_personal_data_in_any_public_output(app, client, make_staff, monkeypatch):
    alert_mails = capture_alert_mails(monkeypatch)
    webhook_bodies = capture_webhooks(monkeypatch)
    planted = plant(make_staff)
    check_planting(planted)
    check_alert_mails(alert_mails)
    check_webhooks(webhook_bodies)
    # The city app's own view (with its key) holds no private data either.
    own = client.get("/api/v1/client", headers={"X-Api-Key": planted.city_app_key})
    assert own.status_code == 200 and own.json["deliveries"]
    assert not leaks_in(own.get_data(), ""), "personal data in /api/v1/client"
    publish_files(app)
    result = crawl(client, seed_urls(app, planted))

    assert len(result.fetched) < MAX_FETCHES, "the crawl did not finish"
    assert not result.errors, "\n".join(result.errors)
    assert not result.leaks, "personal data in public output:\n" + leak_summary(result.leaks)
    check_coverage(app, planted, result)
    check_feeds_and_search(client, planted, result)

    # Photos: served publicly only re-encoded, without EXIF (checked for every image above).
    photos = [body for url, body in result.bodies.items() if body[:3] == b"\xff\xd8\xff"]
    assert photos, "no public photo was fetched: is the photo route gone?"
    news_photo = result.bodies.get(f"/photos/{planted.news_photo_id}", b"")
    assert news_photo[:3] == b"\xff\xd8\xff", "the news photo was not fetched"
    assert not image_problems(news_photo) and not leaks_in(news_photo, "")
    for page in ("/news", "/"):  # the pages link it, and the feed encloses it
        assert f"/photos/{planted.news_photo_id}" in result.bodies[page].decode()
    assert f"/photos/{planted.news_photo_id}" in client.get("/news.atom").get_data(as_text=True)
    # Videos: served publicly only re-encoded (checked for sentinels above, bytes and all),
    # the appeals' and the answers' of public appeals, never the waiting appeal's.
    served = {urlsplit(url).path for url, body in result.bodies.items() if body[4:8] == b"ftyp"}
    assert len(served) == 6, f"public videos fetched: {sorted(served)}"
    waiting_video = db.session.scalars(
        select(Video.public_id).where(Video.appeal_id == planted.appeals["waiting"].id)
    ).one()
    assert client.get(f"/videos/{waiting_video}.mp4").status_code == 404

    # The citizen's own private pages show their own data, but never a staff member's
    # name or the service's internal note.
    staff_only = re.compile(
        _words(
            "Модераторов", "Служебников", "aiperi", "bakyt", "@city-staff.test", "ЗАМЕТКАДЛЯСЛУЖБЫ"
        )  # fmt: skip
    )
    for token in planted.tracking_tokens:
        for url in (f"/t/{token}", f"/api/v1/track/{token}"):
            if endpoint_of(app, url) is None:
                continue
            response = client.get(url)
            assert response.status_code == 200, url
            for text in decoded_texts(response.get_data()):
                match = staff_only.search(fold(text))
                assert match is None, f"{url} shows {match.group()}"

    # Public requests never read private tables or columns.
    private_sql = sorted({s for s in result.sql if PRIVATE_SQL.search(s)})
    assert result.sql, "the crawl ran no SQL at all"
    assert not private_sql, "public requests read private data:\n" + "\n\n".join(private_sql[:5])


def test_the_detector_finds_planted_data_in_every_encoding():
    """A sanity check of this test itself: escaped, encoded, packed and evasive leaks are
    found, every planted piece of data matches its own pattern, placeholders match none."""
    name = PEOPLE[0].name
    assert leaks_in(json.dumps({"t": name}).encode(), "")  # \\u-escaped JSON
    assert leaks_in(b"<a href='/x?n=%D0%A1%D0%B5%D0%BD%D1%82%D0%B8%D0%BD%D0%B5%D0%BB'>", "")
    assert leaks_in(b"&#1057;&#1077;&#1085;&#1090;&#1080;&#1085;&#1077;&#1083;", "")
    assert leaks_in(b"tel: 555-98-76-54", "")
    assert leaks_in(b'{"lat": 42.876543}', "") and leaks_in(b"42.87654,74.59877", "")
    assert leaks_in("квартира 987".encode(), "")
    assert leaks_in(b"", "Content-Disposition: attachment; filename=sentinel.csv")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("data/appeals.csv", f"id,text\n1,{PEOPLE[0].email}\n")
    assert leaks_in(packed.getvalue(), "")
    assert leaks_in(gzip.compress(MODERATOR_NAME.encode()), "")
    assert any("EXIF" in leak for leak in leaks_in(exif_jpeg(), ""))
    assert leaks_in(text_chunk_png(), "") and leaks_in(exif_jpeg()[:600], "")  # text chunks, COM
    # Every piece of every person's data, as planted, is found under its own label.
    for person in PEOPLE:
        for label, pattern in person_patterns(person):
            planted = about(person, "ru") + " " + about(person, "en")
            assert re.search(pattern, fold(planted)), (person.evasion, label)
    # The evasions themselves are undone: invisible characters, look-alikes, full width.
    assert leaks_in("Невиди\u00adмов".encode(), "") and leaks_in(
        lookalike("Сентинелов").encode(), ""
    )
    assert leaks_in("ｚａｒｙｌｂｅｋ".encode(), "")  # full-width Latin, folded by NFKC
    assert leaks_in(f"{lookalike('кв.')} 3\u200b62".encode(), "")
    # Random tokens are not personal data: this nonce once read as "кв4lе15" (flat 415).
    assert not leaks_in(b"", "Content-Security-Policy: script-src 'nonce-TO5gkB4le152jurld'")
    assert not leaks_in("Во дворе [ИМЯ], [ТЕЛЕФОН], [АДРЕС], 42.8771, 74.5987".encode(), "")
    assert links_in(b'{"path": "appeals.csv", "u": "/api/v1/x"}', "/datasets/") == {
        "/datasets/appeals.csv",
        "/api/v1/x",
    }
