"""A service's report card printed to PDF by Chromium (its print stylesheet), read back with
poppler's pdftotext: the service's name and key figures are there, every word lies inside
its page (nothing cut at the right edge), and the page count is sane."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pytest

from portal.queries import performance as perf
from tests.portal.test_performance import (
    END,
    START,
    by,
    fixture_appeals,  # noqa: F401 - the shared fixture
)

pytestmark = pytest.mark.browser
CARD = "/performance/services/bsk-roads?from=2025-01-01&to=2025-06-30&lang=en"


def test_the_card_prints_to_pdf_unclipped(
    live_server,
    page,
    artifacts,
    external_requests,
    fixture_appeals,  # noqa: F811
):
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed: apt-get install"
    roads = by(perf.performance_rows("service", START, END), service="bsk-roads")
    page.goto(live_server + CARD)
    name = page.locator("h1").inner_text()
    assert name and "Key figures" in page.content()
    page.emulate_media(media="print")
    pdf = artifacts / "service-card.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)

    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert name in flat  # the service's name, whole
    assert "January 1, 2025" in flat and "June 30, 2025" in flat  # the window
    for figure in (
        "Appeals received",
        "Answered within the deadline",
        "82%",
        "4.0",
        "6.5",
        f"{roads.mean_score:.2f}",
        f"({roads.score_ci_low:.2f}–{roads.score_ci_high:.2f})",
        "Reopened",
        "Rated",  # the last column of the widest table ("Rated share", may wrap)
        "100%",  # its value
        "Data behind this card",
    ):
        assert figure in flat, figure
    assert "Main navigation" not in flat and "Show" not in flat.split()  # screen-only parts

    # Every word inside its page: Chromium clips what is wider than the paper.
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S)
    assert 1 <= len(pages) <= 4, f"{len(pages)} pages"
    outside = []
    for width, height, body in pages:
        for x_min, _y_min, x_max, y_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            body,
        ):
            if float(x_min) < 0 or float(x_max) > float(width) or float(y_max) > float(height):
                outside.append(unescape(word))
    assert outside == []
    assert external_requests == []
