"""Courses: import, list with seats and waitlists, register a cadre, record completions."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli.common import import_parser, open_db, print_nothing_imported, print_rejected
from bot.cli.parser import JSON_HELP
from core.config import Settings
from db.models import RegistrationStatus
from domain import vn
from domain.catalogue import course_counts
from domain.clock import today_in
from domain.completion import check_sheet_course, complete, completion_sheet
from domain.registration import import_course_list, register_on_behalf


def cmd_import_courses(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    result = database.run(import_course_list, Path(args.file), skip_bad_rows=args.skip_bad_rows)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0 if result.applied else 1
    print_rejected(result.rejected)
    print(result.summary)
    print_nothing_imported(result.rejected, result.applied)
    return 0 if result.applied else 1


def cmd_courses(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    rows = database.run(course_counts)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 0
    for r in rows:
        state = "ĐÃ HỦY" if r["cancelled"] else f"hạn ĐK {date.fromisoformat(str(r['register_by'])):%d/%m/%Y}"
        n = {key: vn.number(int(str(r[key]))) for key in ("registered", "capacity", "waitlisted")}
        print(f"{r['code']:<12} {n['registered']:>5}/{n['capacity']:<5} chờ {n['waitlisted']:<5} {state}  {r['name']}")
    return 0


def cmd_register(settings: Settings, args: argparse.Namespace) -> int:
    database = open_db(settings.database_url)
    outcome = database.run(register_on_behalf, "cli", args.cadre, args.course, today_in(settings.timezone))
    if outcome.status == RegistrationStatus.REGISTERED:
        print(f"Đã đăng ký {outcome.cadre_code} vào lớp {outcome.course_code}.")
    else:
        print(f"Lớp {outcome.course_code} đã đủ chỗ: {outcome.cadre_code} ở vị trí {outcome.position} danh sách chờ.")
    return 0


def cmd_complete(settings: Settings, args: argparse.Namespace) -> int:
    """Every row checked first; nothing written if one is refused (unless --skip-bad-rows)."""
    sheet = completion_sheet(Path(args.file))
    check_sheet_course(sheet, args.course)
    database = open_db(settings.database_url)
    plan = database.run(complete, args.course, sheet.codes, today_in(settings.timezone), "cli", args.skip_bad_rows,
                        names=sheet.names, results=sheet.results)
    if args.json:
        print(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2))
        return 0 if plan.applied else 1
    for row in plan.rows:
        mark = {"ok": "✓", "already": "=", "rejected": "✗"}[row.status]
        print(f"{mark} {row.heading}: {row.outcome}")
    if not plan.applied:
        print(f"KHÔNG ghi nhận gì: {vn.number(len(plan.rejected))} dòng bị từ chối. Sửa tệp, hoặc chạy lại với "
              "--skip-bad-rows để ghi nhận các dòng hợp lệ.", file=sys.stderr)
        return 1
    print(f"Đã ghi nhận hoàn thành lớp {plan.course_code}: {vn.number(len(plan.accepted))} cán bộ; "
          f"bỏ qua {vn.number(len(plan.rows) - len(plan.accepted))} dòng.")
    return 0


def add_commands(sub: Any) -> None:
    import_parser(sub, "import-courses", "nhập danh sách lớp (.xlsx/.csv)", cmd_import_courses)
    listing = sub.add_parser("courses", help="danh sách lớp với số chỗ, đã đăng ký, danh sách chờ")
    listing.add_argument("--json", action="store_true", help=JSON_HELP)
    listing.set_defaults(func=cmd_courses)
    register = sub.add_parser("register", help="đăng ký một cán bộ vào lớp")
    register.add_argument("cadre", metavar="MÃ_CÁN_BỘ", help="cán bộ được đăng ký")
    register.add_argument("course", metavar="MÃ_LỚP", help="lớp cần đăng ký")
    register.set_defaults(func=cmd_register)
    done = sub.add_parser("complete", help="ghi nhận hoàn thành lớp từ tệp (cột “Mã cán bộ”)")
    done.add_argument("course", metavar="MÃ_LỚP", help="lớp đã học xong")
    done.add_argument("file", metavar="TỆP", help="bảng có cột “Mã cán bộ”")
    done.add_argument("--skip-bad-rows", action="store_true", help="ghi nhận các dòng hợp lệ, bỏ dòng bị từ chối")
    done.add_argument("--json", action="store_true", help=JSON_HELP)
    done.set_defaults(func=cmd_complete)
