"""Service performance: every figure against a hand-computed fixture, suppression, ranking,
the window, cache invalidation and the HTML/JSON/CSV twins."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from opendata import stats
from portal import versioned_cache
from portal.extensions import db
from portal.models import AppealStatus, District, Resolution, Solved
from portal.queries import performance as perf

START, END = date(2025, 1, 1), date(2025, 6, 30)
WINDOW = {"from": "2025-01-01", "to": "2025-06-30"}
BISHKEK_OFFSET = timedelta(hours=6)

# bsk-roads (pothole): 12 appeals in the window. 10 answered after these working days:
ROADS_DAYS = [0, 1, 2, 2, 3, 5, 8, 10, 14, 20]  # median (3 + 5) / 2 = 4, mean 6.5
ROADS_SCORES = [5, 5, 4, 4, 4, 3, 3, 2, 1, 5]  # mean 3.6; solved yes 6, partly 2, no 2
ROADS_REOPENED = {7, 9}  # indices of answered appeals reopened once
# bsk-svet (street_light): 6 appeals, all answered on time; only 4 ratings.
SVET_DAYS = [1, 1, 2, 3, 4, 6]  # median 2.5, mean 17 / 6
SVET_SCORES = [5, 5, 4, 4]  # mean 4.5 but too few ratings to rank


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given in Asia/Bishkek wall time, as stored (UTC)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - BISHKEK_OFFSET


def solved_for(score: int) -> Solved:
    return Solved.YES if score >= 4 else Solved.PARTLY if score == 3 else Solved.NO


@pytest.fixture
def fixture_appeals(app, make_appeal):
    """The hand-computed fixture (see the constants above)."""

    def answered(service, category, day, days, score=None, reopened=False, on_time=None):
        appeal = make_appeal(service=service, category=category, submitted_at=local(day))
        appeal.status = AppealStatus.ANSWERED if not reopened else AppealStatus.REOPENED
        appeal.first_answer_at = appeal.submitted_at + timedelta(days=days + 1)
        appeal.first_answer_workdays = days
        appeal.answered_on_time = days <= 14 if on_time is None else on_time
        appeal.reopen_count = 1 if reopened else 0
        if reopened:
            appeal.due_at = datetime(2099, 1, 1, tzinfo=UTC)  # answered again later: not overdue
        if score is not None:
            appeal.last_score, appeal.last_solved = score, solved_for(score)
            appeal.status = AppealStatus.CLOSED if not reopened else appeal.status
        return appeal

    for i, (days, score) in enumerate(zip(ROADS_DAYS, ROADS_SCORES, strict=True)):
        appeal = answered("bsk-roads", "pothole", START + timedelta(days=i * 7), days, score,
                          reopened=i in ROADS_REOPENED)  # fmt: skip
        if i == 0:  # 10 minutes after local midnight on the first day of the window
            appeal.submitted_at = local(START, 0, 10)
    # still unanswered, past its deadline: overdue, counts as late
    make_appeal(service="bsk-roads", category="pothole", submitted_at=local(date(2025, 3, 3)))
    # closed without an answer (duplicate): left out of the deadline share
    dup = make_appeal(service="bsk-roads", category="pothole", submitted_at=local(date(2025, 3, 4)))
    dup.status, dup.resolution = AppealStatus.CLOSED, Resolution.DUPLICATE
    for i, days in enumerate(SVET_DAYS):
        score = SVET_SCORES[i] if i < len(SVET_SCORES) else None
        answered("bsk-svet", "street_light", date(2025, 2, 1 + i), days, score)
    for i in range(3):  # a small cell: suppressed
        answered("bsk-vodokanal", "no_water", date(2025, 5, 5 + i), 2, 4)
    # Not counted: outside the window (by 30 minutes, local time), in moderation, rejected.
    make_appeal(service="bsk-roads", category="pothole",
                submitted_at=local(date(2024, 12, 31), 23, 30))  # fmt: skip
    make_appeal(service="bsk-roads", category="pothole", submitted_at=local(date(2025, 7, 1), 0, 5))
    make_appeal(service="bsk-roads", category="pothole", status=AppealStatus.SUBMITTED,
                submitted_at=local(date(2025, 2, 2)))  # fmt: skip
    make_appeal(service="bsk-roads", category="pothole", status=AppealStatus.REJECTED,
                submitted_at=local(date(2025, 2, 3)))  # fmt: skip
    db.session.commit()
    perf.clear_cache()


def by(rows, **key):
    [row] = [r for r in rows if all(getattr(r, k) == v for k, v in key.items())]
    return row


def test_service_figures_match_the_hand_computation(fixture_appeals):
    rows = perf.performance_rows("service", START, END)
    roads = by(rows, service="bsk-roads")
    assert (roads.window_start, roads.window_end) == (START, END)
    assert roads.city == "bishkek" and not roads.suppressed
    assert roads.received == 12
    assert roads.answered == 10
    assert roads.median_workdays == 4.0
    assert roads.mean_workdays == pytest.approx(6.5)
    assert roads.deadline_known == 11  # 10 answered + 1 unanswered past its deadline
    assert roads.on_time_share == pytest.approx(9 / 11)
    assert roads.overdue_open == 1
    assert roads.ratings == 10
    assert roads.mean_score == pytest.approx(3.6)
    sd = math.sqrt(sum((s - 3.6) ** 2 for s in ROADS_SCORES) / 9)
    half = 2.262157 * sd / math.sqrt(10)
    assert roads.score_ci_low == pytest.approx(3.6 - half)
    assert roads.score_ci_high == pytest.approx(3.6 + half)
    assert roads.solved_share == pytest.approx(0.6)
    assert roads.solved_partly_share == pytest.approx(0.2)
    assert roads.reopen_rate == pytest.approx(0.2)
    assert roads.rated_share == pytest.approx(1.0)
    assert roads.rank == 1 and not roads.too_few_ratings

    svet = by(rows, service="bsk-svet")
    assert svet.received == 6 and svet.answered == 6
    assert svet.median_workdays == 2.5
    assert svet.mean_workdays == pytest.approx(17 / 6)
    assert svet.on_time_share == 1.0 and svet.overdue_open == 0
    assert svet.ratings == 4 and svet.mean_score == 4.5
    assert svet.rated_share == pytest.approx(4 / 6)
    assert svet.reopen_rate == 0


def test_fewer_than_ten_ratings_get_no_rank_even_with_a_better_score(fixture_appeals):
    rows = perf.performance_rows("service", START, END)
    svet = by(rows, service="bsk-svet")
    assert svet.mean_score > by(rows, service="bsk-roads").mean_score
    assert svet.rank is None and svet.too_few_ratings


def test_cells_under_five_appeals_are_suppressed(fixture_appeals):
    rows = perf.performance_rows("service", START, END)
    water = by(rows, service="bsk-vodokanal")
    assert water.suppressed and water.rank is None
    assert all(getattr(water, name) is None for name in stats.FIGURES)
    category = by(perf.performance_rows("category", START, END), category="no_water")
    assert category.suppressed and category.received is None


def test_months_districts_and_categories_roll_up_from_the_same_counts(fixture_appeals):
    months = {r.month: r for r in perf.performance_rows("month", START, END)}
    assert list(months) == ["2025-01", "2025-02", "2025-03", "2025-05"]
    # January: roads appeals on Jan 1 (00:10 local), 8, 15, 22, 29
    assert months["2025-01"].received == 5
    assert months["2025-01"].median_workdays == 2.0  # 0 1 2 2 3
    # every appeal of the fixture is in the first district of Bishkek
    [district] = perf.performance_rows("district", START, END)
    assert district.received == 12 + 6 + 3
    assert district.answered == 10 + 6 + 3
    pothole = by(perf.performance_rows("category", START, END), category="pothole")
    roads = by(perf.performance_rows("service", START, END), service="bsk-roads")
    assert {n: getattr(pothole, n) for n in stats.FIGURES} == {
        n: getattr(roads, n) for n in stats.FIGURES
    }
    monthly = perf.monthly_service_performance(START, END)
    roads_months = {r.month: r for r in monthly if r.service == "bsk-roads"}
    assert roads_months["2025-01"].received == 5
    assert roads_months["2025-02"].suppressed  # Feb 5, 12, 19, 26
    assert roads_months["2025-03"].suppressed  # Mar 3, 4, 5
    assert by(monthly, service="bsk-svet", month="2025-02").received == 6


def test_moving_an_appeal_to_another_district_changes_only_the_district_rows(fixture_appeals):
    from portal.models import Appeal

    second = db.session.scalars(select(District).order_by(District.id).offset(1)).first()
    for appeal in db.session.scalars(select(Appeal).where(Appeal.category_id.is_not(None))):
        if appeal.first_answer_workdays in (1, 6) and appeal.service.code == "bsk-svet":
            appeal.district_id = second.id
    db.session.commit()
    perf.clear_cache()
    districts = perf.performance_rows("district", START, END)
    small = by(districts, district=second.slug)
    assert small.suppressed  # 3 appeals
    assert by(districts, district="leninsky").received == 18


def test_city_filter_and_empty_windows(fixture_appeals):
    assert perf.performance_rows("service", START, END, city="osh") == []
    assert perf.performance_rows("service", date(2020, 1, 1), date(2020, 12, 31)) == []
    with pytest.raises(ValueError):
        perf.performance_rows("nonsense", START, END)


def test_new_events_invalidate_the_cache(fixture_appeals, make_appeal, make_answer):
    before = by(perf.performance_rows("service", START, END), service="bsk-roads")
    appeal = make_appeal(
        service="bsk-roads", category="pothole", submitted_at=local(date(2025, 4, 1))
    )
    after = by(perf.performance_rows("service", START, END), service="bsk-roads")
    assert after.received == before.received + 1
    make_answer(appeal, at=local(date(2025, 4, 2)))
    answered = by(perf.performance_rows("service", START, END), service="bsk-roads")
    assert answered.answered == before.answered + 1


def test_cache_serves_a_second_request_without_recomputing(fixture_appeals, monkeypatch):
    perf.performance_rows("service", START, END)
    calls = []
    original = perf.compute_performance_set
    monkeypatch.setattr(perf, "compute_performance_set",
                        lambda *a, **k: calls.append(1) or original(*a, **k))  # fmt: skip
    perf.performance_rows("category", START, END)
    assert calls == []


# --- Views ---------------------------------------------------------------------------------


def test_json_twin_states_window_licence_rules_and_figures(client, fixture_appeals):
    response = client.get("/performance.json", query_string=WINDOW)
    assert response.status_code == 200
    data = response.get_json()
    assert data["window"]["start"] == "2025-01-01" and data["window"]["end"] == "2025-06-30"
    assert data["window"]["time_zone"] == "Asia/Bishkek"
    assert data["licence"]["name"] == "CC BY 4.0"
    assert data["rules"] == {"min_cell": 5, "min_ratings": 10}
    assert "Student" in data["definitions"]["score_ci_low"]
    assert data["last_update"] and data["source"]
    assert (
        "/performance" in data["links"]["html"] and "/performance/about" in data["links"]["about"]
    )
    roads = by_dict(data["groups"]["service"], service="bsk-roads")
    assert roads["received"] == 12 and roads["rank"] == 1
    assert roads["median_workdays"] == 4.0
    water = by_dict(data["groups"]["service"], service="bsk-vodokanal")
    assert water["suppressed"] is True and water["received"] is None
    assert set(data["groups"]) == set(stats.GROUPINGS)


def by_dict(rows, **key):
    [row] = [r for r in rows if all(r[k] == v for k, v in key.items())]
    return row


def test_json_figures_equal_the_query_figures(client, fixture_appeals):
    data = client.get("/performance.json", query_string={**WINDOW, "group": "service_month"})
    rows = data.get_json()["groups"]["service_month"]
    assert rows == [r.as_dict() for r in perf.monthly_service_performance(START, END)]


def test_csv_twin(client, fixture_appeals):
    response = client.get("/performance.csv", query_string={**WINDOW, "group": "service"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "2025-01-01-2025-06-30" in response.headers["Content-Disposition"]
    assert 'rel="license"' in response.headers["Link"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    roads = by_dict(rows, service="bsk-roads")
    assert roads["window_start"] == "2025-01-01" and roads["received"] == "12"
    assert float(roads["on_time_share"]) == pytest.approx(9 / 11)
    svet = by_dict(rows, service="bsk-svet")
    assert svet["rank"] == "" and svet["too_few_ratings"] == "true"
    water = by_dict(rows, service="bsk-vodokanal")
    assert water["suppressed"] == "true" and water["received"] == ""


def test_page_prints_window_links_twins_and_marks_too_few_ratings(client, fixture_appeals):
    response = client.get("/performance", query_string={**WINDOW, "lang": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "January 1, 2025" in page and "June 30, 2025" in page
    assert "/performance.json?from=2025-01-01&amp;to=2025-06-30" in page
    assert "/performance.csv?from=2025-01-01&amp;to=2025-06-30" in page
    assert "/performance/about" in page
    assert "CC BY 4.0" in page
    assert "too few ratings" in page
    assert "Fewer than 5 appeals: figures suppressed" in page
    assert "<svg" in page and "<table" in page


@pytest.mark.parametrize(
    ("lang", "title", "suppressed"),
    [
        ("ru", "Показатели работы служб", "Меньше 5 обращений: показатели скрыты"),
        ("ky", "Кызматтардын иштөө көрсөткүчтөрү", "5 кайрылуудан аз: көрсөткүчтөр жашырылды"),
    ],
)
def test_page_in_russian_and_kyrgyz(client, fixture_appeals, lang, title, suppressed):
    # (one language per test: the test app context keeps the first request's locale)
    page = client.get("/performance", query_string={**WINDOW, "lang": lang}).get_data(as_text=True)
    assert title in page and suppressed in page


def test_default_window_is_the_last_twelve_complete_months(client):
    data = client.get("/performance.json").get_json()
    start, end = stats.default_window(perf.utcnow().astimezone(perf.BISHKEK).date())
    assert data["window"] == {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "time_zone": "Asia/Bishkek",
        "basis": "appeals submitted on the days of the window (inclusive)",
        "default": True,
    }


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2025-13-01"}, "from"),
        ({"from": "2025-06-01", "to": "2025-01-01"}, "to"),
        ({"to": "2999-01-01"}, "to"),
        ({"from": "1999-01-01", "to": "2000-06-01"}, "from"),
        ({"from": "2015-01-01", "to": "2025-01-01"}, "to"),
        ({"city": "almaty"}, "city"),
        ({"group": "everything"}, "group"),
    ],
)
def test_bad_query_strings_get_field_errors(client, args, field):
    response = client.get("/performance.json", query_string=args)
    assert response.status_code == 400
    assert field in response.get_json()["errors"]
    assert client.get("/performance.csv", query_string=args).status_code == 400
    page = client.get("/performance", query_string={**args, "lang": "en"})
    assert page.status_code == 400
    assert 'role="alert"' in page.get_data(as_text=True)


def test_about_page_explains_definitions_and_caveats(client):
    page = client.get("/performance/about", query_string={"lang": "en"}).get_data(as_text=True)
    for words in ("Median working days", "confidence interval", "Reporting bias", "too few ratings",
                  "fewer than 5 appeals", "Student"):  # fmt: skip
        assert words in page


def test_nav_links_to_the_performance_page(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/performance"' in page


def test_while_one_request_computes_others_get_the_previous_figures(fixture_appeals, make_appeal):
    first = perf.performance_set(START, END)
    make_appeal(service="bsk-roads", category="pothole", submitted_at=local(date(2025, 4, 1)))
    base = first.cache_key.rsplit(":", 2)[0]  # without version and day
    cache = versioned_cache._cache()
    assert cache.add(f"{base}:computing", "1", 60)  # another request is computing
    stale = perf.performance_set(START, END)
    assert stale.cache_key == first.cache_key
    assert by(stale.groups["service"], service="bsk-roads").received == 12
    cache.delete(f"{base}:computing")
    fresh = perf.performance_set(START, END)
    assert fresh.cache_key != first.cache_key
    assert by(fresh.groups["service"], service="bsk-roads").received == 13


@pytest.mark.redis
def test_redis_cache_round_trip(make_app):
    import os

    app = make_app(REDIS_URL=os.environ["PORTAL_TEST_REDIS_URL"])
    with app.app_context():
        cache = versioned_cache._cache()
        from portal.caching import ResilientRedisCache

        assert isinstance(cache.cache, ResilientRedisCache)
        key = f"{perf.CACHE_PREFIX}:test:{os.getpid()}"
        cache.set(key, "value", 5)
        assert cache.get(key) == "value"
        assert cache.add(key + ":lock", "1", 5) and not cache.add(key + ":lock", "1", 5)
        cache.delete(key + ":lock")
        cache.delete(key)


def test_a_lock_left_by_a_killed_worker_expires_in_the_shared_file_cache(tmp_path, monkeypatch):
    """Without Redis the single-flight lock is a file: a worker killed while it computed
    leaves it behind, and once it has expired another worker must be able to take it, or
    the figures would never be recomputed in the background again."""
    import cachelib.file

    from portal.caching import SharedFileCache

    cache = SharedFileCache(str(tmp_path / "cache"))
    assert cache.add("computing", "1", 120)
    assert not cache.add("computing", "1", 120)  # held
    later = cachelib.file.time() + 121
    monkeypatch.setattr(cachelib.file, "time", lambda: later)
    assert cache.add("computing", "1", 120)  # expired: free


def test_background_refresh_serves_previous_figures_then_the_new_ones(
    app, fixture_appeals, make_appeal
):
    import threading

    app.config["BACKGROUND_REFRESH"] = True
    first = perf.performance_set(START, END)  # first of the day: computed by the request
    make_appeal(service="bsk-roads", category="pothole", submitted_at=local(date(2025, 4, 1)))
    stale = perf.performance_set(START, END)  # new version: previous figures at once
    assert stale.cache_key == first.cache_key
    for thread in threading.enumerate():
        if thread.name == "performance-refresh":
            thread.join(timeout=30)
    fresh = perf.performance_set(START, END)
    assert fresh.cache_key != first.cache_key
    assert by(fresh.groups["service"], service="bsk-roads").received == 13


def test_the_monthly_dataset_has_the_same_figures_as_the_page(client, fixture_appeals):
    """The datasets blueprint publishes monthly_service_performance(): same numbers."""
    response = client.get(
        "/datasets/service_performance.csv",
        query_string={"date_from": "2025-01-01", "date_to": "2025-06-30"},
    )
    assert response.status_code == 200
    dataset = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    ours = client.get(
        "/performance.csv", query_string={**WINDOW, "group": "service_month"}
    ).get_data(as_text=True)
    mine = list(csv.DictReader(io.StringIO(ours)))
    assert len(dataset) == len(mine) > 0
    for theirs, row in zip(
        sorted(dataset, key=lambda r: (r["service"], r["month"])),
        sorted(mine, key=lambda r: (r["service"], r["month"])),
        strict=True,
    ):
        assert (theirs["service"], theirs["month"]) == (row["service"], row["month"])
        for name in ("received", "answered", "overdue_open", "ratings"):
            assert (theirs[name] or "") == row[name]
        for name in ("median_workdays", "on_time_share", "mean_score", "score_ci_low"):
            if row[name]:
                assert float(theirs[name]) == pytest.approx(float(row[name]), abs=1e-6)
            else:
                assert not theirs[name]


def test_the_warm_up_renders_the_page_in_every_language_and_caches_no_figures(
    app, make_appeal, monkeypatch, caplog
):
    from portal import warmup
    from portal.public import performance as views

    make_appeal(status="published")
    rendered = []
    render = views.render_page
    monkeypatch.setattr(views, "render_page", lambda *a, **k: rendered.append(k) or render(*a, **k))
    monkeypatch.setattr(views, "cached_text", lambda *a: pytest.fail("cached at warm-up"))
    caplog.set_level("INFO", logger=app.logger.name)
    warmup.warm_up(app)
    assert rendered == [{"cached": False}] * len(app.config["LANGUAGES"])
    assert "warm-up of /performance:" in caplog.text and "failed" not in caplog.text


def test_a_failed_warm_up_leaves_the_app_serving(app, client, monkeypatch, caplog):
    from portal import warmup
    from portal.queries import performance as queries

    monkeypatch.setattr(queries, "compute_performance_set", lambda *a, **k: 1 / 0)
    warmup.warm_up(app)
    assert "warm-up of /performance failed" in caplog.text
    monkeypatch.undo()
    assert client.get("/performance").status_code == 200
