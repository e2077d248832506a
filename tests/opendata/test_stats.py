"""opendata.stats: the figures of service performance, computed by hand."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from opendata import stats
from opendata.stats import Counts, PerformanceRow, build_row, rank_rows

W0, W1 = date(2026, 1, 1), date(2026, 12, 31)


def test_histogram_median_is_exact_for_odd_and_even_counts():
    assert stats.histogram_median({}) is None
    assert stats.histogram_median({7: 1}) == 7
    assert stats.histogram_median({1: 1, 2: 1, 10: 1}) == 2  # 1 2 10
    assert stats.histogram_median({1: 2, 4: 2}) == 2.5  # 1 1 4 4
    assert stats.histogram_median({0: 3, 5: 1, 9: 2}) == 2.5  # 0 0 0 5 9 9
    assert stats.histogram_median({3: 4}) == 3


def test_histogram_median_and_mean_agree_with_plain_lists():
    rng = random.Random(4)
    for _ in range(200):
        values = [rng.randint(0, 40) for _ in range(rng.randint(1, 60))]
        histogram: dict[int, int] = {}
        for v in values:
            histogram[v] = histogram.get(v, 0) + 1
        assert stats.histogram_median(histogram) == stats.median(values)
        assert stats.histogram_mean(histogram) == pytest.approx(sum(values) / len(values))


def test_plain_median_and_mean():
    assert stats.median([]) is None
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, 3, 2]) == 2.5
    assert stats.mean([]) is None
    assert stats.mean([1, 2, 6]) == 3


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.7062), (2, 4.3027), (9, 2.2622), (30, 2.0423), (31, 2.0395), (40, 2.0211),
     (60, 2.0003), (120, 1.9799), (1000, 1.9623)],
)  # fmt: skip
def test_t_quantile_matches_published_tables(df, expected):
    assert stats.t_quantile_975(df) == pytest.approx(expected, abs=1e-4)


def test_t_quantile_rejects_zero_degrees_of_freedom():
    with pytest.raises(ValueError):
        stats.t_quantile_975(0)


def test_mean_ci95_by_hand():
    # scores 3, 4, 5: mean 4, sd 1, n 3 -> 4 ± 4.302653 / sqrt(3) = 4 ± 2.4841, clipped 1–5
    mean, low, high = stats.mean_ci95({3: 1, 4: 1, 5: 1})
    assert mean == 4
    assert low == pytest.approx(4 - 4.302653 / math.sqrt(3))
    assert high == 5
    # ten ratings 2,2,3,3,3,4,4,4,5,5: mean 3.5, sd sqrt(10.5/9)
    scores = {2: 2, 3: 3, 4: 3, 5: 2}
    mean, low, high = stats.mean_ci95(scores)
    half = 2.262157 * math.sqrt(10.5 / 9) / math.sqrt(10)
    assert mean == 3.5
    assert (low, high) == (pytest.approx(3.5 - half), pytest.approx(3.5 + half))


def test_mean_ci95_needs_two_ratings():
    assert stats.mean_ci95({}) == (None, None, None)
    assert stats.mean_ci95({4: 1}) == (4, None, None)


def test_share_of_nothing_is_none_not_zero():
    assert stats.share(0, 0) is None
    assert stats.share(0, 4) == 0
    assert stats.share(1, 4) == 0.25


def _counts(received=20, scores=None, **kwargs) -> Counts:
    return Counts(received=received, scores=dict(scores or {}), **kwargs)


def test_build_row_computes_every_figure():
    counts = Counts(
        received=8, answered=6, on_time=4, deadline_known=7, overdue_open=1, reopened=2,
        solved_yes=2, solved_partly=1, workdays={1: 2, 3: 1, 10: 3}, scores={5: 2, 2: 2},
    )  # fmt: skip
    row = build_row("service", W0, W1, {"city": "bishkek", "service": "x"}, counts)
    assert not row.suppressed
    assert row.too_few_ratings
    assert row.rank is None
    assert row.received == 8 and row.answered == 6
    assert row.median_workdays == 6.5  # 1 1 3 10 10 10
    assert row.mean_workdays == pytest.approx(35 / 6)
    assert row.on_time_share == pytest.approx(4 / 7)
    assert row.overdue_open == 1
    assert row.ratings == 4
    assert row.mean_score == 3.5
    assert row.solved_share == 0.5 and row.solved_partly_share == 0.25
    assert row.reopen_rate == pytest.approx(2 / 6)
    assert row.rated_share == pytest.approx(4 / 6)


def test_small_cells_are_suppressed_in_public_but_not_internally():
    counts = _counts(received=stats.MIN_CELL - 1, answered=4, workdays={2: 4}, scores={5: 4})
    public = build_row("district", W0, W1, {"city": "osh", "district": "d"}, counts)
    assert public.suppressed
    assert public.received is None and public.mean_score is None
    assert public.median_workdays is None and public.ratings is None
    internal = build_row("district", W0, W1, {"city": "osh", "district": "d"}, counts,
                         public=False)  # fmt: skip
    assert not internal.suppressed and internal.received == 4
    at_limit = build_row("district", W0, W1, {}, _counts(received=stats.MIN_CELL))
    assert not at_limit.suppressed and at_limit.received == stats.MIN_CELL


def test_ranking_only_with_enough_ratings_and_ties_share_a_position():
    rows = [
        build_row("service", W0, W1, {"service": "a"}, _counts(scores={4: 10})),  # 4.0, 10
        build_row("service", W0, W1, {"service": "b"}, _counts(scores={5: 9})),  # 5.0, 9 only
        build_row("service", W0, W1, {"service": "c"}, _counts(scores={5: 6, 3: 6})),  # 4.0
        build_row("service", W0, W1, {"service": "d"}, _counts(scores={5: 11, 4: 1})),
        build_row("service", W0, W1, {"service": "e"}, _counts(received=3, scores={5: 3})),
    ]
    ranked = {r.service: r for r in rank_rows(rows)}
    assert ranked["d"].rank == 1
    assert ranked["a"].rank == ranked["c"].rank == 2
    assert ranked["b"].rank is None and ranked["b"].too_few_ratings
    assert ranked["e"].rank is None and ranked["e"].suppressed


def test_counts_roll_up_by_adding():
    a = Counts(received=2, answered=1, workdays={3: 1}, scores={4: 1})
    b = Counts(received=3, answered=2, workdays={3: 1, 5: 1}, scores={2: 2})
    a.add(b)
    assert a.received == 5 and a.answered == 3
    assert a.workdays == {3: 2, 5: 1} and a.scores == {4: 1, 2: 2} and a.rated == 3


def test_row_as_dict_has_every_published_figure():
    row = PerformanceRow("month", W0, W1, month="2026-03")
    data = row.as_dict()
    assert data["window_start"] == "2026-01-01" and data["month"] == "2026-03"
    assert set(stats.FIGURES) <= set(data)


def test_opendata_stats_imports_neither_flask_nor_sqlalchemy():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(stats))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}  # fmt: skip
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module}  # fmt: skip
    assert not names & {"flask", "sqlalchemy", "portal"}


def test_default_window_is_the_last_twelve_complete_months():
    assert stats.default_window(date(2026, 11, 22)) == (date(2025, 11, 1), date(2026, 10, 31))
    assert stats.default_window(date(2026, 1, 1)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert stats.default_window(date(2026, 3, 5), months=1) == (date(2026, 2, 1), date(2026, 2, 28))


def test_month_starts_cover_partial_months():
    assert stats.month_starts(date(2025, 11, 15), date(2026, 1, 2)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)
    ]  # fmt: skip


def test_every_published_figure_has_a_definition():
    assert set(stats.FIGURES) <= set(stats.DEFINITIONS)
