"""Atom 1.0 documents (RFC 4287) built with ElementTree: text is escaped by the XML writer,
never concatenated into markup.

Pure data in, bytes out: the views decide what goes into a feed (the public record only).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
#: Characters XML 1.0 cannot carry at all (input schemas refuse them; this is a last guard).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Entry:
    id: str  # a stable URI (tag:…), the same every time the feed is read
    title: str
    updated: datetime
    links: tuple[Link, ...] = ()
    summary: str | None = None
    published: datetime | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    updated: datetime
    author: str
    lang: str
    links: tuple[Link, ...] = ()
    subtitle: str | None = None
    rights: str | None = None
    entries: tuple[Entry, ...] = field(default_factory=tuple)


def timestamp(value: datetime) -> str:
    """RFC 3339 with an offset (stored instants are UTC; a naive one is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = _NOT_XML.sub("", value)


def _links(parent: ET.Element, links: tuple[Link, ...]) -> None:
    for link in links:
        attributes = {"rel": link.rel, "href": link.href}
        if link.type:
            attributes["type"] = link.type
        if link.title:
            attributes["title"] = _NOT_XML.sub("", link.title)
        ET.SubElement(parent, "link", attributes)


def _entry(parent: ET.Element, entry: Entry) -> None:
    element = ET.SubElement(parent, "entry")
    _text(element, "id", entry.id)
    _text(element, "title", entry.title)
    _text(element, "updated", timestamp(entry.updated))
    if entry.published:
        _text(element, "published", timestamp(entry.published))
    _links(element, entry.links)
    for term in entry.categories:
        ET.SubElement(element, "category", {"term": term})
    if entry.summary:
        _text(element, "summary", entry.summary)


def render(feed: Feed) -> bytes:
    """The feed as a UTF-8 Atom document."""
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": feed.lang})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle)
    _text(root, "updated", timestamp(feed.updated))
    author = ET.SubElement(root, "author")
    _text(author, "name", feed.author)
    _links(root, feed.links)
    if feed.rights:
        _text(root, "rights", feed.rights)
    for entry in feed.entries:
        _entry(root, entry)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
