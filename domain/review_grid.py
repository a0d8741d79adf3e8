"""Quarter and year views of the manager's monthly ratings, with each period's classification, and their export.

A manager sees, on the phone and in the Excel export alike, everyone below them in the review chain (the
people they review, the people those review, and so on), never themselves nor their own superiors; HR's
export covers the province. Quarterly and yearly classifications follow domain.classification (a data rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre, Evaluation, Unit
from domain.accounts import Actor, audit, require_manager
from domain.classification import ClassificationRules, default_classification, describe, quarter_months
from domain.evaluation import RATINGS, EvalStatus, reviewees
from domain.units import in_subtree, optional_unit
from domain.xlsx import workbook_bytes, write_table

RATING_SHORT = ("XS", "Tốt", "HT", "KHT")
PENDING, NONE = "chờ", "—"
CHUNK = 900  # ids per IN (...) list: SQLite's bound-parameter limit


@dataclass(frozen=True)
class PersonYear:
    code: str
    full_name: str
    unit_code: str
    unit_name: str
    months: tuple[int | None, ...]  # the manager's rating per month (index 0 = January), None if unrated
    submitted: frozenset[int]  # months submitted and waiting for a rating
    quarters: tuple[int | None, ...]  # classification per quarter, None while incomplete
    year: int | None

    def month_cell(self, month: int) -> str:
        rating = self.months[month - 1]
        if rating is not None:
            return RATING_SHORT[rating]
        return PENDING if month in self.submitted else NONE


def _ratings(session: Session, cadre_ids: list[int], year: int) -> dict[int, dict[int, Evaluation]]:
    by_person: dict[int, dict[int, Evaluation]] = {}
    for start in range(0, len(cadre_ids), CHUNK):
        rows = session.scalars(select(Evaluation).where(Evaluation.cadre_id.in_(cadre_ids[start:start + CHUNK]),
                                                        Evaluation.year == year))
        for ev in rows:
            by_person.setdefault(ev.cadre_id, {})[ev.month] = ev
    return by_person


def _person(cadre: Cadre, unit: Unit, evaluations: dict[int, Evaluation], rules: ClassificationRules) -> PersonYear:
    months = tuple(evaluations[m].manager_rating if m in evaluations else None for m in range(1, 13))
    submitted = frozenset(m for m, ev in evaluations.items() if ev.status == EvalStatus.SUBMITTED)
    quarters = tuple(rules.quarter.classify([months[m - 1] for m in quarter_months(q)]) for q in (1, 2, 3, 4))
    return PersonYear(cadre.code, cadre.full_name, unit.code, unit.name, months, submitted, quarters,
                      rules.year.classify(quarters))


def _grid(session: Session, people: list[tuple[Cadre, Unit]], year: int) -> list[PersonYear]:
    rules = default_classification()
    evaluations = _ratings(session, [c.id for c, _ in people], year)
    return [_person(c, u, evaluations.get(c.id, {}), rules) for c, u in people]


def review_chain(session: Session, manager_id: int) -> list[Cadre]:
    """Everyone below the manager in the review chain, level by level; a loop in the roster's manager codes
    ends where it comes back (the manager himself is never included)."""
    seen, found, level = {manager_id}, [], [manager_id]
    while level:
        below = [c for start in range(0, len(level), CHUNK)
                 for c in reviewees(session, level[start:start + CHUNK]) if c.id not in seen]
        below = list({c.id: c for c in below}.values())
        seen.update(c.id for c in below)
        found += below
        level = [c.id for c in below]
    return found


def _chain_people(session: Session, actor: Actor) -> list[tuple[Cadre, Unit]]:
    people = sorted(review_chain(session, actor.cadre_id), key=lambda c: (c.full_name, c.code))
    return [(c, c.unit) for c in people]


def reviewee_year(session: Session, actor: Actor, year: int) -> list[PersonYear]:
    """The phone view: everyone below the actor in the review chain, by name."""
    require_manager(actor)
    audit(session, actor.code, "evaluation-grid", str(year))
    return _grid(session, _chain_people(session, actor), year)


def _export_scope(session: Session, actor: Actor, unit_code: str | None) -> tuple[Unit | None, bool]:
    """(unit or None for the province, allowed): HR any unit; a manager only their own chain (unit None)."""
    unit = optional_unit(session, unit_code)
    if actor.is_hr:
        return unit, True
    return None, unit is None


@dataclass(frozen=True)
class GridExport:
    unit_name: str
    year: int
    people: int
    content: bytes


def _export_rows(grid: list[PersonYear]) -> list[list[object]]:
    def label(rating: int | None) -> str:
        return RATINGS[rating] if rating is not None else "Chưa đủ"

    return [[p.code, p.full_name, p.unit_code, p.unit_name, *(p.month_cell(m) for m in range(1, 13)),
             *(label(q) for q in p.quarters), label(p.year)] for p in grid]


def grid_xlsx(unit_name: str, year: int, grid: list[PersonYear], today: date) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"Năm {year}"
    legend = "Ký hiệu tháng: " + ", ".join(f"{s} = {r}" for s, r in zip(RATING_SHORT, RATINGS, strict=True))
    write_table(ws, [f"Xếp loại cán bộ theo tháng, quý, năm {year} – {unit_name}",
                     legend + f"; {PENDING} = đã nộp, chờ xếp loại; {NONE} = chưa có",
                     "Xếp loại quý, năm theo quy tắc ở trang “Quy tắc xếp loại” (căn cứ Mục III.4 Nghị quyết)"],
                ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", *(f"T{m}" for m in range(1, 13)),
                 *(f"Quý {q}" for q in (1, 2, 3, 4)), f"Cả năm {year}"], _export_rows(grid))
    rule = wb.create_sheet("Quy tắc xếp loại")
    lines = describe(default_classification(), RATINGS)
    write_table(rule, [f"Ngày xuất: {today:%d/%m/%Y}"], ["Quy tắc"], [[line] for line in lines])
    return workbook_bytes(wb)


def export_year_grid(session: Session, actor: Actor, year: int, unit_code: str | None,
                     today: date) -> GridExport | None:
    """The people of the phone view (a manager's review chain) or, for HR, the province or a unit, with monthly
    ratings and quarterly/yearly classification (audit-logged).

    None when a manager names a unit: the refusal is audit-logged, not raised, so that the log entry is
    committed."""
    require_manager(actor)
    unit, allowed = _export_scope(session, actor, unit_code)
    if not allowed:
        audit(session, actor.code, "export-evaluation-grid-refused", unit.code if unit else None, str(year))
        return None
    if actor.is_hr:
        query = select(Cadre, Unit).join(Unit, Cadre.unit_id == Unit.id).order_by(Unit.path, Cadre.full_name)
        if unit is not None:
            query = query.where(in_subtree(unit.path))
        people = [(c, u) for c, u in session.execute(query).all()]
        name, target = (unit.name, unit.code) if unit else ("Toàn tỉnh", "PROVINCE")
    else:
        people = sorted(_chain_people(session, actor), key=lambda p: (p[1].path, p[0].full_name, p[0].code))
        name, target = f"{actor.unit_name} – cán bộ do {actor.full_name} đánh giá", f"CHAIN:{actor.code}"
    grid = _grid(session, people, year)
    audit(session, actor.code, "export-evaluation-grid", target, f"{year}; {len(grid)}")
    return GridExport(name, year, len(grid), grid_xlsx(name, year, grid, today))
