"""`cadrebot template KIND --out FILE`: an empty .xlsx with the headers HR fills in (domain.md §5)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.config import Settings
from domain.errors import SpreadsheetError
from domain.spreadsheet import load_sheet
from domain.templates import TEMPLATES, template_xlsx

KEPT = ("Tệp {path} đã có và đang chứa dữ liệu (hoặc không phải tệp mẫu): không ghi đè. Chọn tên tệp khác, "
        "hoặc thêm --force nếu thật sự muốn ghi đè.")


def _holds_data(path: Path, kind: str) -> bool:
    """An existing file worth keeping: rows under the template's header (HR's filled sheet), or something that
    is not this template at all. An earlier template (the header only) is not: scripts refresh one in place."""
    template = TEMPLATES[kind]
    try:
        sheet = load_sheet(path, {h: h for h in template.headers}, template.required)
    except (SpreadsheetError, ValueError, OSError):
        return path.stat().st_size > 0
    return bool(sheet.rows)


def cmd_template(settings: Settings, args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_file() and not args.force and _holds_data(out, args.kind):
        print(KEPT.format(path=args.out), file=sys.stderr)
        return 1
    out.write_bytes(template_xlsx(args.kind))
    print(f"Đã ghi mẫu {TEMPLATES[args.kind].title.lower()} vào {args.out}.")
    return 0


def add_commands(sub: Any) -> None:
    template = sub.add_parser("template", help="tệp Excel mẫu để nhập (roster, courses, completion, registrations)")
    template.add_argument("kind", choices=tuple(TEMPLATES), metavar="LOẠI",
                          help="roster (danh sách cán bộ), courses (danh sách lớp), completion (hoàn thành lớp) "
                               "hoặc registrations (đăng ký lớp theo danh sách)")
    template.add_argument("--out", required=True, metavar="TỆP", help="tệp .xlsx sẽ ghi")
    template.add_argument("--force", action="store_true", help="ghi đè cả khi tệp đã có dữ liệu")
    template.set_defaults(func=cmd_template)
