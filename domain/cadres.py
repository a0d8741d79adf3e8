"""Finding a cadre's record: by roster code (typed by people) or by id (from the linked account)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre
from domain.errors import NotFound


def cadre_by_code(session: Session, code: str) -> Cadre | None:
    """Roster codes are stored upper-case; people type them any way."""
    return session.scalar(select(Cadre).where(Cadre.code == code.strip().upper()))


def require_cadre(session: Session, code: str) -> Cadre:
    cadre = cadre_by_code(session, code)
    if cadre is None:
        raise NotFound(f"Không có cán bộ mã {code}.")
    return cadre


def own_record(session: Session, cadre_id: int) -> Cadre:
    """The linked cadre's own record (the id comes from the server-side actor)."""
    cadre = session.get(Cadre, cadre_id)
    if cadre is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    return cadre
