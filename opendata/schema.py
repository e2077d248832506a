"""THE allowlist of published fields: every open dataset, field by field.

This module is the single source of CSV headers, GeoJSON properties, JSON keys, the Table
Schemas of ``datapackage.json`` and the data dictionary page, so that none of them can
drift from another. A field that is not listed here is not published.

Descriptions are English msgids marked with :func:`N_` (extracted into the ``datasets``
catalog and translated on the dictionary page); ``datapackage.json`` carries the English.

It is also THE public record of an appeal: ``APPEALS`` lists every published field of an
appeal, and the records (``opendata.records``), the portal's SQL (``portal.queries.record``),
the JSON API, Open311's extended attributes and the OpenAPI document are derived from it.

Vocabulary: the statuses, resolutions and other codes below are the public vocabulary;
the portal builds its enums from them.
"""

# size: THE public record: every published field of every dataset, one line each, together
from __future__ import annotations

from datetime import date

from opendata.geomask import TIER_PRECISION_M
from opendata.tableschema import ANON_NONE, N_, Change, Dataset, Field, ForeignKey

__all__ = ["ANON_NONE", "N_", "Change", "Dataset", "Field", "ForeignKey"]  # building blocks

# --- Versions ------------------------------------------------------------------------------
# A change of a published field or dataset adds its line here, in the newest version (or a
# new version on top: semantic versioning, a minor one adds fields or values). The datasets'
# changelog page and every descriptor's version read this.

# fmt: off
#: Schema versions, newest first.
CHANGELOG: tuple[Change, ...] = (
    Change("1.3.0", date(2026, 12, 6), (
        N_("Appeals: new field video_url (the path of the appeal's short video on the portal, re-encoded without metadata and published after moderation; its poster frame is the same path ending in .jpg), the last column, also in the API and Open311's extended_attributes."),
    )),
    Change("1.2.0", date(2026, 12, 5), (
        N_("Formats: Parquet for appeals, answers, ratings and service_performance (downloads with the same filters, and in every snapshot): typed columns — datetimes as timestamps with time zone (Asia/Bishkek), booleans, 64-bit integers, the point as lat and lon numbers."),
        N_("Appeals: new field supporters (how many residents said the problem affects them too, at most one per browser), added as the last column; it is also in the API and Open311's extended_attributes."),
        N_("Appeals: new field kind (problem, proposal or question), added as the last column, in every format, the API and Open311's extended_attributes; kind is a filter of the map, the list, the API and the downloads. Appeals submitted before kinds were recorded are problems."),
        N_("Appeals: new fields outcome (accepted, planned or declined: how the city decided on a proposal) and outcome_reason (its public reason, anonymized like every published text), after kind."),
        N_("Appeals: new field duplicate_of (the id of the original when the appeal was closed as a duplicate), the last column; the duplicate's supporters and its author count for the original."),
        N_("Service performance: the figures (and the service_performance dataset) count problems only, so that services are not ranked on proposals and questions; /performance shows those per kind."),
        N_("Formats: the CSV for Excel (excel.csv) now opens in columns in Excel with Russian or Kyrgyz regional settings: semicolons between cells and decimal commas (still with a BOM). The plain CSV is unchanged."),
    )),
    Change("1.1.0", date(2026, 12, 5), (
        N_("Appeals: new fields channel (how the appeal arrived: web, api, open311 or open311:<client>) and photo_count, added as the last columns. Appeals submitted before channels were recorded have channel web."),
        N_("API: every appeal of /api/v1/appeals now carries all published fields, including latest_answer_text, photo_count and channel; Open311's extended_attributes add channel."),
        N_("Answers: every answer given is listed; its text is empty while a moderator checks it (new field in_moderation) or when the moderator withheld it."),
    )),
    Change("1.0.0", date(2026, 11, 22), (
        N_("First published version: appeals, answers, ratings, services, categories, monthly service performance and withdrawn appeals."),
        N_("Formats: CSV, CSV for Excel (with BOM), GeoJSON, GeoJSONSeq and JSON; dated snapshots with sizes and SHA-256 hashes."),
    )),
)
# fmt: on

