"""The privacy test: personal data planted everywhere a user can put it never comes out.

Sentinel personal data goes in through the real use cases — the citizen's submission
(text, contact fields, address, exact point, a photo with EXIF GPS), staff answers and
deadline reasons, the citizen's rating comment — and the appeals are moderated through
``publish_appeal`` / ``reject_appeal``. Then every public GET route of the application is
*discovered* from ``app.url_map`` (so a feature added later is covered without editing
this file), fetched with query variants, and every same-site link found in the answers
(pages, JSON, data packages, dataset downloads) is followed. No response may contain a
sentinel, the exact coordinates, a staff member's name, or a photo with EXIF; no public
request may run SQL that reads a private table or column. The citizen's own tracking
pages (capability links) may show the citizen's data, but no staff name or internal note.

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
import zipfile
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urljoin, urlsplit

from PIL import Image
from sqlalchemy import event
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from portal.extensions import db
from portal.models import Appeal, Photo
from portal.schemas.appeal import AppealSubmissionSchema
from portal.schemas.rating import RatingSchema
from portal.services import staff_actions
from portal.services.moderation import approve_answer, publish_appeal, reject_appeal
from portal.services.rating import rate_answer
from portal.services.submission import submit_appeal

HOST = "portal.test"

# --- The sentinels -------------------------------------------------------------------------

CITIZEN_NAME = "Зарылбек Сентинелов"
CITIZEN_PHONE = "+996 555 987 654"
CITIZEN_EMAIL = "sentinel.person@example.kg"
FLAT = "кв. 987"
MODERATOR_NAME = "Айпери Модераторова"
SERVICE_STAFF_NAME = "Бакыт Служебников"
#: Exact points (6 decimals) of the appeals; their 5-decimal forms must never appear.
POINTS = {
    "public": (42.876543, 74.598765),
    "home": (42.871234, 74.601234),
    "sensitive": (42.865432, 74.587654),
    "rejected": (42.881234, 74.612345),
    "waiting": (42.883456, 74.623456),
}
#: Words that exist only in private places (raw text edited out, internal notes, …).
PRIVATE_MARKERS = ("МАРКЕРОРИГИНАЛА", "ЗАМЕТКАДЛЯСЛУЖБЫ", "ОТКЛОНЁННЫЙТЕКСТ", "НЕОПУБЛИКОВАННЫЙ")

SENTINEL_TEXT = (
    f"Меня зовут {CITIZEN_NAME}, тел. {CITIZEN_PHONE}, почта {CITIZEN_EMAIL}, "
    f"живу в доме 12, {FLAT}. Во дворе третью неделю не вывозят мусор, контейнеры переполнены."
)


def _coordinate_forms(value: float) -> set[str]:
    truncated = f"{value:.6f}"[:-1]
    return {truncated, f"{value:.5f}"}


def _digits(number: str) -> str:
    """A pattern for the digits of ``number`` with any separators between them."""
    return r"\D{0,3}".join(re.escape(d) for d in re.sub(r"\D", "", number))


#: What must never appear, matched against the lower-cased text of every response.
SENTINEL_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("citizen name", re.compile(r"сентинел|sentinel|зарылбек|zarylbek")),
    ("citizen phone", re.compile(_digits("555 987 654"))),
    ("citizen e-mail", re.compile(re.escape(CITIZEN_EMAIL))),
    ("flat number", re.compile(r"(?:кв\.?|квартир\w*)\s*№?\s*987")),
    ("staff name", re.compile(r"модераторов|служебников|aiperi|bakyt")),
    ("staff e-mail", re.compile(r"@city-staff\.test")),
    ("private marker", re.compile("|".join(m.lower() for m in PRIVATE_MARKERS))),
    (
        "exact coordinates",
        re.compile(
            "|".join(
                re.escape(form)
                for lat, lon in POINTS.values()
                for form in _coordinate_forms(lat) | _coordinate_forms(lon)
            )
        ),
    ),
]

#: SQL that a public request must never run.
PRIVATE_SQL = re.compile(
    r"\bappeal_private\b|\bcontacts\b|\bprivate_\w+|\bstaff_users\b|\baccess_tokens\b"
    r"|\blogin_throttles\b",
    re.IGNORECASE,
)


def exif_jpeg() -> bytes:
    """A photo straight from a phone: GPS position and the owner's name in EXIF."""
    image = Image.new("RGB", (320, 240), (90, 120, 200))
    exif = Image.Exif()
    exif[0x010E] = "Sentinelov, flat 987"  # ImageDescription
    exif[0x013B] = "Zarylbek Sentinelov"  # Artist
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 35.5548), 3: "E", 4: (74.0, 35.0, 55.554)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # really has GPS
    return data


# --- Planting ----------------------------------------------------------------------------------


@dataclass
class Planted:
    appeals: dict[str, Appeal] = field(default_factory=dict)
    photo_ids: list[str] = field(default_factory=list)
    tracking_tokens: list[str] = field(default_factory=list)
    service_codes: set[str] = field(default_factory=set)
    category_codes: set[str] = field(default_factory=set)

    @property
    def public_ids(self) -> list[str]:
        return [appeal.public_id for appeal in self.appeals.values()]


