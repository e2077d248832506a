"""Fast, deterministic generation of a city-scale demo database.

A million appeals (plus their events, answers and ratings) must be written in minutes, so
rows are built as plain tuples and written in batches: COPY on PostgreSQL, executemany
on SQLite. Working days are looked up in a precomputed index instead of being counted.
Asia/Bishkek has had no daylight saving time since 2005, so local dates are UTC+6.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from opendata.geomask import mask_point
from opendata.schema import PROPOSAL_OUTCOMES
from portal.demo import texts
from portal.demo.inputs import WorkdayIndex, end_of_local_day, local_ordinal
from portal.services.core import format_public_id
from portal.workdays import WorkCalendar

LOCAL_OFFSET = 6 * 3600  # Asia/Bishkek, UTC+06:00 all year
DAY = 86400
HISTORY_DAYS = 730
BATCH = 20_000
DEFAULT_DEADLINE = 14  # working days, the statutory default (config DEFAULT_DEADLINE_DAYS)
#: The latest a demo service answers: this many working days after the deadline.
LATE_MAX = 30

#: Public fields of an appeal that demo appeals draw (opendata.schema.APPEALS names): the
#: values with weights, per city code ("*": any other city). Each field draws from its own
#: random stream, so a field added here leaves the other appeals as they were. Channels:
#: most by the form, some by the API and by the city apps that hold named Open311 keys.
DRAWN = {
    "channel": {"BSK": (("web", 70), ("api", 8), ("open311:bishkek-app", 22)),
                "OSH": (("web", 60), ("api", 5), ("open311:oshcity", 35)),
                "*": (("web", 1),)},
    "kind": {"*": (("problem", 84), ("proposal", 9), ("question", 7))},
}  # fmt: skip
EXTENSION_REASON = "Требуется закупка материалов, работы запланированы"
REROUTE_NOTE = "Вопрос относится к компетенции другой службы"
REJECT_NOTES = {"spam": "Спам", "duplicate": "Повторное обращение", "not_municipal": "Не относится к ведению мэрии"}  # fmt: skip


@dataclass
class SeedStats:
    """What a seeding run wrote."""

    appeals: int = 0
    events: int = 0
    answers: int = 0
    ratings: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class Generator:
    """Builds rows for one city-scale demo database; deterministic for a seed and date."""

    def __init__(
        self, reference: list[dict], seed: int, today: date, calendar: WorkCalendar, now: float
    ):
        self.rng = random.Random(seed)
        self.streams = {name: random.Random(f"{seed}:{name}") for name in DRAWN}
        self.now = now  # the history ends here: nothing happens after it
        self.index = WorkdayIndex(
            calendar, today - timedelta(days=HISTORY_DAYS + 5), today + timedelta(days=400)
        )
        self.cities = reference
        self.city_cum = list(
            itertools.accumulate(3 if c["row"].code == "BSK" else 1 for c in self.cities)
        )

    # --- one appeal ------------------------------------------------------------------

    def point(self, city: dict) -> tuple[float, float]:
        rng, bbox = self.rng, city["bbox"]
        if rng.random() < 0.6:
            lat0, lon0, _ = rng.choices(city["hot_spots"], cum_weights=city["spot_cum"])[0]
            lat, lon = rng.gauss(lat0, 0.008), rng.gauss(lon0, 0.011)
        else:
            lat = rng.uniform(bbox.min_lat + 0.005, bbox.max_lat - 0.005)
            lon = rng.uniform(bbox.min_lon + 0.005, bbox.max_lon - 0.005)
        return bbox.clamp(lat=lat, lon=lon)

    def drawn(self, city_code: str) -> dict[str, str]:
        """The values of the DRAWN fields for an appeal of the city."""
        out = {}
        for name, choices in DRAWN.items():
            values, weights = zip(*choices.get(city_code, choices["*"]), strict=True)
            out[name] = self.streams[name].choices(values, weights=weights)[0]
        return out

    def idea(self, kind: str, lang: str, city: str) -> str | None:
        """The text of a proposal or a question (from the kind's stream), None for a problem."""
        return (
            None if kind == "problem" else texts.idea_text(self.streams["kind"], lang, kind, city)
        )

    def appeal(self, appeal_id: int, ids: dict) -> dict:
        """All rows of one appeal: {table: [rows]}, plus its status."""
        rng, index = self.rng, self.index
        city = rng.choices(self.cities, cum_weights=self.city_cum)[0]
        category = rng.choices(city["categories"], cum_weights=city["category_cum"])[0]
        lat, lon = self.point(city)
        district = min(
            city["districts"], key=lambda d: (d.center_lat - lat) ** 2 + (d.center_lon - lon) ** 2
        )
        # More appeals lately: the portal gains users (density ~ age ** -0.2).
        submitted = self.now - 60 - rng.random() ** 1.25 * HISTORY_DAYS * DAY
        if category.code in ("no_heating", "hot_water") and rng.random() < 0.7:
            submitted = self._winter(submitted)
        lang = rng.choices(("ru", "ky", "en"), cum_weights=(75, 93, 100))[0]
        raw_text, public_text = texts.appeal_text(rng, lang, category.code, city["row"].code)
        drawn = self.drawn(city["row"].code)
        kind = drawn["kind"]
        if idea := self.idea(kind, lang, city["row"].code):
            raw_text = public_text = idea
        year = datetime.fromtimestamp(submitted, UTC).year
        number = ids["counters"][(city["row"].code, year)] = (
            ids["counters"].get((city["row"].code, year), 0) + 1
        )
        deadline = category.deadline_days or DEFAULT_DEADLINE
        due = end_of_local_day(index.add(local_ordinal(submitted), deadline))
        row = {
            "id": appeal_id,
            "public_id": format_public_id(city["row"].code, year, number),
            "city_id": city["row"].id, "district_id": district.id, "category_id": category.id,
            "service_id": category.default_service_id, "submitted_at": submitted, "due_at": due,
            "reopen_count": 0, "reroute_count": 0, "photo_count": 0, "deadline_extended": False,
            **drawn,
        }  # fmt: skip
        private = (appeal_id, raw_text, round(lat, 6), round(lon, 6),
                   "возле дома" if rng.random() < 0.1 else None, lang, None)  # fmt: skip
        out = {"private": [private], "events": [], "answers": [], "ratings": [], "contacts": []}
        if rng.random() < 0.4:
            out["contacts"].append(self._contact(appeal_id))
        self._event(out, ids, appeal_id, "submitted", submitted, row["service_id"])
        self._lifecycle(row, out, ids, city, category, public_text, lat, lon)
        if kind == "proposal" and row.get("status") in ("answered", "closed"):
            self._outcome(row, out, ids, lang)
        row["updated_at"] = max(e[3] for e in out["events"])
        out["appeal"] = row
        return out

    def _contact(self, appeal_id: int) -> tuple:
        """A made-up contact of the appeal's author (private: never published)."""
        name = self.rng.choice(texts.FIRST_NAMES)
        email = f"user{appeal_id}@example.kg" if self.rng.random() < 0.5 else None
        return (appeal_id, name, email, f"+996 555 {appeal_id % 1000000:06d}")

    def _winter(self, ts: float) -> float:
        """Move a timestamp into the heating season (October–March), never after now."""
        moment = datetime.fromtimestamp(ts, UTC)
        if moment.month in (4, 5, 6, 7, 8, 9):
            moment = moment.replace(
                month=self.rng.choice((10, 11, 12, 1, 2, 3)), day=min(moment.day, 28)
            )
        moved = moment.timestamp()
        if moved >= self.now - 3600:
            moved -= 365 * DAY  # last year's winter
        return moved if moved >= self.now - HISTORY_DAYS * DAY else ts

    def _outcome(self, row, out, ids, lang: str) -> None:
        """An answered proposal's stated outcome, after its last event (own random stream)."""
        outcome = self.streams["kind"].choice(PROPOSAL_OUTCOMES)
        reason = texts.OUTCOME_REASONS[lang] if outcome == "declined" else None
        row.update(outcome=outcome, outcome_reason=reason)
        at = max(e[3] for e in out["events"])
        self._event(out, ids, row["id"], "outcome_stated", at, row["service_id"], note=reason)

    def _event(self, out, ids, appeal_id, kind, at, service_id, to_service=None, note=None):
        ids["event"] += 1
        out["events"].append(
            (ids["event"], appeal_id, kind, at, service_id, to_service, note, None)
        )

    def _lifecycle(self, row, out, ids, city, category, public_text, lat, lon) -> None:
        """Moderation, routing and the service's work, each step only if it happened by now."""
        rng, now, aid = self.rng, self.now, row["id"]
        submitted = row["submitted_at"]
        row["status"] = "submitted"  # until a moderator's step has happened
        if rng.random() < 0.02:
            reason, at = rng.choice(tuple(REJECT_NOTES)), submitted + 3600 * rng.uniform(1, 20)
            if at <= now:
                row.update(status="rejected", rejection_reason=reason)
                self._event(out, ids, aid, "rejected", at, row["service_id"],
                            note=REJECT_NOTES[reason])  # fmt: skip
            return
        published = submitted + 3600 * rng.uniform(0.5, 20)
        if published > now:
            return  # still in the moderation queue
        masked = mask_point(lat=lat, lon=lon, tier=category.tier, city=city["bbox"])
        row.update(status="published", published_at=published, public_text=public_text)
        if masked:
            row.update(public_lat=masked.lat, public_lon=masked.lon,
                       location_precision_m=masked.precision_m)  # fmt: skip
        self._event(out, ids, aid, "published", published, row["service_id"])
        service_id = row["service_id"]
        clock = published
        if rng.random() < 0.04:  # first sent to the wrong service, then rerouted
            wrong = rng.choice([s for s in city["service_ids"] if s != service_id])
            at = clock + DAY * rng.uniform(0.5, 3)
            if at <= now:
                self._event(out, ids, aid, "rerouted", at, wrong, to_service=service_id,
                            note=REROUTE_NOTE)  # fmt: skip
                clock, row["reroute_count"] = at, 1
        profile = city["services"][service_id]
        deadline = category.deadline_days or DEFAULT_DEADLINE
        answer_at = self._answer_time(row["submitted_at"], deadline, profile, clock)
        if rng.random() < 0.7:  # taken into work before the answer
            at = min(clock + 3600 * rng.uniform(1, 40), (clock + answer_at) / 2)
            if at <= now:
                row.update(status="acknowledged", acknowledged_at=at)
                self._event(out, ids, aid, "acknowledged", at, service_id)
        if answer_at > now:
            self._still_open(row, out, ids, service_id)
            return
        self._answer(row, out, ids, category, answer_at, round_=1)
        self._rate_and_follow_up(row, out, ids, category, profile)

    def _answer_time(self, start: float, deadline: int, profile, not_before: float) -> float:
        """When the service answers: most within the deadline (working days), its
        struggling share late, but every appeal within ``LATE_MAX`` working days of it."""
        rng = self.rng
        if rng.random() > profile.answer_rate:
            days = deadline + min(1 + int(rng.expovariate(0.125)), LATE_MAX)  # mostly days late
        else:
            typical = profile.median_days * deadline / DEFAULT_DEADLINE
            days = min(round(typical * math.exp(rng.gauss(0, 0.5))), deadline + LATE_MAX)
        ordinal = self.index.add(local_ordinal(start), days) if days else local_ordinal(start)
        at = (ordinal - 719163) * DAY - LOCAL_OFFSET + 3600 * rng.uniform(9, 18)
        return max(at, not_before + 3600)

    def _still_open(self, row, out, ids, service_id) -> None:
        rng, now = self.rng, self.now
        if rng.random() < 0.3:
            start = max(event[3] for event in out["events"])  # after routing and taking it
            if start + DAY <= now:
                row["status"] = "in_progress"
                self._event(out, ids, row["id"], "in_progress", start + DAY, service_id)
        at = row["published_at"] + 2 * DAY
        if rng.random() < 0.03 and at <= min(now, row["due_at"]):  # extended before the deadline
            row.update(deadline_extended=True, extension_reason=EXTENSION_REASON)
            row["due_at"] = end_of_local_day(self.index.add(local_ordinal(row["due_at"]), 10))
            self._event(out, ids, row["id"], "deadline_extended", at, service_id,
                        note=EXTENSION_REASON)  # fmt: skip

    def _answer(self, row, out, ids, category, at, round_) -> int:
        rng, service_id = self.rng, row["service_id"]
        kind = rng.choices(("done", "planned", "refused"), cum_weights=(70, 90, 100))[0]
        raw, public = texts.answer_text(rng, category.code, category.group, kind)
        ids["answer"] += 1
        out["answers"].append((ids["answer"], row["id"], service_id, round_, at, public, raw,
                               None, None, False))  # fmt: skip
        self._event(out, ids, row["id"], "answered", at, service_id)
        if round_ == 1:
            row["first_answer_at"] = at
            row["first_answer_workdays"] = self.index.between(
                local_ordinal(row["submitted_at"]), local_ordinal(at)
            )
            row["answered_on_time"] = at <= row["due_at"]
        row.update(status="answered", last_answer_at=at)
        return ids["answer"]

    def _rate_and_follow_up(self, row, out, ids, category, profile) -> None:
        rng, now, service_id = self.rng, self.now, row["service_id"]
        answer_id, answered = ids["answer"], row["last_answer_at"]
        rated = answered + DAY * rng.uniform(0.1, 7)
        if rated > now or rng.random() > 0.6:
            if now - answered > 60 * DAY and rng.random() < 0.5:
                row.update(status="closed", resolution="solved", closed_at=answered + 30 * DAY)
                self._event(out, ids, row["id"], "closed", row["closed_at"], service_id)
            return
        score = min(5, max(1, round(rng.gauss(profile.mean_score, 1.1))))
        solved = "yes" if score >= 4 else "partly" if score == 3 else "no"
        if rng.random() < 0.15:
            solved = "partly"
        reason = rng.choice(("not_resolved", "unclear", "inaccurate", "not_answered")) if score <= 2 else None  # fmt: skip
        comment = rng.choice(texts.COMMENTS[score]) if rng.random() < 0.4 else None
        ids["rating"] += 1
        out["ratings"].append((ids["rating"], row["id"], answer_id, service_id, rated, score,
                               solved, reason, comment, comment))  # fmt: skip
        self._event(out, ids, row["id"], "rated", rated, service_id)
        row.update(last_score=score, last_solved=solved)
        reopened = rated + 60
        if (score <= 2 or solved == "no") and rng.random() < 0.5 and reopened <= now:
            row.update(status="reopened", reopened_at=reopened, reopen_count=1)
            row["due_at"] = end_of_local_day(
                self.index.add(local_ordinal(reopened), DEFAULT_DEADLINE)
            )
            self._event(out, ids, row["id"], "reopened", reopened, service_id)
            second = self._answer_time(reopened, DEFAULT_DEADLINE, profile, reopened)
            if second <= now:
                self._answer(row, out, ids, category, second, round_=2)
            return
        row.update(status="closed", resolution="rated", closed_at=rated)
        self._event(out, ids, row["id"], "closed", rated, service_id)


#: Below this many appeals a second process costs more than it saves.
