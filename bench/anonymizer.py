"""Benchmark of the text anonymizer on the labelled development corpus.

    python bench/anonymizer.py [--corpus PATH] [-v]

Implements the scoring rule of shared/data/README.md. The scrubber is a black box
text -> text. A gold PII span is *caught* unless something of it survives in the output
more often than the same string occurs in the original outside PII spans:
- any type: the exact span text (case-insensitive, word boundaries);
- PERSON: any name token of 2+ letters (particles like уулу/кызы and honorifics excepted);
- ADDRESS_UNIT: any token that contains a digit;
- PHONE, ID_NUMBER, CARD: any run of 5 consecutive digits of the span;
- CAR_PLATE: the serial digits + letters; EMAIL: the local part before "@".
A look-alike is over-redacted if it occurs fewer times in the output than in the input.
The same figures are then computed on lower-cased and upper-cased copies of the corpus.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_CANDIDATES = (
    Path("/work/shared/data/pii_dev.jsonl"),
    ROOT.parent / "shared" / "data" / "pii_dev.jsonl",
)
# Not name tokens: patronymic particles and honorifics.
_PARTICLES = {
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
}
_MASK = "\u2588"  # a non-word, non-digit character that stands in for masked PII


# ---------------------------------------------------------------- corpus


def default_corpus() -> Path | None:
    """The development corpus, if it is present on this machine."""
    return next((p for p in CORPUS_CANDIDATES if p.is_file()), None)


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


# ---------------------------------------------------------------- probes


def _word_pattern(s: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(s)}(?!\w)", re.IGNORECASE)


def _count_words(s: str, text: str) -> int:
    return len(_word_pattern(s).findall(text))


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
    m = re.fullmatch(r"(?:\d{2}(?:KG)?)?(\d{3,4}[A-ZА-Я]{2,3})", p) or re.fullmatch(
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
    elif kind in ("PHONE", "ID_NUMBER", "CARD"):
        digits = re.sub(r"\D", "", text)
        out += [(digits[i : i + 5], _count_digits) for i in range(len(digits) - 4)]
    elif kind == "CAR_PLATE":
        out.append((_plate_serial(text), lambda s, t: _compact(t).count(s)))
    elif kind == "EMAIL":
        out.append((text.split("@")[0], _count_words))
    return out


def _masked(text: str, spans: list[dict]) -> str:
    chars = list(text)
    for s in spans:
        chars[s["start"] : s["end"]] = _MASK * (s["end"] - s["start"])
    return "".join(chars)


def caught(span: dict, original: str, masked: str, output: str) -> bool:
    """The scrubber removed the span: no probe survives beyond its non-PII occurrences."""
    return all(count(p, output) <= count(p, masked) for p, count in probes(span) if p)


# ---------------------------------------------------------------- report


@dataclass
class Report:
    """Figures of one benchmark run."""

    by_type: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_lang: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    texts_with_pii: int = 0
    texts_clean: int = 0
    lookalikes: int = 0
    over_redacted: int = 0
    times_ms: list[float] = field(default_factory=list)  # wall clock
    cpu_ms: list[float] = field(default_factory=list)  # this thread's CPU time (load-proof)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    over: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of gold PII spans caught."""
        caught_, total = (
            map(sum, zip(*self.by_type.values(), strict=True)) if self.by_type else (0, 0)
        )
        return caught_ / total if total else 1.0

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
    def mean_ms(self) -> float:
        """Mean wall-clock time per text."""
        return _mean(self.times_ms)

    @property
    def p95_ms(self) -> float:
        """95th percentile of wall-clock time per text."""
        return _p95(self.times_ms)

    @property
    def cpu_mean_ms(self) -> float:
        """Mean CPU time per text (what the scrubber costs on an idle machine)."""
        return _mean(self.cpu_ms)

    @property
    def cpu_p95_ms(self) -> float:
        """95th percentile of CPU time per text."""
        return _p95(self.cpu_ms)


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return _mean(values)
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def score(scrub: Callable[[str], str], records: Iterable[dict]) -> Report:
    """Run `scrub` on every record and score it with the corpus rule."""
    report = Report()
    for r in records:
        text = r["text"]
        wall, cpu = time.perf_counter(), time.thread_time()
        output = scrub(text)
        report.times_ms.append((time.perf_counter() - wall) * 1000)
        report.cpu_ms.append((time.thread_time() - cpu) * 1000)
        masked = _masked(text, r["pii"])
        all_caught = True
        for span in r["pii"]:
            ok = caught(span, text, masked, output)
            all_caught &= ok
            for tally in (report.by_type[span["type"]], report.by_lang[r["lang"]]):
                tally[0] += ok
                tally[1] += 1
            if not ok:
                report.misses.append((r["id"], span["type"], span["text"]))
        if r["pii"]:
            report.texts_with_pii += 1
            report.texts_clean += all_caught
        for look in r["lookalikes"]:
            report.lookalikes += 1
            if _count_words(look["text"], output) < _count_words(look["text"], text):
                report.over_redacted += 1
                report.over.append((r["id"], look["kind"], look["text"]))
    return report


# ---------------------------------------------------------------- printing


def print_report(title: str, report: Report, *, full: bool, verbose: bool) -> None:
    """Print the figures; `full` adds per-language recall and timing."""
    print(f"\n== {title}")
    for kind, (c, t) in sorted(report.by_type.items()):
        print(f"  recall {kind:<13} {c / t:6.3f}  ({c}/{t})")
    if full:
        for lang, (c, t) in sorted(report.by_lang.items()):
            print(f"  recall lang={lang:<8} {c / t:6.3f}  ({c}/{t})")
    print(f"  recall OVERALL       {report.recall:6.3f}")
    print(
        f"  texts fully cleaned  {report.cleaned_share:6.3f}  "
        f"({report.texts_clean}/{report.texts_with_pii})"
    )
    print(
        f"  over-redaction       {report.over_redaction:6.3f}  "
        f"({report.over_redacted}/{report.lookalikes} look-alikes)"
    )
    if full:
        print(
            f"  time per text        mean {report.mean_ms:.2f} ms, "
            f"p95 {report.p95_ms:.2f} ms (wall)"
        )
        print(
            f"                       mean {report.cpu_mean_ms:.2f} ms, "
            f"p95 {report.cpu_p95_ms:.2f} ms (CPU)"
        )
    if verbose:
        for rid, kind, text in report.misses:
            print(f"    missed {rid} {kind}: {text!r}")
        for rid, kind, text in report.over:
            print(f"    over-redacted {rid} {kind}: {text!r}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="JSONL corpus")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses")
    args = parser.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if corpus is None or not corpus.is_file():
        print(f"corpus not found: {corpus or ' or '.join(map(str, CORPUS_CANDIDATES))}")
        return 2
    sys.path.insert(0, str(ROOT))
    from opendata.anonymize import scrub_text, warm_up

    t0 = time.perf_counter()
    warm_up()  # the NER model and the truecasing dictionary, once per process
    scrub_text("Меня зовут Иван Петров, тел. 0555 123 456.")  # first-call caches
    print(f"model load (excluded below): {time.perf_counter() - t0:.2f} s")
    records = load(corpus)
    print(f"corpus: {corpus} ({len(records)} texts)")
    print_report("as written", score(scrub_text, records), full=True, verbose=args.verbose)
    for name, convert in (("lower-cased", str.lower), ("upper-cased", str.upper)):
        report = score(scrub_text, recased(records, convert))
        print_report(name, report, full=False, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
