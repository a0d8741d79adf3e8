"""The `cadrebot` command: the bot itself and the HR/script commands of domain.md §5.

One module per feature; each adds its subcommands with add_commands(sub) and calls the same
domain functions as the bot.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli import app, ask, backup, courses, evaluations, gaps, report, roster, scheduler, templates
from bot.cli.common import Command
from core.config import ConfigError, load_settings
from db import SchemaOutdatedError
from domain.errors import DomainError
from domain.rules import RuleError, default_rules

FEATURES = (app, roster, courses, report, gaps, ask, evaluations, scheduler, templates, backup)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cadrebot", description="Trợ lý cán bộ tỉnh Tuyên Quang")
    parser.add_argument("--config", type=Path, help="đường dẫn config.toml")
    sub = parser.add_subparsers(dest="command")
    for feature in FEATURES:
        feature.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run"])
    try:
        settings = load_settings(args.config) if args.config else load_settings()
        default_rules()  # a malformed rules file stops everything at start, naming the rule and field
        func: Command = args.func
        return func(settings, args)
    except ConfigError as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return 2
    except RuleError as exc:
        print(f"Lỗi tệp chỉ tiêu (knowledge/rules/indicators.toml): {exc}", file=sys.stderr)
        return 2
    except (DomainError, SchemaOutdatedError) as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
