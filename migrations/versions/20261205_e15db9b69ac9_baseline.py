"""Baseline: the schema ``db.create_all()`` made before the portal had migrations.

Every table, index and constraint of portal/models.py as it was then, on SQLite and
PostgreSQL. A database made in those days (tables, but no ``alembic_version``) is
recognised by ``portal db upgrade`` and stamped at this revision (portal.schema_upgrade).
Its downgrade drops every table, and every row with them.

Revision ID: e15db9b69ac9
Revises:
Create Date: 2026-12-05 06:11:03.507340
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e15db9b69ac9"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("name_ru", sa.String(length=100), nullable=False),
        sa.Column("name_ky", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "public_id_counters",
        sa.Column("city_code", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("city_code", "year"),
    )
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("name_ru", sa.String(length=100), nullable=False),
        sa.Column("name_ky", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("center_lat", sa.Float(), nullable=False),
        sa.Column("center_lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("city_id", "slug"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("name_ru", sa.String(length=200), nullable=False),
        sa.Column("name_ky", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("group", sa.String(length=40), nullable=False),
        sa.Column("name_ru", sa.String(length=200), nullable=False),
        sa.Column("name_ky", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("default_service_id", sa.Integer(), nullable=False),
        sa.Column("deadline_days", sa.SmallInteger(), nullable=True),
        sa.Column(
            "privacy_tier",
            sa.Enum(
                "public", "home", "sensitive", name="privacytier", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["default_service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("city_id", "code"),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("private_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin", "moderator", "service", name="staffrole", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(role = 'service') = (service_id IS NOT NULL)", name="ck_staff_service_binding"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "rejected",
                "published",
                "acknowledged",
                "in_progress",
                "answered",
                "reopened",
                "closed",
                "withdrawn",
                name="appealstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "resolution",
            sa.Enum(
                "solved",
                "not_responsible",
                "duplicate",
                "rated",
                name="resolution",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "rejection_reason",
            sa.Enum(
                "spam",
                "abuse",
                "duplicate",
                "not_municipal",
                name="rejectionreason",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("public_text", sa.Text(), nullable=True),
        sa.Column("public_lat", sa.Float(), nullable=True),
        sa.Column("public_lon", sa.Float(), nullable=True),
        sa.Column("location_precision_m", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("first_answer_at", sa.DateTime(), nullable=True),
        sa.Column("last_answer_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("deadline_extended", sa.Boolean(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("first_answer_workdays", sa.SmallInteger(), nullable=True),
        sa.Column("answered_on_time", sa.Boolean(), nullable=True),
        sa.Column("reopen_count", sa.SmallInteger(), nullable=False),
        sa.Column("reroute_count", sa.SmallInteger(), nullable=False),
        sa.Column("last_score", sa.SmallInteger(), nullable=True),
        sa.Column(
            "last_solved",
            sa.Enum("yes", "partly", "no", name="solved", native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("photo_count", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
        ),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["appeals.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index("ix_appeals_category", ["category_id"], unique=False)
        batch_op.create_index(
            "ix_appeals_inbox",
            ["service_id", "status", "due_at", "id", "category_id", "district_id"],
            unique=False,
        )
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
            ],
            unique=False,
        )
        batch_op.create_index("ix_appeals_public_point", ["public_lat", "public_lon"], unique=False)
        batch_op.create_index("ix_appeals_published_at", ["published_at"], unique=False)
        batch_op.create_index(
            "ix_appeals_service_status_due", ["service_id", "status", "due_at"], unique=False
        )
        batch_op.create_index("ix_appeals_status_city", ["status", "city_id"], unique=False)

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=True),
        sa.Column("private_raw_text", sa.Text(), nullable=False),
        sa.Column("private_internal_note", sa.Text(), nullable=True),
        sa.Column("private_staff_id", sa.Integer(), nullable=True),
        sa.Column("needs_moderation", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.ForeignKeyConstraint(
            ["private_staff_id"],
            ["staff_users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index("ix_answers_appeal", ["appeal_id"], unique=False)

    op.create_table(
        "appeal_private",
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("address_text", sa.String(length=300), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("moderated_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.PrimaryKeyConstraint("appeal_id"),
    )
    op.create_table(
        "contacts",
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.PrimaryKeyConstraint("appeal_id"),
    )
    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "submitted",
                "published",
                "rejected",
                "acknowledged",
                "in_progress",
                "answered",
                "rated",
                "reopened",
                "rerouted",
                "deadline_extended",
                "closed",
                "withdrawn",
                name="eventkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("to_service_id", sa.Integer(), nullable=True),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.Column("private_staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.ForeignKeyConstraint(
            ["private_staff_id"],
            ["staff_users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.ForeignKeyConstraint(
            ["to_service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index("ix_status_events_appeal", ["appeal_id"], unique=False)

    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("track", "rate", name="tokenpurpose", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_tokens_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column(
            "solved",
            sa.Enum("yes", "partly", "no", name="solved", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "not_answered",
                "unclear",
                "not_resolved",
                "inaccurate",
                name="ratingreason",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("public_comment", sa.Text(), nullable=True),
        sa.Column("private_comment", sa.Text(), nullable=True),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_ratings_score"),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("answer_id"),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index("ix_ratings_appeal", ["appeal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_ratings_appeal")

    op.drop_table("ratings")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_appeal_id"))

    op.drop_table("photos")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_tokens_appeal_id"))

    op.drop_table("access_tokens")
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_status_events_appeal")

    op.drop_table("status_events")
    op.drop_table("contacts")
    op.drop_table("appeal_private")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_appeal")

    op.drop_table("answers")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_status_city")
        batch_op.drop_index("ix_appeals_service_status_due")
        batch_op.drop_index("ix_appeals_published_at")
        batch_op.drop_index("ix_appeals_public_point")
        batch_op.drop_index("ix_appeals_performance")
        batch_op.drop_index("ix_appeals_inbox")
        batch_op.drop_index("ix_appeals_category")

    op.drop_table("appeals")
    op.drop_table("staff_users")
    op.drop_table("categories")
    op.drop_table("services")
    op.drop_table("districts")
    op.drop_table("public_id_counters")
    op.drop_table("cities")
