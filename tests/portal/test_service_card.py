"""A service's report card (/performance/services/<code>) and ``?service=`` on /performance,
its twins and the service_performance dataset: the same figures, filtered, strictly."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from opendata import stats
from portal.queries import performance as perf
from tests.portal.test_performance import END, START, WINDOW, by, fixture_appeals  # noqa: F401

CARD = "/performance/services/bsk-roads"
pytestmark = pytest.mark.usefixtures("fixture_appeals")


def figures_on(page: str) -> dict[str, str]:
    """The card's key figures, by data-figure name (text without tags)."""
    found = re.findall(r'<dd data-figure="([a-z_]+)">(.*?)</dd>', page, re.S)
    return {
        name: " ".join(re.sub(r"<[^>]+>", " ", unescape(value)).split()) for name, value in found
    }


def test_card_shows_the_figures_of_performance_for_that_service(client):
    response = client.get(CARD, query_string={**WINDOW, "lang": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Bishkek Asphalt Service" in page or "bsk-roads" in page
    # The window is stated.
    assert "January 1, 2025" in page and "June 30, 2025" in page
    roads = by(perf.performance_rows("service", START, END), service="bsk-roads")
    data = client.get("/performance.json", query_string={**WINDOW, "group": "service"}).get_json()
    shown = by_dict(data["groups"]["service"], service="bsk-roads")
    assert shown == roads.as_dict()
    figures = figures_on(page)
    assert figures["received"] == str(roads.received) == "12"
    assert figures["median_workdays"] == "4.0"
    assert figures["mean_workdays"] == "6.5"
    assert figures["on_time_share"] == f"{round(roads.on_time_share * 100)}%" == "82%"
    assert figures["overdue_open"] == "1"
    assert figures["ratings"] == "10"
    assert figures["mean_score"] == (f"3.60 ({roads.score_ci_low:.2f}–{roads.score_ci_high:.2f})")
    assert figures["solved_share"] == "60%" and figures["reopen_rate"] == "20%"
    assert figures["rank"] == str(roads.rank) == "1"  # its rank among all services


def by_dict(rows, **key):
    [row] = [r for r in rows if all(r[k] == v for k, v in key.items())]
    return row


def test_card_trend_categories_districts_equal_the_filtered_dataset(client):
    page = client.get(CARD, query_string={**WINDOW, "lang": "en"}).get_data(as_text=True)
    dataset = client.get(
        "/datasets/service_performance.csv",
        query_string={"service": "bsk-roads", "date_from": "2025-01-01", "date_to": "2025-06-30"},
    )
    assert dataset.status_code == 200
    rows = list(csv.DictReader(io.StringIO(dataset.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and {r["service"] for r in rows} == {"bsk-roads"}
    whole = client.get(
        "/datasets/service_performance.csv",
        query_string={"date_from": "2025-01-01", "date_to": "2025-06-30"},
    ).get_data(as_text=True)
    everyone = list(csv.DictReader(io.StringIO(whole.lstrip("\ufeff"))))
    assert rows == [r for r in everyone if r["service"] == "bsk-roads"]  # same rows, filtered
    january = by_dict(rows, month="2025-01")
    assert january["received"] == "5"
    trend = page[page.index('id="trend"') : page.index('id="categories"')]
    assert "January 2025" in trend and "June 2025" in trend  # every month of the window
    assert re.search(r"January 2025</th>\s*<td>5</td><td>2\.0</td><td>100%</td>", trend)
    assert "Fewer than 5 appeals: figures suppressed" in trend  # February, March
    # Problem types and districts count this service's appeals only.
    categories = page[page.index('id="categories"') : page.index('id="districts"')]
    assert "Street lights" not in categories and "street_light" not in categories
    assert ">12<" in categories


def test_card_links_to_the_filtered_datasets(client):
    page = unescape(client.get(CARD, query_string=WINDOW).get_data(as_text=True))
    dataset_args = "service=bsk-roads&date_from=2025-01-01&date_to=2025-06-30"
    assert f"/datasets/service_performance.csv?{dataset_args}" in page
    assert f"/datasets/appeals.csv?{dataset_args}" in page
    assert "/performance?service=bsk-roads&from=2025-01-01&to=2025-06-30" in page
    assert "/performance.csv?service=bsk-roads&group=service_month" in page
    assert "/performance/services/bsk-roads?from=2025-01-01&to=2025-06-30" in page  # permalink
    for link in re.findall(r'href="(/datasets/[^"]+)"', page):
        assert client.get(link).status_code == 200, link


def test_performance_rows_link_to_the_cards(client):
    page = unescape(client.get("/performance", query_string=WINDOW).get_data(as_text=True))
    for code in ("bsk-roads", "bsk-svet", "bsk-vodokanal"):
        assert f'href="/performance/services/{code}?from=2025-01-01&to=2025-06-30"' in page
    default = client.get("/performance").get_data(as_text=True)
    assert 'href="/performance/services/bsk-roads"' in default or "bsk-roads" not in default


def test_card_default_window_is_the_one_of_performance(client):
    page = client.get(CARD, query_string={"lang": "en"}).get_data(as_text=True)
    start, end = stats.default_window(perf.utcnow().astimezone(perf.BISHKEK).date())
    assert "By default the last 12 complete months." in page
    assert f'value="{start.isoformat()}"' in page and f'value="{end.isoformat()}"' in page


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
def test_unknown_service_is_a_translated_404(client, lang):
    response = client.get("/performance/services/no-such-service", query_string={"lang": lang})
    assert response.status_code == 404
    text = {"ru": "Ничего не найдено", "ky": "табылган жок", "en": "Nothing was found"}[lang]
    assert text.lower() in response.get_data(as_text=True).lower()


@pytest.mark.parametrize(
    "args",
    [
        {"city": "bishkek"},
        {"service": "bsk-svet"},
        {"group": "service"},
        {"date_from": "2025-01-01"},
        {"from": "2025-13-01"},
        {"from": "2025-06-01", "to": "2025-01-01"},
        {"to": "2999-01-01"},
    ],
)
def test_card_params_are_strict(client, args):
    response = client.get(CARD, query_string={**args, "lang": "en"})
    assert response.status_code == 400
    assert "error-page" in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
def test_card_in_three_languages(client, lang):
    page = client.get(CARD, query_string={**WINDOW, "lang": lang}).get_data(as_text=True)
    heading = {"ru": "Главные показатели", "ky": "Негизги көрсөткүчтөр", "en": "Key figures"}
    assert heading[lang] in page


def test_service_filters_performance_and_its_twins(client):
    one = {**WINDOW, "service": "bsk-roads"}
    data = client.get("/performance.json", query_string=one).get_json()
    assert data["service"] == "bsk-roads"
    assert [r["service"] for r in data["groups"]["service"]] == ["bsk-roads"]
    whole = client.get("/performance.json", query_string=WINDOW).get_json()
    assert data["groups"]["service"][0] == by_dict(whole["groups"]["service"], service="bsk-roads")
    assert {r["service"] for r in data["groups"]["service_month"]} == {"bsk-roads"}
    assert [r["category"] for r in data["groups"]["category"]] == ["pothole"]
    assert sum(r["received"] or 0 for r in data["groups"]["month"]) < sum(
        r["received"] or 0 for r in whole["groups"]["month"]
    )
    assert "service=bsk-roads" in data["links"]["self"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/performance.csv", query_string={**one, "group": "category"}).get_data(
                    as_text=True
                )
            )
        )
    )
    assert [r["category"] for r in rows] == ["pothole"] and rows[0]["received"] == "12"
    page = client.get("/performance", query_string={**one, "lang": "en"}).get_data(as_text=True)
    assert "counts this service&#39;s appeals only" in page or "appeals only" in page
    assert 'name="service" value="bsk-roads"' in page
    assert "Street lights" not in page.split('id="categories"')[1].split("</section>")[0]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_unknown_service_is_a_translated_400(client, lang):
    bad = {"service": "no-such-service", "lang": lang}
    message = {"ru": "Неизвестная служба", "en": "Unknown service"}[lang]
    page = client.get("/performance", query_string=bad)
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    for url in ("/performance.json", "/performance.csv"):
        response = client.get(url, query_string=bad)
        assert response.status_code == 400
        assert message in response.get_json()["errors"]["service"][0]
    for fmt in ("csv", "json"):
        response = client.get(f"/datasets/service_performance.{fmt}", query_string=bad)
        assert response.status_code == 400
        assert message in response.get_json()["errors"]["service"][0]


def test_chart_labels_wrap_on_two_lines_with_the_full_name_on_hover(client):
    from portal.extensions import db
    from portal.models import Service

    long_name = (
        "Municipal enterprise for the control of street lighting "
        "and the illumination of the parks of Bishkek city"
    )
    service = db.session.query(Service).filter_by(code="bsk-svet").one()
    service.name_en = long_name
    db.session.commit()
    page = client.get("/performance", query_string={**WINDOW, "lang": "en"}).get_data(as_text=True)
    label = re.search(rf'<text [^>]*data-full-name="{long_name}">(.*?)</text>', page, re.S)
    assert label, "the chart labels the service with its full name"
    assert f"<title>{long_name}</title>" in label.group(1)  # shown on hover
    lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", label.group(1))
    assert len(lines) == 2 and all(len(line) <= 32 for line in lines)
    assert lines[0] == "Municipal enterprise for the" and lines[1].endswith("…")
    short = re.search(r'data-full-name="([^"]+)">.*?<tspan[^>]*>1\. ([^<]+)</tspan></text>', page)
    assert short and short.group(2) == short.group(1)  # a short name is whole, after its rank
