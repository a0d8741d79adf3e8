"""The knowledge module on its question sets, beside a plain BM25 baseline measured in the same run.

Also: index build time (target < 2 s) and in-process answer latency at p95 (target < 10 ms).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from knowledge.evaluate import evaluate, evaluate_typed, load_cases, print_report
from knowledge.index import build

DATA = Path(__file__).resolve().parent.parent / "knowledge" / "data"
SHARED_DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "kb-dev-questions.jsonl"


def main() -> None:
    builds = []
    for _ in range(5):
        t0 = time.perf_counter()
        kb = build()
        builds.append(time.perf_counter() - t0)
    print(f"knowledge index build: median {statistics.median(builds) * 1000:.1f} ms (target < 2000 ms)")
    # dev: the brief's set; extra: written while tuning; holdout: written after tuning (see its commit);
    # new-*: written for issue 16 before its changes; calibration: written after them; final: written
    # before them and measured once, at the end (the honest estimate); final2: written after all tuning,
    # first measured 43/50 (BM25 22/50), then four general fixes it revealed; heldout3: written from the
    # resolution text without reading the data files, first measured 70/74 (BM25 40/74); final3: written
    # after those fixes, measured once: 30/30 (BM25 19/30), not tuned on
    files = [DATA / "questions-dev.jsonl", DATA / "questions-extra.jsonl", DATA / "questions-holdout.jsonl",
             DATA / "questions-holdout2.jsonl", DATA / "questions-new-paraphrase.jsonl",
             DATA / "questions-new-situational.jsonl", DATA / "questions-calibration.jsonl",
             DATA / "questions-calibration2.jsonl", DATA / "questions-final.jsonl", DATA / "questions-final2.jsonl",
             DATA / "questions-heldout3.jsonl", DATA / "questions-final3.jsonl"]
    if SHARED_DEV.exists():
        files[0] = SHARED_DEV
    latencies = []
    for path in files:
        print_report(path, evaluate(path, kb), verbose=False)
        for case in load_cases(path):
            for _ in range(20):
                t0 = time.perf_counter()
                kb.ask(case.question)
                latencies.append((time.perf_counter() - t0) * 1000)
    for name, passed, scope, base, declined, off in evaluate_typed(files[1:], kb):
        print(f"typed with {name}: {passed}/{scope} right ({100 * passed / scope:.1f}%)   baseline plain BM25: "
              f"{base}/{scope} ({100 * base / scope:.1f}%); off-topic declined {declined}/{off}")
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"answer latency over {len(latencies)} asks: p50 {statistics.median(latencies):.2f} ms, "
          f"p95 {p95:.2f} ms (target < 10 ms)")


if __name__ == "__main__":
    main()
