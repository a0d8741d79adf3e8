"""A course's roster as an Excel file for HR (audit-logged: it lists people)."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre, Registration, RegistrationStatus, Unit
from domain import vn
from domain.accounts import Actor, audit, require_hr
from domain.catalogue import STATUS_LABELS
from domain.courses import require_course
from domain.rules import default_rules
from domain.xlsx import workbook_bytes, write_table

HEADER = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", "Chức vụ", "Trạng thái", "Thứ tự chờ", "Ngày đăng ký",
          "Người đăng ký", "Ngày hoàn thành"]


@dataclass(frozen=True)
class RosterFile:
    course_code: str
    course_name: str
    people: int
    content: bytes


def roster_xlsx(session: Session, actor: Actor, course_code: str) -> RosterFile:
    require_hr(actor)
    course = require_course(session, course_code)
    rows = session.execute(
        select(Registration, Cadre, Unit).join(Cadre, Registration.cadre_id == Cadre.id)
        .join(Unit, Cadre.unit_id == Unit.id).where(Registration.course_id == course.id)
        .order_by(Registration.status, Registration.id)).all()
    queue = 0
    table: list[list[object]] = []
    for reg, cadre, unit in rows:
        queue += reg.status == RegistrationStatus.WAITLISTED
        table.append([cadre.code, cadre.full_name, unit.code, unit.name, cadre.position,
                      STATUS_LABELS.get(reg.status, reg.status),
                      queue if reg.status == RegistrationStatus.WAITLISTED else None,
                      reg.created_at.date(), reg.registered_by, reg.completed_at.date() if reg.completed_at else None])
    kind = default_rules().course_kinds.get(course.kind)
    wb = Workbook()
    ws = wb.active
    ws.title = "Học viên"
    status = f"Đã hủy: {course.cancel_reason or 'không ghi lý do'}" if course.cancelled else "Đang mở"
    write_table(ws, [f"Danh sách học viên lớp {course.code} – {course.name}",
                     f"Loại: {course.kind} – {kind.label if kind else ''}; {course.provider}; "
                     f"{course.start_date:%d/%m/%Y}–{course.end_date:%d/%m/%Y}; "
                     f"số chỗ {vn.number(course.capacity)}; {status}"],
                HEADER, table)
    audit(session, actor.code, "export-course-roster", course.code, f"{len(table)} dòng")
    return RosterFile(course.code, course.name, len(table), workbook_bytes(wb))
