"""Service-performance summary tables per day: performance_days and performance_kind_days
(the monthly tables per day of submission), and performance_open gains its day, so that a
window starting or ending within a month sums exact days instead of counting appeals.

Every performance table is (re)filled from the appeals already stored by set-based
INSERT … SELECT (the same figures as ``portal.performance_cells.contribution``, frozen
here as of this revision): revision b8d41f6c2a90 creates the monthly tables, this one
fills them all.

Revision ID: 9f3a6c1d2b74
Revises: 5d2c8b7e1f43
Create Date: 2026-12-06 15:45:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9f3a6c1d2b74"
down_revision = "5d2c8b7e1f43"
branch_labels = None
depends_on = None

GRAIN = ("city_id", "service_id", "category_id", "district_id")
CELL_SUMS = ("received", "answered", "on_time", "known", "reopened", "solved_yes",
             "solved_partly", "score_1", "score_2", "score_3", "score_4", "score_5")  # fmt: skip
KIND_SUMS = ("received", "answered", "on_time", "known")
#: opendata.schema.PUBLIC_STATUSES and OPEN_STATUSES as of this revision.
PUBLIC = ("published", "acknowledged", "in_progress", "answered", "reopened", "closed")
OPEN = ("published", "acknowledged", "in_progress", "reopened")
#: Asia/Bishkek has been UTC+06:00 all year since this instant (UTC); the day and month of
#: submission are computed in SQL with that fixed offset.
FIXED_OFFSET_SINCE = "2005-08-12 00:00:00"


def _keys(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), autoincrement=False, nullable=False) for name in names]


def _sums(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _kind_channel() -> list[sa.Column]:
    return [
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=48), nullable=False),
    ]


def _open_table(name: str, with_day: bool) -> None:
    day = [sa.Column("day", sa.Date(), nullable=False)] if with_day else []
    day_key = ["day"] if with_day else []
    op.create_table(
        name,
        *_keys(*GRAIN),
        *_kind_channel(),
        sa.Column("month", sa.Date(), nullable=False),
        *day,
        sa.Column("due_at", sa.DateTime(), nullable=False),
        *_sums("open", "open_unknown"),
        sa.PrimaryKeyConstraint(*GRAIN, "kind", "channel", "month", *day_key, "due_at"),
    )


def upgrade() -> None:
    op.create_table(
        "performance_days",
        *_keys(*GRAIN),
        sa.Column("day", sa.Date(), nullable=False),
        *_sums(*CELL_SUMS),
        sa.Column("workdays", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(*GRAIN, "day"),
    )
    op.create_table(
        "performance_kind_days",
        *_keys("city_id", "service_id"),
        *_kind_channel(),
        sa.Column("day", sa.Date(), nullable=False),
        *_sums(*KIND_SUMS),
        sa.PrimaryKeyConstraint("city_id", "service_id", "kind", "channel", "day"),
    )
    # performance_open gains a key column: a new table, filled below.
    op.drop_table("performance_open")
    _open_table("performance_open", with_day=True)
    fill(op.get_bind())
    op.create_index("ix_performance_days_day", "performance_days", ["day"])
    op.create_index("ix_performance_kind_days_day", "performance_kind_days", ["day"])
    op.create_index("ix_performance_open_day", "performance_open", ["day"])


def downgrade() -> None:
    # performance_open loses its day: summed over the days into a table of the old shape.
    _open_table("performance_open_months", with_day=False)
    columns = ", ".join((*GRAIN, "kind", "channel", "month", "due_at"))
    copy = "INSERT INTO {0} ({1}, open, open_unknown) SELECT {1}, SUM(open), SUM(open_unknown) "
    op.execute(copy.format("performance_open_months", columns) +
               f"FROM performance_open GROUP BY {columns}")  # fmt: skip
    op.drop_index("ix_performance_open_day", table_name="performance_open")
    op.drop_table("performance_open")
    _open_table("performance_open", with_day=False)
    op.execute(copy.format("performance_open", columns) +
               f"FROM performance_open_months GROUP BY {columns}")  # fmt: skip
    op.drop_table("performance_open_months")
    op.drop_table("performance_kind_days")
    op.drop_table("performance_days")


# --- Filling the tables from the appeals (set-based) ---------------------------------------


def _periods(dialect: str) -> dict[str, str]:
    """SQL of the Asia/Bishkek day and month of submission."""
    if dialect == "postgresql":
        local = "(submitted_at + INTERVAL '6 hours')"
        return {"day": f"CAST({local} AS DATE)",
                "month": f"CAST(DATE_TRUNC('month', {local}) AS DATE)"}  # fmt: skip
    return {"day": "DATE(submitted_at, '+6 hours')",
            "month": "DATE(submitted_at, '+6 hours', 'start of month')"}  # fmt: skip


def _histogram(dialect: str) -> str:
    """SQL of a JSON object {"days": appeals} from rows (workdays, n)."""
    pair = "'\"' || CAST(workdays AS VARCHAR) || '\":' || CAST(n AS VARCHAR)"
    if dialect == "postgresql":
        return f"'{{' || STRING_AGG({pair}, ',' ORDER BY workdays) || '}}'"
    return f"'{{' || GROUP_CONCAT({pair}, ',') || '}}'"


def _count_if(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _fill_cells(bind, table: str, period: str) -> None:
    """performance_cells (period = month) or performance_days (day): public problems."""
    dialect = bind.dialect.name
    when = _periods(dialect)[period]
    grain = "city_id, service_id, category_id, COALESCE(district_id, 0)"
    problems = f"status IN {_in(PUBLIC)} AND kind = 'problem'"
    sums = [
        "COUNT(*)",
        _count_if("first_answer_at IS NOT NULL"),
        _count_if("answered_on_time"),
        _count_if("answered_on_time IS NOT NULL"),
        _count_if("COALESCE(reopen_count, 0) > 0"),
        _count_if("last_solved = 'yes'"),
        _count_if("last_solved = 'partly'"),
        *(_count_if(f"last_score = {score}") for score in range(1, 6)),
    ]
    keys = ", ".join(GRAIN)
    joined = " AND ".join(f"s.{k} = h.{k}" for k in (*GRAIN, "p"))
    bind.execute(
        sa.text(
            f"INSERT INTO {table} ({keys}, {period}, {', '.join(CELL_SUMS)}, workdays) "
            f"SELECT s.*, COALESCE(h.workdays, '{{}}') FROM ("
            f"  SELECT {grain} AS district_id, {when} AS p, {', '.join(sums)}"
            f"  FROM appeals WHERE {problems} GROUP BY {grain}, {when}"
            f") AS s LEFT JOIN ("
            f"  SELECT {keys}, p, {_histogram(dialect)} AS workdays FROM ("
            f"    SELECT {grain} AS district_id, {when} AS p,"
            f"           first_answer_workdays AS workdays, COUNT(*) AS n"
            f"    FROM appeals WHERE {problems} AND first_answer_at IS NOT NULL"
            f"      AND first_answer_workdays IS NOT NULL"
            f"    GROUP BY {grain}, {when}, first_answer_workdays"
            f"  ) AS d GROUP BY {keys}, p"
            f") AS h ON {joined}"
        )
    )


def _fill_kinds(bind, table: str, period: str) -> None:
    """performance_kinds (month) or performance_kind_days (day): public appeals by kind."""
    when = _periods(bind.dialect.name)[period]
    sums = [
        "COUNT(*)",
        _count_if("first_answer_at IS NOT NULL"),
        _count_if("answered_on_time"),
        _count_if("answered_on_time IS NOT NULL"),
    ]
    bind.execute(
        sa.text(
            f"INSERT INTO {table} (city_id, service_id, kind, channel, {period}, "
            f"{', '.join(KIND_SUMS)}) "
            f"SELECT city_id, service_id, kind, channel, {when}, {', '.join(sums)} "
            f"FROM appeals WHERE status IN {_in(PUBLIC)} "
            f"GROUP BY city_id, service_id, kind, channel, {when}"
        )
    )


def _fill_open(bind) -> None:
    periods = _periods(bind.dialect.name)
    grain = "city_id, service_id, category_id, COALESCE(district_id, 0)"
    group = f"{grain}, kind, channel, {periods['month']}, {periods['day']}, due_at"
    bind.execute(
        sa.text(
            f"INSERT INTO performance_open ({', '.join(GRAIN)}, kind, channel, month, day, "
            f"due_at, open, open_unknown) "
            f"SELECT {group}, COUNT(*), "
            f"{_count_if('first_answer_at IS NULL AND answered_on_time IS NULL')} "
            f"FROM appeals WHERE status IN {_in(OPEN)} GROUP BY {group}"
        )
    )


def fill(bind) -> None:
    """Every performance table recounted from the appeals."""
    early = bind.execute(
        sa.text("SELECT COUNT(*) FROM appeals WHERE submitted_at < :since"),
        {"since": FIXED_OFFSET_SINCE},
    ).scalar_one()
    if early:
        raise RuntimeError(
            f"{early} appeals were submitted before {FIXED_OFFSET_SINCE} UTC, when Asia/Bishkek"
            " was not yet UTC+06:00 all year: fill the performance tables with"
            " `portal performance-rebuild` instead of this migration's SQL."
        )
    for table in ("performance_cells", "performance_kinds"):
        bind.execute(sa.text(f"DELETE FROM {table}"))
    _fill_cells(bind, "performance_cells", "month")
    _fill_cells(bind, "performance_days", "day")
    _fill_kinds(bind, "performance_kinds", "month")
    _fill_kinds(bind, "performance_kind_days", "day")
    _fill_open(bind)
