"""Alert routes: the subscription form, the confirmation and unsubscribe pages.

Thin views: schema → service → render. The form is rate limited and CSRF-protected; the
one-click unsubscribe POST (RFC 8058) comes from mail clients, without a CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from portal.alerts import services
from portal.alerts.models import AlertFrequency, AlertScope
from portal.alerts.schemas import SubscriptionSchema
from portal.extensions import csrf, limiter
from portal.queries.reference import load_reference
from portal.schemas import error_dict
from portal.services.core import ServiceError
from portal.strict_args import html_error_page, strict_query

bp = Blueprint("alerts", __name__, url_prefix="/alerts")

#: Each subscription sends a mail: generous for people, a brake for scripts and spammers.
SUBSCRIBE_RATE_LIMIT = "10 per hour; 3 per minute"
#: The query arguments that preset the form (links from the appeal page and the list).
PRESETS = ("scope", "appeal", "city", "district", "category", "service", "bbox", "frequency")
#: Which scope a preset field implies, most precise first (a list filtered by city and
#: category follows the category; one filtered by a map view follows the area).
IMPLIED_SCOPES = (("appeal", "appeal"), ("bbox", "area"), ("district", "district"),
                  ("category", "category"), ("service", "service"))  # fmt: skip


def render_form(values: dict, errors: dict | None = None, status: int = 200):
    ref = load_reference()
    page = render_template(
        "alerts/subscribe.html", values=values, errors=errors or {}, ref=ref,
        scopes=[s.value for s in AlertScope], frequencies=[f.value for f in AlertFrequency],
        extents={slug: city.extra["bbox"] for slug, city in ref.cities.items()},
        tile_url=current_app.config["TILE_URL"],
        tile_attribution=current_app.config["TILE_ATTRIBUTION"],
    )  # fmt: skip
    return page, status


@bp.get("/subscribe")
@strict_query(SubscriptionSchema(only=PRESETS), respond=html_error_page)
def subscribe_form():
    """The form, preset from the query string (e.g. ``?appeal=BSK-2026-000123``)."""
    values = {name: request.args[name] for name in PRESETS if request.args.get(name)}
    if "scope" not in values:  # the most precise target the link names
        implied = [scope for name, scope in IMPLIED_SCOPES if name in values]
        values["scope"] = implied[0] if implied else AlertScope.APPEAL.value
    return render_form(values)


@bp.post("/subscribe")
@limiter.limit(SUBSCRIBE_RATE_LIMIT)
def subscribe():
    """Store a pending subscription and mail the link, or show the form again (400)."""
    # The drawn area is posted, never preset by a link: a private polygon stays out of URLs.
    values = {name: request.form.get(name, "") for name in (*PRESETS, "email", "area")}
    try:
        data = SubscriptionSchema().load(request.form)
        services.subscribe(data, language=str(get_locale()))
    except ValidationError as error:
        return render_form(values, error_dict(error), status=400)
    except ServiceError as error:
        return render_form(values, error.errors or {"_schema": [error.message]}, status=400)
    return render_template("alerts/message.html", title=_("Check your mailbox"), message=_(
        "If the address is right, a message with a confirmation link is on its way. "
        "Nothing is sent before you confirm."))  # fmt: skip


def _bad_link():
    page = render_template("alerts/message.html", title=_("Link not valid"), message=_(
        "This link is not valid or has expired. Nothing has been changed."))  # fmt: skip
    return page, 404


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    """A button, not an action: mail scanners that open links confirm nothing."""
    subscription = services.pending_by_token(token)
    if subscription is None:
        return _bad_link()
    return render_template(
        "alerts/token_action.html",
        action="confirm",
        following=services.describe_target(subscription),
    )


@bp.post("/confirm/<token>")
def confirm(token: str):
    if not services.confirm(token):
        return _bad_link()
    return render_template("alerts/message.html", title=_("Subscription confirmed"), message=_(
        "You will receive alerts by e-mail. Every message has a link to unsubscribe."))  # fmt: skip


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    subscription = services.by_unsubscribe_token(token)
    if subscription is None:
        return _bad_link()
    return render_template(
        "alerts/token_action.html",
        action="unsubscribe",
        following=services.describe_target(subscription),
    )


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click: the mail client posts "List-Unsubscribe=One-Click"
def unsubscribe(token: str):
    if not services.unsubscribe(token):
        return _bad_link()
    return render_template("alerts/message.html", title=_("Unsubscribed"), message=_(
        "You will receive no more alerts of this subscription."))  # fmt: skip
