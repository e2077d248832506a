"""Routes of the Open311 GeoReport v2 API (``/open311/v2/…``, JSON and XML).

Choices this API makes (the specification leaves them to each server):

- jurisdiction_id is a city slug (``bishkek``, ``osh``); when omitted it is ``bishkek``.
  An unknown jurisdiction is a 404.
- A service is a category of that city: ``service_code`` is the category code (the same
  code in every city), ``agency_responsible`` the municipal service that answers it.
- ``service_request_id`` is the appeal's public id (``BSK-2026-000123``); a list of ids
  overrides every other argument and is not limited to one jurisdiction.
- Status: ``closed`` when the appeal is closed, ``open`` otherwise (an answered appeal
  stays open until the citizen rates it or the service closes it); ``status_notes`` has
  the detail or the latest answer.
- GET requests without any date covers the last 90 days (the specification's default);
  given dates are used as they are (paging keeps answers small).
  Extensions: ``page``/``page_size`` (default PAGE_SIZE, at most MAX_PAGE_SIZE),
  ``updated_after``/``updated_before`` and ``extensions=true`` (``notes`` = the public
  timeline, ``extended_attributes`` = portal status, answers and their ratings).
- POST requests needs an ``api_key``: the key of a client created in the staff admin area
  (its appeals record the channel ``open311:<client code>``; a revoked key is a 403 that
  says so), or, as a fallback, one listed in OPEN311_API_KEYS (403 otherwise); an entry
  ``name=key`` names its client, and the appeals it sends record the channel
  ``open311:name`` (``open311`` for unnamed keys). Each key has its own rate limit (the
  client's, else API_KEY_RATE_LIMIT): 429 beyond it. New appeals wait for moderation, so
  the answer carries a ``token`` (opaque and signed, not the citizen's private tracking
  link) that GET tokens/<token> turns into the service_request_id once it is published.
"""

from __future__ import annotations

import hmac
import re

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, Signer
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from opendata.schema import CLIENT_NAME_PATTERN
from portal.errors import _describe, error_headers
from portal.extensions import limiter
from portal.integrations.keys import (
    check_key,
    presented_key,
    rate_limit_key,
    rate_limit_value,
    request_key,
)
from portal.models import PUBLIC_STATUSES, utcnow
from portal.open311 import bp, documents, queries, serializers
from portal.open311.xml import to_xml
from portal.queries.appeals import get_public_appeal, public_answers_by_appeal, public_timelines
from portal.queries.reference import load_reference
from portal.schemas import error_dict
from portal.schemas.open311 import (
    DEFAULT_JURISDICTION,
    ApiKeySchema,
    ExtensionsArgsSchema,
    JurisdictionArgsSchema,
    RequestQuerySchema,
    load_media,
    load_new_request,
    open311_field_errors,
)
from portal.strict_args import refuse_unknown

FORMAT = "<any(json, xml):fmt>"
TOKEN_SALT = "open311-token"


class Open311Error(Exception):
    """An error answered as ``[{"code": …, "description": …}, …]`` (or ``<errors>``)."""

    def __init__(self, code: int, descriptions: list[str]) -> None:
        super().__init__(code, descriptions)
        self.code = code
        self.descriptions = descriptions


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    return fmt if fmt in ("json", "xml") else ("xml" if request.path.endswith(".xml") else "json")


def respond(value, root: str, item: str | None = None, status: int = 200) -> Response:
    """``value`` in the requested format; XML uses the specification's element names."""
    if _format() == "xml":
        return Response(to_xml(root, value, item), status=status, mimetype="text/xml")
    response = jsonify(value)
    response.status_code = status
    return response


@bp.errorhandler(Open311Error)
def open311_error(error: Open311Error):
    errors = [serializers.error(error.code, text) for text in error.descriptions]
    return respond(errors, "errors", "error", status=error.code)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    code = error.code or 500
    response = respond([serializers.error(code, _describe(error))], "errors", "error", status=code)
    response.headers.update(error_headers(error))
    return response


def _invalid(error: ValidationError) -> Open311Error:
    descriptions = [
        message if field == "_schema" else f"{field}: {message}"
        for field, messages in error_dict(error).items()
        for message in messages
    ]
    return Open311Error(400, descriptions)


def _load(schema, data):
    try:
        return schema.load(data)
    except ValidationError as error:
        raise _invalid(error) from None


def _query(schema):
    """The query string read by ``schema``; any other argument is refused (api_key, which
    clients may send with every call, and lang aside)."""
    try:
        refuse_unknown(request.args.keys(), schema, ApiKeySchema)
    except ValidationError as error:
        raise _invalid(error) from None
    return _load(schema, request.args)


def _city(jurisdiction_id: str | None) -> str:
    city = jurisdiction_id or DEFAULT_JURISDICTION
    if city not in queries.city_slugs():
        raise Open311Error(404, [_("jurisdiction_id %(id)s was not found.", id=city)])
    return city


def _signer() -> Signer:
    return Signer(current_app.secret_key, salt=TOKEN_SALT)


