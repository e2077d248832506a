"""Staff routes for the mayor's office's news (editors and admins)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from portal.models import NewsItem
from portal.news.markup import render
from portal.queries.news import news_item, news_page
from portal.schemas import error_dict
from portal.schemas.news import MAX_BODY, NewsFormSchema
from portal.schemas.staff import load
from portal.services import news
from portal.services.core import NotFound, ServiceError
from portal.services.permissions import ensure_can
from portal.staff import bp

STAFF_PAGE = 50


@bp.get("/news/")
@login_required
def news_admin():
    """Published items (newest first) with links to correct or remove them."""
    ensure_can(current_user, "publish_news")
    items, total = news_page(1, STAFF_PAGE)
    return render_template("staff/news.html", items=items, total=total)


def _form(item: NewsItem | None, values: dict, errors: dict, status: int = 200):
    return render_template(
        "staff/news_form.html", item=item, values=values, errors=errors, max_body=MAX_BODY,
        render=render,
    ), status  # fmt: skip


def _edit(item_id: int | None):
    ensure_can(current_user, "publish_news")  # before the input is even looked at
    item = None
    if item_id is not None:
        item = news_item(item_id)
        if item is None:
            raise NotFound(_("No such news item."))
    if request.method == "GET":
        values = {name: getattr(item, name) or "" for name in news.FIELDS} if item else {}
        return _form(item, values, {})
    values = request.form.to_dict()
    try:
        data = load(NewsFormSchema(), {**values, **request.files.to_dict()})
        news.publish_news(current_user, data, item_id)
    except ValidationError as exc:
        return _form(item, values, error_dict(exc), 400)
    except ServiceError as exc:  # a refused photo: nothing was stored
        if exc.status_code != 400:
            raise
        return _form(item, values, exc.errors or {"_schema": [exc.message]}, 400)
    flash(_("Published."), "success")
    return redirect(url_for("staff.news_admin"))


@bp.route("/news/new", methods=["GET", "POST"])
@login_required
def news_new():
    return _edit(None)


@bp.route("/news/<int:item_id>", methods=["GET", "POST"])
@login_required
def news_edit(item_id: int):
    return _edit(item_id)


@bp.post("/news/<int:item_id>/delete")
@login_required
def news_delete(item_id: int):
    news.remove_news(current_user, item_id)
    flash(_("Removed."), "success")
    return redirect(url_for("staff.news_admin"))