def submit(category: str, text: str, point: tuple[float, float], *, photo: bool = False):
    lat, lon = point
    form = {
        "city": "bishkek",
        "category": category,
        "description": text,
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        "address": f"ул. Сентинелова, дом 12, {FLAT}",
        "name": CITIZEN_NAME,
        "email": CITIZEN_EMAIL,
        "phone": CITIZEN_PHONE,
        "consent": "y",
    }
    data = AppealSubmissionSchema().load(form)
    return submit_appeal(data, [exif_jpeg()] if photo else [], language="ru")


def staff(make_staff, name: str, email: str, **kwargs):
    user = make_staff(**kwargs)
    user.private_name, user.email = name, email
    db.session.commit()
    return user


def plant(make_staff) -> Planted:
    planted = Planted()
    moderator = staff(make_staff, MODERATOR_NAME, "aiperi@city-staff.test", role="moderator")

    # 1. A public-space appeal with everything in it, a photo with EXIF GPS; scrubbed.
    main = submit("garbage", SENTINEL_TEXT, POINTS["public"], photo=True)
    publish_appeal(main.appeal.id, moderator)
    # 2. A home-tier appeal; the moderator edits the text (the original keeps a marker).
    home = submit("no_heating", f"{SENTINEL_TEXT} МАРКЕРОРИГИНАЛА", POINTS["home"], photo=True)
    publish_appeal(home.appeal.id, moderator, public_text="В квартире нет отопления.")
    # 3. A sensitive appeal: counts only.
    sensitive = submit("social_help", SENTINEL_TEXT, POINTS["sensitive"])
    publish_appeal(sensitive.appeal.id, moderator)
    # 4. A rejected appeal and 5. one still waiting: nothing of them is public.
    rejected = submit("garbage", f"{SENTINEL_TEXT} ОТКЛОНЁННЫЙТЕКСТ", POINTS["rejected"])
    reject_appeal(rejected.appeal.id, moderator, "duplicate", main.appeal.public_id)
    waiting = submit("pothole", f"{SENTINEL_TEXT} НЕОПУБЛИКОВАННЫЙ", POINTS["waiting"], photo=True)

    # The service answers the first appeal (with a photo) and extends the second's deadline.
    appeal = db.session.get(Appeal, main.appeal.id)
    worker = staff(
        make_staff,
        SERVICE_STAFF_NAME,
        "bakyt@city-staff.test",
        role="service",
        service=appeal.service.code,
    )
    staff_actions.acknowledge(worker, appeal.public_id)
    answer = staff_actions.answer(
        worker,
        appeal.public_id,
        text=(
            f"Ответ подготовил {SERVICE_STAFF_NAME}. Мусор вывезен. Заявитель "
            f"{CITIZEN_NAME} ({CITIZEN_PHONE}) может звонить в диспетчерскую."
        ),
        internal_note=f"ЗАМЕТКАДЛЯСЛУЖБЫ: перезвонить {CITIZEN_NAME} на {CITIZEN_PHONE}",
        photo=exif_jpeg(),
    )
    if db.session.get(type(answer), answer.id).needs_moderation:
        approve_answer(answer.id, moderator)
    home_appeal = db.session.get(Appeal, home.appeal.id)
    heating = staff(
        make_staff,
        "Бакыт Служебников-Второй",
        "bakyt2@city-staff.test",
        role="service",
        service=home_appeal.service.code,
    )
    staff_actions.extend_deadline(
        heating,
        home_appeal.public_id,
        days=5,
        reason=f"Нужен доступ в {FLAT}, жилец {CITIZEN_NAME}, тел. {CITIZEN_PHONE}",
    )

    # The citizen rates the answer with a comment full of personal data.
    rating = RatingSchema().load(
        {
            "score": "2",
            "solved": "partly",
            "reason": "not_resolved",
            "comment": f"Я, {CITIZEN_NAME}, {FLAT}, тел. {CITIZEN_PHONE}: вывезли не всё.",
        }
    )
    rate_answer(main.tracking_token, rating)

    db.session.expire_all()
    for key, result in (
        ("public", main),
        ("home", home),
        ("sensitive", sensitive),
        ("rejected", rejected),
        ("waiting", waiting),
    ):
        planted.appeals[key] = db.session.get(Appeal, result.appeal.id)
        planted.tracking_tokens.append(result.tracking_token)
    planted.photo_ids = [p.public_id for p in db.session.query(Photo).order_by(Photo.id)]
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
MAX_FETCHES = 4000


def argument_samples(planted: Planted) -> dict[str, list[str]]:
    """Values for URL arguments, by argument name (extend when a route adds a new name)."""
    ids = planted.public_ids
    return {
        "public_id": [*ids, *planted.photo_ids],
        "service_request_id": ids,
        "appeal_id": ids,
        "photo_id": planted.photo_ids,
        "service_code": sorted(planted.category_codes | planted.service_codes),
        "category": sorted(planted.category_codes),
        "service": sorted(planted.service_codes),
        "city": ["bishkek", "osh"],
        "jurisdiction_id": ["bishkek", "osh"],
        "lang": ["ru", "ky", "en"],
    }


