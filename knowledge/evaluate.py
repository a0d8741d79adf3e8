"""Scoring the knowledge module on a question file, beside a plain BM25 baseline in the same run.

A case passes when `found` is true and the answer contains one of the expected strings
(compared without diacritics) and, where the case names a section ("ref"), the answer cites it; for
"expect": null when `found` is false; for "intent" when the answer points to that part of the app.
A found answer that does not pass is "confidently wrong": the figure the module must keep at zero.
"""

from __future__ import annotations

import json
import math
import random
import re
import statistics
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from domain.text import ascii_key
from knowledge.index import KnowledgeBase, build
from knowledge.resolution import load


@dataclass(frozen=True)
class Case:
    question: str
    expect: list[str] | None
    refs: tuple[str, ...] = ()
    intent: str | None = None
    kind: str = ""


def load_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            ref = raw.get("ref") or ()
            refs = (ref,) if isinstance(ref, str) else tuple(ref)
            cases.append(Case(raw["q"], raw.get("expect"), refs, raw.get("intent"), raw.get("type", "")))
    return cases


def passes(case: Case, found: bool, answer: str, source: str | None = None, intent: str | None = None) -> bool:
    if case.intent is not None:
        return intent == case.intent
    if case.expect is None:
        return not found and intent is None
    if not found or not any(ascii_key(e) in ascii_key(answer) for e in case.expect):
        return False
    cited = f"{source or ''} {answer}"
    return not case.refs or any(ref in cited for ref in case.refs)


class PlainBM25:
    """The baseline: BM25 over the resolution's paragraphs, folded unigrams, answer = the top paragraph."""

    def __init__(self) -> None:
        passages = load().passages
        self.paragraphs = [p.clean_text for p in passages]
        self.refs = [p.ref for p in passages]
        self.docs = [Counter(re.findall(r"\w+", ascii_key(p))) for p in self.paragraphs]
        n = len(self.docs)
        df = Counter(t for d in self.docs for t in d)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.avg = sum(sum(d.values()) for d in self.docs) / n

    def ask(self, question: str) -> tuple[bool, str, str | None]:
        q = re.findall(r"\w+", ascii_key(question))
        scores = []
        for d in self.docs:
            length = sum(d.values())
            scores.append(sum(self.idf[t] * d[t] * 2.2 / (d[t] + 1.2 * (0.25 + 0.75 * length / self.avg))
                              for t in q if t in d))
        best = max(range(len(scores)), key=scores.__getitem__)
        return scores[best] > 0, self.paragraphs[best][:800], self.refs[best]


@dataclass
class Report:
    cases: int
    passed: int
    baseline_passed: int
    failures: list[tuple[str, bool, str]]
    p95_ms: float
    build_s: float
    confidently_wrong: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (passed, cases)


def evaluate(path: Path, kb: KnowledgeBase | None = None) -> Report:
    t0 = time.perf_counter()
    kb = kb or build()
    build_s = time.perf_counter() - t0
    baseline = PlainBM25()
    cases = load_cases(path)
    passed = base_passed = 0
    failures = []
    latencies = []
    by_kind: dict[str, tuple[int, int]] = {}
    wrong = 0
    for case in cases:
        t0 = time.perf_counter()
        answer = kb.ask(case.question)
        latencies.append((time.perf_counter() - t0) * 1000)
        ok = passes(case, answer.found, answer.answer, answer.source, getattr(answer, "intent", None))
        passed += ok
        done, total = by_kind.get(case.kind, (0, 0))
        by_kind[case.kind] = (done + ok, total + 1)
        if not ok:
            wrong += answer.found
            failures.append((case.question, answer.found, f"[{answer.source}] {answer.answer[:160]}"))
        base_passed += passes(case, *baseline.ask(case.question))
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 2 else latencies[0]
    return Report(len(cases), passed, base_passed, failures, p95, build_s, wrong, by_kind)


def print_report(path: Path, report: Report, verbose: bool = True) -> None:
    print(f"{path.name}: {report.passed}/{report.cases} passed ({100 * report.passed / report.cases:.1f}%)"
          f"   baseline plain BM25: {report.baseline_passed}/{report.cases}"
          f" ({100 * report.baseline_passed / report.cases:.1f}%)")
    kinds = ", ".join(f"{kind or '-'} {done}/{total}" for kind, (done, total) in sorted(report.by_kind.items()))
    print(f"  confidently wrong: {report.confidently_wrong}; by kind: {kinds}")
    print(f"  latency p95 {report.p95_ms:.2f} ms (target < 10 ms); index build {report.build_s:.2f} s (target < 2 s)")
    if verbose:
        for question, found, answer in report.failures:
            print(f"  FAIL found={found}: {question}\n       -> {answer}")


# --- the same questions typed as people type them on a phone ---------------------------------------

_TELEX_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}


def telex_typed(question: str) -> str:
    """'Bí thư đảng ủy' -> 'Bis thuw ddangr uyr': the keys a Telex typist presses, left as they are."""
    out = []
    for word in question.split():
        keys, tone = "", ""
        for ch in unicodedata.normalize("NFD", word):
            if ch in _TELEX_TONES:
                tone = _TELEX_TONES[ch]
            elif ch == "\u0302":  # â ê ô: the vowel twice
                keys += keys[-1]
            elif ch in ("\u0306", "\u031b"):  # ă ơ ư
                keys += "w"
            else:
                keys += {"đ": "dd", "Đ": "DD"}.get(ch, ch)
        out.append(keys + tone)
    return " ".join(out)


def dropped_letter(question: str, rng: random.Random) -> str:
    """One letter missing inside one word of four letters or more."""
    words = question.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4]
    if long_words:
        i = rng.choice(long_words)
        j = rng.randrange(1, len(words[i]) - 1)
        words[i] = words[i][:j] + words[i][j + 1:]
    return " ".join(words)


def typing_variants(seed: int = 1) -> dict[str, Callable[[str], str]]:
    rng = random.Random(seed)
    return {"no diacritics": ascii_key, "Telex keys": telex_typed, "a dropped letter": lambda q: dropped_letter(q, rng),
            "two words run together": lambda q: q.replace(" ", "", 1)}


def evaluate_typed(paths: list[Path], kb: KnowledgeBase) -> list[tuple[str, int, int, int, int, int]]:
    """For each way of typing: (name, in-scope passed, in-scope cases, BM25 passed, off-topic declined,
    off-topic cases)."""
    baseline = PlainBM25()
    cases = [case for path in paths for case in load_cases(path) if case.intent is None]
    rows = []
    for name, typed in typing_variants().items():
        passed = base = declined = scope = off = 0
        for case in cases:
            question = typed(case.question)
            answer = kb.ask(question)
            if case.expect is None:
                off += 1
                declined += not answer.found and answer.intent is None
                continue
            scope += 1
            passed += passes(case, answer.found, answer.answer, answer.source, answer.intent)
            base += passes(case, *baseline.ask(question))
        rows.append((name, passed, scope, base, declined, off))
    return rows
