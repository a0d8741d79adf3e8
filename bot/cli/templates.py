"""`cadrebot template KIND --out FILE`: an empty .xlsx with the headers HR fills in (domain.md §5)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.config import Settings
from domain.templates import TEMPLATES, template_xlsx


def cmd_template(settings: Settings, args: argparse.Namespace) -> int:
    Path(args.out).write_bytes(template_xlsx(args.kind))
    print(f"Đã ghi mẫu {TEMPLATES[args.kind].title.lower()} vào {args.out}.")
    return 0


def add_commands(sub: Any) -> None:
    template = sub.add_parser("template", help="tệp Excel mẫu để nhập (roster, courses, completion)")
    template.add_argument("kind", choices=("roster", "courses", "completion"), metavar="LOẠI",
                          help="roster (danh sách cán bộ), courses (danh sách lớp) hoặc completion "
                               "(hoàn thành lớp)")
    template.add_argument("--out", required=True, metavar="TỆP", help="tệp .xlsx sẽ ghi")
    template.set_defaults(func=cmd_template)
