"""The publication gate: the only writer of published columns, one rule for every channel.

- Every column marked published in the models is guarded: written outside the gate, it
  raises; a column marked later is guarded without touching the gate.
- Every published text column belongs to a channel of the gate, and every channel is
  exercised below through the real use cases.
- A scrubber that fails (or doubts) holds the text of every channel for a moderator: it
  is never published raw and never lost.
"""

from __future__ import annotations

import ast
import csv
import html
import io
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import Text, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, configure_mappers, mapped_column

from portal.extensions import db
from portal.models import (
    PUBLISHED_TEXT,
    Answer,
    Appeal,
    AppealKind,
    AppealStatus,
    HeldText,
    HoldCause,
    Photo,
    Rating,
    Service,
    StatusEvent,
    TextChannel,
    Video,
)
from portal.schemas.appeal import AppealSubmissionSchema
from portal.services import publication, staff_actions
from portal.services.core import ServiceError
from portal.services.moderation import approve_text, publish_appeal, reject_appeal
from portal.services.publication import (
    CHANNELS,
    PublicWriteRefused,
    fixture_writes,
    published_columns,
)
from portal.services.rating import rate_answer, reopen_appeal
from portal.services.submission import submit_appeal

ROOT = Path(__file__).resolve().parents[2]

#: Every published text column. Listed here so that adding one is a visible decision
#: (the tests below also check it gets a channel and the guard).
PUBLISHED_TEXT_COLUMNS = {
    "Appeal.public_text",
    "Appeal.extension_reason",
    "Appeal.outcome_reason",
    "Answer.public_text",
    "Rating.public_comment",
    "StatusEvent.public_note",
}


def name(column) -> str:
    return f"{column.class_.__name__}.{column.key}"


# --- The guard -------------------------------------------------------------------------------


def test_the_published_text_columns_are_the_ones_the_gate_knows(app):
    assert {name(c) for c in published_columns("text")} == PUBLISHED_TEXT_COLUMNS
    in_channels = {name(c) for rule in CHANNELS.values() for c in rule.columns}
    assert in_channels == PUBLISHED_TEXT_COLUMNS  # no text column without a channel
    assert set(CHANNELS) == set(TextChannel)
    points_and_media = {name(c) for c in published_columns()} - PUBLISHED_TEXT_COLUMNS
    assert points_and_media == {
        "Appeal.public_lat",
        "Appeal.public_lon",
        "Appeal.location_precision_m",
        "Photo.data",
        "Video.data",
        "Video.poster",
    }


@pytest.mark.parametrize(
    "column",
    sorted(
        PUBLISHED_TEXT_COLUMNS | {"Photo.data", "Video.data", "Video.poster", "Appeal.public_lat"}
    ),
)
def test_every_published_column_refuses_a_writer_outside_the_gate(app, column):
    model_name, key = column.split(".")
    model = {m.__name__: m for m in (Appeal, Answer, Rating, StatusEvent, Photo, Video)}[model_name]
    value = (
        b"bytes"
        if key in ("data", "poster")
        else 42.0
        if key == "public_lat"
        else "Зарылбек, 0555 987 654"
    )
    row = model()
    with pytest.raises(PublicWriteRefused):
        setattr(row, key, value)
    with pytest.raises(PublicWriteRefused):
        model(**{key: value})  # the constructor sets attributes too
    setattr(row, key, None)  # emptying a column publishes nothing: allowed
    with fixture_writes():
        setattr(row, key, value)
    assert getattr(row, key) == value


def test_orm_update_statements_cannot_write_a_published_column(app, make_appeal, make_answer):
    answer = make_answer(make_appeal())
    with pytest.raises(PublicWriteRefused):
        db.session.execute(update(Answer).values(public_text="Звоните Зарылбеку"))
    db.session.rollback()
    with pytest.raises(PublicWriteRefused):
        db.session.execute(update(Answer), [{"id": answer.id, "public_text": "Звоните"}])
    db.session.rollback()
    db.session.execute(update(Answer).where(Answer.id == answer.id).values(round=2))  # allowed


class OtherBase(DeclarativeBase):
    pass


