"""The domain's tables (SQLAlchemy 2 typed models).

Privacy is visible in the names: everything private lives either in a table of its own
(``appeal_private``, ``contacts``, ``held_texts``) or in a column whose name starts with
``private_``. Public queries (``portal.queries``) never select from those; a test enforces it.

What the public sees is marked once, here, in the column's ``info`` (``PUBLISHED_TEXT``,
``PUBLISHED_POINT``, ``PUBLISHED_MEDIA``): the publication gate
(``portal.services.publication``) is the only code that may write a marked column, and
it refuses every other write at run time.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata import schema
from portal.extensions import db

#: ``Column.info`` key marking published data; the value says what kind.
PUBLISHED = "published"
PUBLISHED_TEXT = {PUBLISHED: "text"}  # scrubbed text (or a moderator's edit)
PUBLISHED_POINT = {PUBLISHED: "point"}  # the masked location
PUBLISHED_MEDIA = {PUBLISHED: "media"}  # re-encoded photos, without metadata


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC (the only way times are stored)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC on every backend (SQLite keeps no offsets)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(enum_cls: type[enum.Enum]) -> SAEnum:
    """Store enums by value as plain strings (portable, readable in dumps)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _vocabulary(name: str, values: tuple[str, ...]) -> type[enum.StrEnum]:
    """An enum of public codes declared in ``opendata.schema`` (members: CODE = "code")."""
    return enum.StrEnum(name, [(value.upper(), value) for value in values])


#: How precisely a category's location may be published: public space (~100 m), from inside
#: a home (a few hundred metres) or sensitive (counts only, no point).
PrivacyTier = _vocabulary("PrivacyTier", schema.PRIVACY_TIERS)
#: The public statuses (opendata.schema.PUBLIC_STATUSES), plus three the public never sees:
#: waiting for moderation, refused by it, and removed after publication (a tombstone).
AppealStatus = _vocabulary(
    "AppealStatus", ("submitted", "rejected", *schema.PUBLIC_STATUSES, "withdrawn")
)
#: Statuses in which the service still owes an answer.
OPEN_STATUSES = tuple(AppealStatus(code) for code in schema.OPEN_STATUSES)
#: Statuses visible to the public.
PUBLIC_STATUSES = tuple(AppealStatus(code) for code in schema.PUBLIC_STATUSES)
#: How a closed appeal ended ("rated": closed after the citizen rated the answer).
Resolution = _vocabulary("Resolution", schema.RESOLUTIONS)
RejectionReason = _vocabulary("RejectionReason", schema.REJECTION_REASONS)
#: What an appeal is (opendata.schema.APPEAL_KINDS): a problem, a proposal or a question.
AppealKind = _vocabulary("AppealKind", schema.APPEAL_KINDS)
#: How the city decided on a proposal (opendata.schema.PROPOSAL_OUTCOMES).
ProposalOutcome = _vocabulary("ProposalOutcome", schema.PROPOSAL_OUTCOMES)


class EventKind(enum.StrEnum):
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    RATED = "rated"
    REOPENED = "reopened"
    REROUTED = "rerouted"
    DEADLINE_EXTENDED = "deadline_extended"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    OUTCOME_STATED = "outcome_stated"  # the city decided on a proposal


Solved = _vocabulary("Solved", schema.SOLVED)
RatingReason = _vocabulary("RatingReason", schema.RATING_REASONS)


class TokenPurpose(enum.StrEnum):
    TRACK = "track"  # follow the appeal (long-lived)
    RATE = "rate"  # rate one answer (single use, expires)


