"""`cadrebot gaps CODE`: one cadre's gaps (domain.md §5)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.common import audited, open_db
from bot.cli.parser import JSON_HELP
from core.config import Settings
from domain.clock import today_in
from domain.gaps import gaps_by_code
from views.gaps import render_gaps
from views.html import plain


def cmd_gaps(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    data = database.run(audited, "cli-gaps", args.code, gaps_by_code, args.code, today_in(settings.timezone))
    if args.json:
        print(json.dumps(data.as_json(), ensure_ascii=False, indent=2))
    else:
        print(plain(render_gaps(data, reader_is_the_cadre=False)))
    return 0


def add_commands(sub: Any) -> None:
    gaps = sub.add_parser("gaps", help="tiêu chuẩn còn thiếu của một cán bộ")
    gaps.add_argument("code", metavar="MÃ_CÁN_BỘ", help="cán bộ cần xem")
    gaps.add_argument("--json", action="store_true", help=JSON_HELP)
    gaps.set_defaults(func=cmd_gaps)
