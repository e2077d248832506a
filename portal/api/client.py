"""The city app's own API: who its key is, its webhook and the webhook's deliveries.

Authenticated by the ``X-Api-Key`` header (a key created in the staff admin area; the
environment fallback keys have no client record). A missing or unknown key is a 401, a
revoked one a 403; every answer is limited per key like Open311 POST.
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from portal.api import bp, responses
from portal.api.openapi import CLIENT_TAG, documented, json_body
from portal.extensions import db, limiter
from portal.integrations import services
from portal.integrations.keys import rate_limit_key, rate_limit_value, request_key
from portal.integrations.models import ApiClient, WebhookDelivery
from portal.integrations.webhooks import (
    REPLAY_WINDOW,
    SIGNATURE_HEADER,
    retry_delays,
    signing_secret,
)
from portal.schemas import error_dict
from portal.schemas.integrations import WebhookSchema
from portal.workdays import local_iso

REFUSALS = {
    401: ("Missing or unknown API key.", responses.ApiError),
    403: ("The key was revoked, or has no client record.", responses.ApiError),
    429: ("Too many requests with this key.", responses.ApiError),
}


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code, self.message = code, message


@bp.errorhandler(Refused)
def _refused(error: Refused):
    response = jsonify(error={"code": error.code, "message": error.message})
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'ApiKey header="X-Api-Key"'
    return response, error.code


def _client() -> ApiClient:
    checked = request_key()
    if checked.revoked:
        raise Refused(403, _("This API key was revoked; ask the portal for a new one."))
    if checked.channel is None:
        raise Refused(401, _("Send a valid API key in the X-Api-Key header."))
    if checked.client_id is None:
        raise Refused(403, _("This key is not a client of the admin area; ask for one."))
    return db.session.get(ApiClient, checked.client_id)


def _iso(value):
    return local_iso(value) if value is not None else None


def _delivery(row: WebhookDelivery) -> dict:
    return {
        "id": row.id, "event": row.event.kind.value, "public_id": row.event.appeal.public_id,
        "state": row.state, "attempts": row.attempts, "last_attempt_at": _iso(row.last_attempt_at),
        "last_status_code": row.last_status_code, "last_error": row.last_error,
        "next_attempt_at": _iso(row.next_attempt_at) if row.state == "pending" else None,
    }  # fmt: skip


def _recent(client: ApiClient) -> list[WebhookDelivery]:
    from sqlalchemy import select

    query = (
        select(WebhookDelivery).where(WebhookDelivery.client_id == client.id)
        .order_by(WebhookDelivery.id.desc()).limit(20)
    )  # fmt: skip
    return list(db.session.scalars(query))


@bp.get("/v1/client")
@documented(
    summary="The client holding this API key: channel, rate limit, webhook, deliveries",
    tag=CLIENT_TAG,
    security="client_api_key",
    responses={
        200: ("The client and its 20 latest deliveries.", responses.ApiClientShape),
        **REFUSALS,
    },
)
@limiter.limit(rate_limit_value, key_func=rate_limit_key)
def client_info():
    client = _client()
    return jsonify(
        name=client.name, code=client.slug, channel=client.channel,
        rate_limit=client.rate_limit or current_app.config["API_KEY_RATE_LIMIT"],
        webhook_url=client.webhook_url, deliveries=[_delivery(d) for d in _recent(client)],
    )  # fmt: skip


@bp.put("/v1/client/webhook")
@documented(
    summary="Register (or replace) this client's webhook; answers its signing secret once",
    tag=CLIENT_TAG,
    security="client_api_key",
    body=json_body(WebhookSchema),
    description=(
        "Public events of the appeals this client sent (status changes, answers, ratings) "
        "are POSTed as JSON built from the public record, signed in the X-Portal-Signature "
        "header: t=<unix time>,v1=<hex HMAC-SHA256 of 't.body' with the secret>. Refuse "
        "a t older than replay_window_seconds. Failed deliveries are retried after each of "
        "retry_delays_seconds. A new URL gets a new secret. http and https only."
    ),
    responses={
        200: ("Registered.", responses.WebhookRegistered),
        400: ("Invalid URL.", responses.FieldErrors),
        **REFUSALS,
    },
)
@limiter.limit(rate_limit_value, key_func=rate_limit_key)
def client_set_webhook():
    client = _client()
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        return jsonify(errors={"_schema": [_("Send a JSON object.")]}), 400
    try:
        data = WebhookSchema().load(body)
    except ValidationError as error:
        return jsonify(errors=error_dict(error)), 400
    if not data.get("url"):
        return jsonify(errors={"url": [_("This field is required.")]}), 400
    client = services.set_own_webhook(client.id, data["url"])
    return jsonify(
        webhook_url=client.webhook_url, secret=signing_secret(client),
        signature_header=SIGNATURE_HEADER, replay_window_seconds=REPLAY_WINDOW,
        retry_delays_seconds=retry_delays(),
    )  # fmt: skip


@bp.delete("/v1/client/webhook")
@documented(
    summary="Remove this client's webhook (pending deliveries are then marked failed)",
    tag=CLIENT_TAG,
    security="client_api_key",
    responses={204: ("Removed.", None), **REFUSALS},
)
@limiter.limit(rate_limit_value, key_func=rate_limit_key)
def client_delete_webhook():
    client = _client()
    services.set_own_webhook(client.id, None)
    return "", 204