#: Version of the published schema: the newest changelog entry's.
SCHEMA_VERSION = CHANGELOG[0].version

# --- Public vocabulary ---------------------------------------------------------------------
# Declared here once; the portal's enums (portal.models) and every list of allowed values
# (filters, forms, API documents, templates) are built from these tuples.

#: Statuses in which the service still owes an answer: past due_at, such an appeal is overdue.
OPEN_STATUSES = ("published", "acknowledged", "in_progress", "reopened")
#: Every status a published appeal can have, in lifecycle order.
PUBLIC_STATUSES = (
    "published", "acknowledged", "in_progress", "answered", "reopened", "closed",
)  # fmt: skip
RESOLUTIONS = ("solved", "not_responsible", "duplicate", "rated")
SOLVED = ("yes", "partly", "no")
RATING_REASONS = ("not_answered", "unclear", "not_resolved", "inaccurate")
#: Why moderation refused an appeal.
REJECTION_REASONS = ("spam", "abuse", "duplicate", "not_municipal")
#: Why a published appeal was withdrawn: a moderation reason class, or "withdrawn".
WITHDRAWAL_REASONS = (*REJECTION_REASONS, "withdrawn")
PRIVACY_TIERS = ("public", "home", "sensitive")
PRECISIONS_M = tuple(sorted(set(TIER_PRECISION_M.values())))
#: How an appeal arrived. An Open311 client whose key has a name adds it: "open311:oshcity".
CHANNELS = ("web", "api", "open311")
CLIENT_NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,39}"
CHANNEL_PATTERN = rf"^(web|api|open311(:{CLIENT_NAME_PATTERN})?)$"

#: What an appeal is: a problem to fix (every appeal before 1.2.0), a proposal, a question.
APPEAL_KINDS = ("problem", "proposal", "question")
#: How the city decided on a proposal (declined: always with a public reason).
PROPOSAL_OUTCOMES = ("accepted", "planned", "declined")
#: Public fields of an appeal /performance counts the window's appeals by (a table each on
#: the page, and in its JSON under the field's name in the plural).
PERFORMANCE_BREAKDOWNS = ("channel", "kind")

PUBLIC_ID_PATTERN = r"^[A-Z]{3}-[0-9]{4}-[0-9]{6}$"
CODE_PATTERN = r"^[a-z0-9_-]{1,40}$"
VIDEO_URL_PATTERN = r"^/videos/[0-9a-f]{32}\.mp4$"

# --- Anonymization notes (shown on the dictionary page) -----------------------------------

ANON_TEXT = N_(
    "Scrubbed: names, phone numbers, e-mail addresses, ID numbers, flat and house numbers, "
    "car plates, card numbers and typed coordinates are replaced by typed placeholders such as "
    "[ИМЯ] or [ТЕЛЕФОН]; a moderator checks every appeal before publication, and any other text "
    "the scrubber is not sure about."
)
ANON_POINT = N_(
    "Masked: the exact point is snapped to the centre of a hexagonal cell (about 100 m for "
    "problems in public space, about 500 m for problems from inside a home); sensitive "
    "categories publish no point at all. Masking is deterministic, so repeated downloads "
    "cannot be averaged back to the true point."
)
ANON_VIDEO = N_(
    "Re-encoded: the citizen's video is re-encoded to H.264/AAC MP4 (at most 720p) with every "
    "metadata atom dropped (location, device, dates) and published only after a moderator "
    "watched it."
)
ANON_AGGREGATE = N_(
    "Aggregated: cells describing fewer than 5 appeals are suppressed (left empty)."
)


# --- Datasets ------------------------------------------------------------------------------
# One line per field (a table, kept unwrapped): name, Table Schema type, description, then
# constraints and how the field was anonymized.

