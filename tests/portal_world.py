"""A small portal with something on every page, and a URL for every page of the URL map.

Used by tests that must visit *every* page (headers, bad input, the browser's CSP check):
routes are discovered from ``app.url_map``, so a page added later is visited without
editing the tests; a route whose arguments cannot be filled fails ``page_urls`` loudly
(add its argument to ``_samples``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.integrations import services as integrations
from portal.integrations.models import WebhookDelivery
from portal.models import (
    Answer,
    Appeal,
    Category,
    HeldText,
    HoldCause,
    Photo,
    Service,
    StaffUser,
    StatusEvent,
    TextChannel,
    Video,
    utcnow,
)
from portal.open311.views import make_token
from portal.schemas.appeal import AppealSubmissionSchema
from portal.services import publication, staff_actions
from portal.services.moderation import publish_appeal
from portal.services.news import publish_news
from portal.services.submission import submit_appeal
from portal.services.videos import publish_video
from tests.video_samples import make_video

PASSWORD = "correct horse battery"
#: Routes that are not pages: files of snapshots that exist only after `portal publish`.
NOT_PAGES = {"static", "datasets.snapshot_file"}


@dataclass
class World:
    admin: StaffUser
    moderator: StaffUser
    worker: StaffUser
    published: Appeal  # answered, with a photo
    waiting: Appeal  # in moderation, with a photo
    answer: Answer  # held for a moderator by the publication gate
    held: HeldText
    token: str  # the tracking link of the published appeal
    photo: str  # public id of the published appeal's photo
    waiting_photo: str
    news_id: int  # a news item of the mayor's office
    api_client_id: int = 0  # an API client (city app) of the admin area…
    delivery_id: int = 0  # …and a failed webhook delivery of it
    video: str = ""  # public id of the published appeal's (published) video
    waiting_video_id: int = 0  # the waiting appeal's video, waiting for a moderator


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _submit(category: str, text: str, lat: float, lon: float):
    form = {"city": "bishkek", "category": category, "description": text,
            "lat": str(lat), "lon": str(lon), "consent": "y"}  # fmt: skip
    data = AppealSubmissionSchema().load(form)
    return submit_appeal(data, [jpeg()], video=make_video(seconds=0.5))


def build_world(make_staff) -> World:
    """Staff of every role, a published and answered appeal, one waiting for moderation."""
    admin = make_staff(role="admin", password=PASSWORD)
    moderator = make_staff(role="moderator", password=PASSWORD)
    published = _submit("pothole", "Глубокая яма на дороге возле остановки.", 42.8746, 74.6122)
    publish_appeal(published.appeal.id, moderator)
    appeal = db.session.get(Appeal, published.appeal.id)
    worker = make_staff(role="service", service=appeal.service.code, password=PASSWORD)
    staff_actions.acknowledge(worker, appeal.public_id)
    answer = staff_actions.answer(
        worker, appeal.public_id, text="Яма заделана. Вопросы: +996 555 123 456.",
        internal_note="", photo=None,
    )  # fmt: skip
    held = _hold(answer, "Яма заделана. Спросите мастера эркина.")
    waiting = _submit("garbage", "Третью неделю не вывозят мусор во дворе.", 42.8701, 74.5901)
    photos = {p.appeal_id: p.public_id for p in db.session.scalars(select(Photo))}
    videos = {v.appeal_id: v for v in db.session.scalars(select(Video))}
    publish_video(videos[published.appeal.id].id, moderator)
    news = publish_news(admin, {"title_ru": "Новости мэрии", "body_ru": "Открыт новый **сквер**."})
    api_client, _key = integrations.create_client(
        admin, {"slug": "mycity", "name": "My City", "contact": "it@mycity.example"}
    )
    event = db.session.scalars(
        select(StatusEvent).where(StatusEvent.appeal_id == appeal.id)
    ).first()
    delivery = WebhookDelivery(
        client_id=api_client.id, event_id=event.id, attempts=6, failed_at=utcnow(),
        last_error="HTTP 500",
    )  # fmt: skip
    db.session.add(delivery)
    db.session.commit()
    db.session.expire_all()
    return World(
        admin=admin, moderator=moderator, worker=worker,
        published=db.session.get(Appeal, published.appeal.id),
        waiting=db.session.get(Appeal, waiting.appeal.id),
        answer=db.session.get(Answer, answer.id), held=db.session.get(HeldText, held.id),
        token=published.tracking_token,
        photo=photos[published.appeal.id], waiting_photo=photos[waiting.appeal.id],
        news_id=news.id, api_client_id=api_client.id, delivery_id=delivery.id,
        video=videos[published.appeal.id].public_id,
        waiting_video_id=videos[waiting.appeal.id].id,
    )  # fmt: skip


def _hold(answer: Answer, raw: str) -> HeldText:
    """The answer's text held as the gate holds a doubtful one (whatever the scrubber says)."""
    with publication.fixture_writes():
        answer.public_text, answer.needs_moderation = None, True
    held = HeldText(
        channel=TextChannel.ANSWER, cause=HoldCause.RISK, appeal_id=answer.appeal_id,
        answer_id=answer.id, private_raw_text=raw, private_scrubbed_text=raw,
    )  # fmt: skip
    db.session.add(held)
    db.session.commit()
    return held


