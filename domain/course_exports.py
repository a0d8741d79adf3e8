"""A course's roster as an Excel file for HR (audit-logged: it lists people).

The file lists the people of the phone roster (domain.catalogue.course_roster) in the same order, so that
what HR reads on the phone and what HR prints agree, row for row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre
from domain import vn
from domain.accounts import Actor, audit, require_hr
from domain.catalogue import STATUS_LABELS, course_roster
from domain.courses import course_state
from domain.rules import default_rules
from domain.xlsx import workbook_bytes, write_table

HEADER = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", "Chức vụ", "Trạng thái", "Thứ tự chờ", "Ngày đăng ký",
          "Người đăng ký", "Ngày hoàn thành", "Ghi chú"]
NO_REASON = "không ghi lý do"
UNREACHED = "{why}, cần báo cách khác"  # a cancelled course's row: the bot could not tell this person
REGISTRARS = {"cli": "dòng lệnh (cli)"}  # registered_by values that are no cadre's code


@dataclass(frozen=True)
class RosterFile:
    course_code: str
    course_name: str
    people: int
    content: bytes


def _registrars(session: Session, codes: set[str]) -> dict[str, str]:
    """Who registered each row, by name with the code in brackets: "Phạm Thu Hương (MAU004)"."""
    names = dict(session.execute(select(Cadre.code, Cadre.full_name).where(Cadre.code.in_(codes))).tuples().all())
    return {code: f"{names[code]} ({code})" if code in names else REGISTRARS.get(code, code) for code in codes}


def roster_xlsx(session: Session, actor: Actor, course_code: str, today: date) -> RosterFile:
    require_hr(actor)
    course, lines = course_roster(session, course_code)
    registrars = _registrars(session, {line.registered_by for line in lines})
    table: list[list[object]] = [
        [line.code, line.full_name, line.unit_code, line.unit_name, line.title, STATUS_LABELS.get(line.status,
         line.status), line.position, line.registered_on, registrars.get(line.registered_by, line.registered_by),
         line.completed_on, UNREACHED.format(why=line.unreached) if line.unreached else None]
        for line in lines]
    kind = default_rules().course_kinds.get(course.kind)
    state = course_state(course, today)
    if course.cancelled:
        state += f" – lý do: {course.cancel_reason or NO_REASON}; danh sách là những người đăng ký/chờ lúc hủy"
    wb = Workbook()
    ws = wb.active
    ws.title = "Học viên"
    write_table(ws, [f"Danh sách học viên lớp {course.code} – {course.name}",
                     f"Loại: {course.kind} – {kind.label if kind else ''}; {course.provider}; "
                     f"{course.start_date:%d/%m/%Y}–{course.end_date:%d/%m/%Y}; hạn đăng ký "
                     f"{course.register_by:%d/%m/%Y}; số chỗ {vn.number(course.capacity)}; {state}"],
                HEADER, table)
    audit(session, actor.code, "export-course-roster", course.code, f"{len(table)} người")
    return RosterFile(course.code, course.name, len(table), workbook_bytes(wb))
