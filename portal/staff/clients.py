"""Administration of API clients (city apps): keys, webhooks, deliveries (admins only)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from portal.integrations import services
from portal.integrations.webhooks import REPLAY_WINDOW, retry_delays, signing_secret
from portal.schemas import error_dict
from portal.schemas.integrations import ApiClientFormSchema, WebhookSchema
from portal.schemas.staff import load
from portal.services.core import Forbidden, NotFound, ServiceError
from portal.services.permissions import ensure_can
from portal.staff import bp


def _secret_page(template: str, status: int = 200, **context):
    """A page that shows a key or a secret once: never cached anywhere."""
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/clients/")
@login_required
def admin_clients():
    return render_template("staff/admin/clients.html", clients=services.list_clients(current_user))


@bp.route("/admin/clients/new", methods=["GET", "POST"])
@login_required
def admin_new_client():
    ensure_can(current_user, "administer")  # before the input is even looked at
    values = request.form.to_dict()
    if request.method == "GET":
        return render_template("staff/admin/client_form.html", values={}, errors={})
    try:
        data = load(ApiClientFormSchema(), request.form)
        client, key = services.create_client(current_user, data)
        if data.get("url"):
            services.set_webhook(current_user, client.id, data["url"])
    except ValidationError as exc:
        return render_template(
            "staff/admin/client_form.html", values=values, errors=error_dict(exc)
        ), 400
    except (Forbidden, NotFound):
        raise
    except ServiceError as exc:
        errors = exc.errors or {"_schema": [exc.message]}
        return render_template("staff/admin/client_form.html", values=values, errors=errors), 400
    return _client_page(
        client.id,
        key=key,
        secret=signing_secret(client) if client.webhook_url else None,
        status=201,
    )


def _client_page(ident: int, *, key=None, secret=None, errors=None, status: int = 200):
    client = services.get_client(current_user, ident)
    return _secret_page(
        "staff/admin/client.html", status,
        client=client, deliveries=services.recent_deliveries(current_user, client),
        key=key, secret=secret, errors=errors or {}, delays=retry_delays(),
        replay_window=REPLAY_WINDOW,
    )  # fmt: skip


@bp.get("/admin/clients/<int:ident>")
@login_required
def admin_client(ident: int):
    return _client_page(ident)


@bp.post("/admin/clients/<int:ident>/webhook")
@login_required
def admin_client_webhook(ident: int):
    ensure_can(current_user, "administer")
    try:
        data = load(WebhookSchema(), request.form)
    except ValidationError as exc:
        return _client_page(ident, errors=error_dict(exc), status=400)
    client = services.set_webhook(current_user, ident, data.get("url"))
    if client.webhook_url is None:
        flash(_("The webhook was removed."), "success")
        return redirect(url_for("staff.admin_client", ident=ident))
    return _client_page(ident, secret=signing_secret(client))


@bp.post("/admin/clients/<int:ident>/revoke")
@login_required
def admin_revoke_client(ident: int):
    services.revoke_client(current_user, ident)
    flash(_("The key was revoked."), "success")
    return redirect(url_for("staff.admin_client", ident=ident))


@bp.post("/admin/webhook-deliveries/<int:ident>/retry")
@login_required
def admin_retry_delivery(ident: int):
    delivery = services.retry_delivery(current_user, ident)
    from portal.jobs import enqueue

    enqueue("deliver_webhooks")
    flash(_("The delivery will be attempted again."), "success")
    return redirect(url_for("staff.admin_client", ident=delivery.client_id))
