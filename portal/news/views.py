"""Public news routes (thin: validate, query, render)."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from portal.news import atom, bp
from portal.news.markup import render
from portal.queries.map import pages
from portal.queries.news import latest_news, news_item, news_page
from portal.schemas import error_dict
from portal.schemas.map import PageArgs, PageArgsSchema, parse_page
from portal.strict_args import html_error_page, strict_query

PER_PAGE = 10
FEED_ITEMS = 20


@bp.get("/news")
@strict_query(PageArgsSchema, respond=html_error_page)
def news_index():
    """The news, newest first, ten to a page."""
    errors: dict = {}
    try:
        paging = parse_page(request.args, default=PER_PAGE, maximum=PER_PAGE)
    except ValidationError as error:
        errors, paging = error_dict(error), PageArgs(page=1, per_page=PER_PAGE)
    items, total = news_page(paging.page, PER_PAGE)
    return render_template(
        "news/index.html",
        items=items,
        total=total,
        page=paging.page,
        pages=pages(total, PER_PAGE),
        errors=errors,
        render=render,
    ), (400 if errors else 200)


@bp.get("/news/<int:item_id>")
@strict_query(respond=html_error_page)
def news_detail(item_id: int):
    item = news_item(item_id)
    if item is None:
        abort(404)
    return render_template("news/item.html", item=item, render=render)


@bp.get("/news.atom")
@strict_query()
def news_feed():
    """The latest news as Atom, in the language asked for (?lang=)."""
    lang = str(get_locale() or "ru")
    body = atom.feed(
        latest_news(FEED_ITEMS),
        title=_("News of the mayor's office"),
        lang=lang,
        self_url=url_for("news.news_feed", lang=lang, _external=True),
        page_url=url_for("news.news_index", lang=lang, _external=True),
        item_url=lambda item: url_for("news.news_detail", item_id=item.id, _external=True),
        photo_url=lambda item: (
            url_for("citizen.photo", public_id=item.photo.public_id, _external=True)
            if item.photo else None
        ),
    )  # fmt: skip
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
