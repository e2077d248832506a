"""Jinja helpers shared by every template: dates in Asia/Bishkek, labels, navigation."""

from __future__ import annotations

import functools
from datetime import datetime
from urllib.parse import quote, urlencode

from babel import numbers as babel_numbers
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.dates import get_datetime_format
from flask import Flask, current_app, request, url_for
from flask_babel import format_date, get_locale, to_user_timezone

from opendata import schema
from portal import labels
from portal.models import utcnow


def local_datetime(value: datetime | None, style: str = "medium") -> str:
    """A stored UTC instant shown in the portal's time zone and language, to the minute.

    The date in ``style`` and the time always "short": seconds mean nothing to a reader.
    """
    if not value:
        return "—"
    locale = get_locale()
    local = to_user_timezone(value)
    pattern = str(get_datetime_format(style, locale=locale)).replace("'", "")
    time = babel_time(local, "short", locale=locale)
    return pattern.replace("{0}", time).replace("{1}", babel_date(local, style, locale=locale))


def local_date(value: datetime | None, style: str = "medium") -> str:
    return format_date(value, style) if value else "—"


def label(kind: str, code: str | None) -> str:
    """The translated label of a code, e.g. label("STATUS", "answered")."""
    if code is None:
        return "—"
    return str(getattr(labels, kind).get(code, code))


def labels_of(kind: str, codes) -> dict[str, str]:
    """Code → translated label for several codes, e.g. labels_of("STATUS", statuses)."""
    return {code: label(kind, code) for code in codes}


def nav_link(endpoint: str, **values) -> str | None:
    """URL of an endpoint, or None if that part of the portal is not installed."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def lang_url(code: str) -> str:
    """This page's URL — path and every query argument — in the language ``code``.

    The switch keeps filters and page; static/js/lang-switch.js adds the map's #view.
    """
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    path = quote(request.script_root + request.path)
    return f"{path}?{urlencode([*args, ('lang', code)])}"


def credited(events) -> list[tuple[object, str]]:
    """Each timeline event with who acted: "resident", "moderators" or "service".

    Takes public timeline entries (``kind``, ``at``) or status events (``kind``,
    ``created_at``). A closure recorded at the very instant of a rating is the resident's
    (a satisfied rating closes the appeal); any other closure is the service's.
    """
    result, previous = [], (None, None)
    for event in events:
        kind = str(getattr(event.kind, "value", event.kind))
        at = getattr(event, "at", None) or getattr(event, "created_at", None)
        actor = labels.EVENT_ACTOR.get(kind, "service")
        if kind == "closed" and previous == ("rated", at):
            actor = "resident"
        result.append((event, actor))
        previous = (kind, at)
    return result


@functools.lru_cache(maxsize=8192)
def _formatted(kind: str, number_type: type, number, pattern: str | None, locale: str) -> str:
    if kind == "percent":
        return babel_numbers.format_percent(number, format=pattern, locale=locale)
    return babel_numbers.format_decimal(number, locale=locale)


def number_format(number) -> str:
    """Flask-Babel's ``numberformat`` filter, remembered per value and locale (a figures
    page formats thousands of small counts; Babel takes tens of microseconds each)."""
    return _formatted("decimal", type(number), number, None, str(get_locale()))


def percent_format(number, format: str | None = None) -> str:
    """Flask-Babel's ``percentformat`` filter, remembered per value, pattern and locale."""
    return _formatted("percent", type(number), number, format, str(get_locale()))


def init_app(app: Flask) -> None:
    from portal.queries.videos import poster_url

    app.jinja_env.filters["numberformat"] = number_format
    app.jinja_env.filters["percentformat"] = percent_format
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.globals.update(
        label=label,
        labels_of=labels_of,
        value_label=labels.value_label,
        nav_link=nav_link,
        lang_url=lang_url,
        credited=credited,
        now_utc=utcnow,
        open_statuses=schema.OPEN_STATUSES,
        appeal_kinds=schema.APPEAL_KINDS,
        proposal_outcomes=schema.PROPOSAL_OUTCOMES,
        video_poster=poster_url,
    )