def _samples(world: World) -> dict[str, str]:
    """URL argument values by ``endpoint:argument`` or by argument name."""
    service = db.session.scalars(select(Service).order_by(Service.id)).first()
    category = db.session.scalars(select(Category).order_by(Category.id)).first()
    return {
        "public_id": world.published.public_id,
        "service_request_id": world.published.public_id,
        "token": world.token,
        "open311.token:token": make_token(world.published.public_id),
        "service_code": category.code,
        "appeal_id": str(world.waiting.id),
        "answer_id": str(world.answer.id),
        "hold_id": str(world.held.id),
        "target": str(world.waiting.id),  # an appeal in the moderation queue…
        "staff.api_publish_text:target": str(world.held.id),  # …or a held text
        "staff.api_withhold_text:target": str(world.held.id),
        "photo_id": world.photo,
        "citizen.photo:public_id": world.photo,
        "citizen.own_photo:public_id": world.photo,
        "staff.moderation_photo:public_id": world.waiting_photo,
        "citizen.video:public_id": world.video,
        "citizen.video_poster:public_id": world.video,
        "video_id": str(world.waiting_video_id),
        "staff.api_publish_video:target": str(world.waiting_video_id),
        "staff.api_withhold_video:target": str(world.waiting_video_id),
        "staff.admin_edit_service:ident": str(service.id),
        "public.service_card:code": service.code,  # a service's report card
        "staff.admin_edit_category:ident": str(category.id),
        "staff.admin_edit_staff:ident": str(world.worker.id),
        "name": "appeals",
        "fmt": "json",
        "action": "acknowledge",
        "item_id": str(world.news_id),
        "staff.admin_client:ident": str(world.api_client_id),
        "staff.admin_client_webhook:ident": str(world.api_client_id),
        "staff.admin_revoke_client:ident": str(world.api_client_id),
        "staff.admin_retry_delivery:ident": str(world.delivery_id),
    }


def page_urls(app, world: World, method: str = "GET") -> dict[str, str]:
    """One URL per route accepting ``method`` (endpoint -> path), arguments filled in."""
    samples = _samples(world)
    adapter = app.url_map.bind("portal.test")
    urls = {}
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        values = {}
        for name in rule.arguments:
            value = samples.get(f"{rule.endpoint}:{name}", samples.get(name))
            assert value is not None, f"no sample for <{name}> of {rule.rule}: add it to _samples"
            values[name] = value
        urls[rule.endpoint] = adapter.build(rule.endpoint, values, method=method)
    return urls
