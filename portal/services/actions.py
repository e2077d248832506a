"""THE registry of staff actions: each one declared once.

An action says who may perform it, what it acts on, which input schema it reads, which
use case it runs, which public event that use case records and how people call it. From
this registry come the staff area's HTML routes (portal.staff.views, .moderation), the
staff JSON API (portal.staff.api), the permission check (portal.services.permissions)
and the OpenAPI document (portal.api.openapi).

Adding an action: write its use case (a function of ``portal.services``), its input schema
(``portal.schemas``), declare it here and give it a form on its page; routes, API,
permissions and documentation follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from portal.models import EventKind, StaffRole, StaffUser
from portal.schemas import moderation as moderation_input
from portal.schemas import staff as staff_input

#: What an action acts on, and how its target is named in URLs.
APPEAL = "appeal"  # an appeal routed to the user's service, by public id (BSK-2026-000123)
SUBMISSION = "submission"  # an appeal waiting for moderation, by its number in the queue
HELD_TEXT = "text"  # a text the publication gate held for a moderator, by its number
VIDEO = "video"  # a re-encoded video waiting for a moderator, by its number

SERVICE_STAFF = frozenset({StaffRole.SERVICE})
MODERATORS = frozenset({StaffRole.MODERATOR, StaffRole.ADMIN})


@dataclass(frozen=True)
class StaffAction:
    """One thing staff can do."""

    #: Permission name, endpoint and the use case's name ("set_status").
    name: str
    #: Last segment of its URLs ("status"): unchanged for existing API clients.
    path: str
    #: Title of its form (translated).
    label: Any
    #: Confirmation after success (translated; ``%(id)s`` is the appeal's public id).
    done: Any
    roles: frozenset[StaffRole]
    target: str
    #: Input schema (None: the action takes no input).
    schema: type[Schema] | None
    #: ``run(user, target, data)`` performs the use case and returns what it changed.
    run: Callable[[StaffUser, Any, dict], Any]
    #: The public event the use case records (None: it changes no appeal's timeline).
    event: EventKind | None
    #: After it, the appeal is no longer the user's (rerouted to another service).
    hands_over: bool = False

    def load(self, data) -> dict:
        """The validated input (empty strings count as absent); raises ValidationError."""
        return staff_input.load(self.schema(), data) if self.schema else {}

    def authorize(self, user: StaffUser, target) -> None:
        """Refuse (Forbidden, NotFound) before the input is even looked at: a forged id
        or a role without this action learns nothing from validation errors."""
        if self.target == APPEAL:
            _staff().load_appeal(user, self.name, target)
        else:
            from portal.services.permissions import ensure_can

            ensure_can(user, self.name)

    def perform(self, user: StaffUser, target, data) -> Any:
        """Authorize, validate ``data`` (a form or JSON mapping), run the use case.

        Raises Forbidden/NotFound (nothing looked at), ValidationError (field errors),
        or the use case's ServiceError (Conflict…); returns what the use case returns.
        """
        self.authorize(user, target)
        return self.run(user, target, self.load(data))


def _staff():
    from portal.services import staff_actions

    return staff_actions


def _moderation():
    from portal.services import moderation

    return moderation


def _videos():
    from portal.services import videos

    return videos


def _declare(*actions: StaffAction) -> dict[str, StaffAction]:
    return {action.name: action for action in actions}


ACTIONS: dict[str, StaffAction] = _declare(
    StaffAction(
        name="acknowledge", path="acknowledge", target=APPEAL, roles=SERVICE_STAFF,
        label=_l("Acknowledge"), done=_l("The appeal is acknowledged."),
        schema=None, event=EventKind.ACKNOWLEDGED,
        run=lambda user, public_id, data: _staff().acknowledge(user, public_id),
    ),
    StaffAction(
        name="answer", path="answer", target=APPEAL, roles=SERVICE_STAFF,
        label=_l("Answer"),
        done=_l("The answer is saved. The citizen has been offered to rate it."),
        schema=staff_input.AnswerSchema, event=EventKind.ANSWERED,
        run=lambda user, public_id, data: _staff().answer(
            user, public_id, text=data["text"], internal_note=data["internal_note"],
            photo=data["photo"], video=data["video"],
        ),
    ),
    StaffAction(
        name="set_status", path="status", target=APPEAL, roles=SERVICE_STAFF,
        label=_l("Status"), done=_l("The status is changed."),
        schema=staff_input.SetStatusSchema,
        event=None,  # in_progress or closed, by the status chosen
        run=lambda user, public_id, data: _staff().set_status(
            user, public_id, status=data["status"], duplicate_of=data["duplicate_of"]
        ),
    ),
    StaffAction(
        name="reroute", path="reroute", target=APPEAL, roles=SERVICE_STAFF,
        label=_l("Pass to another service"), done=_l("The appeal was passed on."),
        schema=staff_input.RerouteSchema, event=EventKind.REROUTED, hands_over=True,
        run=lambda user, public_id, data: _staff().reroute(
            user, public_id, service_code=data["service"], reason=data["reason"]
        ),
    ),
    StaffAction(
        name="extend_deadline", path="extend", target=APPEAL, roles=SERVICE_STAFF,
        label=_l("Extend the deadline (once)"), done=_l("The deadline is extended."),
        schema=staff_input.ExtendSchema, event=EventKind.DEADLINE_EXTENDED,
        run=lambda user, public_id, data: _staff().extend_deadline(
            user, public_id, days=data["days"], reason=data["reason"]
        ),
    ),
    StaffAction(
        name="state_outcome", path="outcome", target=APPEAL, roles=SERVICE_STAFF,
        label=_l("Outcome of the proposal"), done=_l("The outcome of the proposal is stated."),
        schema=staff_input.OutcomeSchema, event=EventKind.OUTCOME_STATED,
        run=lambda user, public_id, data: _staff().state_outcome(
            user, public_id, outcome=data["outcome"], reason=data["reason"]
        ),
    ),
    StaffAction(
        name="publish", path="publish", target=SUBMISSION, roles=MODERATORS,
        label=_l("Publish"), done=_l("Appeal %(id)s is published."),
        schema=moderation_input.PublishSchema, event=EventKind.PUBLISHED,
        run=lambda user, appeal_id, data: _moderation().publish_appeal(
            appeal_id, user, data["public_text"]
        ),
    ),
    StaffAction(
        name="reject", path="reject", target=SUBMISSION, roles=MODERATORS,
        label=_l("Reject"), done=_l("Appeal %(id)s is rejected."),
        schema=moderation_input.RejectSchema, event=EventKind.REJECTED,
        run=lambda user, appeal_id, data: _moderation().reject_appeal(
            appeal_id, user, data["reason"], data["duplicate_of"]
        ),
    ),
    StaffAction(
        name="publish_text", path="publish", target=HELD_TEXT, roles=MODERATORS,
        label=_l("Publish the text"), done=_l("The text is published."),
        schema=moderation_input.PublishSchema,
        event=None,  # the text's own event was recorded when it was written
        run=lambda user, hold_id, data: _moderation().approve_text(
            hold_id, user, data["public_text"]
        ),
    ),
    StaffAction(
        name="withhold_text", path="withhold", target=HELD_TEXT, roles=MODERATORS,
        label=_l("Do not publish"), done=_l("The text will not be published."),
        schema=None, event=None,
        run=lambda user, hold_id, data: _moderation().withhold_text(hold_id, user),
    ),
    StaffAction(
        name="publish_video", path="publish", target=VIDEO, roles=MODERATORS,
        label=_l("Publish the video"), done=_l("The video is published."),
        schema=None, event=None,  # shown with its appeal; no event of its own
        run=lambda user, video_id, data: _videos().publish_video(video_id, user),
    ),
    StaffAction(
        name="withhold_video", path="withhold", target=VIDEO, roles=MODERATORS,
        label=_l("Do not publish the video"), done=_l("The video will not be published."),
        schema=None, event=None,
        run=lambda user, video_id, data: _videos().withhold_video(video_id, user),
    ),
)  # fmt: skip


def on(target: str) -> list[StaffAction]:
    """The actions on one kind of target, in declaration order."""
    return [action for action in ACTIONS.values() if action.target == target]


def roles_allowed(name: str) -> frozenset[StaffRole] | None:
    """Who may perform the action ``name`` (None: no such action)."""
    action = ACTIONS.get(name)
    return action.roles if action else None
