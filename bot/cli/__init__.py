"""The `cadrebot` command: the bot itself and the HR/script commands of domain.md §5.

One module per feature; each adds its subcommands with add_commands(sub) and calls the same
domain functions as the bot.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.app import apply_import_limits
from bot.cli import app, ask, backup, courses, evaluations, files, gaps, report, roster, scheduler, startup, templates
from bot.cli import parser as cli_parser
from bot.cli.common import Command, log, open_db
from bot.demo import has_cadres, open_demo_database
from core.config import ConfigError, Settings, load_settings
from db import SchemaOutdatedError
from domain.errors import DomainError
from domain.rules import RuleError, default_rules

FEATURES = (app, roster, courses, report, gaps, ask, evaluations, scheduler, templates, backup)


def build_parser() -> argparse.ArgumentParser:
    parser = cli_parser.ArgumentParser(prog="cadrebot", description="Trợ lý cán bộ tỉnh Tuyên Quang")
    parser.add_argument("--config", metavar="TỆP", help="đường dẫn config.toml")  # kept as typed, for errors
    sub = parser.add_subparsers(dest="command", title=cli_parser.COMMANDS, metavar="LỆNH")
    for feature in FEATURES:
        feature.add_commands(sub)
    for name, command in sub.choices.items():
        if name not in cli_parser.NO_DATABASE_OPTIONS:
            cli_parser.add_database_options(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise  # another pipe or socket broke: that is an error to report
        return _reader_went_away()


def _stdout_reader_gone() -> bool:
    """True when the reader of our standard output closed it (a pipe's write end then polls as an error)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _reader_went_away() -> int:
    """The reader of our output (`| head`) closed the pipe: stop quietly, as Unix tools do on SIGPIPE.

    stdout is pointed at /dev/null so that the interpreter's final flush does not raise again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run"])
    settings: Settings | None = None
    try:
        settings = load_settings(Path(args.config)) if args.config else load_settings()
        default_rules()  # a malformed rules file stops everything at start, naming the rule and field
        apply_import_limits(settings)
        settings = cli_parser.with_database(settings, args)
        files.check_outputs(args)  # a mistyped output directory stops the command before it does anything
        _prepare_database(settings, args)
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
    except Exception as exc:
        explained = files.explain(exc, args)  # a file named on the command line: the operator's to fix
        if explained is not None:
            log.debug("A file named on the command line could not be used", exc_info=True)
        elif settings and (explained := startup.explain(exc, settings)) is not None:
            log.debug("Start-up failed", exc_info=True)
        else:
            raise
        print(explained[0], file=sys.stderr)
        return explained[1]


def _prepare_database(settings: Settings, args: argparse.Namespace) -> None:
    """--demo opens (and seeds) the chat's database; a command that reads cadres says when there are none."""
    if getattr(args, "demo", False):
        open_demo_database(settings).dispose()
    if args.command in cli_parser.READS_CADRES:
        database = open_db(settings.database_url)
        if not database.read(has_cadres):
            print(cli_parser.empty_database_hint(settings), file=sys.stderr)
        database.dispose()


if __name__ == "__main__":
    sys.exit(main())