def public_rules(app):
    """Every GET route that anyone may call without a login or a private link."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.startswith(PRIVATE_PREFIXES) or "token" in rule.arguments:
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
        for text in dict.fromkeys([headers, *decoded_texts(part)]):
            text = text.lower()
            match = ANY_SENTINEL.search(text)
            if match:
                label = SENTINEL_PATTERNS[int(match.lastgroup[1:])][0]
                context = text[max(0, match.start() - 60) : match.end() + 60]
                found.append(f"{part_name}: {label}: …{context}…")
                break
    return found


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
    seeds = []
    for rule in public_rules(app):
        urls = urls_for_rule(app, rule, samples) or []
        for index, url in enumerate(urls):
            # every argument value plain; the query variants on the first URL of each
            # route and on every URL of the planted main appeal
            varied = index == 0 or planted.appeals["public"].public_id in url
            seeds += [url + variant for variant in QUERY_VARIANTS] if varied else [url]
    return seeds


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
    main = planted.appeals["public"]
    assert CITIZEN_NAME in main.private.raw_text
    assert (main.private.lat, main.private.lon) == POINTS["public"]
    assert main.status.value in ("answered", "reopened", "closed")
    assert "[ИМЯ]" in main.public_text and main.public_lat is not None
    assert planted.appeals["home"].public_text == "В квартире нет отопления."
    assert planted.appeals["sensitive"].public_lat is None
    assert planted.appeals["rejected"].status.value == "rejected"
    assert planted.appeals["waiting"].status.value == "submitted"
    assert len(planted.photo_ids) >= 3


def check_coverage(app, planted: Planted, result: Crawl) -> None:
    """The crawl saw the published data and fetched every public route successfully."""
    main = planted.appeals["public"]
    detail = result.bodies[f"/appeals/{main.public_id}"].decode()
    assert "[ТЕЛЕФОН]" in detail and "[ИМЯ]" in detail
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


def test_no_personal_data_in_any_public_output(app, client, make_staff):
    planted = plant(make_staff)
    check_planting(planted)
    publish_files(app)
    result = crawl(client, seed_urls(app, planted))

    assert len(result.fetched) < MAX_FETCHES, "the crawl did not finish"
    assert not result.errors, "\n".join(result.errors)
    assert not result.leaks, "personal data in public output:\n" + "\n".join(result.leaks[:40])
    check_coverage(app, planted, result)

    # Photos: served publicly only re-encoded, without EXIF (checked for every image above).
    photos = [body for url, body in result.bodies.items() if body[:3] == b"\xff\xd8\xff"]
    assert photos, "no public photo was fetched: is the photo route gone?"

    # The citizen's own private pages show their own data, but never a staff member's
    # name or the service's internal note.
    staff_only = re.compile(
        r"модераторов|служебников|aiperi|bakyt|@city-staff\.test|заметкадляслужбы"
    )
    for token in planted.tracking_tokens:
        for url in (f"/t/{token}", f"/api/v1/track/{token}"):
            if endpoint_of(app, url) is None:
                continue
            response = client.get(url)
            assert response.status_code == 200, url
            for text in decoded_texts(response.get_data()):
                match = staff_only.search(text.lower())
                assert match is None, f"{url} shows {match.group()}"

    # Public requests never read private tables or columns.
    private_sql = sorted({s for s in result.sql if PRIVATE_SQL.search(s)})
    assert result.sql, "the crawl ran no SQL at all"
    assert not private_sql, "public requests read private data:\n" + "\n\n".join(private_sql[:5])


def test_the_detector_finds_planted_data_in_every_encoding():
    """A sanity check of this test itself: escaped, encoded and packed leaks are found."""
    assert leaks_in(json.dumps({"t": CITIZEN_NAME}).encode(), "")  # \\u-escaped JSON
    assert leaks_in(b"<a href='/x?n=%D0%A1%D0%B5%D0%BD%D1%82%D0%B8%D0%BD%D0%B5%D0%BB'>", "")
    assert leaks_in(b"&#1057;&#1077;&#1085;&#1090;&#1080;&#1085;&#1077;&#1083;", "")
    assert leaks_in(b"tel: 555-98-76-54", "")
    assert leaks_in(b'{"lat": 42.876543}', "") and leaks_in(b"42.87654,74.59877", "")
    assert leaks_in("квартира 987".encode(), "")
    assert leaks_in(b"", "Content-Disposition: attachment; filename=sentinel.csv")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("data/appeals.csv", f"id,text\n1,{CITIZEN_EMAIL}\n")
    assert leaks_in(packed.getvalue(), "")
    assert leaks_in(gzip.compress(MODERATOR_NAME.encode()), "")
    assert any("EXIF" in leak for leak in leaks_in(exif_jpeg(), ""))
    assert not leaks_in("Во дворе [ИМЯ], [ТЕЛЕФОН], 42.8771, 74.5987".encode(), "")
    assert links_in(b'{"path": "appeals.csv", "u": "/api/v1/x"}', "/datasets/") == {
        "/datasets/appeals.csv",
        "/api/v1/x",
    }
