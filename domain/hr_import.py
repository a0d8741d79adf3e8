"""HR's spreadsheets sent to the bot: recognise roster or course list, import, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from domain.accounts import Actor, audit, require_hr
from domain.bulk_registration import register_from_file
from domain.courses import import_courses
from domain.roster import RowError, import_roster
from domain.spreadsheet import HEADER_SEARCH_ROWS, read_rows
from domain.text import ascii_key


@dataclass
class HrImport:
    kind: str  # "roster" | "courses" | "registrations"
    applied: bool
    summary: str
    errors: list[RowError] = field(default_factory=list)
    preview: bool = False  # a roster shown before anything is written; confirmed, it is imported
    would_apply: bool = False


def detect_kind(path: Path) -> str:
    for number, cells in enumerate(read_rows(path), start=1):
        keys = {ascii_key(c) for c in cells}
        if "ma lop" in keys and "ma can bo" in keys:
            return "registrations"
        if "ma lop" in keys:
            return "courses"
        if "ma can bo" in keys or number >= HEADER_SEARCH_ROWS:
            break
    return "roster"


def import_spreadsheet(session: Session, actor: Actor, path: Path, skip_bad_rows: bool,
                       today: date | None = None, preview: bool = False) -> HrImport:
    """preview: a roster is only previewed (changes per field, conflicts), nothing written."""
    require_hr(actor)
    kind = detect_kind(path)
    if kind == "registrations":
        b = register_from_file(session, actor, path, today or date.today(), skip_bad_rows)
        details = "".join(f"\n✅ {line}" for line in b.registered[:30])
        details += "".join(f"\n⏳ {line} (danh sách chờ)" for line in b.waitlisted[:30])
        return HrImport(kind, b.applied, b.summary + details, b.errors)
    if kind == "courses":
        c = import_courses(session, path, skip_bad_rows=skip_bad_rows)
        summary = (f"Lớp: thêm {c.added}, cập nhật {c.updated}, không đổi {c.unchanged}, "
                   f"bị từ chối {len(c.rejected)}")
        result = HrImport(kind, c.applied, summary, c.rejected)
    else:
        r = import_roster(session, path, skip_bad_rows=skip_bad_rows, dry_run=preview, actor=actor.code)
        summary = "\n".join(r.summary_lines())
        result = HrImport(kind, r.applied, summary, r.rejected, preview, r.would_apply)
        if preview:
            return result
    audit(session, actor.code, f"import-{kind}", path.name, summary)
    return result