def test_a_column_marked_published_later_is_guarded_without_touching_the_gate(app):
    class Notice(OtherBase):  # a model added later, with a public text column
        __tablename__ = "notices"
        id: Mapped[int] = mapped_column(primary_key=True)
        body: Mapped[str | None] = mapped_column(Text, info=PUBLISHED_TEXT)
        draft: Mapped[str | None] = mapped_column(Text)

    configure_mappers()
    notice = Notice(draft="anything")  # unmarked columns stay free
    with pytest.raises(PublicWriteRefused):
        notice.body = "Зарылбек Сентинелов"


def test_only_the_gate_calls_the_scrubber_or_opens_itself():
    """No other portal module imports the scrubber or uses the fixtures' way in."""
    offenders = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        if path.name == "publication.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            if any(
                m.startswith("opendata.anonymize") or m.startswith("opendata.textscrub")
                for m in modules
            ):
                offenders.append(f"{path.relative_to(ROOT)} imports the scrubber")
            if isinstance(node, ast.Attribute | ast.Name) and "fixture_writes" in (
                getattr(node, "attr", None),
                getattr(node, "id", None),
            ):
                offenders.append(f"{path.relative_to(ROOT)} uses fixture_writes")
    assert offenders == []


def test_an_event_note_held_back_is_filled_in_once_and_nothing_else_changes(
    app, make_appeal, make_staff, doubtful_scrubber
):
    appeal = make_appeal()
    worker = make_staff(role="service", service=appeal.service.code)
    doubtful_scrubber.add("Айпери")
    staff_actions.extend_deadline(worker, appeal.public_id, days=2, reason="Ждём Айпери")
    hold = db.session.scalars(select(HeldText)).one()
    approve_text(hold.id, make_staff(role="moderator"), public_text="Ждём доступа в подвал.")
    db.session.expire_all()
    event = db.session.get(StatusEvent, hold.event_id)
    assert event.public_note == "Ждём доступа в подвал."
    assert db.session.get(Appeal, appeal.id).extension_reason == "Ждём доступа в подвал."
    with fixture_writes():
        event.public_note = "rewritten history"  # even the gate cannot rewrite a note
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()


# --- Every channel fails closed --------------------------------------------------------------

RAW = {
    "appeal": "Меня зовут Зарылбек Сентинелов, тел. 0555 987 654. Во дворе не вывозят мусор.",
    "answer": "Мусор вывезен. Зарылбек Сентинелов может звонить 0555 987 654.",
    "extension": "Нужен доступ в кв. 987, жилец Зарылбек Сентинелов.",
    "comment": "Я, Зарылбек Сентинелов, недоволен: вывезли не всё.",
    "reroute": "Зарылбек Сентинелов просил передать водоканалу.",
    "outcome": "Отклонено: участок принадлежит Зарылбеку Сентинелову, тел. 0555 987 654.",
}
MODERATOR_TEXT = "Во дворе не вывозят мусор."


def submit(text: str):
    data = AppealSubmissionSchema().load(
        {"city": "bishkek", "category": "garbage", "description": text,
         "lat": "42.8746", "lon": "74.6122", "consent": "y"}
    )  # fmt: skip
    return submit_appeal(data)


def other_service(appeal: Appeal) -> str:
    return db.session.scalars(
        select(Service.code).where(
            Service.city_id == appeal.city_id, Service.id != appeal.service_id, Service.active
        )
    ).first()


