"""Service-performance statistics: the one place where the published figures are computed.

Flask-free and SQLAlchemy-free. The portal's query (``portal.queries.performance``) only
counts appeals in SQL (sums and histograms per group); every figure — median, mean,
shares, the confidence interval, suppression and ranking — is derived here, so the page,
its JSON/CSV twins and the "monthly service performance" dataset can never disagree.

Definitions (also explained on /performance/about):

* An appeal is *received* in the window when it was submitted on a day of the window
  (Asia/Bishkek dates) and is public (not in moderation, rejected or withdrawn).
* *Working days to first answer*: ``first_answer_workdays`` of the received appeals that
  were answered; the median is exact (computed from the histogram of whole working days;
  for an even count it is the mean of the two middle values).
* *Answered within the deadline*: answered on time / (answered + still unanswered past
  the deadline). Appeals still within their deadline, and appeals closed without an
  answer (duplicates, not the city's responsibility), are left out of the denominator.
* *Overdue open now*: received appeals that are open (the service owes an answer) and past
  their deadline at the time of computation.
* *Score*: the citizen's latest rating (1–5) of each received appeal, one per appeal (so
  that observations are independent). The 95 % confidence interval of the mean uses
  Student's t distribution with n − 1 degrees of freedom, clipped to the 1–5 scale; with
  fewer than two ratings there is no interval.
* *Solved*: share of rated appeals whose citizen said "yes, solved" (and, separately,
  "partly"). *Rated share*: rated / answered. *Reopen rate*: reopened at least once /
  answered.
* Cells with fewer than ``MIN_CELL`` received appeals are suppressed (no figures, not even
  the count); a service gets a ranking position only with at least ``MIN_RATINGS`` ratings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

#: Public cells describing fewer received appeals than this are suppressed.
MIN_CELL = 5
#: A service needs at least this many ratings in the window to get a ranking position.
MIN_RATINGS = 10
#: Scores are on the national 1–5 scale.
SCORE_MIN, SCORE_MAX = 1, 5

#: How figures may be grouped ("category_district" feeds the hot-spot table).
GROUPINGS = ("service", "category", "district", "month", "service_month", "category_district")
#: The default window: this many complete calendar months before the current one.
DEFAULT_WINDOW_MONTHS = 12

# Two-sided 95 % quantiles of Student's t (0.975 quantile) for 1–30 degrees of freedom.
_T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip
_Z975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom.

    Exact table values up to 30; beyond, the Cornish–Fisher expansion around the normal
    quantile (error below 1e-6 for df > 30).
    """
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def default_window(today: date, months: int = DEFAULT_WINDOW_MONTHS) -> tuple[date, date]:
    """The last ``months`` complete calendar months before ``today``'s month (inclusive)."""
    end = date(today.year, today.month, 1) - timedelta(days=1)
    start_index = end.year * 12 + end.month - 1 - (months - 1)
    return date(start_index // 12, start_index % 12 + 1, 1), end


def month_starts(window_start: date, window_end: date) -> list[date]:
    """First day of every calendar month that the window touches, in order."""
    starts, current = [], date(window_start.year, window_start.month, 1)
    while current <= window_end:
        starts.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return starts


# --- Histograms -------------------------------------------------------------------------


def histogram_count(histogram: Mapping[int, int]) -> int:
    return sum(histogram.values())


def histogram_median(histogram: Mapping[int, int]) -> float | None:
    """Exact median of integer values given as ``{value: count}``; None when empty."""
    n = histogram_count(histogram)
    if n == 0:
        return None
    lower_rank, upper_rank = (n + 1) // 2, n // 2 + 1  # 1-based ranks of the middle values
    lower = upper = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lower is None and seen >= lower_rank:
            lower = value
        if seen >= upper_rank:
            upper = value
            break
    return (lower + upper) / 2


def histogram_mean(histogram: Mapping[int, int]) -> float | None:
    n = histogram_count(histogram)
    if n == 0:
        return None
    return sum(value * count for value, count in histogram.items()) / n


def histogram_sd(histogram: Mapping[int, int]) -> float | None:
    """Sample standard deviation (n − 1 in the denominator); None with fewer than 2 values."""
    n = histogram_count(histogram)
    if n < 2:
        return None
    mean = histogram_mean(histogram)
    squares = sum(count * (value - mean) ** 2 for value, count in histogram.items())
    return math.sqrt(squares / (n - 1))


def median(values: Iterable[int | float]) -> float | None:
    """Median of plain values (for tests and small lists)."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def mean(values: Iterable[int | float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def mean_ci95(histogram: Mapping[int, int]) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) of scores given as ``{score: count}``: a t interval, clipped 1–5.

    With no rating all three are None; with one rating there is a mean but no interval.
    """
    n = histogram_count(histogram)
    average = histogram_mean(histogram)
    if n < 2:
        return average, None, None
    half = t_quantile_975(n - 1) * histogram_sd(histogram) / math.sqrt(n)
    return average, max(SCORE_MIN, average - half), min(SCORE_MAX, average + half)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when the denominator is empty (never a made-up 0 %)."""
    return part / whole if whole else None


# --- Rows -------------------------------------------------------------------------------


@dataclass
class Counts:
    """What SQL counts for one group; additive, so groups roll up by adding."""

    received: int = 0
    answered: int = 0
    on_time: int = 0
    deadline_known: int = 0  # answered + unanswered past the deadline
    overdue_open: int = 0
    reopened: int = 0
    solved_yes: int = 0
    solved_partly: int = 0
    workdays: dict[int, int] = field(default_factory=dict)  # histogram of answered appeals
    scores: dict[int, int] = field(default_factory=dict)  # histogram of latest scores

    def add(self, other: Counts) -> None:
        for name in ("received", "answered", "on_time", "deadline_known", "overdue_open",
                     "reopened", "solved_yes", "solved_partly"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.workdays, other.workdays), (self.scores, other.scores)):
            for value, count in theirs.items():
                mine[value] = mine.get(value, 0) + count

    @property
    def rated(self) -> int:
        return histogram_count(self.scores)


#: Figure columns of a PerformanceRow, in published order (CSV header, JSON keys).
FIGURES = (
    "received", "answered", "median_workdays", "mean_workdays", "on_time_share",
    "deadline_known", "overdue_open", "ratings", "mean_score", "score_ci_low",
    "score_ci_high", "solved_share", "solved_partly_share", "reopen_rate", "rated_share",
)  # fmt: skip


#: One-line definitions of the published columns (JSON "definitions", data dictionaries).
DEFINITIONS = {
    "suppressed": f"fewer than {MIN_CELL} appeals received: every figure is withheld",
    "too_few_ratings": f"fewer than {MIN_RATINGS} ratings: no ranking position",
    "rank": "position by mean score among services with enough ratings (1 = best; ties share)",
    "received": "public appeals submitted in the window",
    "answered": "received appeals that have a first answer",
    "median_workdays": "median working days from submission to the first answer (answered)",
    "mean_workdays": "mean working days from submission to the first answer (answered)",
    "on_time_share": "answered by the deadline / (answered + unanswered past the deadline)",
    "deadline_known": "denominator of on_time_share",
    "overdue_open": "received appeals still owed an answer and past their deadline now",
    "ratings": "received appeals rated by the citizen (latest rating of each appeal)",
    "mean_score": "mean of the latest 1-5 score of each rated appeal",
    "score_ci_low": "lower end of the 95% confidence interval of mean_score (Student's t)",
    "score_ci_high": "upper end of the 95% confidence interval of mean_score (Student's t)",
    "solved_share": "rated appeals whose citizen said the problem was solved / ratings",
    "solved_partly_share": "rated appeals whose citizen said partly solved / ratings",
    "reopen_rate": "answered appeals reopened at least once / answered",
    "rated_share": "ratings / answered",
}


@dataclass(frozen=True)
class PerformanceRow:
    """The published figures of one group (a service, a category, a district, a month…).

    Key fields that do not apply to the grouping are None. When ``suppressed`` is True every
    figure is None (the group has fewer than MIN_CELL received appeals). ``rank`` is set
    only for services with at least MIN_RATINGS ratings; ``too_few_ratings`` marks the rest.
    """

    group_by: str
    window_start: date
    window_end: date
    city: str | None = None
    service: str | None = None
    category: str | None = None
    district: str | None = None
    month: str | None = None  # "YYYY-MM"
    suppressed: bool = False
    too_few_ratings: bool = True
    rank: int | None = None
    received: int | None = None
    answered: int | None = None
    median_workdays: float | None = None
    mean_workdays: float | None = None
    on_time_share: float | None = None
    deadline_known: int | None = None
    overdue_open: int | None = None
    ratings: int | None = None
    mean_score: float | None = None
    score_ci_low: float | None = None
    score_ci_high: float | None = None
    solved_share: float | None = None
    solved_partly_share: float | None = None
    reopen_rate: float | None = None
    rated_share: float | None = None

    def as_dict(self) -> dict:
        """Plain values (dates as ISO strings) for JSON and CSV."""
        data = {name: getattr(self, name) for name in _ROW_FIELDS}  # flat: no deep copy
        data["window_start"] = self.window_start.isoformat()
        data["window_end"] = self.window_end.isoformat()
        return data


#: Field names of a PerformanceRow, in order.
_ROW_FIELDS = tuple(f.name for f in fields(PerformanceRow))


def figures(counts: Counts) -> dict:
    """Every figure of one group from its counts (no suppression here)."""
    mean_score, low, high = mean_ci95(counts.scores)
    rated = counts.rated
    return {
        "received": counts.received,
        "answered": counts.answered,
        "median_workdays": histogram_median(counts.workdays),
        "mean_workdays": histogram_mean(counts.workdays),
        "on_time_share": share(counts.on_time, counts.deadline_known),
        "deadline_known": counts.deadline_known,
        "overdue_open": counts.overdue_open,
        "ratings": rated,
        "mean_score": mean_score,
        "score_ci_low": low,
        "score_ci_high": high,
        "solved_share": share(counts.solved_yes, rated),
        "solved_partly_share": share(counts.solved_partly, rated),
        "reopen_rate": share(counts.reopened, counts.answered),
        "rated_share": share(rated, counts.answered),
    }


def is_suppressed(received: int) -> bool:
    """A public cell with fewer than MIN_CELL received appeals shows no figures."""
    return received < MIN_CELL


def can_rank(ratings: int) -> bool:
    """A service gets a ranking position only with at least MIN_RATINGS ratings."""
    return ratings >= MIN_RATINGS


def build_row(group_by: str, window_start: date, window_end: date, key: Mapping, counts: Counts,
              *, public: bool = True) -> PerformanceRow:  # fmt: skip
    """One row: figures from counts, suppressed when ``public`` and the cell is small."""
    row = PerformanceRow(group_by, window_start, window_end, **key)
    if public and is_suppressed(counts.received):
        return replace(row, suppressed=True, too_few_ratings=True)
    return replace(row, too_few_ratings=not can_rank(counts.rated), **figures(counts))


def rank_rows(rows: list[PerformanceRow]) -> list[PerformanceRow]:
    """Give ranking positions by mean score (1 = best; ties share a position) to the rows
    with at least MIN_RATINGS ratings; the others keep ``rank=None``."""
    rankable = sorted(
        (r.mean_score for r in rows if not r.suppressed and not r.too_few_ratings), reverse=True
    )
    position = {}
    for index, score in enumerate(rankable, start=1):
        position.setdefault(score, index)
    return [
        replace(r, rank=position[r.mean_score]) if not r.suppressed and not r.too_few_ratings else r
        for r in rows
    ]
