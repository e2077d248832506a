"""Atom feeds: ``/feeds/appeals.atom`` (any filter set the list accepts) and
``/feeds/appeals/<public_id>.atom`` (one appeal's public events and answers).

Only the public record goes in (the same queries as the list and the appeal page). Ids are
tag: URIs (RFC 4151) built from the host and public ids, so they are the same every time
a feed is read; an appeal's entry keeps its id and gets a newer ``updated`` when it changes.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Response, abort, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from opendata.records import AppealRecord
from portal import atom
from portal.i18n import localized
from portal.public import bp
from portal.queries.appeals import get_public_appeal, public_answers, public_timeline
from portal.queries.map import data_as_of, page_of_appeals
from portal.queries.reference import load_reference
from portal.schemas.filters import AppealFilters, AppealFiltersSchema, parse_filters
from portal.strict_args import json_errors, strict_query
from portal.templating import label

#: Entries of the list feed: the newest published appeals matching the filters.
FEED_SIZE = 50
#: The date part of every tag: URI (when the portal began minting them); never changes.
TAG_DATE = "2026"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
CACHE_SECONDS = 60


def _tag(specific: str) -> str:
    return f"tag:{request.host.split(':')[0]},{TAG_DATE}:{specific}"


def _absolute(endpoint: str, **values) -> str:
    return url_for(endpoint, **values, _external=True)


def _atom_response(feed: atom.Feed) -> Response:
    response = Response(atom.render(feed), mimetype=atom.MEDIA_TYPE)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.headers["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


def _common(**fields) -> dict:
    return {
        "author": _("Achyk Shaar"),
        "lang": str(get_locale() or "ru"),
        "rights": _("CC BY 4.0; source: the city services' appeal register, anonymized"),
        **fields,
    }


def _appeal_title(record: AppealRecord, ref) -> str:
    category = localized(ref.categories[(record.city, record.category)])
    return f"{record.public_id} · {category} — {label('STATUS', record.status)}"


def _appeal_entry(record: AppealRecord, ref) -> atom.Entry:
    page = _absolute("public.appeal_detail", public_id=record.public_id)
    return atom.Entry(
        id=_tag(f"appeal/{record.public_id}"),
        title=_appeal_title(record, ref),
        updated=record.updated_at or record.published_at,
        published=record.published_at,
        links=(atom.Link(page, type="text/html"),),
        summary=record.text,
        categories=(record.category,),
    )


def _newest(times: list[datetime | None], fallback: datetime) -> datetime:
    known = [moment for moment in times if moment is not None]
    return max(known, key=atom.timestamp) if known else fallback


@bp.get("/feeds/appeals.atom")
@strict_query(AppealFiltersSchema)
def appeals_feed():
    """The newest published appeals matching the list's filters, as Atom."""
    try:
        filters = parse_filters(request.args)
    except ValidationError as error:
        return json_errors(error)
    records, _total = page_of_appeals(filters, page=1, per_page=FEED_SIZE)
    args = dict(sorted(filters.query_args().items()))
    ref = load_reference()
    entries = tuple(_appeal_entry(record, ref) for record in records)
    feed = atom.Feed(
        id=_tag("appeals" + (f"?{urlencode(args)}" if args else "")),
        title=_("Achyk Shaar: appeals"),
        subtitle=_describe(filters),
        updated=_newest([entry.updated for entry in entries], data_as_of()),
        links=(
            atom.Link(_absolute("public.appeals_feed", **args), rel="self", type=atom.MEDIA_TYPE),
            atom.Link(_absolute("public.appeal_list", **args), type="text/html"),
            atom.Link(LICENCE_URL, rel="license"),
        ),
        entries=entries,
        **_common(),
    )
    return _atom_response(feed)


def _describe(filters: AppealFilters) -> str | None:
    args = filters.query_args()
    if not args:
        return None
    return _("Filters: %(filters)s", filters=", ".join(f"{k}={v}" for k, v in args.items()))


def _appeal_entries(record: AppealRecord, ref) -> list[atom.Entry]:
    public_id = record.public_id
    page = _absolute("public.appeal_detail", public_id=public_id)
    link = (atom.Link(page, type="text/html"),)
    entries = []
    # Events are append-only, so an event's position in the timeline is a stable id.
    for number, event in enumerate(public_timeline(public_id), start=1):
        title = str(label("EVENT", event.kind))
        if event.service:
            title += f" · {localized(ref.services[event.service])}"
        if event.to_service:
            title += f" → {localized(ref.services[event.to_service])}"
        entries.append(
            atom.Entry(
                id=_tag(f"appeal/{public_id}/event/{number}"),
                title=title,
                updated=event.at,
                links=link,
                # Publication is when the (scrubbed) text became public: it goes there.
                summary=event.note or (record.text if event.kind == "published" else None),
                categories=(event.kind,),
            )
        )
    for answer in public_answers(public_id):
        state = "in_moderation" if answer.in_moderation else "withheld"
        entries.append(
            atom.Entry(
                id=_tag(f"appeal/{public_id}/answer/{answer.id}"),
                title=_("Answer of %(service)s", service=localized(ref.services[answer.service])),
                updated=answer.created_at,
                links=link,
                summary=answer.text
                if answer.text is not None
                else str(label("ANSWER_TEXT", state)),
                categories=("answer",),
            )
        )
    return sorted(entries, key=lambda entry: atom.timestamp(entry.updated), reverse=True)


@bp.get("/feeds/appeals/<public_id>.atom")
@strict_query()
def appeal_feed(public_id: str):
    """One published appeal's public events and answers, newest first, as Atom."""
    record = get_public_appeal(public_id) if len(public_id) <= 20 else None
    if record is None:
        abort(404)
    ref = load_reference()
    entries = tuple(_appeal_entries(record, ref))
    feed = atom.Feed(
        id=_tag(f"appeal/{public_id}/feed"),
        title=_("Achyk Shaar: appeal %(id)s", id=public_id),
        subtitle=_appeal_title(record, ref),
        updated=_newest(
            [record.updated_at, *(entry.updated for entry in entries)], record.published_at
        ),
        links=(
            atom.Link(
                _absolute("public.appeal_feed", public_id=public_id),
                rel="self",
                type=atom.MEDIA_TYPE,
            ),
            atom.Link(_absolute("public.appeal_detail", public_id=public_id), type="text/html"),
            atom.Link(LICENCE_URL, rel="license"),
        ),
        entries=entries,
        **_common(),
    )
    return _atom_response(feed)