def walk_every_channel(make_appeal, make_staff) -> Appeal:
    """Submit → publish → answer → rate → reopen → reroute → extend → close as duplicate,
    and reject another appeal: every channel of the gate once, through its use case."""
    moderator = make_staff(role="moderator")
    original = make_appeal(status="published")
    main = submit(RAW["appeal"])
    assert main.appeal.status is AppealStatus.SUBMITTED  # AUTO_PUBLISH did not take it
    try:
        publish_appeal(main.appeal.id, moderator)
    except ServiceError:  # without a scrubber only the moderator's own text publishes it
        publish_appeal(main.appeal.id, moderator, public_text=MODERATOR_TEXT)
    appeal = db.session.get(Appeal, main.appeal.id)
    worker = make_staff(role="service", service=appeal.service.code)
    staff_actions.answer(worker, appeal.public_id, text=RAW["answer"])
    rate_answer(main.tracking_token, {"score": 2, "solved": "no", "comment": RAW["comment"]})
    reopen_appeal(main.tracking_token)
    staff_actions.reroute(
        worker, appeal.public_id, service_code=other_service(appeal), reason=RAW["reroute"]
    )
    new_worker = make_staff(role="service", service=appeal.service.code)  # rerouted to it
    staff_actions.extend_deadline(new_worker, appeal.public_id, days=3, reason=RAW["extension"])
    staff_actions.set_status(
        new_worker, appeal.public_id, status="duplicate", duplicate_of=original.public_id
    )
    proposal = make_appeal(status="published")
    proposal.kind = AppealKind.PROPOSAL
    db.session.commit()
    proposer = make_staff(role="service", service=proposal.service.code)
    staff_actions.state_outcome(
        proposer, proposal.public_id, outcome="declined", reason=RAW["outcome"]
    )
    rejected = submit("Спам, спам, спам от Зарылбека Сентинелова.")
    reject_appeal(rejected.appeal.id, moderator, "duplicate", original.public_id)
    db.session.expire_all()
    return db.session.get(Appeal, appeal.id)


def published_texts() -> list[str]:
    """Every value of every published text column in the database."""
    found = []
    for column in published_columns("text"):
        found += [v for v in db.session.scalars(select(column).where(column.is_not(None)))]
    return found


@pytest.mark.parametrize("double", ["broken_scrubber", "doubtful_scrubber"])
def test_every_channel_holds_what_the_scrubber_fails_on_or_doubts(
    app, make_appeal, make_staff, request, double
):
    app.config["AUTO_PUBLISH"] = True
    scrubber = request.getfixturevalue(double)
    if double == "doubtful_scrubber":
        scrubber.update({"Сентинелов", "BSK-"})  # doubts the person and the notes' numbers
    appeal = walk_every_channel(make_appeal, make_staff)

    holds = list(db.session.scalars(select(HeldText).order_by(HeldText.id)))
    cause = HoldCause.FAILURE if double == "broken_scrubber" else HoldCause.RISK
    assert {hold.cause for hold in holds} == {cause}
    # The appeal text is pre-moderated: it waited in the appeal queue instead.
    assert {hold.channel for hold in holds} == set(TextChannel) - {TextChannel.APPEAL_TEXT}
    for hold in holds:
        assert hold.decision is None and hold.private_raw_text  # kept, waiting
    assert [h.private_raw_text for h in holds if h.channel != "rejection_note"][:4] == [
        RAW["answer"],
        RAW["comment"],
        RAW["reroute"],
        RAW["extension"],
    ]
    # Nothing raw anywhere public: no text column holds a held text or the sentinel.
    public = published_texts()
    assert all("Сентинелов" not in text and "987 654" not in text for text in public)
    assert appeal.extension_reason is None and appeal.answers[0].public_text is None
    assert appeal.answers[0].needs_moderation is True
    if double == "broken_scrubber":
        assert appeal.public_text == MODERATOR_TEXT
    else:
        assert "[ИМЯ]" in appeal.public_text  # the moderator published the scrubbed text


def test_a_sure_scrubber_publishes_every_channel_at_once(
    app, make_appeal, make_staff, sure_scrubber
):
    appeal = walk_every_channel(make_appeal, make_staff)
    assert db.session.scalars(select(HeldText)).all() == []
    public = published_texts()
    assert all("Сентинелов" not in text for text in public)
    assert "[ИМЯ]" in appeal.answers[0].public_text and "[ИМЯ]" in appeal.extension_reason
    notes = [e.public_note for e in appeal.events if e.public_note]
    assert len(notes) == 3  # extension, reroute, duplicate
    rating = db.session.scalars(select(Rating)).one()
    assert "[ИМЯ]" in rating.public_comment


