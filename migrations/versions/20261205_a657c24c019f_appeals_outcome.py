"""appeals: outcome and outcome_reason — how the city decided on a proposal, and why.

Existing appeals are problems: both stay empty.

Revision ID: a657c24c019f
Revises: 4ce256144082
Create Date: 2026-12-05 11:53:25.405806
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a657c24c019f"
down_revision = "4ce256144082"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "outcome",
                sa.Enum(
                    "accepted",
                    "planned",
                    "declined",
                    name="proposaloutcome",
                    native_enum=False,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("outcome_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_column("outcome_reason")
        batch_op.drop_column("outcome")
