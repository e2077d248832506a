"""Short videos of appeals and answers: the private upload, the re-encoded MP4 and its
poster (published media), the moderation state.

Revision ID: 7a3c9e1d5b20
Revises: da9606bd1ccb
Create Date: 2026-12-06 00:05:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7a3c9e1d5b20"
down_revision = "da9606bd1ccb"
branch_labels = None
depends_on = None

STATES = ("processing", "waiting", "published", "withheld", "failed")


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(*STATES, name="videostate", native_enum=False, length=24),
            nullable=False,
        ),  # fmt: skip
        sa.Column("private_raw", sa.LargeBinary(), nullable=False),
        sa.Column("private_failure", sa.String(length=40), nullable=True),
        sa.Column("private_moderator_id", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("poster", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["answer_id"], ["answers.id"]),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeals.id"]),
        sa.ForeignKeyConstraint(["private_moderator_id"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("answer_id"),
        sa.UniqueConstraint("public_id"),
    )
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_videos_appeal_id"), ["appeal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_videos_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_videos_state"))
        batch_op.drop_index(batch_op.f("ix_videos_appeal_id"))
    op.drop_table("videos")