def test_the_scrubber_gets_the_interface_language_as_a_hint_only(app, monkeypatch):
    from opendata import anonymize

    seen = []
    real = anonymize.scrub
    monkeypatch.setattr(
        anonymize, "scrub", lambda text, lang=None: seen.append(lang) or real(text, lang)
    )
    assert publication.preview("Звоните Зарылбеку Сентинелову", "en") is not None
    assert seen == ["en"]


# --- The public record while an answer waits ---------------------------------------------------


def public_answer_state(client, public_id: str) -> dict:
    """What the page, the API, Open311 and the answers dataset say of the latest answer."""
    page = client.get(f"/appeals/{public_id}?lang=en").get_data(as_text=True)
    api = client.get(f"/api/v1/appeals/{public_id}").get_json()
    g.pop("_flask_babel", None)  # the test's app context outlives requests
    request311 = client.get(
        f"/open311/v2/requests/{public_id}.json", query_string={"extensions": "true", "lang": "en"}
    ).get_json()[0]
    rows = list(
        csv.DictReader(io.StringIO(client.get("/datasets/answers.csv").get_data(as_text=True)))
    )
    return {
        "page": page,
        "api": api["answers"][-1],
        "api_status": api["status"],
        "open311": request311["extended_attributes"]["answers"][-1],
        "status_notes": request311["status_notes"],
        "dataset": rows[-1],
    }


def test_an_answer_waiting_for_a_moderator_is_announced_everywhere_without_its_text(
    app, client, make_appeal, make_staff, doubtful_scrubber
):
    appeal = make_appeal()
    worker = make_staff(role="service", service=appeal.service.code)
    doubtful_scrubber.add("Сентинелов")
    answer = staff_actions.answer(worker, appeal.public_id, text=RAW["answer"])
    waiting = public_answer_state(client, appeal.public_id)
    page = waiting["page"]
    assert "a moderator is checking its text before publication" in page
    assert "No answer yet" not in page and "Сентинелов" not in page and "987 654" not in page
    assert waiting["api_status"] == "answered"
    assert (waiting["api"]["text"], waiting["api"]["in_moderation"]) == (None, True)
    assert (waiting["open311"]["text"], waiting["open311"]["in_moderation"]) == (None, True)
    assert waiting["status_notes"].startswith("An answer was given; a moderator is checking")
    assert (waiting["dataset"]["text"], waiting["dataset"]["in_moderation"]) == ("", "true")

    hold = db.session.scalars(select(HeldText)).one()
    approve_text(hold.id, make_staff(role="moderator"))
    published = db.session.get(Answer, answer.id).public_text
    assert "[ИМЯ]" in published
    done = public_answer_state(client, appeal.public_id)
    assert published in done["page"] and "a moderator is checking" not in done["page"]
    assert (done["api"]["text"], done["api"]["in_moderation"]) == (published, False)
    assert (done["open311"]["text"], done["open311"]["in_moderation"]) == (published, False)
    assert done["status_notes"] == published
    assert (done["dataset"]["text"], done["dataset"]["in_moderation"]) == (published, "false")


def test_the_citizen_reads_the_scrubbed_answer_at_once_on_their_own_page(
    app, client, make_staff, doubtful_scrubber
):
    result = submit("Во дворе не вывозят мусор, контейнеры переполнены.")
    publish_appeal(result.appeal.id, make_staff(role="moderator"))
    appeal = db.session.get(Appeal, result.appeal.id)
    doubtful_scrubber.add("Сентинелов")
    worker = make_staff(role="service", service=appeal.service.code)
    staff_actions.answer(worker, appeal.public_id, text=RAW["answer"])
    scrubbed = db.session.scalars(select(HeldText.private_scrubbed_text)).one()
    assert scrubbed.startswith("Мусор вывезен.") and "[ИМЯ]" in scrubbed
    page = client.get(f"/t/{result.tracking_token}?lang=en").get_data(as_text=True)
    assert html.escape(scrubbed) in page and "Сентинелов" not in page
    assert "Only you see this answer for now" in page
    track = client.get(f"/api/v1/track/{result.tracking_token}").get_json()
    assert (track["answers"][0]["text"], track["answers"][0]["published"]) == (scrubbed, False)
