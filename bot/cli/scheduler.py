"""The scheduler from the command line: the outbox, a unit's digest, running a job, sending."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from telegram import Bot

from bot.cli.common import audited, open_db
from bot.cli.parser import JSON_HELP, jobs_epilog
from bot.logs import setup_logging
from core.config import Settings
from db import Database
from domain import vn
from domain.clock import today_in
from domain.evaluation import Window
from domain.outbox import outbox_counts, waiting_count
from domain.units import require_unit
from scheduler.digest import unit_leader_digests
from scheduler.jobs import JOBS, run_job
from scheduler.outbox import Dispatcher
from views.html import plain

OUTBOX_STATUS = {"pending": "chờ gửi", "sending": "đang gửi", "sent": "đã gửi", "failed": "gửi lỗi",
                 "skipped": "bỏ qua", "unreachable": "không tới được (đã chặn bot)"}


def _by_status(counts: dict[str, int]) -> str:
    """'chờ gửi 1.203, đã gửi 48.000': statuses in Vietnamese (the JSON keeps the codes)."""
    return ", ".join(f"{OUTBOX_STATUS.get(k, k)} {vn.number(v)}" for k, v in sorted(counts.items()))


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    counts = database.run(outbox_counts)
    if args.json:
        print(json.dumps(counts, ensure_ascii=False, indent=2))
        return 0
    print("Theo trạng thái: " + (_by_status(counts["by_status"]) or "trống"))
    for kind, by_status in sorted(counts["by_kind"].items()):
        print(f"  {kind:<22} " + _by_status(by_status))
    return 0


def _digest_for_unit(session: Session, unit_code: str, settings: Settings) -> list[str]:
    unit = require_unit(session, unit_code)
    today = today_in(settings.timezone)
    period = Window.of(settings.evaluation).open_period(today)
    return [f"— {leader.full_name} ({leader.code}) —\n" + text
            for leader, text in unit_leader_digests(session, unit, period, today)]


def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    texts = database.run(audited, "cli-digest", args.unit, _digest_for_unit, args.unit, settings)
    if not texts:
        print(f"Đơn vị {args.unit} không có cán bộ lãnh đạo nào để nhận bản tin.")
    for text in texts:
        print(plain(text) + "\n")
    return 0


def cmd_run_job(settings: Settings, args: argparse.Namespace) -> int:
    if args.name not in JOBS:
        print(f"Không có công việc {args.name!r}. Có: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        print("--at phải là thời điểm ISO, ví dụ 2026-12-01T08:00", file=sys.stderr)
        return 2
    at = at.replace(tzinfo=settings.timezone) if at.tzinfo is None else at.astimezone(settings.timezone)
    database = open_db(settings.database_url)
    queued = run_job(database, args.name, at, settings)
    print(f"{args.name} lúc {at:%H:%M %d/%m/%Y}: đã xếp {vn.number(queued)} tin nhắn vào hàng đợi (outbox).")
    return 0


def cmd_dispatch(settings: Settings, args: argparse.Namespace) -> int:
    """Send the outbox without the rest of the bot (a standby sender, or a drain before maintenance)."""
    if not settings.token:
        print("Cần TELEGRAM_BOT_TOKEN để gửi tin.", file=sys.stderr)
        return 2
    setup_logging(settings.token, logging.WARNING)
    database = open_db(settings.database_url)
    asyncio.run(_dispatch(settings, database, args.until_empty))
    return 0


async def _dispatch(settings: Settings, database: Database, until_empty: bool) -> None:
    bot = Bot(settings.token or "", base_url=settings.telegram.base_url)
    async with bot:
        dispatcher = Dispatcher(bot, database, settings.scheduler, lambda: datetime.now(settings.timezone))
        while True:
            sent = await dispatcher.run_once(500)
            if sent == 0:
                waiting = database.run(waiting_count)
                if until_empty and not waiting:
                    return
                await asyncio.sleep(0.5)


def add_commands(sub: Any) -> None:
    outbox = sub.add_parser("outbox", help="hàng đợi tin nhắn theo trạng thái và loại")
    outbox.add_argument("--json", action="store_true", help=JSON_HELP)
    outbox.set_defaults(func=cmd_outbox)
    digest = sub.add_parser("digest", help="in bản tin của lãnh đạo một đơn vị (không gửi)")
    digest.add_argument("--unit", required=True, metavar="MÃ_ĐƠN_VỊ", help="đơn vị có bản tin (gồm đơn vị trực thuộc)")
    digest.set_defaults(func=cmd_digest)
    job = sub.add_parser("run-job", help="chạy một công việc định kỳ như tại thời điểm --at (chỉ xếp hàng tin)",
                         epilog=jobs_epilog())
    job.add_argument("name", metavar="TÊN", help="tên công việc (xem danh sách bên dưới)")
    job.add_argument("--at", required=True, metavar="THỜI_ĐIỂM",
                     help="giờ địa phương dạng ISO YYYY-MM-DDTHH:MM, ví dụ 2026-12-01T08:00")
    job.set_defaults(func=cmd_run_job)
    dispatch = sub.add_parser("dispatch", help="chỉ gửi hàng đợi tin nhắn (không nhận tin)")
    dispatch.add_argument("--until-empty", action="store_true", help="dừng khi hàng đợi trống")
    dispatch.set_defaults(func=cmd_dispatch)
