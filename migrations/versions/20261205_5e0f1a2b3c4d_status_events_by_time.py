"""status_events: index by time, for the one "data as of" (the newest event by time)

Revision ID: 5e0f1a2b3c4d
Revises: d330c14f086e
Create Date: 2026-12-05 16:40:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5e0f1a2b3c4d"
down_revision = "d330c14f086e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index("ix_status_events_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_status_events_created_at")
