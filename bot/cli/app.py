"""Run the bot, the offline terminal chat, and schema upgrades."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.cli.common import open_db
from bot.cli.startup import check_telegram
from bot.demo import demo_identity, open_demo_database
from bot.logs import setup_logging
from bot.ops.logjson import use_json_lines
from bot.ops.runner import run_bot
from bot.terminal import TerminalChat, chat_log_path, database_label, log_to_file
from core.config import Settings


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.token:
        print("Chưa đặt TELEGRAM_BOT_TOKEN: chạy trò chuyện ngoại tuyến trên cơ sở dữ liệu mẫu.\n")
        return cmd_chat(settings, argparse.Namespace(as_code=None, db=None, fresh=False))

    setup_logging(settings.token)
    if settings.ops.log_format == "json":  # from the first line on, migrations included
        use_json_lines(settings.token)
    database = open_db(settings.database_url)
    asyncio.run(check_telegram(settings))  # a bad token or no network: one line, not PTB's retry log
    return run_bot(settings, database)


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    log_path = chat_log_path(settings)
    log_to_file(log_path, settings.token)
    database = open_demo_database(settings, args.db, args.fresh)
    code = args.as_code or settings.demo.default_cadre
    identity = database.run(demo_identity, code)
    if identity is None:
        print(f"Không có cán bộ mã {code} trong cơ sở dữ liệu {database_label(database)}.", file=sys.stderr)
        return 2
    chat = TerminalChat(settings, database, *identity, log_path=log_path)
    try:
        asyncio.run(chat.run())
    except KeyboardInterrupt:
        print("\nTạm biệt!")
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    open_db(settings.database_url, auto_upgrade=True)
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


def add_commands(sub: Any) -> None:
    sub.add_parser("run", help="chạy bot (không có TELEGRAM_BOT_TOKEN: trò chuyện ngoại tuyến)").set_defaults(
        func=cmd_run)
    chat = sub.add_parser("chat", help="trò chuyện ngoại tuyến trên cơ sở dữ liệu mẫu")
    chat.add_argument("--as", dest="as_code", metavar="MÃ_CÁN_BỘ",
                      help="đóng vai cán bộ có mã này (mỗi mã là một tài khoản Telegram riêng)")
    chat.add_argument("--db", metavar="URL", help="URL cơ sở dữ liệu thay cho cơ sở dữ liệu mẫu")
    chat.add_argument("--fresh", action="store_true", help="tạo lại cơ sở dữ liệu mẫu từ đầu")
    chat.set_defaults(func=cmd_chat)
    sub.add_parser("migrate", help="nâng cấp cơ sở dữ liệu").set_defaults(func=cmd_migrate)