TABULAR_FORMATS = ("csv", "excel.csv", "json")
GEO_FORMATS = ("csv", "excel.csv", "geojson", "geojsonseq", "json")
#: Typed columnar files for analysts (opendata.parquet), offered for the larger datasets.
ANALYTIC_FORMATS = ("parquet",)

# fmt: off
APPEALS = Dataset(
    name="appeals",
    title=N_("Appeals"),
    description=N_("One row per published appeal: where (masked), what, which service, how fast and how well it was answered."),
    fields=(
        Field("id", "string", N_("Public id of the appeal: city code, year, number. Never reused."),
              required=True, unique=True, pattern=PUBLIC_ID_PATTERN, python_name="public_id"),
        Field("city", "string", N_("City code."),
              required=True, reference="city", open311="jurisdiction_id"),
        Field("district", "string", N_("District code (the nearest district centre); empty when unknown."),
              reference="district"),
        Field("category", "string", N_("Problem category code (see the categories dataset)."),
              required=True, reference="category"),
        Field("service", "string", N_("Code of the service currently responsible (see the services dataset)."),
              required=True, reference="service"),
        Field("status", "string", N_("Current status of the appeal."),
              required=True, enum=PUBLIC_STATUSES, open311="portal_status"),
        Field("resolution", "string", N_("How a closed appeal ended; empty while open."),
              enum=RESOLUTIONS),
        Field("lat", "number", N_("Latitude (WGS 84) of the masked location, at most 6 decimals; empty for sensitive categories."),
              minimum=-90, maximum=90, anonymization=ANON_POINT),
        Field("lon", "number", N_("Longitude (WGS 84) of the masked location, at most 6 decimals; empty for sensitive categories."),
              minimum=-180, maximum=180, anonymization=ANON_POINT),
        Field("location_precision_m", "integer", N_("How far (metres) the published point may be from the true one; empty when no point is published."),
              enum=PRECISIONS_M, anonymization=ANON_POINT),
        Field("submitted_at", "datetime", N_("When the citizen submitted the appeal."),
              required=True),
        Field("published_at", "datetime", N_("When the appeal was published after moderation."),
              open311="published_datetime"),
        Field("acknowledged_at", "datetime", N_("When the service registered the appeal."),
              open311="acknowledged_datetime"),
        Field("first_answer_at", "datetime", N_("When the service first answered."),
              open311="first_answer_datetime"),
        Field("closed_at", "datetime", N_("When the appeal was closed."),
              open311="closed_datetime"),
        Field("due_at", "datetime", N_("Legal deadline of the answer (working days, Kyrgyz calendar)."),
              required=True),
        Field("deadline_extended", "boolean", N_("Whether the service extended the deadline (allowed once, with a public reason)."),
              required=True),
        Field("extension_reason", "string", N_("The service's public reason for extending the deadline."),
              free_text=True),
        Field("on_time", "boolean", N_("Whether the first answer came within the deadline; empty while unanswered."),
              open311="answered_on_time"),
        Field("first_answer_workdays", "integer", N_("Working days from submission to the first answer."),
              minimum=0),
        Field("reopen_count", "integer", N_("How many times the citizen reopened the appeal."),
              required=True, minimum=0),
        Field("text", "string", N_("The appeal's text as published."),
              anonymization=ANON_TEXT, free_text=True),
        Field("latest_answer_text", "string", N_("The service's latest published answer."),
              anonymization=ANON_TEXT, free_text=True),
        Field("rating_score", "integer", N_("The citizen's latest score of the answer: 1 (extremely unsatisfactory) to 5 (excellent)."),
              minimum=1, maximum=5, open311="last_score"),
        Field("solved", "string", N_("Whether the problem was solved, by the citizen's own account."),
              enum=SOLVED, open311="last_solved"),
        Field("updated_at", "datetime", N_("When anything public about the appeal last changed."),
              required=True),
        Field("photo_count", "integer", N_("How many photos of the problem are published with the appeal."),
              required=True, minimum=0),
        Field("channel", "string", N_("How the appeal arrived: web (the portal's form), api (the portal's JSON API) or open311; an Open311 client with a named key adds its name, e.g. open311:oshcity."),
              required=True, pattern=CHANNEL_PATTERN),
        Field("supporters", "integer", N_("How many residents said the problem affects them too (at most one per browser)."),
              required=True, minimum=0),
        Field("kind", "string", N_("What the appeal is: problem (something to fix), proposal (an idea for the city) or question; appeals before schema 1.2.0 are problems."),
              required=True, enum=APPEAL_KINDS),
        Field("outcome", "string", N_("How the city decided on a proposal: accepted, planned or declined; empty until decided, and for problems and questions."),
              enum=PROPOSAL_OUTCOMES),
        Field("outcome_reason", "string", N_("The service's public reason for its decision on a proposal (always given when declined)."),
              anonymization=ANON_TEXT, free_text=True),
        Field("duplicate_of", "string", N_("Id of the original appeal when this one was closed as its duplicate (its supporters and author then count for the original); empty otherwise."),
              pattern=PUBLIC_ID_PATTERN),
        Field("video_url", "string", N_("Path of the appeal's short video (MP4) on the portal, e.g. /videos/<id>.mp4 (its poster frame: the same path ending in .jpg); empty when there is none or a moderator has not published it."),
              pattern=VIDEO_URL_PATTERN, anonymization=ANON_VIDEO),
    ),
    primary_key=("id",),
    foreign_keys=(
        ForeignKey(("service",), "services", ("code",)),
        ForeignKey(("city", "category",), "categories", ("city", "code",)),
    ),
    geometry=("lat", "lon"),
    formats=(*GEO_FORMATS, *ANALYTIC_FORMATS),
)

