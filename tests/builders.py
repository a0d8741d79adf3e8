"""Test data builders: the few rows a test needs, named by what matters to it, instead of the demo roster.

    unit = build.unit(session, "XA1", level="Xã")
    boss = build.cadre(session, unit, is_leader=True)
    me = build.cadre(session, unit, manager=boss, telegram_user_id=555001)

Every field has a plain default (a linked-or-not cadre with Đại học, Trung cấp LLCT); pass only what
the test is about. Builders flush, so ids are there, and never commit (the test's transaction does).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from db.models import Cadre, Course, Unit
from domain.clock import utcnow

_serial = itertools.count(1)


def unit(session: Session, code: str | None = None, *, name: str | None = None, level: str = "Xã",
         parent: Unit | None = None) -> Unit:
    code = code or f"U{next(_serial):05d}"
    row = Unit(code=code, name=name or f"Đơn vị {code}", level=level, parent_id=parent.id if parent else None,
               path=f"{parent.path if parent else '/'}{code}/")
    session.add(row)
    session.flush()
    return row


def cadre(session: Session, in_unit: Unit, code: str | None = None, *, manager: Cadre | None = None,
          telegram_user_id: int | None = None, **fields: Any) -> Cadre:
    """A cadre of this unit; `telegram_user_id` links them (chat id the same), `manager` sets manager_code."""
    n = next(_serial)
    now = utcnow()
    values: dict[str, Any] = {
        "code": code or f"C{n:06d}", "full_name": f"Cán bộ Thử {n}", "phone": f"0977{n:06d}",
        "unit_id": in_unit.id, "position": "Chuyên viên", "title_group": "KHAC", "is_leader": False,
        "education": 2, "political_theory": 2, "state_management": 1, "job_matched": True,
        "in_succession_plan": False, "is_hr": False, "mute_optional": False,
        "manager_code": manager.code if manager else None,
        "telegram_user_id": telegram_user_id, "telegram_chat_id": telegram_user_id,
        "linked_at": now if telegram_user_id else None, "created_at": now, "updated_at": now,
    }
    values.update(fields)
    row = Cadre(**values)
    session.add(row)
    session.flush()
    return row


def course(session: Session, code: str | None = None, *, seats: int = 30, starts: date | None = None,
           kind: str = "CDS_AI", **fields: Any) -> Course:
    """An open class, starting in a month (registration until a week before), `seats` seats, none taken."""
    start = starts or (utcnow().date() + timedelta(days=30))
    now = utcnow()
    values: dict[str, Any] = {
        "code": code or f"L{next(_serial):05d}", "name": "Lớp thử", "kind": kind, "provider": "Trường Chính trị tỉnh",
        "start_date": start, "end_date": start + timedelta(days=5), "register_by": start - timedelta(days=7),
        "capacity": seats, "created_at": now, "updated_at": now,
    }
    values.update(fields)
    row = Course(**values)
    session.add(row)
    session.flush()
    return row
