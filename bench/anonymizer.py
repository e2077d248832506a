"""Benchmark of the text anonymizer on the labelled development corpora.

    python bench/anonymizer.py [--corpus PATH ...] [-v]

Without --corpus: shared/data/pii_dev.jsonl and pii_dev_hard.jsonl (when present) and
the held-out hard texts of tests/opendata/data/pii_held_out_hard.jsonl.

Implements the scoring rule of shared/data/README.md. The scrubber is a black box
text -> text. A gold PII span is *caught* unless something of it survives in the output
more often than the same string occurs in the original outside PII spans:
- any type: the exact span text (case-insensitive, word boundaries);
- PERSON: any name token of 2+ letters (particles like уулу/кызы and honorifics excepted);
- ADDRESS_UNIT: any token that contains a digit;
- PHONE, ID_NUMBER, CARD, GEO_POINT: any run of 5 consecutive digits of the span;
- CAR_PLATE: the serial digits + letters; EMAIL: the local part before "@".
A look-alike is over-redacted if it occurs fewer times in the output than in the input.
On the hard corpus (records with a "channel") evasion is folded first, on the output and
the spans alike: NFKC, invisible format characters removed, Latin letters that look
Cyrillic mapped to Cyrillic, casefold.

Each corpus is scored with lang=None, the right language hint and a wrong one, then on
lower- and upper-cased copies. Texts for which `scrub` reports residual risk go to a
moderator ("held"); the PII spans that survive in the other texts are what leaks.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIRS = (Path("/work/shared/data"), ROOT.parent / "shared" / "data")
CORPORA = ("pii_dev.jsonl", "pii_dev_hard.jsonl")
# Hard texts written for the tests, with names and formats the corpora do not have.
HELD_OUT = ROOT / "tests" / "opendata" / "data" / "pii_held_out_hard.jsonl"
# Not name tokens: patronymic particles and honorifics.
_PARTICLES = frozenset(
    [
        "уулу",
        "кызы",
        "uulu",
        "kyzy",
        "оглы",
        "ogly",
        "эже",
        "байке",
        "ата",
        "апа",
        "mr",
        "mrs",
        "ms",
        "dr",
    ]
)
_MASK = "\u2588"  # a non-word, non-digit character that stands in for masked PII
# The interface language a writer might have had instead of the text's own.
WRONG_HINT = {"ru": "en", "ky": "ru", "en": "ky", "mixed": "ru"}
# Issue 15's targets per corpus: (recall at least, over-redaction at most).
TARGETS = {"pii_dev.jsonl": (0.99, 0.01), "pii_dev_hard.jsonl": (0.97, 0.03)}
_LATIN_LOOKALIKE = str.maketrans("aeopcxyAEOPCXYBKMHT", "аеорсхуАЕОРСХУВКМНТ")


# ---------------------------------------------------------------- corpus


def default_corpus(name: str = CORPORA[0]) -> Path | None:
    """A development corpus, if it is present on this machine."""
    return next((d / name for d in DATA_DIRS if (d / name).is_file()), None)


def load(path: Path) -> list[dict]:
    """Records of a JSONL corpus."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def recased(records: Iterable[dict], convert: Callable[[str], str]) -> list[dict]:
    """Copies of the records with text changed by `convert` (str.lower/upper), offsets kept."""

    def same_length(s: str) -> str:
        return "".join(c2 if len(c2 := convert(ch)) == 1 else ch for ch in s)

    out = []
    for r in records:
        text = same_length(r["text"])
        spans = {
            key: [{**s, "text": text[s["start"] : s["end"]]} for s in r.get(key, [])]
            for key in ("pii", "lookalikes")
        }
        out.append({**r, "text": text, **spans})
    return out


