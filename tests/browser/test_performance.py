"""The performance page in Chromium: charts drawn, tables readable, sorting, no network;
on a phone no chart scrolls sideways and wide tables scroll in a named box with a hint;
printed, every section collapsed on screen is on paper."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pytest

from tests.portal.test_performance import fixture_appeals  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser
QUERY = "/performance?from=2025-01-01&to=2025-06-30&lang=en"


def test_charts_and_tables_are_shown_without_any_external_request(
    live_server,
    page,
    external_requests,
    artifacts,
    fixture_appeals,  # noqa: F811
):
    page.goto(live_server + QUERY)
    assert page.locator("h1").inner_text() == "Service performance"
    assert "January 1, 2025" in page.locator("#window").inner_text()
    chart = page.locator("figure.chart svg.chart-wide")
    assert chart.is_visible()
    assert chart.locator("circle.dot").count() == 1  # only bsk-roads has 10+ ratings
    assert "too few ratings" in chart.text_content()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 60
    table = page.locator("#services table.figures")
    assert table.locator("tbody tr").count() == 3
    assert "figures suppressed" in table.inner_text()
    assert page.locator("#trend svg.sparkline").count() >= 2
    assert page.locator("#hotspots table.heat").count() == 1
    # A short page: a summary, the services, then sections one click away.
    assert "Problems received: 21; answered: 19" in page.locator("#summary").inner_text()
    assert not page.locator("#hotspots table.heat").is_visible()
    page.locator("#hotspots summary").click()
    assert page.locator("#hotspots table.heat").is_visible()
    # the hot-spot map reuses the map's public heat layer (12 potholes at one place)
    page.wait_for_selector("#hotspots figure.hotspot-map circle.hot", state="attached")
    assert page.locator("#hotspots figure.hotspot-map").is_visible()
    page.screenshot(path=str(artifacts / "performance.png"), full_page=True)
    assert external_requests == []


def test_clicking_a_column_header_sorts_the_table(live_server, page, fixture_appeals):  # noqa: F811
    page.goto(live_server + QUERY)
    table = page.locator("#services table.figures")
    header = table.locator("thead th", has_text="Appeals received")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    first = table.locator("tbody tr").first.locator("th").inner_text()
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert table.locator("tbody tr").first.locator("th").inner_text() != first


def test_page_works_without_javascript_and_on_a_phone(
    live_server,
    make_page,
    artifacts,
    fixture_appeals,  # noqa: F811
):
    page = make_page(viewport=(390, 844), javascript=False)
    page.goto(live_server + QUERY)
    assert page.locator("figure.chart svg.chart-narrow").is_visible()
    page.locator("input[name=from]").fill("2025-02-01")
    page.locator("button[type=submit]").click()
    assert "February 1, 2025" in page.locator("#window").inner_text()
    page.screenshot(path=str(artifacts / "performance-phone.png"), full_page=False)


def test_the_how_to_read_page_is_one_click_away(live_server, page, fixture_appeals):  # noqa: F811
    page.goto(live_server + QUERY)
    page.get_by_role("link", name="How to read these figures").click()
    assert page.locator("h1").inner_text() == "How to read the service performance figures"


def open_every_section(page) -> None:
    closed = page.locator("details:not([open]) > summary")
    while closed.count():
        closed.first.click()


@pytest.mark.usefixtures("fixture_appeals")
@pytest.mark.parametrize("width", [360, 390])
def test_on_a_phone_no_chart_scrolls_sideways(live_server, make_page, artifacts, width):
    page = make_page(viewport=(width, 800))
    page.goto(live_server + QUERY)
    open_every_section(page)
    page.screenshot(path=str(artifacts / f"performance-{width}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    figure = page.locator("figure.chart")
    assert not page.locator("svg.chart-wide").is_visible()
    chart = figure.locator("svg.chart-narrow")
    assert chart.is_visible()
    assert figure.evaluate("e => e.scrollWidth <= e.clientWidth")
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    # Each service: its whole name on its own line(s), above its bar; the bar's scale spans
    # the chart's width.
    rows = chart.locator("g.chart-row")
    assert rows.count() == 2  # two services with figures (the third is suppressed)
    for row in rows.all():
        label = row.locator("text.label").bounding_box()
        mark = row.locator("circle.dot, text.too-few").first.bounding_box()
        bar = row.locator("rect.bar").bounding_box()
        assert label["y"] + label["height"] <= mark["y"] + 1 <= bar["y"] + 1
        assert label["x"] + label["width"] <= box["x"] + box["width"]
        name = row.locator("text.label").get_attribute("data-full-name")
        assert name in row.locator("text.label").text_content()  # not cut
    full_bar = rows.nth(1).locator("rect.bar")  # 100% on time (bsk-svet)
    assert full_bar.bounding_box()["width"] > 0.75 * box["width"]
    # The trend's line charts fit too: one under the other, each under its column's name.
    trend = page.locator("#trend table.trend")
    assert trend.evaluate("e => e.getBoundingClientRect().right") <= width
    first = trend.locator("tbody tr").first
    sparks = first.locator("svg.sparkline")
    top, bottom = sparks.nth(0).bounding_box(), sparks.nth(1).bounding_box()
    assert top["y"] + top["height"] <= bottom["y"]
    assert top["width"] > 0.6 * (width - 32)
    shown = first.locator("td").first.evaluate("e => getComputedStyle(e, '::before').content")
    assert "Answered within the deadline (0–100%)" in shown
    # Every chart keeps its table twin.
    assert page.locator("#services table.figures").is_visible()
    assert page.locator("#trend details.table-alternative table").is_visible()


@pytest.mark.usefixtures("fixture_appeals")
def test_wide_tables_scroll_in_a_named_focusable_box_with_a_hint(live_server, make_page):
    page = make_page(viewport=(390, 844))
    page.goto(live_server + QUERY.replace("lang=en", "lang=ru"))
    table = page.locator("#services table.figures")
    box = page.locator("#services .table-scroll")
    caption = table.locator("caption")
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
    assert box.get_attribute("aria-labelledby") == caption.get_attribute("id")
    assert page.get_by_role("region", name=re.compile("Показатели по службам")).count() == 1
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # 12 columns on a phone
    hint = page.locator("#services [data-scroll-hint]")
    assert hint.is_visible() and "прокрутите" in hint.inner_text()
    # The caption wraps within the screen, and stays in view while the table scrolls.
    cap = caption.bounding_box()
    assert cap["x"] >= 0 and cap["x"] + cap["width"] <= 390 and cap["height"] > 30
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#services .table-scroll').scrollLeft > 0")
    cap = caption.bounding_box()
    assert cap["x"] >= 0 and cap["x"] + cap["width"] <= 390
    # A table that fits gets no hint.
    page.locator("#channels summary").click()
    page.locator("#kinds summary").click()
    kinds = page.locator("#kinds .table-scroll")
    assert kinds.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # subpixel rounding
    assert not page.locator("#kinds [data-scroll-hint]").is_visible()
    # On a wide screen the services table fits: no hint there either.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.wait_for_function(
        "() => document.querySelector('#services [data-scroll-hint]').hasAttribute('data-fits')"
    )
    assert not hint.is_visible()


#: What each section collapsed on screen shows when open (headings and content).
COLLAPSED = {
    "trend": ["Monthly trend per service", "One line per month of the window",
              "Table: answered within the deadline and median working days",
              "Each cell: share answered within the deadline"],
    "categories": ["Problem types", "Figures per problem type", "Pothole"],
    "districts": ["Districts", "Figures per district"],
    "months": ["Months", "Figures per month of submission"],
    "hotspots": ["Hot spots: problem types by district", "Appeals received per problem type and district"],
    "channels": ["How appeals arrived", "Channel"],
    "kinds": ["Problems, proposals and questions", "Kind", "Answered"],
}  # fmt: skip


def pdf_text(path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", *options, "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.usefixtures("fixture_appeals")
@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_printing_opens_every_collapsed_section(live_server, make_page, artifacts, javascript):
    """performance.js opens the sections before printing; without it, the print stylesheet."""
    page = make_page(javascript=javascript)
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed: apt-get install"
    page.goto(live_server + QUERY)
    collapsed = page.eval_on_selector_all(
        "details:not([open])", "all => all.map(d => d.closest('section').id)"
    )
    assert set(COLLAPSED) == set(collapsed)  # every collapsed section is checked below
    pdf = artifacts / "performance.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    flat = " ".join(pdf_text(pdf).split())
    for section, texts in COLLAPSED.items():
        for text in texts:
            assert text in flat, f"{section}: {text!r} not printed"
    assert "Main navigation" not in flat and "wider than the screen" not in flat
    # Nothing cut at the paper's edge.
    outside = []
    for width, height, body in re.findall(
        r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', pdf_text(pdf, "-bbox"), re.S
    ):
        for x_min, x_max, y_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            body,
        ):
            if float(x_min) < 0 or float(x_max) > float(width) or float(y_max) > float(height):
                outside.append(unescape(word))
    assert outside == []
    # Back on screen, the sections are collapsed again.
    assert page.locator("#categories details").get_attribute("open") is None