WITHDRAWN = Dataset(
    name="withdrawn",
    title=N_("Withdrawn appeals"),
    description=N_("Tombstones of appeals removed after publication, so that no public id silently disappears: the id, when it was withdrawn and the class of reason."),
    fields=(
        Field("id", "string", N_("Public id of the withdrawn appeal."),
              required=True, unique=True, pattern=PUBLIC_ID_PATTERN),
        Field("city", "string", N_("City code."),
              required=True, reference="city"),
        Field("withdrawn_at", "datetime", N_("When the appeal was withdrawn."),
              required=True),
        Field("reason", "string", N_("Class of reason: a moderation reason, or \"withdrawn\" when the citizen or service withdrew it."),
              required=True, enum=WITHDRAWAL_REASONS),
    ),
    primary_key=("id",),
    formats=TABULAR_FORMATS,
)

ANSWERS = Dataset(
    name="answers",
    title=N_("Answers"),
    description=N_("Every answer a service gave to a published appeal, one row per answer round."),
    fields=(
        Field("id", "integer", N_("Answer number (stable)."),
              required=True, unique=True, minimum=1),
        Field("appeal_id", "string", N_("Public id of the appeal answered."),
              required=True, pattern=PUBLIC_ID_PATTERN),
        Field("service", "string", N_("Code of the service that answered."),
              required=True, reference="service"),
        Field("round", "integer", N_("Answer round: 1, then 2 after a reopening, and so on."),
              required=True, minimum=1),
        Field("created_at", "datetime", N_("When the answer was given."),
              required=True),
        Field("text", "string", N_("The answer's text as published; empty while a moderator checks it, or when the moderator withheld it."),
              anonymization=ANON_TEXT, free_text=True),
        Field("in_moderation", "boolean", N_("Whether the answer's text is being checked by a moderator before publication."),
              required=True),
    ),
    primary_key=("id",),
    foreign_keys=(
        ForeignKey(("appeal_id",), "appeals", ("id",)),
        ForeignKey(("service",), "services", ("code",)),
    ),
    formats=(*TABULAR_FORMATS, *ANALYTIC_FORMATS),
)