def make_token(public_id: str) -> str:
    """The Open311 token of an appeal: its public id, signed (unforgeable, not secret)."""
    return _signer().sign(public_id).decode("ascii")


def read_token(token: str) -> str | None:
    """The public id inside a token, or None when the token is not one of ours."""
    if len(token) > 100:
        return None
    try:
        return _signer().unsign(token).decode("ascii")
    except BadSignature:
        return None


def _requests_response(records, *, extensions: bool) -> Response:
    ids = [record.public_id for record in records]
    answers = public_answers_by_appeal(ids)
    photos = queries.first_photos(ids)
    events = public_timelines(ids) if extensions else {}
    ref = load_reference()
    items = [
        serializers.service_request(
            record,
            ref,
            answers=answers.get(record.public_id, []),
            media_url=(
                url_for("citizen.photo", public_id=photos[record.public_id], _external=True)
                if record.public_id in photos
                else None
            ),
            timeline=events.get(record.public_id, []) if extensions else None,
        )
        for record in records
    ]
    return respond(items, "service_requests", "request")


@bp.get(f"/discovery.{FORMAT}")
@documents.operation("Service discovery", ("Success.", documents.Open311Discovery))
def discovery(fmt: str):
    """Service discovery: where the API is and which formats it speaks."""
    _query(ApiKeySchema())
    contact = _("Ачык Шаар open data portal: %(url)s", url=url_for("public.home", _external=True))
    value = serializers.discovery(url_for("open311.discovery", fmt=fmt, _external=True), contact)
    value["endpoints"][0]["url"] = value["endpoints"][0]["url"].rsplit("/", 1)[0]
    return respond(value, "discovery")


@bp.get(f"/services.{FORMAT}")
@documents.operation(
    "Service list: the categories of a city",
    ("Success.", documents.Open311Service(many=True)),
    400,
    404,
    query=JurisdictionArgsSchema,
)
def service_list(fmt: str):
    """The categories of a city (jurisdiction_id, default bishkek)."""
    args = _query(JurisdictionArgsSchema())
    city = _city(args.get("jurisdiction_id"))
    return respond(
        [serializers.service(item) for item in queries.service_types(city)], "services", "service"
    )


@bp.get(f"/services/<service_code>.{FORMAT}")
@documents.operation(
    "Service definition; no extra attributes",
    ("Success.", documents.Open311ServiceDefinition),
    400,
    404,
    query=JurisdictionArgsSchema,
    path={"service_code": "Category code, e.g. pothole."},
)
def service_definition(service_code: str, fmt: str):
    """A category's extra attributes (none: every category takes the same fields)."""
    args = _query(JurisdictionArgsSchema())
    city = _city(args.get("jurisdiction_id"))
    found = queries.service_types(city, service_code) if len(service_code) <= 40 else []
    if not found:
        raise Open311Error(404, [_("service_code %(code)s was not found.", code=service_code)])
    return respond(serializers.service_definition(found[0]), "service_definition")


@bp.get(f"/requests.{FORMAT}")
@documents.operation(
    "Published appeals as service requests",
    documents.REQUESTS,
    400,
    404,
    query=lambda ctx: RequestQuerySchema(max_page_size=ctx.max_page_size),
    description=(
        "Newest first. Without any date argument: the last 90 days of requested_datetime. "
        "service_request_id overrides every other filter. Status: closed = closed appeal, "
        "open = any other public status."
    ),
)
def service_requests(fmt: str):
    """Published appeals: filters of the specification plus paging and extensions."""
    config = current_app.config
    query = _query(RequestQuerySchema(max_page_size=config["MAX_PAGE_SIZE"]))
    city = DEFAULT_JURISDICTION
    if not query.service_request_id:
        city = _city(query.jurisdiction_id)
        known = {item.code for item in queries.service_types(city)}
        unknown = [code for code in query.service_code or () if code not in known]
        if unknown:
            raise Open311Error(
                404, [_("service_code %(code)s was not found.", code=code) for code in unknown]
            )
    records = queries.find_requests(
        query, city=city, page_size=query.page_size or config["PAGE_SIZE"], now=utcnow()
    )
    return _requests_response(records, extensions=query.extensions)


@bp.get(f"/requests/<service_request_id>.{FORMAT}")
@documents.operation(
    "One published appeal, as a list of one",
    documents.REQUESTS,
    400,
    404,
    query=ExtensionsArgsSchema,
    path={"service_request_id": "Public id, e.g. BSK-2026-000123."},
)
def service_request(service_request_id: str, fmt: str):
    """One published appeal (as a list of one, like the specification)."""
    args = _query(ExtensionsArgsSchema())
    record = None
    if len(service_request_id) <= 20:
        record = get_public_appeal(service_request_id)
    if record is None or (args.get("jurisdiction_id") not in (None, record.city)):
        raise Open311Error(
            404, [_("service_request_id %(id)s was not found.", id=service_request_id)]
        )
    return _requests_response([record], extensions=args.get("extensions", False))


