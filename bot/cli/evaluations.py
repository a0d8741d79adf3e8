"""`cadrebot evaluations`: a month's self-evaluation status for the province or a unit."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.cli.common import CONSOLE, audited, open_db
from bot.cli.parser import JSON_HELP
from core.config import Settings
from domain import accounts, vn
from domain.evaluation import RATINGS, month_status, period_label, status_counts, status_label
from domain.exports import evaluations_xlsx
from domain.units import optional_unit


def _evaluations(session: Session, month: str, unit_code: str | None,
                 xlsx: str | None) -> tuple[dict[str, object], str]:
    """(the JSON document, the scope's name for the text output)."""
    year, mon = (int(x) for x in month.split("-"))
    unit = optional_unit(session, unit_code)
    lines = month_status(session, unit, year, mon)
    label = lambda r: None if r is None else RATINGS[r]  # noqa: E731
    people = [{"cadre": x.code, "name": x.full_name, "unit": x.unit_name, "status": x.status, "late": x.late,
               "self_rating": label(x.self_rating), "manager_rating": label(x.manager_rating)} for x in lines]
    counts = status_counts(lines)
    if xlsx:  # the sheet has the unit's code beside its name; the JSON keeps its keys
        sheet_rows = [p | {"unit_code": x.unit_code} for p, x in zip(people, lines, strict=True)]
        Path(xlsx).write_bytes(evaluations_xlsx(f"{mon:02d}/{year}", unit.name if unit else "Toàn tỉnh", sheet_rows,
                                                counts))
    accounts.audit(session, "cli", "export-evaluations", unit_code or "PROVINCE", month)
    scope = f"{unit.name} ({unit.code})" if unit else "toàn tỉnh"
    return {"month": month, "unit": unit_code, "counts": counts, "cadres": people}, scope


MONTH_FORMAT = ("--month “{given}” không hợp lệ: cần dạng NĂM-THÁNG, năm 4 chữ số và tháng 2 chữ số "
                "từ 01 đến 12, ví dụ --month 2026-11.")


def cmd_evaluations(settings: Settings, args: argparse.Namespace) -> int:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month, flags=re.ASCII):
        print(MONTH_FORMAT.format(given=args.month), file=sys.stderr)
        return 2
    database = open_db(settings.database_url)
    data, scope = database.run(_evaluations, args.month, args.unit, args.xlsx)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    counts = data["counts"]
    assert isinstance(counts, dict)
    year, month = args.month.split("-")
    n = {key: vn.number(value) for key, value in counts.items()}
    print(f"Tự đánh giá {period_label(int(year), int(month))} – {scope}: đã gửi {n['submitted']}/{n['cadres']}, "
          f"muộn {n['late']}, chưa gửi {n['missing']}, đã xếp loại {n['reviewed']}")
    for person in data["cadres"]:  # type: ignore[attr-defined]
        status = status_label(str(person["status"]))
        print(f"{person['cadre']:<10} {status:<22} {'MUỘN' if person['late'] else '':<5} "
              f"tự: {person['self_rating'] or '—'} | cấp trên: {person['manager_rating'] or '—'}  {person['name']}")
    return 0


def cmd_reviewers(settings: Settings, args: argparse.Namespace) -> int:
    """Cadres no one can review (`--missing`), or assign one (`--assign CADRE REVIEWER`)."""
    from domain.evaluation import assign_reviewer, without_reviewer

    database = open_db(settings.database_url)
    if args.assign:
        done = database.run(assign_reviewer, CONSOLE, *args.assign)
        named = [f"{name} ({code})" for name, code in (done.reviewer, done.cadre, *done.unlinked)]
        print(f"Đã giao {named[0]} xếp loại cho {named[1]}.")
        if done.unlinked:
            print(f"Chưa liên kết bot nên chưa được báo (hãy báo cách khác): {', '.join(named[2:])}.")
        return 0
    people = database.run(audited, "cli-no-reviewer", "PROVINCE", without_reviewer)
    if args.json:
        print(json.dumps([{"cadre": p.code, "name": p.full_name, "unit": p.unit_name} for p in people],
                         ensure_ascii=False, indent=2))
        return 0
    print(f"Chưa có người xếp loại: {vn.number(len(people))} cán bộ")
    for p in people:
        print(f"{p.code:<10} {p.full_name} – {p.unit_name}")
    return 0


def add_commands(sub: Any) -> None:
    who = sub.add_parser("reviewers", help="cán bộ chưa có người xếp loại; giao người xếp loại")
    who.add_argument("--missing", action="store_true", help="liệt kê cán bộ chưa có người xếp loại (mặc định)")
    who.add_argument("--assign", nargs=2, metavar=("MÃ_CÁN_BỘ", "MÃ_NGƯỜI_XẾP_LOẠI"), help="giao người xếp loại")
    who.add_argument("--json", action="store_true", help=JSON_HELP)
    who.set_defaults(func=cmd_reviewers)
    evals = sub.add_parser("evaluations", help="tình hình tự đánh giá một tháng")
    evals.add_argument("--month", required=True, metavar="NĂM-THÁNG", help="tháng cần xem, ví dụ 2026-11")
    evals.add_argument("--unit", metavar="MÃ_ĐƠN_VỊ", help="mã đơn vị (gồm các đơn vị trực thuộc)")
    evals.add_argument("--json", action="store_true", help=JSON_HELP)
    evals.add_argument("--xlsx", metavar="TỆP", help="ghi thêm tệp Excel")
    evals.set_defaults(func=cmd_evaluations)
