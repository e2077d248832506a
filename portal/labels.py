"""Translatable labels of the domain's codes (statuses, event kinds, groups…).

The values of a public appeal field (opendata.schema.APPEALS) are labelled through
``FIELD_VALUES`` and shown with :func:`value_label`: pages, tables and charts name no
per-field helper.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS = {
    "submitted": _l("In moderation"),
    "rejected": _l("Rejected"),
    "published": _l("New"),
    "acknowledged": _l("Acknowledged"),
    "in_progress": _l("In progress"),
    "answered": _l("Answered"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}

#: Every kind of event of an appeal's timeline, with its label: portal.models.EventKind is
#: built from these codes, so a new kind of event is one line here.
EVENT = {
    "submitted": _l("Appeal submitted"),
    "published": _l("Published after moderation"),
    "rejected": _l("Rejected by moderation"),
    "acknowledged": _l("Acknowledged by the service"),
    "in_progress": _l("Work in progress"),
    "answered": _l("The service answered"),
    "rated": _l("The citizen rated the answer"),
    "reopened": _l("Reopened by the citizen"),
    "rerouted": _l("Passed to another service"),
    "deadline_extended": _l("Deadline extended"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
    "outcome_stated": _l("The city decided on the proposal"),
}

#: Who acts in an event of each kind (the timeline credits them); any other kind: the service.
#: A "closed" event at the instant of a rating is the resident's (portal.templating.credited).
EVENT_ACTOR = {
    "submitted": "resident",
    "rated": "resident",
    "reopened": "resident",
    "withdrawn": "resident",
    "published": "moderators",
    "rejected": "moderators",
}

ACTOR = {"resident": _l("Resident"), "moderators": _l("Portal moderators")}

RESOLUTION = {
    "solved": _l("Solved"),
    "not_responsible": _l("Not the city's responsibility"),
    "duplicate": _l("Duplicate"),
    "rated": _l("Closed after rating"),
}

REJECTION = {
    "spam": _l("Spam"),
    "abuse": _l("Abusive content"),
    "duplicate": _l("Duplicate of another appeal"),
    "not_municipal": _l("Not a municipal matter"),
}

SOLVED = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}

#: How an appeal arrived (opendata.schema.CHANNELS); Open311 clients add their name.
CHANNEL = {"web": _l("Web form"), "api": _l("The portal's API"), "open311": _l("Open311")}

#: What an appeal is (opendata.schema.APPEAL_KINDS), and the form's one-line explanation.
KIND = {"problem": _l("Problem"), "proposal": _l("Proposal"), "question": _l("Question")}
KIND_HINT = {
    "problem": _l("something in the city is broken or wrong and a service should fix it"),
    "proposal": _l("an idea to improve the city, e.g. which trees to plant in a park"),
    "question": _l("you want to know something from a city service; it answers you"),
}

#: How the city decided on a proposal (opendata.schema.PROPOSAL_OUTCOMES).
OUTCOME = {"accepted": _l("Accepted"), "planned": _l("Planned"), "declined": _l("Declined")}

#: Where a text held by the publication gate comes from (staff moderation pages).
TEXT_CHANNEL = {
    "appeal_text": _l("Appeal text"),
    "answer": _l("Service's answer"),
    "rating_comment": _l("Citizen's rating comment"),
    "extension_reason": _l("Reason for extending the deadline"),
    "reroute_reason": _l("Reason for passing to another service"),
    "rejection_note": _l("Reason for rejection"),
    "closing_note": _l("Closing note"),
    "outcome_reason": _l("Reason for the decision on a proposal"),
}

#: Why the publication gate held a text.
HOLD_CAUSE = {
    "risk": _l("Possible personal data left"),
    "failure": _l("The scrubber failed"),
}

#: Where a short video is (portal.models.VideoState), for moderators.
VIDEO_STATE = {
    "processing": _l("Being re-encoded"),
    "waiting": _l("Waiting for moderation"),
    "published": _l("Published"),
    "withheld": _l("Not published"),
    "failed": _l("Could not be read"),
}

#: What the public is told about an answer that was given but whose text is not public.
ANSWER_TEXT = {
    "in_moderation": _l(
        "An answer was given; a moderator is checking its text before publication."
    ),
    "withheld": _l("An answer was given; its text was not published."),
}

SCORE = {
    1: _l("Extremely unsatisfactory"),
    2: _l("Unsatisfactory"),
    3: _l("Satisfactory"),
    4: _l("Good"),
    5: _l("Excellent"),
}

RATING_REASON = {
    "not_answered": _l("The question was not answered"),
    "unclear": _l("The answer is unclear"),
    "not_resolved": _l("The problem was not resolved"),
    "inaccurate": _l("The answer is inaccurate"),
}

CATEGORY_GROUP = {
    "roads": _l("Roads and pavements"),
    "lighting": _l("Street lighting"),
    "sanitation": _l("Waste and cleanliness"),
    "water": _l("Water and sewerage"),
    "heating": _l("Heating and hot water"),
    "housing": _l("Housing and courtyards"),
    "greenery": _l("Parks and greenery"),
    "transport": _l("Transport"),
    "construction": _l("Construction"),
    "animals": _l("Animals"),
    "environment": _l("Environment"),
    "social": _l("Social matters"),
    "energy": _l("Electricity and gas"),
    "trade": _l("Street trade"),
}

#: How a deadline, a first answer went (labels of the booleans worth saying in words).
DEADLINE_EXTENDED = {True: _l("extended")}
ON_TIME = {True: _l("on time"), False: _l("late")}

#: The labels of the allowed values of each labelled public field of an appeal, by the
#: field's name in opendata.schema.APPEALS (tests/portal/test_labels.py: every allowed
#: value has one). A field with a vocabulary adds its labels here, nowhere else.
FIELD_VALUES: dict[str, dict] = {
    "status": STATUS,
    "resolution": RESOLUTION,
    "solved": SOLVED,
    "rating_score": SCORE,
    "channel": CHANNEL,
    "kind": KIND,
    "outcome": OUTCOME,
    "deadline_extended": DEADLINE_EXTENDED,
    "on_time": ON_TIME,
}


def value_label(field: str, value) -> str:
    """The translated label of a public field's value: value_label("kind", "proposal") is
    "Proposal". A value "<code>:<name>" whose code has a label keeps the name, so the
    channel "open311:oshcity" reads "Open311: oshcity". "" for no value or a value
    without a label (``False`` of a flag that only says when it is true)."""
    known = FIELD_VALUES.get(field, {})
    if value is None or isinstance(value, bool) or value in known:
        return str(known.get(value, ""))
    code, _, name = str(value).partition(":")
    return f"{known[code]}: {name}" if name and code in known else str(value)
