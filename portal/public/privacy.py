"""The public "How we protect privacy" page."""

from __future__ import annotations

from flask import current_app, render_template

from opendata.geomask import TIER_PRECISION_M
from portal.public import bp


@bp.get("/privacy")
def privacy():
    """What is published, what is never published, and how locations are generalised."""
    return render_template(
        "public/privacy.html",
        precision=TIER_PRECISION_M,
        contact_email=current_app.config["CONTACT_EMAIL"],
    )