@bp.post(f"/requests.{FORMAT}")
@limiter.limit(rate_limit_value, key_func=rate_limit_key)
@documents.operation(
    "Submit an appeal; needs an api_key",
    ("Success.", documents.Open311NewRequest(many=True)),
    400,
    403,
    404,
    429,
    status=201,
    body=documents.post_body,
    security="open311_api_key",
    description=(
        "Creates an appeal through the same use case as the web form. api_key goes in the "
        "query string, the X-Api-Key header or, as the specification has it, in the body. "
        "The key of a client created in the staff admin area records the channel "
        "open311:<client code> and is limited to its client's rate (429 beyond it); the "
        "fallback keys of OPEN311_API_KEYS configured as name=key record the channel "
        "open311:name. It waits for moderation: the answer "
        "carries a token; GET tokens/{token} gives the service_request_id once the appeal "
        "is published. The point is required (addresses are not geocoded) and must lie "
        "inside the city. A photo goes as multipart/form-data: the same fields as form "
        "parts plus one file part `media` (JPEG, PNG or WebP, at most MAX_PHOTO_BYTES); it is "
        "re-encoded without its metadata (EXIF, GPS) like a web-form photo and published "
        "with the appeal, whose media_url then points to it. A fake or oversized file is a "
        "400 naming media, and nothing is stored. media_url in the body is ignored."
    ),
)
def create_request(fmt: str):
    """Submit an appeal through the same use case as the web form (needs an api_key)."""
    from portal.citizen.forms import request_origin
    from portal.services.core import ServiceError
    from portal.services.submission import submit_appeal

    body = request.get_json(silent=True) if request.is_json else request.form
    if body is None:
        raise Open311Error(400, [_("Send the fields as a form or a JSON object.")])
    key_source = body if isinstance(body, dict) or hasattr(body, "getlist") else {}
    api_key = _load(ApiKeySchema(), key_source)["api_key"] or presented_key()
    checked = request_key() if api_key == presented_key() else check_key(api_key)
    if checked.revoked:
        raise Open311Error(403, [_("This api_key was revoked; ask the portal for a new one.")])
    if checked.channel is None:
        raise Open311Error(403, [_("api_key is missing or not valid.")])
    data, photos = _load_post(body)
    try:
        key = request.headers.get("Idempotency-Key")
        origin = request_origin(checked.channel, retry_scope=f"open311:{api_key}", retry_key=key)
        result = submit_appeal(data, photos, origin)
    except ServiceError as error:
        fields = open311_field_errors(error.errors)
        descriptions = [f"{field}: {text}" for field, texts in fields.items() for text in texts]
        raise Open311Error(error.status_code, descriptions or [error.message]) from None
    appeal, published = result.appeal, result.appeal.status in PUBLIC_STATUSES
    notice = _(
        "Thank you. The appeal will be published after moderation; "
        "the service must answer by %(date)s.",
        date=serializers.iso(result.due_at)[:10],
    )
    value = serializers.new_request(
        make_token(appeal.public_id), appeal.public_id if published else None, notice
    )
    return respond([value], "service_requests", "request", status=201)


def _load_post(body) -> tuple[dict, list[bytes]]:
    """The appeal's fields and the image of the ``media`` part (if any); 400 when refused."""
    try:
        return load_new_request(body, default_city=DEFAULT_JURISDICTION), load_media(request.files)
    except ValidationError as error:
        raise _invalid(error) from None


#: ``name=key``: a key that names its client (opendata.schema.CLIENT_NAME_PATTERN). The
#: key itself must be 8 characters or more, so a padded base64 key ("…==") stays a key.
_NAMED_KEY = re.compile(rf"^(?P<name>{CLIENT_NAME_PATTERN})=(?P<key>.{{8,}})$", re.DOTALL)


def configured_keys() -> list[tuple[str | None, str]]:
    """(client name or None, key) of every entry of OPEN311_API_KEYS."""
    keys = []
    for entry in current_app.config["OPEN311_API_KEYS"]:
        named = _NAMED_KEY.match(entry) if entry else None
        keys.append((named["name"], named["key"]) if named else (None, entry))
    return keys


def client_channel(api_key: str | None) -> str | None:
    """The channel of the client holding ``api_key`` ("open311" or "open311:<name>"), or
    None when no configured key matches (constant-time comparison with every key)."""
    if not api_key:
        return None
    channel = None
    for name, key in configured_keys():
        if key and hmac.compare_digest(key.encode(), api_key.encode()):
            channel = f"open311:{name}" if name else "open311"
    return channel


@bp.get(f"/tokens/<token>.{FORMAT}")
@documents.operation(
    "The service_request_id behind a token",
    ("Success.", documents.Open311Token(many=True)),
    404,
    path={"token": "The token returned by POST requests."},
)
def token(token: str, fmt: str):
    """The service_request_id behind a token (null until the appeal is published)."""
    public_id = read_token(token)
    status = queries.token_status(public_id) if public_id else None
    if status is None:
        raise Open311Error(404, [_("token %(token)s was not found.", token=token[:100])])
    published = status in PUBLIC_STATUSES
    return respond(
        [serializers.token(token, public_id if published else None)], "service_requests", "request"
    )
