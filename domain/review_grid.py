"""Quarter and year views of the manager's monthly ratings, with each period's classification, and their export.

On the phone a manager sees the people they review; the Excel export covers their unit's subtree (HR: the
province, or a unit). Quarterly and yearly classifications follow domain.classification (a data rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cadre, Evaluation, Unit
from domain.accounts import Actor, audit, require_manager
from domain.classification import RULE_FILE, ClassificationRules, default_classification, quarter_months
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


def reviewee_year(session: Session, actor: Actor, year: int) -> list[PersonYear]:
    """The people the actor reviews (phone view), by name."""
    require_manager(actor)
    people = sorted(reviewees(session, [actor.cadre_id]), key=lambda c: (c.full_name, c.code))
    audit(session, actor.code, "evaluation-grid", str(year))
    return _grid(session, [(c, c.unit) for c in people], year)


def _export_scope(session: Session, actor: Actor, unit_code: str | None) -> tuple[Unit | None, bool]:
    """(unit or None for the province, allowed): HR any unit; a manager their own unit or one below it."""
    unit = optional_unit(session, unit_code)
    if actor.is_hr:
        return unit, True
    if unit is None:
        return session.get(Unit, actor.unit_id), True
    return unit, unit.path.startswith(actor.unit_path)


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
                     "Xếp loại quý, năm theo quy tắc tại knowledge/rules/classification.toml (Mục III.4 Nghị quyết)"],
                ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", *(f"T{m}" for m in range(1, 13)),
                 *(f"Quý {q}" for q in (1, 2, 3, 4)), f"Cả năm {year}"], _export_rows(grid))
    rule = wb.create_sheet("Quy tắc xếp loại")
    lines = [line.lstrip("# ").rstrip() for line in RULE_FILE.read_text(encoding="utf-8").splitlines()
             if line.startswith("#")]
    write_table(rule, [f"Ngày xuất: {today:%d/%m/%Y}"], ["Quy tắc"], [[line] for line in lines if line])
    return workbook_bytes(wb)


def export_year_grid(session: Session, actor: Actor, year: int, unit_code: str | None,
                     today: date) -> GridExport | None:
    """Every cadre of the scope with monthly ratings and quarterly/yearly classification (audit-logged).

    None when the unit is outside the manager's subtree: the refusal is audit-logged, not raised, so that
    the log entry is committed."""
    require_manager(actor)
    unit, allowed = _export_scope(session, actor, unit_code)
    if not allowed:
        audit(session, actor.code, "export-evaluation-grid-refused", unit.code if unit else None, str(year))
        return None
    query = select(Cadre, Unit).join(Unit, Cadre.unit_id == Unit.id).order_by(Unit.path, Cadre.full_name)
    if unit is not None:
        query = query.where(in_subtree(unit.path))
    people = [(c, u) for c, u in session.execute(query).all()]
    grid = _grid(session, people, year)
    name = unit.name if unit else "Toàn tỉnh"
    audit(session, actor.code, "export-evaluation-grid", unit.code if unit else "PROVINCE", f"{year}; {len(grid)}")
    return GridExport(name, year, len(grid), grid_xlsx(name, year, grid, today))
