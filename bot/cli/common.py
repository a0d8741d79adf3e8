"""What the command-line features share: opening the database, progress, printing rejected rows."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.cli.parser import JSON_HELP
from core.config import Settings
from db import Database
from db.migrate import ensure_schema
from domain import accounts, vn
from domain.accounts import Actor
from domain.roster import RowError

log = logging.getLogger("cadrebot")

# The command line runs on the server, for the provincial Organisation Board: it acts as HR
# (province-wide) through the same domain functions, permission checks and audit log as the bot.
CONSOLE = Actor(cadre_id=0, code="cli", full_name="Dòng lệnh", unit_id=0, unit_code="", unit_name="Toàn tỉnh",
                unit_path="", is_manager=False, is_hr=True)


def open_db(url: str, auto_upgrade: bool = True) -> Database:
    database = Database.from_url(url)
    ensure_schema(database.engine, auto_upgrade=auto_upgrade)
    return database


class Progress:
    """A bar on a terminal, plain lines when piped."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if self.tty:
            bar = "█" * (pct // 4) + "░" * (25 - pct // 4)
            sys.stderr.write(f"\r  {bar} {pct:3d}% ({vn.number(done)}/{vn.number(total)})")
            if done == total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"Đã xử lý {vn.number(done)}/{vn.number(total)} dòng ({pct}%)\n")
        sys.stderr.flush()


def print_rejected(rejected: list[RowError]) -> None:
    for error in rejected:
        print(f"Dòng {error.row}{f' ({error.code})' if error.code else ''}: {error.reason}")


def print_nothing_imported(rejected: list[RowError], applied: bool) -> None:
    if rejected and not applied:
        print("Tệp có dòng lỗi nên KHÔNG nhập gì. Sửa các dòng trên, hoặc chạy lại với --skip-bad-rows "
              "để nhập các dòng hợp lệ.")


def audited(session: Session, action: str, target: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Reads of a person's record or of people lists from the command line are audit-logged too."""
    accounts.audit(session, "cli", action, target)
    return fn(session, *args)


Command = Callable[[Settings, argparse.Namespace], int]


def import_parser(sub: Any, name: str, help_text: str, func: Command) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("file", metavar="TỆP", help="tệp .xlsx hoặc .csv")
    parser.add_argument("--skip-bad-rows", action="store_true", help="bỏ qua dòng lỗi, nhập các dòng hợp lệ")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.set_defaults(func=func)
    return parser
