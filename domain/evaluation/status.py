"""A unit's evaluation status for a month, the manager's reminder, the quarter's ratings grid."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, and_, select
from sqlalchemy.orm import Session

from db.models import Cadre, Evaluation, Unit
from domain.accounts import Actor, audit
from domain.errors import PermissionDenied
from domain.evaluation.common import RATING_SHORT, EvalStatus, is_submitted, period_label
from domain.evaluation.review import reviewees
from domain.markup import esc
from domain.outbox import enqueue
from domain.text import name_order
from domain.units import in_subtree


@dataclass(frozen=True)
class StatusLine:
    code: str
    full_name: str
    unit_name: str
    status: str  # missing | draft | submitted | rated
    late: bool
    self_rating: int | None
    manager_rating: int | None
    unit_code: str = ""


def _status_query(year: int, month: int) -> Select[Any]:
    # Columns, not entities: a province-level unit lists ~48,000 people, and the digest asks for every unit.
    return (select(Unit.path, Cadre.code, Cadre.full_name, Unit.name, Evaluation.status, Evaluation.late,
                   Evaluation.self_rating, Evaluation.manager_rating, Unit.code)
            .join(Unit, Cadre.unit_id == Unit.id)
            .outerjoin(Evaluation, and_(Evaluation.cadre_id == Cadre.id, Evaluation.year == year,
                                        Evaluation.month == month)))


def _lines(rows: Iterable[Row[Any]]) -> list[StatusLine]:
    return [StatusLine(code, name, unit_name, status or EvalStatus.MISSING, bool(late), self_rating, manager_rating,
                       unit_code)
            for _path, code, name, unit_name, status, late, self_rating, manager_rating, unit_code in rows]


def month_status(session: Session, unit: Unit | None, year: int, month: int) -> list[StatusLine]:
    query = _status_query(year, month)
    if unit is not None:
        query = query.where(in_subtree(unit.path))
    return _lines(session.execute(query.order_by(Unit.path, Cadre.name_key, Cadre.code)))


def month_status_by_cadre(session: Session, year: int, month: int) -> dict[int, tuple[str, StatusLine]]:
    """Everyone's month_status_of() line in one query, by cadre id, with their unit path (month_status_of's order
    is by path, then name): a job that needs many managers' chains (the digest) picks from these instead of
    asking once per manager."""
    by_cadre: dict[int, tuple[str, StatusLine]] = {}
    for row in session.execute(_status_query(year, month).add_columns(Cadre.id.label("cadre_id"))):
        path, code, name, unit_name, status, late, self_rating, manager_rating, unit_code, cadre_id = row
        by_cadre[cadre_id] = (path, StatusLine(code, name, unit_name, status or EvalStatus.MISSING, bool(late),
                                               self_rating, manager_rating, unit_code))
    return by_cadre


def status_counts(lines: list[StatusLine]) -> dict[str, int]:
    counts = {"cadres": len(lines), "submitted": 0, "late": 0, "missing": 0, "reviewed": 0}
    for line in lines:
        if is_submitted(line.status):
            counts["submitted"] += 1
        else:
            counts["missing"] += 1
        counts["late"] += line.late
        counts["reviewed"] += line.status == EvalStatus.RATED
    return counts


STATUS_CHUNK = 900  # ids per IN (...) list: SQLite's bound-parameter limit


def month_status_of(session: Session, cadre_ids: list[int], year: int, month: int) -> list[StatusLine]:
    """month_status() for these people (a manager's review chain), by unit and name."""
    rows: list[Row[Any]] = []
    for start in range(0, len(cadre_ids), STATUS_CHUNK):
        rows += session.execute(_status_query(year, month)
                                .where(Cadre.id.in_(cadre_ids[start:start + STATUS_CHUNK]))).all()
    rows.sort(key=lambda row: (row.path, name_order(row.full_name)))
    return _lines(rows)


def unit_month_status(session: Session, actor: Actor, year: int, month: int, chain: list[int]) -> list[StatusLine]:
    """Person by person (audit-logged: it lists people): `chain`, the ids of everyone below the viewer in the
    review chain, as the quarter and year views list, never the viewer nor a boss (HR's too: none when they
    review nobody). remind_missing reaches the same people."""
    if not (actor.is_manager or actor.is_hr):
        raise PermissionDenied("Chức năng này chỉ dành cho cán bộ quản lý.")
    audit(session, actor.code, "evaluation-status", f"{actor.unit_code}:{year}-{month:02d}")
    return month_status_of(session, chain, year, month)


@dataclass(frozen=True)
class Nudge:
    """What the reminder button did, so that "0 people" can say why."""

    sent: int
    missing: int  # people who have not submitted (the manager excluded)
    unlinked: int  # of those, not linked to Telegram: the bot cannot reach them
    already: int  # of those, reminded by this manager today already
    people: int  # everyone the status lists (`chain`): 0 when nobody is below the viewer
    unlinked_people: tuple[tuple[str, str], ...] = ()  # (name, code) of the unlinked, in name order: told directly


def remind_missing(session: Session, actor: Actor, year: int, month: int, today: date,
                   chain: list[int]) -> Nudge:
    """The manager's reminder button: one message to each linked person who has not submitted (once a day),
    among the people unit_month_status lists (the same `chain`)."""
    lines = month_status_of(session, chain, year, month)
    missing = [line.code for line in lines if not is_submitted(line.status)]
    sent = already = count = 0
    unlinked: list[tuple[str, str]] = []
    for cadre in session.scalars(select(Cadre).where(Cadre.code.in_(missing))):
        if cadre.id == actor.cadre_id:
            continue
        count += 1
        if cadre.telegram_chat_id is None:
            unlinked.append((cadre.full_name, cadre.code))
            continue
        queued = enqueue(session, f"eval-nudge:{year}-{month:02d}:{cadre.code}:{actor.code}:{today:%Y%m%d}", cadre,
                         "eval-reminder", f"⏰ {esc(actor.full_name)} nhắc bạn gửi tự đánh giá "
                         f"{period_label(year, month)}. Gõ /eval để làm ngay.")
        sent, already = sent + queued, already + (not queued)
    audit(session, actor.code, "evaluation-nudge", f"{year}-{month:02d}", f"{sent} người")
    named = tuple(sorted(unlinked, key=lambda person: name_order(person[0])))
    return Nudge(sent, count, len(unlinked), already, len(lines), named)


def _grid_cell(ev: Evaluation | None) -> str:
    if ev is not None and ev.manager_rating is not None:
        return RATING_SHORT[ev.manager_rating]
    return "chờ" if ev is not None and ev.status == EvalStatus.SUBMITTED else "—"


def ratings_grid(session: Session, actor: Actor, year: int, months: list[int]) -> list[tuple[str, list[str]]]:
    """Each person the actor reviews, with their monthly manager ratings side by side."""
    people = reviewees(session, [actor.cadre_id])
    if not people:
        return []
    rows = session.scalars(select(Evaluation).where(Evaluation.cadre_id.in_([c.id for c in people]),
                                                    Evaluation.year == year, Evaluation.month.in_(months)))
    by_person: dict[int, dict[int, Evaluation]] = {}
    for ev in rows:
        by_person.setdefault(ev.cadre_id, {})[ev.month] = ev
    audit(session, actor.code, "evaluation-grid", str(year))
    grid = []
    for cadre in sorted(people, key=lambda c: name_order(c.full_name)):
        cells = []
        for m in months:
            cells.append(_grid_cell(by_person.get(cadre.id, {}).get(m)))
        grid.append((cadre.full_name, cells))
    return grid
