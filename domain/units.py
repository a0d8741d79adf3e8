"""The unit tree: materialised paths and subtree scoping."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from db.models import Unit
from domain.errors import NotFound


def recompute_paths(session: Session) -> int:
    """Rebuild every unit's '/ROOT/CHILD/' path from parent links; returns how many changed.

    Two thousand units fit in memory easily; this runs once per import, never per request.
    """
    rows = session.execute(select(Unit.id, Unit.code, Unit.parent_id, Unit.path)).all()
    by_id = {r.id: r for r in rows}
    paths: dict[int, str] = {}

    def path_of(unit_id: int) -> str:
        if unit_id in paths:
            return paths[unit_id]
        chain: list[int] = []
        cursor: int | None = unit_id
        while cursor is not None and cursor not in paths and len(chain) <= len(by_id):
            chain.append(cursor)
            cursor = by_id[cursor].parent_id
        prefix = paths[cursor] if cursor is not None and cursor in paths else "/"
        for uid in reversed(chain):
            prefix = f"{prefix}{by_id[uid].code}/"
            paths[uid] = prefix
        return paths[unit_id]

    changes = [{"id": r.id, "path": path_of(r.id)} for r in rows if path_of(r.id) != r.path]
    if changes:
        session.execute(update(Unit), changes)
    return len(changes)


def in_subtree(path: str) -> ColumnElement[bool]:
    """SQL condition: the unit is the one at `path` or below it."""
    return Unit.path.startswith(path, autoescape=True)


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code.strip().upper()))


def require_unit(session: Session, code: str) -> Unit:
    unit = unit_by_code(session, code)
    if unit is None:
        raise NotFound(f"Không có đơn vị mã {code}.")
    return unit


def optional_unit(session: Session, code: str | None) -> Unit | None:
    """None for 'the whole province'; a code that names no unit is an error, not the province."""
    return None if code is None else require_unit(session, code)
