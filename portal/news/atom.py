"""The news as an Atom 1.0 feed (RFC 4287), written with ElementTree (escaped by it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from portal.i18n import localized
from portal.models import NewsItem, utcnow
from portal.news.markup import plain, render

ATOM = "http://www.w3.org/2005/Atom"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def feed(
    items: Sequence[NewsItem],
    *,
    title: str,
    lang: str,
    self_url: str,
    page_url: str,
    item_url: Callable[[NewsItem], str],
    photo_url: Callable[[NewsItem], str | None] = lambda item: None,
) -> bytes:
    """The feed document: one entry per item, its title and text in the feed's language
    (Russian where the item has none), the text as sanitised HTML, its photo (if any) as
    an enclosure link."""
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": lang})
    _text(root, "title", title)
    _text(root, "id", self_url)
    updated = max((item.updated_at for item in items), default=None) or utcnow()
    _text(root, "updated", _iso(updated))
    ET.SubElement(root, "link", {"rel": "self", "href": self_url, "type": "application/atom+xml"})
    ET.SubElement(root, "link", {"rel": "alternate", "href": page_url, "type": "text/html"})
    author = ET.SubElement(root, "author")
    _text(author, "name", title)
    for item in items:
        url = item_url(item)
        entry = ET.SubElement(root, "entry")
        _text(entry, "id", url)
        _text(entry, "title", localized(item, "title"))
        _text(entry, "published", _iso(item.published_at))
        _text(entry, "updated", _iso(item.updated_at))
        ET.SubElement(entry, "link", {"rel": "alternate", "href": url, "type": "text/html"})
        photo = photo_url(item)
        if photo is not None:
            ET.SubElement(
                entry, "link", {"rel": "enclosure", "href": photo, "type": item.photo.content_type,
                                "title": localized(item, "photo_alt") or localized(item, "title")},
            )  # fmt: skip
        body = localized(item, "body")
        _text(entry, "summary", plain(body))
        _text(entry, "content", str(render(body)), type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
