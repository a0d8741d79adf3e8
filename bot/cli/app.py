"""Run the bot, the offline terminal chat, and schema upgrades."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import open_db
from bot.demo import demo_identity, seed_demo
from bot.logs import setup_logging
from bot.ops.runner import run_bot
from bot.terminal import TerminalChat
from core.config import Settings


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print("Chưa đặt TELEGRAM_BOT_TOKEN: chạy trò chuyện ngoại tuyến trên cơ sở dữ liệu mẫu.\n")
        return cmd_chat(settings, argparse.Namespace(as_code=None, db=None, fresh=False))

    setup_logging(settings.token)
    database = open_db(settings.database_url)
    return run_bot(settings, database)


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    url = args.db or settings.demo.database_url
    if args.fresh and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    database = open_db(url)
    database.run(seed_demo, settings)
    code = args.as_code or settings.demo.default_cadre
    identity = database.run(demo_identity, code)
    if identity is None:
        print(f"Không có cán bộ mã {code} trong cơ sở dữ liệu mẫu.", file=sys.stderr)
        return 2
    chat = TerminalChat(settings, database, *identity)
    asyncio.run(chat.run())
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    open_db(settings.database_url, auto_upgrade=True)
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


def add_commands(sub: Any) -> None:
    sub.add_parser("run", help="chạy bot (không có TELEGRAM_BOT_TOKEN: trò chuyện ngoại tuyến)").set_defaults(
        func=cmd_run)
    chat = sub.add_parser("chat", help="trò chuyện ngoại tuyến trên cơ sở dữ liệu mẫu")
    chat.add_argument("--as", dest="as_code", metavar="CODE", help="đóng vai cán bộ có mã này")
    chat.add_argument("--db", help="URL cơ sở dữ liệu thay cho cơ sở dữ liệu mẫu")
    chat.add_argument("--fresh", action="store_true", help="tạo lại cơ sở dữ liệu mẫu từ đầu")
    chat.set_defaults(func=cmd_chat)
    sub.add_parser("migrate", help="nâng cấp cơ sở dữ liệu").set_defaults(func=cmd_migrate)
