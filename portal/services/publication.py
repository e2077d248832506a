"""THE publication gate: the only code that writes what the public sees.

Published data is marked once, in ``portal.models`` (``Column.info``): the text columns,
the masked point and the re-encoded photos. This module

- derives every published text from ``opendata.anonymize.scrub``, the scrubber's one
  entry point, with the interface language as a hint only (the text decides);
- fails closed, with one rule for every channel: when the scrubber raises (a bug, a
  missing model or dependency) or reports residual risk, the text is *held* — a
  ``HeldText`` row waits in the moderation queue — and is never published raw nor
  dropped. The appeal text is pre-moderated: its queue is the appeal queue, and without
  a working scrubber only a moderator's own text can publish it;
- is the only writer of a marked column: ``guard_published_columns`` puts an attribute
  listener on every marked column that refuses any write outside this module, and a
  session listener refuses ORM UPDATE/INSERT statements that set one. A column marked
  later is guarded without touching this module.

A moderator's edit is published as the moderator wrote it: a person is the gate's other
path. Everything here runs inside the caller's transaction and never commits.
"""

# size: the gate is one module: its guard lets only this module write a published column
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import InstrumentedAttribute, Mapper, ORMExecuteState, Session

from opendata import anonymize
from opendata.geomask import BBox, MaskedPoint, mask_point
from portal import search_index
from portal.extensions import db
from portal.models import (
    PUBLISHED,
    Answer,
    Appeal,
    HeldText,
    HoldCause,
    HoldDecision,
    NewsItem,
    Photo,
    Rating,
    StaffUser,
    StatusEvent,
    TextChannel,
    Video,
    guard_append_only_events,
    utcnow,
)
from portal.photos import ProcessedPhoto, new_photo_id
from portal.services.core import Conflict, ServiceError
from portal.videos import EncodedVideo

log = logging.getLogger(__name__)

#: Longest public text a moderator may write (the citizen form has the same limit).
MAX_PUBLIC_TEXT = 5000

# --- The guard: nothing but the gate writes a published column ----------------------------

_gate_open: ContextVar[bool] = ContextVar("publication_gate_open", default=False)


class PublicWriteRefused(RuntimeError):
    """Code outside the publication gate tried to write a published column."""


@contextmanager
def _gate_writes() -> Iterator[None]:
    token = _gate_open.set(True)
    try:
        yield
    finally:
        _gate_open.reset(token)


def fixture_writes():
    """Let test fixtures build published rows directly (data public by construction).

    The portal itself never calls this: a test checks that only this module does.
    """
    return _gate_writes()


def published_columns(kind: str | None = None) -> list[InstrumentedAttribute]:
    """Every mapped attribute whose column is marked published (of ``kind``, if given)."""
    found = []
    for mapper in db.Model.registry.mappers:
        for prop in mapper.column_attrs:
            marks = {column.info.get(PUBLISHED) for column in prop.columns} - {None}
            if marks and (kind is None or kind in marks):
                found.append(getattr(mapper.class_, prop.key))
    return found


def _refuse_outside_gate(target, value, oldvalue, initiator) -> None:
    if value is not None and not _gate_open.get():
        name = f"{type(target).__name__}.{initiator.key}"
        raise PublicWriteRefused(f"{name} is published: only portal.services.publication writes it")


def _guard_mapper(mapper: Mapper, class_: type) -> None:
    for prop in mapper.column_attrs:
        if any(PUBLISHED in column.info for column in prop.columns):
            attribute = getattr(class_, prop.key)
            if not event.contains(attribute, "set", _refuse_outside_gate):
                event.listen(attribute, "set", _refuse_outside_gate)