def fold_evasion(text: str) -> str:
    """The hard corpus's folding: NFKC, no format characters, Latin look-alikes, casefold."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.translate(_LATIN_LOOKALIKE).casefold()


# ---------------------------------------------------------------- probes


def _count_words(s: str, text: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(s)}(?!\w)", text, re.IGNORECASE))


def _digit_chunks(text: str) -> list[str]:
    """Digit strings of number-like runs ("0555 12-34", "(312) 62"), separators removed."""
    return [re.sub(r"\D", "", m) for m in re.findall(r"\d(?:[\s().-]?\d)*", text)]


def _count_digits(run: str, text: str) -> int:
    return sum(chunk.count(run) for chunk in _digit_chunks(text))


def _compact(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def _plate_serial(plate: str) -> str:
    """The plate without its region code: "01KG 123 ABC" -> "123ABC", "B 4521 AK" -> "4521AK"."""
    p = _compact(plate)
    m = re.fullmatch(r"(?:\d{2}(?:KG|КГ)?)?(\d{3,4}[A-ZА-Я]{2,3})", p) or re.fullmatch(
        r"[A-ZА-Я]{1,2}(\d{4}[A-ZА-Я]{2,3})", p
    )
    return m.group(1) if m else p


def probes(span: dict) -> list[tuple[str, Callable[[str, str], int]]]:
    """(probe, counter) pairs: the span survives if a probe occurs more in output than input."""
    text, kind = span["text"], span["type"]
    out: list[tuple[str, Callable[[str, str], int]]] = [(text, _count_words)]
    if kind == "PERSON":
        for tok in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*", text):
            if len(tok) >= 2 and tok.lower() not in _PARTICLES:
                out.append((tok, _count_words))
    elif kind == "ADDRESS_UNIT":
        out += [(tok, _count_words) for tok in re.findall(r"\w+", text) if re.search(r"\d", tok)]
    elif kind in ("PHONE", "ID_NUMBER", "CARD", "GEO_POINT"):
        digits = re.sub(r"\D", "", text)
        out += [(digits[i : i + 5], _count_digits) for i in range(len(digits) - 4)]
    elif kind == "CAR_PLATE":
        out.append((_plate_serial(text), lambda s, t: _compact(t).count(s)))
    elif kind == "EMAIL":
        out.append((re.split(r"@|\s", text)[0], _count_words))
    return out


def _masked(text: str, spans: list[dict]) -> str:
    chars = list(text)
    for s in spans:
        chars[s["start"] : s["end"]] = _MASK * (s["end"] - s["start"])
    return "".join(chars)


def caught(span: dict, masked: str, output: str) -> bool:
    """The scrubber removed the span: no probe survives beyond its non-PII occurrences."""
    return all(count(p, output) <= count(p, masked) for p, count in probes(span) if p)


# ---------------------------------------------------------------- report


def _tally() -> defaultdict[str, list[int]]:
    return defaultdict(lambda: [0, 0])


@dataclass
class Report:
    """Figures of one benchmark run."""

    by_type: dict[str, list[int]] = field(default_factory=_tally)
    by_lang: dict[str, list[int]] = field(default_factory=_tally)
    by_channel: dict[str, list[int]] = field(default_factory=_tally)
    held: dict[str, list[int]] = field(default_factory=_tally)  # channel -> [held, texts]
    leaked: dict[str, list[int]] = field(default_factory=_tally)  # channel -> [missed, spans]
    texts_with_pii: int = 0
    texts_clean: int = 0
    lookalikes: int = 0
    over_redacted: int = 0
    times_ms: list[float] = field(default_factory=list)  # wall clock
    cpu_ms: list[float] = field(default_factory=list)  # this thread's CPU time (load-proof)
    misses: list[tuple[str, str, str, bool]] = field(default_factory=list)  # ..., held
    over: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of gold PII spans caught."""
        found = sum(c for c, _ in self.by_type.values())
        total = sum(t for _, t in self.by_type.values())
        return found / total if total else 1.0

    def type_recall(self, kind: str) -> float:
        """Recall for one PII type (1.0 when the corpus has none)."""
        c, t = self.by_type.get(kind, (0, 0))
        return c / t if t else 1.0

    @property
    def cleaned_share(self) -> float:
        """Share of texts with PII in which every span was caught."""
        return self.texts_clean / self.texts_with_pii if self.texts_with_pii else 1.0

    @property
    def over_redaction(self) -> float:
        """Share of look-alikes that the scrubber removed or damaged."""
        return self.over_redacted / self.lookalikes if self.lookalikes else 0.0

    @property
    def held_share(self) -> float:
        """Share of texts the scrubber sends to a moderator (residual risk)."""
        return sum(h for h, _ in self.held.values()) / max(1, sum(n for _, n in self.held.values()))

    @property
    def leaks(self) -> int:
        """PII spans that survive in texts that would be published automatically."""
        return sum(m for m, _ in self.leaked.values())

    @property
    def mean_ms(self) -> float:
        """Mean wall-clock time per text."""
        return statistics.fmean(self.times_ms) if self.times_ms else 0.0

    @property
    def p95_ms(self) -> float:
        """95th percentile of wall-clock time per text."""
        return _p95(self.times_ms)

    @property
    def cpu_p95_ms(self) -> float:
        """95th percentile of CPU time per text (what it costs on an idle machine)."""
        return _p95(self.cpu_ms)


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return statistics.fmean(values) if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def _run(scrub: Callable[[str], object], text: str) -> tuple[str, bool, float, float]:
    """(output, risky, wall ms, CPU ms); `scrub` returns a str or a Scrubbed."""
    wall, cpu = time.perf_counter(), time.thread_time()
    result = scrub(text)
    ms, cpu_ms = (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000
    if isinstance(result, str):
        return result, False, ms, cpu_ms
    return result.text, bool(result.risky), ms, cpu_ms


def score(scrub: Callable[[str], object], records: Iterable[dict], fold: bool = False) -> Report:
    """Run `scrub` on every record and score it with the corpus rule (folded if `fold`)."""
    norm = fold_evasion if fold else (lambda s: s)
    report = Report()
    for r in records:
        output, risky, ms, cpu_ms = _run(scrub, r["text"])
        report.times_ms.append(ms)
        report.cpu_ms.append(cpu_ms)
        channel = r.get("channel", "appeal")
        report.held[channel][0] += risky
        report.held[channel][1] += 1
        _score_pii(report, r, norm, norm(output), risky)
        for look in r["lookalikes"]:
            report.lookalikes += 1
            probe = norm(look["text"])
            if _count_words(probe, norm(output)) < _count_words(probe, norm(r["text"])):
                report.over_redacted += 1
                report.over.append((r["id"], look["kind"], look["text"]))
    return report


def _score_pii(
    report: Report, r: dict, norm: Callable[[str], str], output: str, risky: bool
) -> None:
    masked = norm(_masked(r["text"], r["pii"]))
    all_caught = True
    channel = r.get("channel", "appeal")
    for span in r["pii"]:
        ok = caught({**span, "text": norm(span["text"])}, masked, output)
        all_caught &= ok
        for tally in (
            report.by_type[span["type"]],
            report.by_lang[r["lang"]],
            report.by_channel[channel],
        ):
            tally[0] += ok
            tally[1] += 1
        report.leaked[channel][1] += 1
        if not ok:
            report.leaked[channel][0] += not risky
            report.misses.append((r["id"], span["type"], span["text"], risky))
    if r["pii"]:
        report.texts_with_pii += 1
        report.texts_clean += all_caught


# ---------------------------------------------------------------- printing


def _line(label: str, tally: list[int]) -> str:
    c, t = tally
    return f"  {label:<22} {c / t if t else 1.0:6.3f}  ({c}/{t})"


def print_report(title: str, report: Report, *, full: bool, verbose: bool) -> None:
    """Print the figures; `full` adds recall per language and channel, held shares, timing."""
    print(f"\n== {title}")
    groups = [("", report.by_type)]
    if full:
        groups += [("lang=", report.by_lang), ("channel=", report.by_channel)]
    for prefix, tallies in groups:
        for key, tally in sorted(tallies.items()):
            print(_line(f"recall {prefix}{key}", tally))
    print(f"  recall OVERALL         {report.recall:6.3f}")
    print(_line("texts fully cleaned", [report.texts_clean, report.texts_with_pii]))
    print(_line("over-redaction", [report.over_redacted, report.lookalikes]))
    if full:
        for channel, tally in sorted(report.held.items()):
            print(_line(f"held {channel}", tally))
        print(f"  held OVERALL           {report.held_share:6.3f}")
        for channel, (missed, total) in sorted(report.leaked.items()):
            print(f"  leaks auto-published {channel:<14} {missed} of {total} PII spans")
        print(f"  leaks auto-published OVERALL        {report.leaks}")
        print(
            f"  time per text          mean {report.mean_ms:.2f} ms, p95 {report.p95_ms:.2f} ms (wall)"
        )
        cpu_mean = statistics.fmean(report.cpu_ms) if report.cpu_ms else 0.0
        print(
            f"                         mean {cpu_mean:.2f} ms, p95 {report.cpu_p95_ms:.2f} ms (CPU)"
        )
    if verbose:
        for rid, kind, text, risky in report.misses:
            print(f"    missed {rid} {kind}: {text!r}{' (held)' if risky else ''}")
        for rid, kind, text in report.over:
            print(f"    over-redacted {rid} {kind}: {text!r}")


def bench_corpus(path: Path, scrub: Callable[..., object], verbose: bool) -> dict[str, Report]:
    """Every figure for one corpus: three kinds of language hint, then other casings."""
    reports: dict[str, Report] = {}
    records = load(path)
    fold = any("channel" in r for r in records)
    print(f"\n#### corpus: {path} ({len(records)} texts{', evasion folded' if fold else ''})")
    hints: list[tuple[str, Callable[[dict], str | None]]] = [
        ("lang=None", lambda r: None),
        ("right hint", lambda r: r["lang"] if r["lang"] != "mixed" else None),
        ("wrong hint", lambda r: WRONG_HINT[r["lang"]]),
    ]
    for name, hint in hints:
        report = Report()
        for r in records:  # one record at a time: the hint depends on the record
            lang = hint(r)
            _merge(report, score(lambda text, lang=lang: scrub(text, lang), [r], fold))
        print_report(f"{path.name}, {name}", report, full=True, verbose=verbose)
        reports[name] = report
    for name, convert in (("lower-cased", str.lower), ("upper-cased", str.upper)):
        report = score(lambda text: scrub(text, None), recased(records, convert), fold)
        print_report(f"{path.name}, {name}, lang=None", report, full=False, verbose=verbose)
        reports[name] = report
    return reports


def print_targets(name: str, reports: dict[str, Report]) -> None:
    """The figures of issue 15's "Done when" next to their targets."""
    recall, over = TARGETS.get(name, TARGETS["pii_dev_hard.jsonl"])
    print(f"\n-- {name}: targets")
    for hint in ("lang=None", "wrong hint"):
        r = reports[hint]
        ok = r.recall >= recall and r.over_redaction <= over
        print(
            f"  {hint:<11} recall {r.recall:.3f} (≥ {recall}), over-redaction "
            f"{r.over_redaction:.3f} (≤ {over})  {'ok' if ok else 'MISSED'}"
        )
    for casing in ("lower-cased", "upper-cased"):
        r = reports[casing]
        print(
            f"  {casing:<11} recall {r.recall:.3f} (≥ 0.95)  {'ok' if r.recall >= 0.95 else 'MISSED'}"
        )
    hints = ("lang=None", "right hint", "wrong hint")
    wall = max(reports[h].p95_ms for h in hints)
    cpu = max(reports[h].cpu_p95_ms for h in hints)
    print(
        f"  p95 per text {cpu:.2f} ms CPU, {wall:.2f} ms wall (≤ 10 ms)  "
        f"{'ok' if cpu <= 10 else 'MISSED'} (CPU time: the wall clock counts other processes)"
    )


def _merge(into: Report, part: Report) -> None:
    for name in ("by_type", "by_lang", "by_channel", "held", "leaked"):
        mine = getattr(into, name)
        for key, (a, b) in getattr(part, name).items():
            mine[key][0] += a
            mine[key][1] += b
    for name in ("texts_with_pii", "texts_clean", "lookalikes", "over_redacted"):
        setattr(into, name, getattr(into, name) + getattr(part, name))
    into.times_ms += part.times_ms
    into.cpu_ms += part.cpu_ms
    into.misses += part.misses
    into.over += part.over


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", help="JSONL corpus (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses")
    args = parser.parse_args(argv)
    corpora = args.corpus or [p for name in CORPORA if (p := default_corpus(name))] + [HELD_OUT]
    missing = [p for p in corpora if not p.is_file()]
    if not corpora or missing:
        print(f"corpus not found: {missing or CORPORA}")
        return 2
    sys.path.insert(0, str(ROOT))
    from opendata.anonymize import scrub, warm_up

    t0 = time.perf_counter()
    warm_up()  # the NER model and the truecasing dictionary, once per process
    scrub("Меня зовут Иван Петров, тел. 0555 123 456.")  # first-call caches
    print(f"model load (excluded below): {time.perf_counter() - t0:.2f} s")
    for path in corpora:
        print_targets(path.name, bench_corpus(path, scrub, args.verbose))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
