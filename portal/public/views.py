"""Routes of the public blueprint (thin: query, then render)."""

from __future__ import annotations

from flask import abort, jsonify, render_template

from portal.database import check_connection
from portal.extensions import db
from portal.public import bp
from portal.queries.appeals import (
    get_public_appeal,
    public_answers,
    public_timeline,
    recent_public_appeals,
)
from portal.queries.reference import load_reference


@bp.get("/")
def home():
    """Recent public appeals."""
    return render_template(
        "public/home.html", appeals=recent_public_appeals(limit=20), ref=load_reference()
    )


@bp.get("/appeals/<public_id>")
def appeal_detail(public_id: str):
    """One published appeal with its timeline and answers."""
    appeal = get_public_appeal(public_id)
    if appeal is None:
        abort(404)
    return render_template(
        "public/appeal.html",
        appeal=appeal,
        timeline=public_timeline(public_id),
        answers=public_answers(public_id),
        ref=load_reference(),
    )


@bp.get("/healthz")
def healthz():
    """Liveness and database check for load balancers and monitoring."""
    try:
        check_connection(db.engine)
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return jsonify(status="error", database=str(exc)), 503
    return jsonify(status="ok", database="ok")
