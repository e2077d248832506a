"""appeals: channel — how each appeal arrived (web, api, open311 or open311:<client>).

Existing appeals get "web" (their channel was not recorded; the data changelog says so).
The service-performance index gains the column, so that /performance counts appeals per
channel from the index alone.

Revision ID: 79750ff4b9df
Revises: e15db9b69ac9
Create Date: 2026-12-05 07:02:21.459937
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "79750ff4b9df"
down_revision = "e15db9b69ac9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=48), server_default="web", nullable=False)
        )
        batch_op.drop_index(batch_op.f("ix_appeals_performance"))
        batch_op.create_index(
            "ix_appeals_performance",
            [
                "submitted_at",
                "status",
                "city_id",
                "service_id",
                "category_id",
                "district_id",
                "first_answer_workdays",
                "first_answer_at",
                "answered_on_time",
                "due_at",
                "reopen_count",
                "last_solved",
                "last_score",
                "channel",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_performance")
        batch_op.create_index(
            batch_op.f("ix_appeals_performance"),
            [
                "submitted_at",
                "status",
                "city_id",
                "service_id",
                "category_id",
                "district_id",
                "first_answer_workdays",
                "first_answer_at",
                "answered_on_time",
                "due_at",
                "reopen_count",
                "last_solved",
                "last_score",
            ],
            unique=False,
        )
        batch_op.drop_column("channel")
