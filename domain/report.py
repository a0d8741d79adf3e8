"""Where a unit stands on each indicator: one SQL aggregation, never a loop over cadres."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import Session, contains_eager

from db.models import Cadre, Course, Registration, RegistrationStatus, Unit
from domain.accounts import Actor, audit
from domain.errors import NotFound, PermissionDenied
from domain.rules import RuleBook, condition_sql, default_rules, in_population, meets, population_sql
from domain.units import in_subtree, unit_by_code


@dataclass(frozen=True)
class IndicatorRow:
    id: str
    title: str
    ref: str
    deadline: date
    target_pct: float
    population: int
    met: int
    pct: float
    shortfall: int
    projected_met: int = 0  # met if everyone now registered in a closing course completes it

    @property
    def projected_pct(self) -> float:
        return percent(self.projected_met, self.population)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "ref": self.ref, "deadline": self.deadline.isoformat(),
                "target_pct": self.target_pct, "population": self.population, "met": self.met,
                "pct": self.pct, "shortfall": self.shortfall}


@dataclass(frozen=True)
class UnitLink:
    """Another report the actor may open from this one; unit_id None is the province."""

    unit_id: int | None
    name: str


@dataclass(frozen=True)
class Report:
    as_of: date
    unit_id: int | None
    unit_code: str | None
    unit_name: str
    cadres: int
    rows: list[IndicatorRow]
    # Set by report_for for the bot's buttons (the drill-down is offered only where it leads somewhere, the way up
    # only where the actor may go); build_report leaves them unset, and the JSON contract does not carry them.
    has_children: bool = False
    up: UnitLink | None = None

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "unit": self.unit_code, "cadres": self.cadres,
                "indicators": [r.as_json() for r in self.rows]}


PROVINCE = "Toàn tỉnh"


def shortfall(target_pct: float, population: int, met: int) -> int:
    """People still needed: max(0, ceil(target% × population) − met), in exact arithmetic."""
    needed = math.ceil(Fraction(str(target_pct)) * population / 100)
    return max(0, needed - met)


def percent(met: int, population: int) -> float:
    return round(100 * met / population, 2) if population else 0.0


def _scope(unit: Unit | None) -> ColumnElement[bool]:
    return in_subtree(unit.path) if unit is not None else true()


def _count_columns(rules: RuleBook) -> list[Any]:
    """Cadres, then per indicator: population, met, and met if the registered complete."""
    columns: list[Any] = [func.count(Cadre.id)]
    for ind in rules.indicators:
        pop, cond = population_sql(ind.population), condition_sql(ind.condition)
        columns.append(func.coalesce(func.sum(case((pop, 1), else_=0)), 0))
        columns.append(func.coalesce(func.sum(case((and_(pop, cond), 1), else_=0)), 0))
        closing = _registered_in_kinds(rules.kinds_closing(ind))
        columns.append(func.coalesce(func.sum(case((and_(pop, or_(cond, closing)), 1), else_=0)), 0))
    return columns


def _report(unit: Unit | None, today: date, counts: Sequence[int], rules: RuleBook) -> Report:
    rows = []
    for i, ind in enumerate(rules.indicators):
        population, met, projected = (int(counts[1 + 3 * i + k]) for k in range(3))
        rows.append(IndicatorRow(ind.id, ind.title, ind.ref, ind.deadline, ind.target_pct, population, met,
                                 percent(met, population), shortfall(ind.target_pct, population, met), projected))
    return Report(today, unit.id if unit else None, unit.code if unit else None,
                  unit.name if unit else PROVINCE, int(counts[0]), rows)


def build_report(session: Session, unit: Unit | None, today: date, rules: RuleBook | None = None) -> Report:
    rules = rules or default_rules()
    query = select(*_count_columns(rules)).select_from(Cadre).join(Unit, Cadre.unit_id == Unit.id).where(_scope(unit))
    return _report(unit, today, session.execute(query).one(), rules)


def subtree_reports(session: Session, today: date, rules: RuleBook | None = None) -> dict[int, Report]:
    """Every unit's subtree report from one grouped query, summed up the tree (for digests)."""
    rules = rules or default_rules()
    own = {row[0]: list(row[1:]) for row in session.execute(
        select(Cadre.unit_id, *_count_columns(rules)).group_by(Cadre.unit_id))}
    units = list(session.scalars(select(Unit)))
    width = 1 + 3 * len(rules.indicators)
    totals = {u.id: [int(x) for x in own.get(u.id, [0] * width)] for u in units}
    for unit in sorted(units, key=lambda u: -u.path.count("/")):  # deepest first
        if unit.parent_id in totals:
            parent = totals[unit.parent_id]
            for i, value in enumerate(totals[unit.id]):
                parent[i] += value
    return {u.id: _report(u, today, totals[u.id], rules) for u in units}


def _registered_in_kinds(kinds: list[str]) -> ColumnElement[bool]:
    """The cadre holds a seat (not a waitlist place) in an active course of one of these kinds."""
    if not kinds:
        return false()
    return exists().where(
        Registration.cadre_id == Cadre.id, Registration.status == RegistrationStatus.REGISTERED,
        Registration.course_id == Course.id, Course.kind.in_(kinds), Course.cancelled.is_(False))


def mandatory_gap_sql(rules: RuleBook) -> ColumnElement[bool]:
    """True for a cadre with at least one gap on a 100% target."""
    parts = [and_(population_sql(i.population), not_(condition_sql(i.condition)))
             for i in rules.indicators if i.mandatory]
    return or_(false(), *parts)


# --- who may see what ------------------------------------------------------------------------


