"""Alert subscriptions may follow a drawn polygon (private), not only a box.

Revision ID: 3b8e5d2f7a91
Revises: c5e8a2f4d917
Create Date: 2026-12-06 03:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3b8e5d2f7a91"
down_revision = "c5e8a2f4d917"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing area subscriptions keep their box and no polygon: they follow the box as before.
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("private_area", sa.Text(), nullable=True))


def downgrade() -> None:
    # A drawn area's box (kept in min/max_lat/lon) stays: the older portal follows that box.
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("private_area")
