"""Service-performance summary tables (performance_cells, _kinds, _open), kept current by
every write (portal.performance_cells); revision 9f3a6c1d2b74 fills them from the appeals
already stored.

Revision ID: b8d41f6c2a90
Revises: 3b8e5d2f7a91
Create Date: 2026-12-06 03:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8d41f6c2a90"
down_revision = "3b8e5d2f7a91"
branch_labels = None
depends_on = None


def _keys(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), autoincrement=False, nullable=False) for name in names]


def _sums(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _kind_channel_month() -> list[sa.Column]:
    return [
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=48), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
    ]


GRAIN = ("city_id", "service_id", "category_id", "district_id")


def upgrade() -> None:
    op.create_table(
        "performance_cells",
        *_keys(*GRAIN),
        sa.Column("month", sa.Date(), nullable=False),
        *_sums("received", "answered", "on_time", "known", "reopened", "solved_yes",
               "solved_partly", "score_1", "score_2", "score_3", "score_4", "score_5"),
        sa.Column("workdays", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(*GRAIN, "month"),
    )  # fmt: skip
    op.create_table(
        "performance_kinds",
        *_keys("city_id", "service_id"),
        *_kind_channel_month(),
        *_sums("received", "answered", "on_time", "known"),
        sa.PrimaryKeyConstraint("city_id", "service_id", "kind", "channel", "month"),
    )
    op.create_table(
        "performance_open",
        *_keys(*GRAIN),
        *_kind_channel_month(),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        *_sums("open", "open_unknown"),
        sa.PrimaryKeyConstraint(*GRAIN, "kind", "channel", "month", "due_at"),
    )
    # Filled from the appeals already stored by revision 9f3a6c1d2b74, which adds their
    # per-day twins: a fill here through portal.performance_cells would write the tables as
    # the code of the newest revision declares them, not as they are at this one.


def downgrade() -> None:
    op.drop_table("performance_open")
    op.drop_table("performance_kinds")
    op.drop_table("performance_cells")
