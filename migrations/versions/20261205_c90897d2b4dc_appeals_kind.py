"""appeals: kind — problem, proposal or question.

Existing appeals are problems (the only kind before; the data changelog says so). The
service-performance index gains the column: the figures count problems, and the other
kinds are counted per kind, from the index alone.

Revision ID: c90897d2b4dc
Revises: 6214000a5448
Create Date: 2026-12-05 11:33:40.161902
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c90897d2b4dc"
down_revision = "6214000a5448"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "problem",
                    "proposal",
                    "question",
                    name="appealkind",
                    native_enum=False,
                    length=24,
                ),
                server_default="problem",
                nullable=False,
            )
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
                "kind",
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
                "channel",
            ],
            unique=False,
        )
        batch_op.drop_column("kind")