class StaffRole(enum.StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    SERVICE = "service"  # service staff, bound to one service
    EDITOR = "editor"  # publishes the mayor's office's news (portal.services.news)


class TextChannel(enum.StrEnum):
    """Where a published text comes from; the gate has one rule per channel."""

    APPEAL_TEXT = "appeal_text"  # the citizen's description (pre-moderated)
    ANSWER = "answer"  # a service's answer
    RATING_COMMENT = "rating_comment"  # the citizen's comment on an answer
    EXTENSION_REASON = "extension_reason"  # why the service extended the deadline
    REROUTE_REASON = "reroute_reason"  # why the appeal went to another service
    REJECTION_NOTE = "rejection_note"  # moderation's reason for refusing an appeal
    CLOSING_NOTE = "closing_note"  # the original's number when closed as a duplicate
    OUTCOME_REASON = "outcome_reason"  # why the city accepted, planned or declined a proposal


class HoldCause(enum.StrEnum):
    """Why the gate did not publish a text at once."""

    RISK = "risk"  # the scrubber could not rule out personal data
    FAILURE = "failure"  # the scrubber failed (error, missing model or dependency)


class HoldDecision(enum.StrEnum):
    PUBLISHED = "published"  # a moderator published it (perhaps edited)
    WITHHELD = "withheld"  # a moderator decided it is never published


# --- Reference data --------------------------------------------------------------------


class City(db.Model):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)  # "BSK", prefix of public ids
    slug: Mapped[str] = mapped_column(String(32), unique=True)  # "bishkek", used in URLs
    name_ru: Mapped[str] = mapped_column(String(100))
    name_ky: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    min_lat: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)

    districts: Mapped[list[District]] = relationship(back_populates="city")

    def contains(self, *, lat: float, lon: float) -> bool:
        """True when the point lies inside the city's extent."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


class District(db.Model):
    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("city_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    slug: Mapped[str] = mapped_column(String(32))
    name_ru: Mapped[str] = mapped_column(String(100))
    name_ky: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # Districts are approximated by their centres: a point belongs to the nearest one.
    center_lat: Mapped[float] = mapped_column(Float)
    center_lon: Mapped[float] = mapped_column(Float)

    city: Mapped[City] = relationship(back_populates="districts")


class Service(db.Model):
    """A municipal service or enterprise that answers appeals (e.g. Бишкекводоканал)."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # stable public code
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_ky: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # Where reminders go; an organisation's address, not a person's.
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    city: Mapped[City] = relationship()


class Category(db.Model):
    """A problem type in one city, routed by default to one service."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    code: Mapped[str] = mapped_column(String(40))  # same code in every city ("pothole")
    group: Mapped[str] = mapped_column(String(40))  # "roads", "utilities", …
    name_ru: Mapped[str] = mapped_column(String(200))
    name_ky: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    default_service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    # None: the portal's DEFAULT_DEADLINE_DAYS applies.
    deadline_days: Mapped[int | None] = mapped_column(SmallInteger)
    privacy_tier: Mapped[PrivacyTier] = mapped_column(_enum(PrivacyTier))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    city: Mapped[City] = relationship()
    default_service: Mapped[Service] = relationship()


class PublicIdCounter(db.Model):
    """Last number handed out per city and year: public ids are never reused."""

    __tablename__ = "public_id_counters"

    city_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


# --- Appeals -----------------------------------------------------------------------------


class Appeal(db.Model):
    """The public face of an appeal. Private data is in AppealPrivate and Contact."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_status_city", "status", "city_id"),
        Index("ix_appeals_service_status_due", "service_id", "status", "due_at"),
        # Staff inbox: the service's open appeals by deadline (id: the tie-breaker and the
        # row to fetch), with the inbox filters (category, district) answered from the index
        # alone — an index-only scan on PostgreSQL too (portal.queries.inbox).
        Index(
            "ix_appeals_inbox", "service_id", "status", "due_at", "id", "category_id", "district_id"
        ),
        Index("ix_appeals_published_at", "published_at"),
        Index("ix_appeals_public_point", "public_lat", "public_lon"),
        Index("ix_appeals_category", "category_id"),
        # Covers the service-performance aggregate (portal.queries.performance): a range
        # on submitted_at, then only the denormalised figures, without reading the rows.
        Index(
            "ix_appeals_performance",
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
            "channel",  # appeals received per channel (performance_counts.received_by_channel)
            "kind",  # headline figures count problems; the rest per kind (performance_counts)
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)  # "BSK-2026-000123"
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))  # current service
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus))
    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution))
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(_enum(RejectionReason))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"))

    # Published (derived) data: scrubbed text and masked point; empty until published.
    public_text: Mapped[str | None] = mapped_column(Text, info=PUBLISHED_TEXT)
    public_lat: Mapped[float | None] = mapped_column(Float, info=PUBLISHED_POINT)
    public_lon: Mapped[float | None] = mapped_column(Float, info=PUBLISHED_POINT)
    location_precision_m: Mapped[int | None] = mapped_column(Integer, info=PUBLISHED_POINT)

    # Lifecycle timestamps (UTC).
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A service may extend the deadline once, with a public reason.
    deadline_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text, info=PUBLISHED_TEXT)

    # Denormalised figures, maintained by portal.services, so that lists, exports and
    # performance figures need no per-row joins at city scale.
    first_answer_workdays: Mapped[int | None] = mapped_column(SmallInteger)
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean)
    reopen_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    reroute_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_score: Mapped[int | None] = mapped_column(SmallInteger)
    last_solved: Mapped[Solved | None] = mapped_column(_enum(Solved))
    photo_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How the appeal arrived: opendata.schema.CHANNEL_PATTERN ("web", "api", "open311[:client]").
    channel: Mapped[str] = mapped_column(String(48), default="web", server_default="web")
    # What the appeal is; appeals from before kinds were recorded are problems.
    kind: Mapped[AppealKind] = mapped_column(
        _enum(AppealKind), default=AppealKind.PROBLEM, server_default="problem"
    )
    # A proposal's stated outcome, with its public reason (through the gate).
    outcome: Mapped[ProposalOutcome | None] = mapped_column(_enum(ProposalOutcome))
    outcome_reason: Mapped[str | None] = mapped_column(Text, info=PUBLISHED_TEXT)

    city: Mapped[City] = relationship()
    district: Mapped[District | None] = relationship()
    category: Mapped[Category] = relationship()
    service: Mapped[Service] = relationship()
    private: Mapped[AppealPrivate] = relationship(
        back_populates="appeal", uselist=False, cascade="all, delete-orphan"
    )
    answers: Mapped[list[Answer]] = relationship(
        back_populates="appeal", order_by="Answer.created_at"
    )
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="appeal", order_by="StatusEvent.id"
    )

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Open, with no answer in this round, and past its deadline."""
        now = now or utcnow()
        return self.status in OPEN_STATUSES and now > self.due_at


class AppealPrivate(db.Model):
    """What the citizen typed and where exactly: never published, kept for audit."""

    __tablename__ = "appeal_private"

    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), primary_key=True)
    raw_text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address_text: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2))  # ru / ky / en
    # Text edited by a moderator before publishing (the raw text is kept as it was).
    moderated_text: Mapped[str | None] = mapped_column(Text)

    appeal: Mapped[Appeal] = relationship(back_populates="private")


class Contact(db.Model):
    """How to reach the citizen: used only to send tracking and rating links."""

    __tablename__ = "contacts"

    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))


class Answer(db.Model):
    """A service's answer in one round (a reopened appeal gets a new round)."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_appeal", "appeal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    round: Mapped[int] = mapped_column(SmallInteger, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Scrubbed; None while held for a moderator or when the moderator withheld it.
    public_text: Mapped[str | None] = mapped_column(Text, info=PUBLISHED_TEXT)
    private_raw_text: Mapped[str] = mapped_column(Text)
    private_internal_note: Mapped[str | None] = mapped_column(Text)
    private_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # True while the text waits for a moderator (public: the page says it is being checked).
    needs_moderation: Mapped[bool] = mapped_column(Boolean, default=False)

    appeal: Mapped[Appeal] = relationship(back_populates="answers")
    service: Mapped[Service] = relationship()
    rating: Mapped[Rating | None] = relationship(back_populates="answer", uselist=False)