def _refuse_bulk_writes(state: ORMExecuteState) -> None:
    """ORM UPDATE/INSERT statements bypass attribute events: check what they set."""
    if _gate_open.get() or not (state.is_update or state.is_insert):
        return
    table = state.statement.table
    marked = {column.key for column in table.columns if PUBLISHED in column.info}
    keys = set(state.statement.compile().params)
    for parameters in (
        state.parameters if isinstance(state.parameters, list) else [state.parameters]
    ):
        keys |= set(parameters or ())
    if marked & keys:
        raise PublicWriteRefused(f"{table.name}.{sorted(marked & keys)} written outside the gate")


def guard_published_columns() -> None:
    """Install the guard on every marked column, now and on models mapped later."""
    if not event.contains(Mapper, "mapper_configured", _guard_mapper):
        event.listen(Mapper, "mapper_configured", _guard_mapper)
    for mapper in db.Model.registry.mappers:
        _guard_mapper(mapper, mapper.class_)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk_writes):
        event.listen(Session, "do_orm_execute", _refuse_bulk_writes)


def init_app(app) -> None:
    """Wire the gate: the guard on published columns, and the append-only event log (whose
    held notes only the gate may fill in), and the search index of the published texts
    (portal.search_index: rewritten in the flush that writes a published text)."""
    guard_published_columns()
    guard_append_only_events()
    search_index.install(Session)


# --- Screening: what the scrubber makes of a text, or that it failed ----------------------


@dataclass(frozen=True)
class Screening:
    """The scrubber's verdict on one text. ``text`` is None when the scrubber failed."""

    raw: str
    text: str | None
    spans: tuple = ()
    risks: tuple = ()

    @property
    def failed(self) -> bool:
        return self.text is None

    @property
    def cause(self) -> HoldCause | None:
        """Why a person must look before the text is published (None: nobody must)."""
        if self.failed:
            return HoldCause.FAILURE
        return HoldCause.RISK if self.risks else None


def screen(text: str, hint: str | None = None) -> Screening:
    """Scrub ``text`` (``hint``: the interface language, a hint only); never raises."""
    try:
        result = anonymize.scrub(text, lang=hint)
        if not isinstance(result.text, str):
            raise TypeError(f"the scrubber returned {type(result.text).__name__}, not text")
        return Screening(text, result.text, tuple(result.spans), tuple(result.risks))
    except Exception:  # noqa: BLE001 - whatever breaks, the text is held, never published
        log.exception("the scrubber failed: the text is held for moderation")
        return Screening(text, None)


def preview(text: str, hint: str | None = None) -> str | None:
    """What would be published of ``text``; None when the scrubber cannot tell now."""
    return screen(text, hint).text


# --- Channels: which columns each kind of text is published in ----------------------------


@dataclass(frozen=True)
class ChannelRule:
    """Where a channel's text is published and which public flag says it waits."""

    columns: tuple[InstrumentedAttribute, ...]
    waiting_flag: InstrumentedAttribute | None = None


CHANNELS: dict[TextChannel, ChannelRule] = {
    # Pre-moderated: published by ``publish_appeal`` (a moderator, or AUTO_PUBLISH).
    TextChannel.APPEAL_TEXT: ChannelRule((Appeal.public_text,)),
    # Published at once when the scrubber reports no residual risk (``publish_text``).
    TextChannel.ANSWER: ChannelRule((Answer.public_text,), Answer.needs_moderation),
    TextChannel.RATING_COMMENT: ChannelRule((Rating.public_comment,)),
    TextChannel.EXTENSION_REASON: ChannelRule((Appeal.extension_reason, StatusEvent.public_note)),
    TextChannel.REROUTE_REASON: ChannelRule((StatusEvent.public_note,)),
    TextChannel.REJECTION_NOTE: ChannelRule((StatusEvent.public_note,)),
    TextChannel.CLOSING_NOTE: ChannelRule((StatusEvent.public_note,)),
    TextChannel.OUTCOME_REASON: ChannelRule((Appeal.outcome_reason, StatusEvent.public_note)),
}


