"""The staff action registry (portal.services.actions): each action declared once, and the
HTML routes, the staff JSON API and the permissions all come from that declaration."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Answer, Appeal, AppealKind, AppealStatus, StatusEvent
from portal.services import actions as registry

OWNER = ("service", "bsk-roads")
#: A valid input for every action (its schema's required fields).
INPUT = {
    "acknowledge": {},
    "answer": {"text": "Яма заделана бригадой сегодня."},
    "set_status": {"status": "in_progress"},
    "reroute": {"service": "bsk-svet", "reason": "Это освещение"},
    "extend_deadline": {"days": 5, "reason": "Нужна экспертиза"},
    "publish": {"public_text": "Яма во дворе."},
    "reject": {"reason": "spam"},
    "state_outcome": {"outcome": "planned", "reason": "Посадка запланирована на весну."},
    "publish_text": {},
    "withhold_text": {},
    "publish_video": {},
    "withhold_video": {},
}


def test_every_action_has_a_valid_input_here():
    assert set(INPUT) == set(registry.ACTIONS)


def test_routes_come_from_the_registry(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for action in registry.ACTIONS.values():
        api = rules[f"staff.api_{action.name}"]
        assert api.rule.startswith("/staff/api/v1/") and api.rule.endswith(f"/{action.path}")
        assert api.methods >= {"POST"}
        if action.target == registry.APPEAL:
            html = rules[f"staff.{action.name}"]
            assert html.rule == f"/staff/appeals/<public_id>/{action.path}"


def _last_event(appeal_id: int):
    return db.session.scalars(
        select(StatusEvent.kind)
        .where(StatusEvent.appeal_id == appeal_id)
        .order_by(StatusEvent.id.desc())
    ).first()


@pytest.mark.parametrize("name", [a.name for a in registry.on(registry.APPEAL)])
def test_an_appeal_action_through_the_api_records_its_declared_event(
    client, login_as, make_staff, make_appeal, name
):
    action = registry.ACTIONS[name]
    appeal = make_appeal()
    if name == "state_outcome":  # only a proposal has an outcome
        appeal.kind = AppealKind.PROPOSAL
        db.session.commit()
    login_as(make_staff(role=OWNER[0], service=OWNER[1]))
    url = f"/staff/api/v1/appeals/{appeal.public_id}/{action.path}"
    response = client.post(url, json=INPUT[name])
    assert response.status_code == 200, response.json
    assert response.json["appeal"]["public_id"] == appeal.public_id
    if action.event is not None:
        assert _last_event(appeal.id) == action.event


def test_moderators_decide_through_the_api(client, login_as, make_staff, make_appeal):
    first, second = make_appeal(status="submitted"), make_appeal(status="submitted")
    login_as(make_staff(role="moderator"))
    published = client.post(f"/staff/api/v1/moderation/appeals/{first.id}/publish", json={})
    assert published.status_code == 200
    assert published.json["appeal"] == {"public_id": first.public_id, "status": "published"}
    assert _last_event(first.id) == registry.ACTIONS["publish"].event
    missing = client.post(f"/staff/api/v1/moderation/appeals/{second.id}/reject?lang=en", json={})
    assert missing.status_code == 400 and "reason" in missing.json["errors"]
    assert missing.json["error"]["code"] == 400  # the staff area's one error shape
    rejected = client.post(
        f"/staff/api/v1/moderation/appeals/{second.id}/reject", json=INPUT["reject"]
    )
    assert rejected.status_code == 200 and rejected.json["appeal"]["status"] == "rejected"
    again = client.post(f"/staff/api/v1/moderation/appeals/{second.id}/publish", json={})
    assert again.status_code == 409 and again.json["error"]["code"] == 409


def test_service_staff_may_not_moderate_through_the_api(client, login_as, make_staff, make_appeal):
    appeal = make_appeal(status="submitted")
    login_as(make_staff(role=OWNER[0], service=OWNER[1]))
    for action in registry.on(registry.SUBMISSION):
        response = client.post(
            f"/staff/api/v1/moderation/appeals/{appeal.id}/{action.path}", json=INPUT[action.name]
        )
        assert response.status_code == 403 and response.json["error"]["code"] == 403
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED


def test_a_held_text_is_decided_through_the_api(
    client, login_as, make_staff, make_appeal, make_answer
):
    appeal = make_appeal()
    first, second = make_answer(appeal), make_answer(appeal)
    holds = [
        hold_answer(answer, "Позвоните Ивану: +996 555 123 456.") for answer in (first, second)
    ]
    login_as(make_staff(role="moderator"))
    url = f"/staff/api/v1/moderation/texts/{holds[0]}/publish"
    response = client.post(url, json={"public_text": "Позвоните в диспетчерскую."})
    assert response.status_code == 200
    assert response.json["text"] == {"id": holds[0], "decision": "published"}
    db.session.expire_all()
    assert db.session.get(Answer, first.id).public_text == "Позвоните в диспетчерскую."
    assert client.post(url, json={}).status_code == 409  # decided once
    withheld = client.post(f"/staff/api/v1/moderation/texts/{holds[1]}/withhold", json={})
    assert withheld.status_code == 200 and withheld.json["text"]["decision"] == "withheld"
    db.session.expire_all()
    assert db.session.get(Answer, second.id).public_text is None


def hold_answer(answer: Answer, raw: str) -> int:
    """Hold ``answer``'s text as the gate does when the scrubber doubts it; the hold's id."""
    from portal.models import HeldText, HoldCause, TextChannel
    from portal.services import publication

    with publication.fixture_writes():
        answer.public_text, answer.needs_moderation = None, True
    hold = HeldText(
        channel=TextChannel.ANSWER, cause=HoldCause.RISK, appeal_id=answer.appeal_id,
        answer_id=answer.id, private_raw_text=raw, private_scrubbed_text=raw,
    )  # fmt: skip
    db.session.add(hold)
    db.session.commit()
    return hold.id


def test_a_body_that_is_not_an_object_is_refused(client, login_as, make_staff, make_appeal):
    appeal = make_appeal()
    login_as(make_staff(role=OWNER[0], service=OWNER[1]))
    response = client.post(f"/staff/api/v1/appeals/{appeal.public_id}/answer", json=["text"])
    assert response.status_code == 400 and "_schema" in response.json["errors"]