class StatusEvent(db.Model):
    """Append-only log of every transition; the public timeline is built from it."""

    __tablename__ = "status_events"
    __table_args__ = (Index("ix_status_events_appeal", "appeal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    to_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    # Reroute/extension/rejection reason; None while held (the gate may fill it in once).
    public_note: Mapped[str | None] = mapped_column(Text, info=PUBLISHED_TEXT)
    private_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    appeal: Mapped[Appeal] = relationship(back_populates="events")
    service: Mapped[Service | None] = relationship(foreign_keys=[service_id])
    to_service: Mapped[Service | None] = relationship(foreign_keys=[to_service_id])


def _status_events_are_never_deleted(mapper, connection, target) -> None:
    raise ValueError("status events are append-only")


def _status_events_are_append_only(mapper, connection, target) -> None:
    """An event never changes, with one exception: a note held back when the event was
    recorded (NULL) may be filled in once, when a moderator releases it. Who may write a
    note at all is the publication gate's rule (the column is marked PUBLISHED_TEXT)."""
    state = inspect(target)
    changed = {
        prop.key for prop in mapper.column_attrs if state.attrs[prop.key].history.has_changes()
    }
    stored_note = connection.scalar(
        select(StatusEvent.__table__.c.public_note).where(StatusEvent.__table__.c.id == target.id)
    )
    if changed != {"public_note"} or stored_note is not None:
        raise ValueError("status events are append-only")


def guard_append_only_events() -> None:
    """Refuse updates and deletes of status events (create_app calls it; idempotent)."""
    for name, check in (
        ("before_update", _status_events_are_append_only),
        ("before_delete", _status_events_are_never_deleted),
    ):
        if not event.contains(StatusEvent, name, check):
            event.listen(StatusEvent, name, check)


class Rating(db.Model):
    """The citizen's rating of one answer: one per answer round."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("answer_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="ck_ratings_score"),
        Index("ix_ratings_appeal", "appeal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"))
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))  # who was rated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int] = mapped_column(SmallInteger)
    solved: Mapped[Solved] = mapped_column(_enum(Solved))
    reason: Mapped[RatingReason | None] = mapped_column(_enum(RatingReason))
    public_comment: Mapped[str | None] = mapped_column(Text, info=PUBLISHED_TEXT)  # scrubbed
    private_comment: Mapped[str | None] = mapped_column(Text)  # as typed

    answer: Mapped[Answer] = relationship(back_populates="rating")


class HeldText(db.Model):
    """A text the publication gate did not publish: private until a moderator decides.

    The gate holds a text when the scrubber reports residual risk or fails. It points at
    the rows whose public columns it will fill (``TextChannel`` says which columns) and
    keeps what was typed; a moderator publishes it (perhaps edited) or withholds it.
    """

    __tablename__ = "held_texts"
    __table_args__ = (
        Index("ix_held_texts_queue", "decided_at", "created_at"),
        Index("ix_held_texts_appeal", "appeal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[TextChannel] = mapped_column(_enum(TextChannel))
    cause: Mapped[HoldCause] = mapped_column(_enum(HoldCause))
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    rating_id: Mapped[int | None] = mapped_column(ForeignKey("ratings.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("status_events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The interface language the text was typed in: a hint for the scrubber, no more.
    language: Mapped[str | None] = mapped_column(String(2))
    private_raw_text: Mapped[str] = mapped_column(Text)
    # What the scrubber proposed (None when it failed): shown to the text's addressee.
    private_scrubbed_text: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[HoldDecision | None] = mapped_column(_enum(HoldDecision))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    private_moderator_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    appeal: Mapped[Appeal] = relationship()
    answer: Mapped[Answer | None] = relationship()
    rating: Mapped[Rating | None] = relationship()
    event: Mapped[StatusEvent | None] = relationship()


class AccessToken(db.Model):
    """Capability links sent to the citizen; only a SHA-256 of the token is stored."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[TokenPurpose] = mapped_column(_enum(TokenPurpose))
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appeal: Mapped[Appeal] = relationship()


class Photo(db.Model):
    """A re-encoded photo (no EXIF, at most PHOTO_MAX_SIDE px); originals are not kept."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # random, in URLs
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, info=PUBLISHED_MEDIA)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffUser(db.Model):
    """A staff account. Its name is private: the public sees only the service."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'service') = (service_id IS NOT NULL)", name="ck_staff_service_binding"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    private_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's identity (get_id): raising it ends every session at once
    # (logout, password reset, deactivation; see portal.services.auth.end_sessions).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    service: Mapped[Service | None] = relationship()

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session stores: the id and the session version ("12:3")."""
        return f"{self.id}:{self.session_version or 0}"


class LoginThrottle(db.Model):
    """Failed staff logins of one e-mail (known or not) from one address or browser.

    ``subject`` and ``source`` are keyed hashes (HMAC with the secret key): the table holds
    neither e-mail addresses nor client addresses. See portal.services.login_throttle.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("scope", "subject", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # address, account or browser
    subject: Mapped[str] = mapped_column(String(64), index=True)  # the e-mail's hash
    source: Mapped[str] = mapped_column(String(64))  # the address's or browser's hash
    failures: Mapped[int] = mapped_column(Integer, default=0)  # since the last lockout
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # each one lasts twice as long
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(db.Model):
    """A submission's retry key (``Idempotency-Key`` header, the web form's one-time token).

    Only hashes are stored: of the scope and key, and of the request it first came with, so
    a retry of the same request finds its appeal and a different request is refused.
    Purged after IDEMPOTENCY_TTL_HOURS by a job.
    """

    __tablename__ = "idempotency_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class NewsItem(db.Model):
    """A short news item of the mayor's office, in ru (required), ky and en (empty: the
    Russian is shown). The text is markdown-like source, rendered and sanitised when shown
    (portal.news.markup): no stored HTML. Written by a named editor, published as written."""

    __tablename__ = "news_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_ru: Mapped[str] = mapped_column(String(200))
    title_ky: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    body_ru: Mapped[str] = mapped_column(Text)
    body_ky: Mapped[str | None] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    private_author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
