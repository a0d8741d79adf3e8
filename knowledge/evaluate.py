"""Scoring the knowledge module on a question file, beside a plain BM25 baseline in the same run.

A case passes when `found` is true and the answer contains one of the expected strings
(compared without diacritics), or, for "expect": null, when `found` is false.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from domain.text import ascii_key
from knowledge.index import KnowledgeBase, build
from knowledge.resolution import load


@dataclass(frozen=True)
class Case:
    question: str
    expect: list[str] | None


def load_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            cases.append(Case(raw["q"], raw.get("expect")))
    return cases


def passes(case: Case, found: bool, answer: str) -> bool:
    if case.expect is None:
        return not found
    return found and any(ascii_key(e) in ascii_key(answer) for e in case.expect)


class PlainBM25:
    """The baseline: BM25 over the resolution's paragraphs, folded unigrams, answer = the top paragraph."""

    def __init__(self) -> None:
        self.paragraphs = [p.clean_text for p in load().passages]
        self.docs = [Counter(re.findall(r"\w+", ascii_key(p))) for p in self.paragraphs]
        n = len(self.docs)
        df = Counter(t for d in self.docs for t in d)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.avg = sum(sum(d.values()) for d in self.docs) / n

    def ask(self, question: str) -> tuple[bool, str]:
        q = re.findall(r"\w+", ascii_key(question))
        scores = []
        for d in self.docs:
            length = sum(d.values())
            scores.append(sum(self.idf[t] * d[t] * 2.2 / (d[t] + 1.2 * (0.25 + 0.75 * length / self.avg))
                              for t in q if t in d))
        best = max(range(len(scores)), key=scores.__getitem__)
        return scores[best] > 0, self.paragraphs[best][:800]


@dataclass
class Report:
    cases: int
    passed: int
    baseline_passed: int
    failures: list[tuple[str, bool, str]]
    p95_ms: float
    build_s: float


def evaluate(path: Path, kb: KnowledgeBase | None = None) -> Report:
    t0 = time.perf_counter()
    kb = kb or build()
    build_s = time.perf_counter() - t0
    baseline = PlainBM25()
    cases = load_cases(path)
    passed = base_passed = 0
    failures = []
    latencies = []
    for case in cases:
        t0 = time.perf_counter()
        answer = kb.ask(case.question)
        latencies.append((time.perf_counter() - t0) * 1000)
        if passes(case, answer.found, answer.answer):
            passed += 1
        else:
            failures.append((case.question, answer.found, answer.answer[:160]))
        base_passed += passes(case, *baseline.ask(case.question))
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 2 else latencies[0]
    return Report(len(cases), passed, base_passed, failures, p95, build_s)


def print_report(path: Path, report: Report, verbose: bool = True) -> None:
    print(f"{path.name}: {report.passed}/{report.cases} passed ({100 * report.passed / report.cases:.1f}%)"
          f"   baseline plain BM25: {report.baseline_passed}/{report.cases}"
          f" ({100 * report.baseline_passed / report.cases:.1f}%)")
    print(f"  latency p95 {report.p95_ms:.2f} ms (target < 10 ms); index build {report.build_s:.2f} s (target < 2 s)")
    if verbose:
        for question, found, answer in report.failures:
            print(f"  FAIL found={found}: {question}\n       -> {answer}")
