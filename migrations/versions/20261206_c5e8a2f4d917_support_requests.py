"""Supports given with an e-mail wait for their confirmation link: the private
support_requests table.

Revision ID: c5e8a2f4d917
Revises: 7a3c9e1d5b20
Create Date: 2026-12-06 03:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5e8a2f4d917"
down_revision = "7a3c9e1d5b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("private_email", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_requests_appeal_id"), ["appeal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_requests_private_email"), ["private_email"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_requests_private_email"))
        batch_op.drop_index(batch_op.f("ix_support_requests_appeal_id"))
    op.drop_table("support_requests")