def _row_keys() -> dict[type, str]:
    """Model → the HeldText relationship that points at a row of it ("answer"…)."""
    return {rel.mapper.class_: rel.key for rel in inspect(HeldText).relationships}


def _write(channel: TextChannel, rows: dict[str, object], text: str | None) -> None:
    keys = _row_keys()
    with _gate_writes():
        for column in CHANNELS[channel].columns:
            row = rows[keys[column.class_]]
            if row is None:
                raise ValueError(f"{channel.value} needs a {column.class_.__name__} row")
            setattr(row, column.key, text)


def _set_waiting(channel: TextChannel, rows: dict[str, object], waiting: bool) -> None:
    flag = CHANNELS[channel].waiting_flag
    if flag is not None:
        setattr(rows[_row_keys()[flag.class_]], flag.key, waiting)


def publish_text(
    channel: TextChannel,
    raw: str | None,
    *,
    hint: str | None,
    appeal: Appeal,
    answer: Answer | None = None,
    rating: Rating | None = None,
    event: StatusEvent | None = None,
) -> HeldText | None:
    """Publish ``raw`` in ``channel``'s columns of the given rows, or hold it.

    Blank text publishes nothing. The scrubbed text is published when the scrubber ran
    and reported no residual risk; otherwise the columns stay empty and the returned hold
    waits for a moderator.
    """
    if channel is TextChannel.APPEAL_TEXT:
        raise ValueError("the appeal text is pre-moderated: use publish_appeal")
    rows = {"appeal": appeal, "answer": answer, "rating": rating, "event": event}
    if raw is None or not raw.strip():
        return None
    screening = screen(raw, hint)
    if screening.cause is None:
        _write(channel, rows, screening.text)
        return None
    hold = HeldText(
        channel=channel,
        cause=screening.cause,
        language=hint,
        private_raw_text=raw,
        private_scrubbed_text=screening.text,
        created_at=utcnow(),
        **rows,
    )
    db.session.add(hold)
    _set_waiting(channel, rows, True)
    return hold


def _moderator_text(text: str | None) -> str | None:
    """A moderator's text as it will be published (newlines normalised), or None."""
    edited = (text or "").replace("\r\n", "\n").strip()
    if len(edited) > MAX_PUBLIC_TEXT:
        message = _("The text is too long.")
        raise ServiceError(message, {"public_text": [message]})
    return edited or None


def _scrubber_failed() -> ServiceError:
    message = _(
        "The text could not be checked automatically. Write the public text yourself, "
        "without personal data."
    )
    return ServiceError(message, {"public_text": [message]})


def release(hold: HeldText, moderator: StaffUser, edited: str | None = None) -> str:
    """Publish a held text: the moderator's edit, else the scrubber's text (now)."""
    _check_waiting(hold)
    text = _moderator_text(edited) or screen(hold.private_raw_text, hold.language).text
    if text is None:
        raise _scrubber_failed()
    _decide(hold, moderator, HoldDecision.PUBLISHED, text)
    return text


def withhold(hold: HeldText, moderator: StaffUser) -> None:
    """Decide that a held text is never published (its public columns stay empty)."""
    _check_waiting(hold)
    _decide(hold, moderator, HoldDecision.WITHHELD)


def _check_waiting(hold: HeldText) -> None:
    if hold.decision is not None:
        raise Conflict(_("This text has already been moderated."))


def _decide(
    hold: HeldText, moderator: StaffUser, decision: HoldDecision, text: str | None = None
) -> None:
    rows = {key: getattr(hold, key) for key in _row_keys().values()}
    if text is not None:
        _write(hold.channel, rows, text)
    _set_waiting(hold.channel, rows, False)
    hold.decision = decision
    hold.decided_at = utcnow()
    hold.private_moderator_id = moderator.id
    hold.appeal.updated_at = hold.decided_at


