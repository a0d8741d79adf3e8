"""`cadrebot ask`: the knowledge module's answer, and its evaluation on a question file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.parser import JSON_HELP
from core.config import Settings
from knowledge.evaluate import evaluate, print_report
from knowledge.index import default_kb


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    if args.eval:
        report = evaluate(Path(args.eval))
        print_report(Path(args.eval), report, verbose=not args.json)
        return 0
    if not args.question:
        print("Cần câu hỏi, ví dụ: cadrebot ask \"bí thư xã cần trình độ chính trị gì\"", file=sys.stderr)
        return 2
    answer = default_kb().ask(" ".join(args.question))
    if args.json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.answer)
        if answer.source:
            print(f"Nguồn: {answer.source}")
        elif answer.suggestions:
            print("Các mục gần nhất: " + "; ".join(answer.suggestions))
    return 0


def add_commands(sub: Any) -> None:
    ask = sub.add_parser("ask", help="hỏi về Nghị quyết")
    ask.add_argument("question", nargs="*", metavar="CÂU_HỎI",
                     help="câu hỏi về Nghị quyết, ví dụ: bí thư xã cần trình độ chính trị gì")
    ask.add_argument("--json", action="store_true", help=JSON_HELP)
    ask.add_argument("--eval", metavar="TỆP", help="chấm điểm một tệp câu hỏi .jsonl, kèm mức cơ sở BM25")
    ask.set_defaults(func=cmd_ask)