RATINGS = Dataset(
    name="ratings",
    title=N_("Ratings"),
    description=N_("The citizens' ratings of answers: one per answer round."),
    fields=(
        Field("answer_id", "integer", N_("Number of the rated answer (one rating per answer)."),
              required=True, unique=True, minimum=1),
        Field("appeal_id", "string", N_("Public id of the appeal."),
              required=True, pattern=PUBLIC_ID_PATTERN),
        Field("service", "string", N_("Code of the service that was rated."),
              required=True, reference="service"),
        Field("created_at", "datetime", N_("When the citizen rated the answer."),
              required=True),
        Field("score", "integer", N_("Score: 1 (extremely unsatisfactory) to 5 (excellent), the national feedback scale."),
              required=True, minimum=1, maximum=5),
        Field("solved", "string", N_("Was the problem solved? (the citizen's answer)"),
              required=True, enum=SOLVED),
        Field("reason", "string", N_("The citizen's reason for a low score."),
              enum=RATING_REASONS),
        Field("comment", "string", N_("The citizen's comment as published."),
              anonymization=ANON_TEXT, free_text=True),
    ),
    primary_key=("answer_id",),
    foreign_keys=(
        ForeignKey(("answer_id",), "answers", ("id",)),
        ForeignKey(("appeal_id",), "appeals", ("id",)),
        ForeignKey(("service",), "services", ("code",)),
    ),
    formats=(*TABULAR_FORMATS, *ANALYTIC_FORMATS),
)

SERVICES = Dataset(
    name="services",
    title=N_("Services"),
    description=N_("Municipal services and enterprises that answer appeals."),
    fields=(
        Field("code", "string", N_("Stable public code of the service."),
              required=True, unique=True, pattern=CODE_PATTERN),
        Field("city", "string", N_("City code."),
              required=True, reference="city"),
        Field("name_ru", "string", N_("Name in Russian."),
              required=True),
        Field("name_ky", "string", N_("Name in Kyrgyz."),
              required=True),
        Field("name_en", "string", N_("Name in English."),
              required=True),
        Field("active", "boolean", N_("Whether the service currently receives appeals."),
              required=True),
    ),
    primary_key=("code",),
    filterable=False,
    formats=TABULAR_FORMATS,
)

CATEGORIES = Dataset(
    name="categories",
    title=N_("Categories"),
    description=N_("Problem categories of each city, the service they go to and their deadline."),
    fields=(
        Field("city", "string", N_("City code."),
              required=True, reference="city"),
        Field("code", "string", N_("Category code (the same code in every city)."),
              required=True, pattern=CODE_PATTERN),
        Field("group", "string", N_("Group of categories (roads, water, heating…)."),
              required=True),
        Field("name_ru", "string", N_("Name in Russian."),
              required=True),
        Field("name_ky", "string", N_("Name in Kyrgyz."),
              required=True),
        Field("name_en", "string", N_("Name in English."),
              required=True),
        Field("default_service", "string", N_("Code of the service appeals of this category go to."),
              required=True),
        Field("deadline_days", "integer", N_("Answer deadline in working days."),
              required=True, minimum=1),
        Field("privacy_tier", "string", N_("How precisely locations of this category are published: public (about 100 m), home (about 500 m), sensitive (no point)."),
              required=True, enum=PRIVACY_TIERS),
        Field("active", "boolean", N_("Whether citizens can currently choose this category."),
              required=True),
    ),
    primary_key=("city", "code",),
    foreign_keys=(
        ForeignKey(("default_service",), "services", ("code",)),
    ),
    filterable=False,
    formats=TABULAR_FORMATS,
)

