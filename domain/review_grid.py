"""Quarter and year views of the manager's monthly ratings, with each period's classification, and their export.

A manager sees, on the phone and in the Excel export alike, everyone below them in the review chain (the
people they review, the people those review, and so on), never themselves nor their own superiors; HR's
export covers the province. Quarterly and yearly classifications follow domain.classification (a data rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from db.models import Cadre, Evaluation, Unit
from domain.accounts import Actor, audit, require_manager
from domain.classification import ClassificationRules, default_classification, describe, quarter_months
from domain.evaluation import RATINGS, EvalStatus, StatusLine, remind_missing, reviewees, unit_month_status
from domain.evaluation.status import Nudge, month_status_by_cadre, month_status_of
from domain.text import name_order
from domain.units import in_subtree, optional_unit
from domain.xlsx import workbook_bytes, write_table

RATING_SHORT = ("XS", "Tốt", "HT", "KHT")
PENDING, NONE = "chờ", "—"
CHUNK = 900  # ids per IN (...) list: SQLite's bound-parameter limit
CHAIN_WALK_LIMIT = 2000  # people: past this, the chain is computed from one read of every cadre


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


@dataclass(frozen=True)
class Person:
    """A row of the grid before its ratings: columns, not entities (a province leader's chain is ~48,000)."""

    cadre_id: int
    code: str
    full_name: str
    unit_code: str
    unit_name: str
    unit_path: str


@dataclass(frozen=True)
class GridPage:
    """The first people of the phone view, by name, and how many there are in all."""

    people: list[PersonYear]
    total: int


def _ratings(session: Session, cadre_ids: list[int], year: int) -> dict[int, dict[int, tuple[int | None, str]]]:
    """cadre id -> month -> (manager's rating, status)."""
    by_person: dict[int, dict[int, tuple[int | None, str]]] = {}
    for start in range(0, len(cadre_ids), CHUNK):
        rows = session.execute(select(Evaluation.cadre_id, Evaluation.month, Evaluation.manager_rating,
                                      Evaluation.status).where(
            Evaluation.cadre_id.in_(cadre_ids[start:start + CHUNK]), Evaluation.year == year))
        for cadre_id, month, rating, status in rows:
            by_person.setdefault(cadre_id, {})[month] = (rating, status)
    return by_person


def _person(p: Person, evaluations: dict[int, tuple[int | None, str]], rules: ClassificationRules) -> PersonYear:
    months = tuple(evaluations[m][0] if m in evaluations else None for m in range(1, 13))
    submitted = frozenset(m for m, (_, status) in evaluations.items() if status == EvalStatus.SUBMITTED)
    quarters = tuple(rules.quarter.classify([months[m - 1] for m in quarter_months(q)]) for q in (1, 2, 3, 4))
    return PersonYear(p.code, p.full_name, p.unit_code, p.unit_name, months, submitted, quarters,
                      rules.year.classify(quarters))


def _grid(session: Session, people: list[Person], year: int) -> list[PersonYear]:
    rules = default_classification()
    evaluations = _ratings(session, [p.cadre_id for p in people], year)
    return [_person(p, evaluations.get(p.cadre_id, {}), rules) for p in people]


def _units(session: Session) -> dict[int, tuple[int | None, str, str, str]]:
    """unit id -> (parent id, code, name, path)."""
    return {uid: (parent, code, name, path) for uid, parent, code, name, path in session.execute(
        select(Unit.id, Unit.parent_id, Unit.code, Unit.name, Unit.path))}


def review_chain(session: Session, manager_id: int) -> list[Person]:
    """Everyone below the manager in the review chain (the people they review, those people's reviewees, and
    so on), never the manager; a loop in the roster's manager codes ends where it comes back.

    Walked level by level with review.reviewees while the chain is small (a commune, a department); past
    CHAIN_WALK_LIMIT people (a province leader's chain is the whole province, which the walk takes seconds
    over) the same rule is applied in memory to one read of every cadre (benchmarks/bench_review_grid.py)."""
    seen, level, found = {manager_id}, [manager_id], list[Cadre]()
    while level:
        below = {c.id: c for start in range(0, len(level), CHUNK)
                 for c in reviewees(session, level[start:start + CHUNK]) if c.id not in seen}
        seen.update(below)
        found += below.values()
        if len(found) > CHAIN_WALK_LIMIT:
            return _chain_in_memory(session, manager_id)
        level = list(below)
    return [Person(c.id, c.code, c.full_name, c.unit.code, c.unit.name, c.unit.path) for c in found]


def _below(session: Session, units: dict[int, tuple[int | None, str, str, str]]
           ) -> tuple[dict[int, list[int]], Sequence[Row[Any]]]:
    """review.reviewees' rule (the roster's manager, else the reviewer HR assigned, else the first leader by code
    of the parent unit) applied in memory to one read of every cadre's columns: reviewer id -> their reviewees'
    ids, and the rows read."""
    rows = session.execute(select(Cadre.id, Cadre.code, Cadre.full_name, Cadre.manager_code, Cadre.reviewer_code,
                                  Cadre.unit_id, Cadre.is_leader)).all()
    by_code = {row.code: row.id for row in rows}
    heads: dict[int, str] = {}
    for row in rows:
        if row.is_leader and (row.unit_id not in heads or row.code < heads[row.unit_id]):
            heads[row.unit_id] = row.code
    below: dict[int, list[int]] = {}
    for row in rows:
        if row.manager_code or row.reviewer_code:
            boss = by_code.get(row.manager_code or row.reviewer_code)
        else:
            up = units[row.unit_id][0] if row.unit_id in units else None
            boss = by_code.get(heads.get(up, "")) if up is not None else None
        if boss is not None and boss != row.id:
            below.setdefault(boss, []).append(row.id)
    return below, rows


def _walk(below: dict[int, list[int]], manager_id: int) -> set[int]:
    """Everyone below the manager in `below`, never the manager; a loop ends where it comes back."""
    seen, level = {manager_id}, [manager_id]
    while level:
        level = [c for m in level for c in below.get(m, []) if c not in seen]
        seen.update(level)
    return seen - {manager_id}


def _chain_in_memory(session: Session, manager_id: int) -> list[Person]:
    """review_chain() from one read of every cadre (_below)."""
    units = _units(session)
    below, rows = _below(session, units)
    by_id = {row.id: row for row in rows}
    return [Person(i, by_id[i].code, by_id[i].full_name, *units[by_id[i].unit_id][1:])
            for i in _walk(below, manager_id)]


def _chain_ids(session: Session, manager_id: int) -> list[int]:
    return [p.cadre_id for p in review_chain(session, manager_id)]


def chain_month_status(session: Session, manager_id: int, year: int, month: int) -> list[StatusLine]:
    """team_month_status() without the viewer: the lines a job shows a manager (nothing audited, no one viewed)."""
    return month_status_of(session, _chain_ids(session, manager_id), year, month)


class TeamMonthStatus:
    """chain_month_status() for many managers in one run (the weekly digest, ~8,000 managers): one read of every
    cadre and one of the month's statuses, then each manager's chain walked in memory; the same people in the
    same order (unit path, then name) as team_month_status, with no query per manager."""

    def __init__(self, session: Session, year: int, month: int) -> None:
        self._below = _below(session, _units(session))[0]
        by_cadre = month_status_by_cadre(session, year, month)
        order = sorted(by_cadre, key=lambda i: (by_cadre[i][0], name_order(by_cadre[i][1].full_name)))
        self._rank = {cadre_id: n for n, cadre_id in enumerate(order)}
        self._lines = [by_cadre[i][1] for i in order]

    def of(self, manager_id: int) -> list[StatusLine]:
        return [self._lines[n] for n in sorted(self._rank[i] for i in _walk(self._below, manager_id))]


def team_month_status(session: Session, actor: Actor, year: int, month: int) -> list[StatusLine]:
    """The month's status of everyone below the viewer in the review chain (the people the quarter and year
    views list), for HR as for a manager: never the viewer's unit as such, never a boss."""
    require_manager(actor)
    return unit_month_status(session, actor, year, month, _chain_ids(session, actor.cadre_id))


def remind_team(session: Session, actor: Actor, year: int, month: int, today: date) -> Nudge:
    """The reminder, to the people team_month_status lists who have not submitted."""
    require_manager(actor)
    return remind_missing(session, actor, year, month, today, _chain_ids(session, actor.cadre_id))


def reviewee_year(session: Session, actor: Actor, year: int, shown: int = 60) -> GridPage:
    """The phone view: everyone below the actor in the review chain, by name; the grid of the first `shown`
    (a phone message holds a few dozen rows) and the count of all."""
    require_manager(actor)
    audit(session, actor.code, "evaluation-grid", str(year))
    people = sorted(review_chain(session, actor.cadre_id), key=lambda p: (name_order(p.full_name), p.code))
    return GridPage(_grid(session, people[:shown], year), len(people))


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
        query = (select(Cadre.id, Cadre.code, Cadre.full_name, Unit.code, Unit.name, Unit.path)
                 .join(Unit, Cadre.unit_id == Unit.id))
        if unit is not None:
            query = query.where(in_subtree(unit.path))
        people = [Person(*row) for row in session.execute(query)]
        name, target = (unit.name, unit.code) if unit else ("Toàn tỉnh", "PROVINCE")
    else:
        people = review_chain(session, actor.cadre_id)
        name, target = f"{actor.unit_name} – cán bộ do {actor.full_name} đánh giá", f"CHAIN:{actor.code}"
    people.sort(key=lambda p: (p.unit_path, name_order(p.full_name), p.code))
    grid = _grid(session, people, year)
    audit(session, actor.code, "export-evaluation-grid", target, f"{year}; {len(grid)}")
    return GridExport(name, year, len(grid), grid_xlsx(name, year, grid, today))
