"""news_items: short news of the mayor's office (title and markdown-like text in ru, ky, en).

The new staff role "editor" needs no change: roles are stored as plain strings.

Revision ID: 4ce256144082
Revises: c90897d2b4dc
Create Date: 2026-12-05 11:43:46.838665
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4ce256144082"
down_revision = "c90897d2b4dc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "news_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title_ru", sa.String(length=200), nullable=False),
        sa.Column("title_ky", sa.String(length=200), nullable=True),
        sa.Column("title_en", sa.String(length=200), nullable=True),
        sa.Column("body_ru", sa.Text(), nullable=False),
        sa.Column("body_ky", sa.Text(), nullable=True),
        sa.Column("body_en", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("private_author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["private_author_id"],
            ["staff_users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("news_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_news_items_published_at"), ["published_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("news_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_news_items_published_at"))

    op.drop_table("news_items")