PERFORMANCE = Dataset(
    name="service_performance",
    title=N_("Service performance by month"),
    description=N_("For every service and calendar month: appeals received, speed of the first answer, answers within the deadline and the citizens' scores — the same figures as the service performance pages. Cells with fewer than 5 appeals are suppressed."),
    fields=(
        Field("city", "string", N_("City code."),
              required=True, reference="city"),
        Field("service", "string", N_("Service code."),
              required=True, reference="service"),
        Field("month", "yearmonth", N_("Calendar month in which the appeals were received (Asia/Bishkek dates)."),
              required=True),
        Field("window_start", "date", N_("First day of the time window the figures were computed for."),
              required=True),
        Field("window_end", "date", N_("Last day of the time window."),
              required=True),
        Field("suppressed", "boolean", N_("True when fewer than 5 appeals were received: every figure of the row is then left empty."),
              required=True),
        Field("received", "integer", N_("Appeals received (submitted in the month and published)."),
              minimum=0, anonymization=ANON_AGGREGATE),
        Field("answered", "integer", N_("Received appeals that were answered."),
              minimum=0, anonymization=ANON_AGGREGATE),
        Field("median_workdays", "number", N_("Median working days from submission to the first answer."),
              minimum=0, anonymization=ANON_AGGREGATE),
        Field("mean_workdays", "number", N_("Mean working days from submission to the first answer."),
              minimum=0, anonymization=ANON_AGGREGATE),
        Field("on_time_share", "number", N_("Share answered within the deadline, of the appeals answered or overdue."),
              minimum=0, maximum=1, anonymization=ANON_AGGREGATE),
        Field("deadline_known", "integer", N_("Appeals whose deadline outcome is known (answered, or unanswered past the deadline): the denominator of on_time_share."),
              minimum=0, anonymization=ANON_AGGREGATE),
        Field("overdue_open", "integer", N_("Received appeals still open and past their deadline when the figures were computed."),
              minimum=0, anonymization=ANON_AGGREGATE),
        Field("ratings", "integer", N_("Rated appeals (the citizen's latest score of each)."),
              minimum=0, anonymization=ANON_AGGREGATE),
        Field("mean_score", "number", N_("Mean score (1–5) of the rated appeals."),
              minimum=1, maximum=5, anonymization=ANON_AGGREGATE),
        Field("score_ci_low", "number", N_("Lower bound of the 95 per cent confidence interval of the mean score (Student's t)."),
              minimum=1, maximum=5, anonymization=ANON_AGGREGATE),
        Field("score_ci_high", "number", N_("Upper bound of the 95 per cent confidence interval of the mean score."),
              minimum=1, maximum=5, anonymization=ANON_AGGREGATE),
        Field("solved_share", "number", N_("Share of rated appeals whose citizen said the problem was solved."),
              minimum=0, maximum=1, anonymization=ANON_AGGREGATE),
        Field("solved_partly_share", "number", N_("Share of rated appeals whose citizen said it was partly solved."),
              minimum=0, maximum=1, anonymization=ANON_AGGREGATE),
        Field("reopen_rate", "number", N_("Share of answered appeals that were reopened."),
              minimum=0, maximum=1, anonymization=ANON_AGGREGATE),
        Field("rated_share", "number", N_("Share of answered appeals that were rated."),
              minimum=0, maximum=1, anonymization=ANON_AGGREGATE),
    ),
    primary_key=("service", "month",),
    foreign_keys=(
        ForeignKey(("service",), "services", ("code",)),
    ),
    filterable=False,
    formats=(*TABULAR_FORMATS, *ANALYTIC_FORMATS),
)
# fmt: on

#: Every dataset, in the order the datasets page lists them.
DATASETS: dict[str, Dataset] = {
    d.name: d for d in (APPEALS, ANSWERS, RATINGS, SERVICES, CATEGORIES, PERFORMANCE, WITHDRAWN)
}


def dataset(name: str) -> Dataset:
    """The dataset called ``name`` (KeyError for anything not published)."""
    return DATASETS[name]
