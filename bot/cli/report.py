"""`cadrebot report`: the resolution's indicators for the province or a unit (domain.md §5)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.cli.common import CONSOLE, open_db
from bot.cli.parser import JSON_HELP
from core.config import Settings
from domain.clock import today_in
from domain.exports import report_xlsx
from domain.report import PersonGap, Report, export_for, report_for
from views.html import plain
from views.report import render_report


def _report(session: Session, unit_code: str | None, today: date,
            with_people: bool) -> tuple[Report, list[PersonGap] | None]:
    """The bot's own report path (permission check and audit), acting as the console."""
    if with_people:
        return export_for(session, CONSOLE, unit_code, today)
    return report_for(session, CONSOLE, unit_code, today), None


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    report, people = database.run(_report, args.unit, today_in(settings.timezone), bool(args.xlsx))
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(plain(render_report(report)))
    if args.xlsx and people is not None:
        Path(args.xlsx).write_bytes(report_xlsx(report, people))
        print(f"Đã ghi {args.xlsx}", file=sys.stderr)
    return 0


def add_commands(sub: Any) -> None:
    report = sub.add_parser("report", help="chỉ tiêu Nghị quyết của toàn tỉnh hoặc một đơn vị")
    report.add_argument("--unit", metavar="MÃ_ĐƠN_VỊ", help="mã đơn vị (gồm các đơn vị trực thuộc)")
    report.add_argument("--json", action="store_true", help=JSON_HELP)
    report.add_argument("--xlsx", metavar="TỆP", help="ghi thêm tệp Excel")
    report.set_defaults(func=cmd_report)