def resolve_unit(session: Session, actor: Actor, unit_ref: str | int | None) -> Unit | None:
    """The unit a report is about: a manager's own by default, the province for HR.

    Re-checked on every call: a forged button naming a sibling unit is refused here.
    """
    if not (actor.is_manager or actor.is_hr):
        raise PermissionDenied("Báo cáo chỉ dành cho cán bộ quản lý và Ban Tổ chức.")
    if unit_ref is None:
        return None if actor.is_hr else session.get(Unit, actor.unit_id)
    unit = session.get(Unit, unit_ref) if isinstance(unit_ref, int) else unit_by_code(session, unit_ref)
    if unit is None:
        raise NotFound(f"Không có đơn vị {unit_ref}.")
    if not actor.may_see_unit(unit.path):
        raise PermissionDenied("Bạn chỉ xem được đơn vị của mình và các đơn vị trực thuộc.")
    return unit


def report_for(session: Session, actor: Actor, unit_ref: str | int | None, today: date) -> Report:
    unit = resolve_unit(session, actor, unit_ref)
    audit(session, actor.code, "report", unit.code if unit else "PROVINCE")
    has_children = bool(session.scalar(select(exists().where(_children_of(unit)))))
    return replace(build_report(session, unit, today), has_children=has_children, up=_up(actor, unit))


def _up(actor: Actor, unit: Unit | None) -> UnitLink | None:
    """The report one level up, only when the actor may open it: a manager never sees above their own unit,
    HR climbs to the province. (Offering it is a courtesy: the press is checked again by resolve_unit.)"""
    if unit is None:
        return None
    if unit.parent is None:
        return UnitLink(None, PROVINCE) if actor.is_hr else None
    return UnitLink(unit.parent.id, unit.parent.name) if actor.may_see_unit(unit.parent.path) else None


# --- drill-down --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRow:
    unit_id: int
    code: str
    name: str
    cadres: int
    with_mandatory_gap: int

    @property
    def gap_pct(self) -> float:
        return percent(self.with_mandatory_gap, self.cadres)


def _children_of(unit: Unit | None) -> ColumnElement[bool]:
    """The units one level below `unit`; below the province, the top-level units."""
    return Unit.parent_id == unit.id if unit else Unit.parent_id.is_(None)


def child_units(session: Session, actor: Actor, unit_ref: str | int | None,
                rules: RuleBook | None = None) -> tuple[Unit | None, list[ChildRow]]:
    """Direct children of a unit with their subtree counts, worst (largest share with a gap) first."""
    rules = rules or default_rules()
    unit = resolve_unit(session, actor, unit_ref)
    children = list(session.scalars(select(Unit).where(_children_of(unit))))
    per_unit = session.execute(
        select(Unit.path, func.count(Cadre.id), func.sum(case((mandatory_gap_sql(rules), 1), else_=0)))
        .select_from(Cadre).join(Unit, Cadre.unit_id == Unit.id).where(_scope(unit)).group_by(Unit.path)
    ).all()
    rows = []
    for child in children:
        inside = [(n, g or 0) for path, n, g in per_unit if path.startswith(child.path)]
        rows.append(ChildRow(child.id, child.code, child.name, sum(n for n, _ in inside), sum(g for _, g in inside)))
    rows.sort(key=lambda r: (-r.gap_pct, -r.with_mandatory_gap, r.code))
    return unit, rows


@dataclass(frozen=True)
class PersonGap:
    code: str
    full_name: str
    unit_name: str
    position: str
    gaps: list[str]
    unit_code: str = ""


def _mandatory_titles(rules: RuleBook, cadre: Cadre) -> list[str]:
    level = cadre.unit.level
    return [i.requirement for i in rules.indicators
            if i.mandatory and in_population(i.population, cadre, level) and not meets(i.condition, cadre)]


def people_with_mandatory_gaps(
    session: Session, unit: Unit | None, page: int = 0, page_size: int = 10, rules: RuleBook | None = None
) -> tuple[int, list[PersonGap]]:
    rules = rules or default_rules()
    where = and_(_scope(unit), mandatory_gap_sql(rules))
    base = select(Cadre).join(Unit, Cadre.unit_id == Unit.id).options(contains_eager(Cadre.unit)).where(where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page_rows = session.scalars(base.order_by(Unit.path, Cadre.name_key, Cadre.full_name, Cadre.code)
                                .offset(page * page_size).limit(page_size))
    people = [PersonGap(c.code, c.full_name, c.unit.name, c.position, _mandatory_titles(rules, c), c.unit.code)
              for c in page_rows]
    return total, people


def people_for(session: Session, actor: Actor, unit_ref: str | int | None, page: int,
               page_size: int = 10) -> tuple[Unit | None, int, list[PersonGap]]:
    unit = resolve_unit(session, actor, unit_ref)
    audit(session, actor.code, "view-people-with-gaps", unit.code if unit else "PROVINCE", f"page={page}")
    total, people = people_with_mandatory_gaps(session, unit, page, page_size)
    return unit, total, people



EXPORT_LIMIT = 100_000


def export_for(session: Session, actor: Actor, unit_ref: str | int | None,
               today: date) -> tuple[Report, list[PersonGap]]:
    """What the .xlsx export holds (summary + everyone with a mandatory gap). Audit-logged: it lists people.

    The workbook itself is written by domain.exports.report_xlsx, outside the transaction.
    """
    unit = resolve_unit(session, actor, unit_ref)
    report = build_report(session, unit, today)
    _, people = people_with_mandatory_gaps(session, unit, 0, EXPORT_LIMIT)
    audit(session, actor.code, "export-xlsx", unit.code if unit else "PROVINCE", f"people={len(people)}")
    return report, people
