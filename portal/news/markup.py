"""News text: a markdown-like source rendered to HTML that can never run a script.

Two locks, so that one mistake is not enough: markdown-it-py renders with raw HTML turned
off (``<script>`` in the source stays text) and refuses ``javascript:``/``data:`` links;
nh3 (the Rust ammonia sanitiser) then keeps only an allowlist of tags and attributes,
only http, https and mailto links, and adds ``rel="noopener noreferrer nofollow"``.
No inline style, no images, no event handlers, no iframes survive.
"""

from __future__ import annotations

import html
from functools import cache

from markupsafe import Markup

#: What a news item may contain: paragraphs, emphasis, lists, quotes, links, headings.
ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "h3", "h4", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@cache
def _markdown():
    """The renderer, made on first use (as nh3 is imported): a web worker may never
    need either. "js-default": CommonMark without raw HTML, linkify and typographer off."""
    from markdown_it import MarkdownIt

    return MarkdownIt("js-default", {"breaks": True})


def render(source: str | None) -> Markup:
    """Sanitised HTML of a news text (safe to put in a page or an Atom entry)."""
    if not source:
        return Markup("")
    import nh3

    html = _markdown().render(source)
    # Headings of a news item sit under the page's own h1/h2: shift them down.
    for level, to in (("h1", "h3"), ("h2", "h3"), ("h5", "h4"), ("h6", "h4")):
        html = html.replace(f"<{level}>", f"<{to}>").replace(f"</{level}>", f"</{to}>")
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def plain(source: str | None, limit: int = 240) -> str:
    """The text without markup, shortened (for cards and the feed's summary)."""
    import nh3

    text = nh3.clean(_markdown().render(source or ""), tags=set())
    text = html.unescape(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