def text_for_addressee(answer: Answer) -> str | None:
    """The answer as its citizen may read it at once: published, else the scrubbed text
    the gate held (None when the scrubber failed on it)."""
    if answer.public_text is not None:
        return answer.public_text
    return db.session.scalars(
        select(HeldText.private_scrubbed_text)
        .where(HeldText.answer_id == answer.id)
        .order_by(HeldText.id.desc())
    ).first()


# --- The appeal: text (pre-moderated), masked point ----------------------------------------


def city_bbox(appeal: Appeal) -> BBox:
    city = appeal.city
    return BBox(city.min_lat, city.min_lon, city.max_lat, city.max_lon)


def masked_location(appeal: Appeal) -> MaskedPoint | None:
    """The point that will be published for the appeal (None for sensitive categories)."""
    private = appeal.private
    return mask_point(
        lat=private.lat,
        lon=private.lon,
        tier=appeal.category.privacy_tier.value,
        city=city_bbox(appeal),
    )


def clean_for_auto_publication(appeal: Appeal) -> Screening | None:
    """The screening of a just-submitted appeal when it may go public without a moderator
    (the scrubber ran and found nothing at all), else None."""
    private = appeal.private
    screening = screen(private.raw_text, private.language)
    return screening if screening.cause is None and not screening.spans else None


def publish_appeal(
    appeal: Appeal, *, edited: str | None = None, screening: Screening | None = None
) -> None:
    """Write the appeal's public text and masked point.

    The text is the moderator's edit when it differs from the scrubbed text (kept apart
    from the raw text, for audit), else the scrubbed text. Without an edit and without a
    working scrubber, ServiceError: the appeal stays in the queue, nothing is written.
    """
    private = appeal.private
    edited = _moderator_text(edited)
    screening = screening or screen(private.raw_text, private.language)
    if edited and edited != (screening.text or "").strip():
        private.moderated_text = edited
        text = edited
    elif screening.failed:
        raise _scrubber_failed()
    else:
        text = screening.text
    _write(TextChannel.APPEAL_TEXT, {"appeal": appeal}, text)
    masked = masked_location(appeal)
    with _gate_writes():
        appeal.public_lat = masked.lat if masked else None
        appeal.public_lon = masked.lon if masked else None
        appeal.location_precision_m = masked.precision_m if masked else None


# --- Photos --------------------------------------------------------------------------------


def store_photo(
    appeal: Appeal | None,
    photo: ProcessedPhoto,
    *,
    answer: Answer | None = None,
    news_item: NewsItem | None = None,
    at: datetime | None = None,
) -> Photo:
    """Store a photo re-encoded by ``portal.photos.process_photo`` (pixels only, no
    metadata) of an appeal, of one of its answers or (no appeal) of a news item: the only
    way a photo row is written."""
    if not isinstance(photo, ProcessedPhoto):
        raise TypeError("only a photo re-encoded by portal.photos.process_photo is stored")
    if (appeal is None) == (news_item is None):
        raise ValueError("a photo belongs to an appeal or to a news item")
    with _gate_writes():
        row = Photo(
            public_id=new_photo_id(),
            appeal_id=appeal.id if appeal is not None else None,
            answer_id=answer.id if answer is not None else None,
            news_item_id=news_item.id if news_item is not None else None,
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            data=photo.data,
            created_at=at or utcnow(),
        )
    db.session.add(row)
    return row


def store_video_encoding(video: Video, encoded: EncodedVideo) -> None:
    """Store a video re-encoded by ``portal.videos.transcode_video`` (no metadata) and its
    poster: the only way a video's published bytes are written (public once moderated)."""
    if not isinstance(encoded, EncodedVideo):
        raise TypeError("only a video re-encoded by portal.videos.transcode_video is stored")
    with _gate_writes():
        video.data, video.poster = encoded.data, encoded.poster
    video.width, video.height, video.duration_s = encoded.width, encoded.height, encoded.duration_s


def default_language() -> str:
    """The portal's default language (texts the portal composes itself are in it)."""
    return current_app.config["LANGUAGES"][0]
