"""`cadrebot backup --out FILE` and `cadrebot restore FILE [--force]` (SQLite; PostgreSQL: pg_dump)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import open_db
from bot.ops.backup import BackupError, backup, restore
from core.config import Settings
from domain import vn


def _summary(counts: dict[str, int]) -> str:
    return f"{len(counts)} bảng, {vn.number(sum(counts.values()))} dòng"


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    try:
        counts = backup(settings.database_url, Path(args.out), args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Đã sao lưu vào {args.out}: {_summary(counts)}.")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    try:
        counts = restore(Path(args.file), settings.database_url, args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    open_db(settings.database_url).dispose()  # an older backup is brought up to the current schema
    print(f"Đã khôi phục từ {args.file}: {_summary(counts)}. Khởi động lại bot.")
    return 0


def add_commands(sub: Any) -> None:
    save = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu SQLite (an toàn khi bot đang chạy)")
    save.add_argument("--out", required=True, metavar="TỆP", help="tệp sao lưu sẽ ghi")
    save.add_argument("--force", action="store_true", help="ghi đè tệp đã có")
    save.set_defaults(func=cmd_backup)
    load = sub.add_parser("restore", help="khôi phục cơ sở dữ liệu SQLite từ bản sao lưu")
    load.add_argument("file", metavar="TỆP", help="tệp sao lưu")
    load.add_argument("--force", action="store_true", help="ghi đè cơ sở dữ liệu đang có dữ liệu")
    load.set_defaults(func=cmd_restore)
