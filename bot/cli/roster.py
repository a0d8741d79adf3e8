"""The roster: import it, invite cadres to link their Telegram, grant HR rights."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session

from bot.cli.common import Progress, import_parser, open_db, print_nothing_imported, print_rejected
from core.config import Settings
from domain import accounts, vn
from domain.roster import ImportResult, import_roster
from domain.xlsx import csv_safe


def _print_import(result: ImportResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    print_rejected(result.rejected)
    print("\n".join(result.summary_lines()))
    print_nothing_imported(result.rejected, result.applied or result.dry_run)


def cmd_import_roster(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    progress = None if args.json else Progress()
    result = database.run(import_roster, Path(args.file), skip_bad_rows=args.skip_bad_rows, dry_run=args.dry_run,
                          progress=progress)
    _print_import(result, args.json)
    return 0 if result.applied or (args.dry_run and result.would_apply) else 1


def _write_links(out: TextIO, rows: list[tuple[str, str, str]]) -> None:
    writer = csv.writer(out)
    writer.writerow(["Mã cán bộ", "Họ và tên", "Đường dẫn mời"])
    writer.writerows([csv_safe(cell) for cell in row] for row in rows)


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    ttl, bot = settings.invite_ttl_days, settings.telegram.bot_username
    if args.unit:
        if args.out:  # opened first, written inside the transaction: a file that fails makes no invite
            with open(args.out, "w", encoding="utf-8-sig", newline="") as out:
                made = database.run(_unit_invites, out, args.unit, ttl, bot, args.all)
            print(f"Đã tạo {vn.number(made)} đường dẫn mời vào {args.out} (hết hạn sau {ttl} ngày).")
        else:
            database.run(_unit_invites, sys.stdout, args.unit, ttl, bot, args.all)
        return 0
    if not args.code:
        print("Cần MÃ_CÁN_BỘ hoặc --unit MÃ_ĐƠN_VỊ.", file=sys.stderr)
        return 2
    token = database.run(accounts.create_invite, args.code, ttl, "cli")
    print(accounts.invite_link(bot, token))
    return 0


def _unit_invites(session: Session, out: TextIO, unit: str, ttl: int, bot: str, include_linked: bool) -> int:
    """A unit's invites and their links, written in the same transaction: if writing fails, none is kept."""
    pairs = accounts.create_unit_invites(session, unit, ttl, "cli", include_linked)
    _write_links(out, [(c.code, c.full_name, accounts.invite_link(bot, token)) for c, token in pairs])
    out.flush()
    return len(pairs)


def cmd_grant_hr(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    code = database.run(lambda s: accounts.grant_hr(s, args.code, not args.revoke).code)
    print(f"Đã {'thu hồi' if args.revoke else 'cấp'} quyền Ban Tổ chức cho {code}.")
    return 0


def _unlink(session: Session, code: str) -> tuple[tuple[str, str], int | None]:
    person, was = accounts.unlink_cadre(session, code)
    return (person.code, person.full_name), was


def cmd_unlink(settings: Settings, args: argparse.Namespace) -> int:
    """The operator frees a record whose Telegram account is lost; the bot cannot do it for HR (a deliberate step
    on the server, audited; the account that held it is told)."""
    database = open_db(settings.database_url)
    cadre, was = database.run(_unlink, args.code)
    if was is None:
        print(f"{cadre[1]} ({cadre[0]}) chưa liên kết Telegram: không có gì để hủy.")
        return 0
    print(f"Đã hủy liên kết Telegram của {cadre[1]} ({cadre[0]}). Tạo đường dẫn mời mới: cadrebot invite {cadre[0]}.")
    return 0


def add_commands(sub: Any) -> None:
    import_parser(sub, "import-roster", "nhập danh sách cán bộ (.xlsx/.csv)", cmd_import_roster).add_argument(
        "--dry-run", action="store_true", help="chỉ xem trước thay đổi và xung đột, không ghi gì")
    inv = sub.add_parser("invite", help="tạo đường dẫn mời dùng một lần")
    inv.add_argument("code", nargs="?", metavar="MÃ_CÁN_BỘ", help="cán bộ cần đường dẫn mời")
    inv.add_argument("--unit", metavar="MÃ_ĐƠN_VỊ", help="mọi cán bộ chưa liên kết của đơn vị và đơn vị trực thuộc")
    inv.add_argument("--out", metavar="TỆP", help="ghi ra tệp CSV")
    inv.add_argument("--all", action="store_true", help="gồm cả cán bộ đã liên kết")
    inv.set_defaults(func=cmd_invite)
    grant = sub.add_parser("grant-hr", help="cấp quyền Ban Tổ chức")
    grant.add_argument("code", metavar="MÃ_CÁN_BỘ", help="cán bộ được cấp (hoặc thu hồi) quyền")
    grant.add_argument("--revoke", action="store_true", help="thu hồi quyền thay vì cấp")
    grant.set_defaults(func=cmd_grant_hr)
    free = sub.add_parser("unlink", help="hủy liên kết Telegram của một cán bộ (mất điện thoại, đổi tài khoản)")
    free.add_argument("code", metavar="MÃ_CÁN_BỘ", help="cán bộ cần hủy liên kết")
    free.set_defaults(func=cmd_unlink)
