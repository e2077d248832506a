"""Service-performance summary tables (performance_cells, _kinds, _open), filled from
the appeals already stored, then kept current by every write (portal.performance_cells).

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
    # Fill them from the appeals already stored (the same count as `portal performance-rebuild`).
    from portal import performance_cells

    performance_cells.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("performance_open")
    op.drop_table("performance_kinds")
    op.drop_table("performance_cells")
