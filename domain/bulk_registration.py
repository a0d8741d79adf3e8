"""HR registers a list of cadres for courses from a file sent to the bot: a report row by row.

The file has a "Mã cán bộ" and a "Mã lớp" column, and may have "Họ và tên", which must then match the record.
Like the other imports, a file with a refused row registers nobody unless HR asks to skip bad rows; each row
runs in its own savepoint, so one refusal never undoes the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import RegistrationStatus
from domain import vn
from domain.accounts import Actor, audit, require_hr
from domain.cadres import cadre_by_code
from domain.errors import DomainError
from domain.outbox import reach
from domain.registration import register_on_behalf
from domain.roster import RowError
from domain.spreadsheet import load_sheet
from domain.text import same_name

HEADERS = {"Mã cán bộ": "code", "Mã lớp": "course", "Họ và tên": "name"}
REQUIRED = ["Mã cán bộ", "Mã lớp"]
MAX_ROWS = 2000


@dataclass(frozen=True)
class Placed:
    """One row registered: who in which class, and whether the bot tells them (else HR must)."""

    cadre_code: str
    text: str  # "MAU013 → CDS-01 (Sùng A Long)"
    told: bool


@dataclass
class BulkRegistration:
    registered: list[Placed] = field(default_factory=list)
    waitlisted: list[Placed] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    valid: int = 0  # rows that register someone: what leaving the bad rows out would register

    @property
    def people(self) -> set[str]:
        """The cadres the list registers or puts on a waiting list (one may be in two rows, for two classes)."""
        return {p.cadre_code for p in self.registered + self.waitlisted}

    @property
    def told(self) -> set[str]:
        return {p.cadre_code for p in self.registered + self.waitlisted if p.told}

    @property
    def summary(self) -> str:
        people = self.people
        # everyone concerned, and how many the bot reaches: a list of unlinked people is HR's to tell
        told = (f"\n📣 {vn.number(len(people))} người được đăng ký hoặc vào danh sách chờ: "
                f"{reach(len(people), len(self.told))}" if people else "")
        return (f"Đăng ký lớp: {vn.number(len(self.registered))} người có chỗ, "
                f"{vn.number(len(self.waitlisted))} người vào danh sách chờ, "
                f"{vn.number(len(self.errors))} dòng bị từ chối" + told)


def _name_mismatch(session: Session, code: str, written: str) -> str | None:
    """Why a row's "Họ và tên" does not fit the code's record (a mistyped code registers someone else)."""
    cadre = cadre_by_code(session, code.strip().upper()) if written.strip() else None
    if cadre is None or same_name(written, cadre.full_name):
        return None
    return f"họ tên trong tệp “{written.strip()[:60]}” khác hồ sơ của mã {cadre.code} ({cadre.full_name})"


def register_from_file(session: Session, actor: Actor, path: Path, today: date,
                       skip_bad_rows: bool = False) -> BulkRegistration:
    require_hr(actor)
    sheet = load_sheet(path, HEADERS, REQUIRED)
    result = BulkRegistration()
    if len(sheet.rows) > MAX_ROWS:
        result.errors.append(RowError(0, "", f"Tệp quá dài: tối đa {vn.number(MAX_ROWS)} dòng mỗi lần."))
        return result
    batch = session.begin_nested()
    seen: dict[tuple[str, str], int] = {}
    for number, cells in sheet.rows:
        code, course = cells.get("code", "").strip(), cells.get("course", "").strip()
        if not code or not course:
            result.errors.append(RowError(number, code, "thiếu “Mã cán bộ” hoặc “Mã lớp”"))
            continue
        first = seen.setdefault((code.upper(), course.upper()), number)
        if first != number:  # else the registration the earlier row just made refuses it as "đã đăng ký"
            result.errors.append(RowError(number, code.upper(), f"{course}: trùng dòng {first} (cùng người, cùng lớp)"))
            continue
        mismatch = _name_mismatch(session, code, cells.get("name", ""))
        if mismatch:
            result.errors.append(RowError(number, code.upper(), mismatch))
            continue
        row = session.begin_nested()
        try:
            outcome = register_on_behalf(session, actor.code, code, course, today)
        except DomainError as exc:
            row.rollback()
            result.errors.append(RowError(number, code.upper(), f"{course}: {exc}"))
            continue
        row.commit()
        placed = Placed(outcome.cadre_code, f"{outcome.cadre_code} → {outcome.course_code} ({outcome.cadre_name})",
                        outcome.told)
        (result.registered if outcome.status == RegistrationStatus.REGISTERED else result.waitlisted).append(placed)
    result.valid = len(result.registered) + len(result.waitlisted)
    if (result.errors and not skip_bad_rows) or not result.valid:  # a list that registers nobody is not applied
        batch.rollback()
        result.registered, result.waitlisted = [], []
        return result
    batch.commit()
    result.applied = True
    audit(session, actor.code, "import-registrations", path.name, result.summary)
    return result
