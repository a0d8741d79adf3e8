"""HR registers a list of cadres for courses from a file sent to the bot: a report row by row.

The file has a "Mã cán bộ" and a "Mã lớp" column. Like the other imports, a file with a refused row registers
nobody unless HR asks to skip bad rows; each row runs in its own savepoint, so one refusal never undoes the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import RegistrationStatus
from domain import vn
from domain.accounts import Actor, audit, require_hr
from domain.errors import DomainError
from domain.registration import register_on_behalf
from domain.roster import RowError
from domain.spreadsheet import load_sheet

HEADERS = {"Mã cán bộ": "code", "Mã lớp": "course"}
MAX_ROWS = 2000


@dataclass
class BulkRegistration:
    registered: list[str] = field(default_factory=list)  # "MAU013 → CDS-01"
    waitlisted: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def summary(self) -> str:
        return (f"Đăng ký lớp: {vn.number(len(self.registered))} người có chỗ, "
                f"{vn.number(len(self.waitlisted))} người vào danh sách chờ, "
                f"{vn.number(len(self.errors))} dòng bị từ chối")


def register_from_file(session: Session, actor: Actor, path: Path, today: date,
                       skip_bad_rows: bool = False) -> BulkRegistration:
    require_hr(actor)
    sheet = load_sheet(path, HEADERS, list(HEADERS))
    result = BulkRegistration()
    if len(sheet.rows) > MAX_ROWS:
        result.errors.append(RowError(0, "", f"Tệp quá dài: tối đa {vn.number(MAX_ROWS)} dòng mỗi lần."))
        return result
    batch = session.begin_nested()
    for number, cells in sheet.rows:
        code, course = cells.get("code", "").strip(), cells.get("course", "").strip()
        if not code or not course:
            result.errors.append(RowError(number, code, "thiếu “Mã cán bộ” hoặc “Mã lớp”"))
            continue
        row = session.begin_nested()
        try:
            outcome = register_on_behalf(session, actor.code, code, course, today)
        except DomainError as exc:
            row.rollback()
            result.errors.append(RowError(number, code.upper(), f"{course}: {exc}"))
            continue
        row.commit()
        line = f"{outcome.cadre_code} → {outcome.course_code}"
        (result.registered if outcome.status == RegistrationStatus.REGISTERED else result.waitlisted).append(line)
    if result.errors and not skip_bad_rows:
        batch.rollback()
        result.registered, result.waitlisted = [], []
        return result
    batch.commit()
    result.applied = True
    audit(session, actor.code, "import-registrations", path.name, result.summary)
    return result
