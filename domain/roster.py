"""Importing HR's roster (domain.md §2): validate every row, then write all or nothing.

Re-importing the same file changes nothing; a newer file updates cadres by code and
records every changed field in the cadre's history. Nothing is ever deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.models import Cadre, RecordChange, Unit
from domain.clock import utcnow
from domain.levels import (
    EDUCATION,
    GENDERS,
    MANAGED_BY,
    POLITICAL_THEORY,
    STATE_MANAGEMENT,
    TITLE_GROUPS,
    UNIT_LEVELS,
    Scale,
    match_choice,
)
from domain.phone import normalize_phone
from domain.spreadsheet import load_sheet
from domain.text import clean, fold
from domain.units import recompute_paths

HEADERS = {
    "Mã cán bộ": "code",
    "Họ và tên": "full_name",
    "Ngày sinh": "birth_date",
    "Giới tính": "gender",
    "Dân tộc": "ethnicity",
    "Số điện thoại": "phone",
    "Mã đơn vị": "unit_code",
    "Tên đơn vị": "unit_name",
    "Mã đơn vị cấp trên": "parent_code",
    "Cấp": "unit_level",
    "Chức vụ": "position",
    "Nhóm chức danh": "title_group",
    "Lãnh đạo quản lý": "is_leader",
    "Diện quản lý": "managed_by",
    "Trình độ chuyên môn": "education",
    "Chuyên ngành": "specialty",
    "Lý luận chính trị": "political_theory",
    "Quản lý nhà nước": "state_management",
    "Bố trí đúng VTVL": "job_matched",
    "Trong quy hoạch": "in_succession_plan",
    "Chức danh quy hoạch": "planned_title",
    "BD theo VTVL": "trained_job_position",
    "BD chuyển đổi số AI": "trained_digital_ai",
    "BD CQĐP 2 cấp": "trained_two_tier_gov",
    "BD chức danh quy hoạch": "trained_planned_title",
    "Đào tạo chuyên môn phù hợp": "retrained_specialty",
    "Mã người quản lý": "manager_code",
}
REQUIRED = (
    "Mã cán bộ", "Họ và tên", "Mã đơn vị", "Tên đơn vị", "Cấp", "Chức vụ",
    "Nhóm chức danh", "Lãnh đạo quản lý", "Trình độ chuyên môn", "Lý luận chính trị",
)
YEAR_FIELDS = (
    "trained_job_position", "trained_digital_ai", "trained_two_tier_gov",
    "trained_planned_title", "retrained_specialty",
)
# The cadre attributes an import owns; Telegram link, HR role and timestamps are not among them.
CADRE_FIELDS = (
    "full_name", "birth_date", "gender", "ethnicity", "phone", "unit_id", "position", "title_group",
    "is_leader", "managed_by", "education", "specialty", "political_theory", "state_management",
    "job_matched", "in_succession_plan", "planned_title", *YEAR_FIELDS, "manager_code",
)
YES, NO = "Có", "Không"
MAX_CODE = 20  # codes travel in Telegram button data (64 bytes at most)
CODE_PATTERN = re.compile(rf"[A-Z0-9_.-]{{1,{MAX_CODE}}}")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    row: int
    code: str
    reason: str


@dataclass(frozen=True)
class UnitDef:
    code: str
    name: str
    level: str
    parent_code: str | None
    row: int


@dataclass
class ImportResult:
    total_rows: int = 0
    units_added: int = 0
    units_updated: int = 0
    cadres_added: int = 0
    cadres_updated: int = 0
    cadres_unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "rows": self.total_rows,
            "units": {"added": self.units_added, "updated": self.units_updated},
            "cadres": {
                "added": self.cadres_added,
                "updated": self.cadres_updated,
                "unchanged": self.cadres_unchanged,
                "rejected": len(self.rejected),
            },
            "errors": [{"row": e.row, "code": e.code, "reason": e.reason} for e in self.rejected],
        }


# --- parsing one row -------------------------------------------------------------------------


class _RowProblems(list[str]):
    def need(self, value: str, header: str) -> str:
        if not value:
            self.append(f"thiếu “{header}”")
        return value


def _parse_bool(raw: str, header: str, problems: _RowProblems, default: bool | None) -> bool:
    if not raw:
        if default is None:
            problems.append(f"thiếu “{header}”")
            return False
        return default
    choice = match_choice(raw, (YES, NO))
    if choice is None:
        problems.append(f"“{header}” phải là Có/Không, nhận được “{raw}”")
        return False
    return choice == YES


def _parse_scale(raw: str, scale: Scale, header: str, problems: _RowProblems, default: int | None) -> int:
    if not raw and default is not None:
        return default
    code = scale.code_of(raw)
    if code is None:
        problems.append(f"“{header}” không hợp lệ: “{raw}” (chọn: {', '.join(scale.labels)})")
        return 0
    return code


def _parse_choice(raw: str, choices: tuple[str, ...], header: str, problems: _RowProblems) -> str | None:
    if not raw:
        return None
    choice = match_choice(raw, choices)
    if choice is None:
        problems.append(f"“{header}” không hợp lệ: “{raw}” (chọn: {', '.join(choices)})")
    return choice


def _parse_date(raw: str, problems: _RowProblems) -> date | None:
    if not raw:
        return None
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            value = datetime.strptime(raw.split(" ")[0], fmt).date()
        except ValueError:
            continue
        if not date(1940, 1, 1) <= value <= date.today():
            break
        return value
    problems.append(f"“Ngày sinh” không hợp lệ: “{raw}” (dạng dd/mm/yyyy)")
    return None


def _parse_year(raw: str, header: str, problems: _RowProblems) -> int | None:
    if not raw:
        return None
    text = raw[:-2] if raw.endswith(".0") else raw
    if text.isdigit() and 1950 <= int(text) <= date.today().year + 1:
        return int(text)
    problems.append(f"“{header}” phải là năm (ví dụ 2025) hoặc để trống, nhận được “{raw}”")
    return None


def _code(raw: str) -> str:
    return clean(raw).upper()


def parse_row(cells: dict[str, str]) -> tuple[dict[str, Any], UnitDef | None, list[str]]:
    """One roster row -> cadre values (with 'unit_code'), its unit definition, and problems."""
    p = _RowProblems()
    get = lambda f: cells.get(f, "")  # noqa: E731
    values: dict[str, Any] = {"code": _code(p.need(get("code"), "Mã cán bộ"))}
    if values["code"] and not CODE_PATTERN.fullmatch(values["code"]):
        p.append(f"“Mã cán bộ” chỉ gồm chữ không dấu, số, '-', '_' và tối đa {MAX_CODE} ký tự")
    values["full_name"] = p.need(get("full_name"), "Họ và tên")
    values["birth_date"] = _parse_date(get("birth_date"), p)
    values["gender"] = _parse_choice(get("gender"), GENDERS, "Giới tính", p)
    values["ethnicity"] = get("ethnicity") or None
    try:
        values["phone"] = normalize_phone(get("phone"))
    except ValueError:
        p.append(f"“Số điện thoại” không hợp lệ: “{get('phone')}”")
    values["position"] = p.need(get("position"), "Chức vụ")
    title = get("title_group").upper().replace(" ", "_")
    values["title_group"] = title if title in TITLE_GROUPS else None
    if p.need(title, "Nhóm chức danh") and title not in TITLE_GROUPS:
        p.append(f"“Nhóm chức danh” không hợp lệ: “{get('title_group')}” (chọn: {', '.join(TITLE_GROUPS)})")
    values["is_leader"] = _parse_bool(get("is_leader"), "Lãnh đạo quản lý", p, default=None)
    managed = get("managed_by").upper().replace(" ", "_")
    values["managed_by"] = managed or None
    if managed and managed not in MANAGED_BY:
        p.append(f"“Diện quản lý” không hợp lệ: “{get('managed_by')}” (chọn: BTV, CO_QUAN)")
    elif values["is_leader"] and not managed:
        p.append("cán bộ lãnh đạo quản lý phải có “Diện quản lý” (BTV hoặc CO_QUAN)")
    if not values["is_leader"]:
        values["managed_by"] = None
    values["education"] = _parse_scale(get("education"), EDUCATION, "Trình độ chuyên môn", p, None)
    values["specialty"] = get("specialty") or None
    values["political_theory"] = _parse_scale(get("political_theory"), POLITICAL_THEORY, "Lý luận chính trị", p, None)
    values["state_management"] = _parse_scale(get("state_management"), STATE_MANAGEMENT, "Quản lý nhà nước", p, 0)
    values["job_matched"] = _parse_bool(get("job_matched"), "Bố trí đúng VTVL", p, default=True)
    values["in_succession_plan"] = _parse_bool(get("in_succession_plan"), "Trong quy hoạch", p, default=False)
    values["planned_title"] = get("planned_title") or None
    for name in YEAR_FIELDS:
        header = next(h for h, f in HEADERS.items() if f == name)
        values[name] = _parse_year(get(name), header, p)
    values["manager_code"] = _code(get("manager_code")) or None
    unit = _parse_unit(cells, p)
    values["unit_code"] = unit.code if unit else None
    return values, unit, list(p)


def _parse_unit(cells: dict[str, str], p: _RowProblems) -> UnitDef | None:
    code = _code(p.need(cells.get("unit_code", ""), "Mã đơn vị"))
    name = p.need(cells.get("unit_name", ""), "Tên đơn vị")
    raw_level = p.need(cells.get("unit_level", ""), "Cấp")
    level = _parse_choice(raw_level, UNIT_LEVELS, "Cấp", p)
    if not (code and name and level):
        return None
    parent = _code(cells.get("parent_code", "")) or None
    if parent == code:
        p.append("đơn vị không thể là cấp trên của chính nó")
        return None
    return UnitDef(code=code, name=name, level=level, parent_code=parent, row=0)


# --- cross-row validation --------------------------------------------------------------------


@dataclass
class _Plan:
    cadres: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    units: dict[str, UnitDef] = field(default_factory=dict)
    errors: dict[int, RowError] = field(default_factory=dict)

    def reject(self, row: int, code: str, reason: str) -> None:
        if row in self.errors:
            reason = f"{self.errors[row].reason}; {reason}"
        self.errors[row] = RowError(row, code, reason)


def _collect(rows: list[tuple[int, dict[str, str]]]) -> _Plan:
    plan = _Plan()
    seen_codes: dict[str, int] = {}
    for number, cells in rows:
        values, unit, problems = parse_row(cells)
        code = values["code"]
        if code and code in seen_codes:
            problems.append(f"trùng “Mã cán bộ” {code} với dòng {seen_codes[code]}")
        elif code:
            seen_codes[code] = number
        if unit:
            known = plan.units.get(unit.code)
            if known is None:
                plan.units[unit.code] = UnitDef(unit.code, unit.name, unit.level, unit.parent_code, number)
            elif (fold(known.name), known.level, known.parent_code) != (fold(unit.name), unit.level, unit.parent_code):
                problems.append(f"đơn vị {unit.code} đã được khai báo khác ở dòng {known.row}")
        if problems:
            plan.reject(number, code, "; ".join(problems))
        else:
            plan.cadres.append((number, values))
    return plan


def _check_unit_tree(
    plan: _Plan, db_units: dict[str, int | None], db_parents: dict[str, str | None]
) -> dict[str, str]:
    """Why each bad unit code cannot be placed: unknown parent, a cycle, or a bad ancestor."""
    parent_of = dict(db_parents)
    parent_of.update({c: u.parent_code for c, u in plan.units.items()})
    bad: dict[str, str] = {}
    for code, unit in plan.units.items():
        parent = unit.parent_code
        if parent and parent not in plan.units and parent not in db_units:
            bad[code] = f"đơn vị cấp trên “{parent}” của đơn vị {code} không có trong tệp hay cơ sở dữ liệu"
            continue
        seen, cursor = {code}, parent
        while cursor:
            if cursor in seen:
                bad[code] = f"cây đơn vị bị vòng lặp tại đơn vị {code}"
                break
            seen.add(cursor)
            cursor = parent_of.get(cursor)
    # A unit under a rejected unit cannot be placed in the tree either.
    changed = True
    while changed:
        changed = False
        for code, unit in plan.units.items():
            if code not in bad and unit.parent_code in bad:
                bad[code] = f"đơn vị cấp trên {unit.parent_code} của đơn vị {code} bị lỗi"
                changed = True
    return bad


def _cross_check(plan: _Plan, session: Session) -> None:
    db_rows = session.execute(select(Unit.code, Unit.id, Unit.parent_id)).all()
    id_to_code = {r.id: r.code for r in db_rows}
    db_units = {r.code: r.id for r in db_rows}
    db_parents = {r.code: id_to_code.get(r.parent_id) if r.parent_id else None for r in db_rows}
    bad_units = _check_unit_tree(plan, db_units, db_parents)
    file_codes = {v["code"] for _, v in plan.cadres}
    known_codes = file_codes | set(session.scalars(select(Cadre.code)))
    kept = []
    for number, values in plan.cadres:
        if values["unit_code"] in bad_units:
            plan.reject(number, values["code"], bad_units[values["unit_code"]])
        elif values["manager_code"] and values["manager_code"] not in known_codes:
            plan.reject(number, values["code"], f"“Mã người quản lý” {values['manager_code']} không có trong danh sách")
        else:
            kept.append((number, values))
    plan.cadres = kept
    used = {v["unit_code"] for _, v in kept}
    # A unit survives if a kept cadre is in it or it is an ancestor of such a unit.
    needed: set[str] = set()
    for code in used:
        cursor: str | None = code
        while cursor and cursor in plan.units and cursor not in needed:
            needed.add(cursor)
            cursor = plan.units[cursor].parent_code
    plan.units = {c: u for c, u in plan.units.items() if c in needed}


# --- writing ---------------------------------------------------------------------------------


def _write_units(session: Session, units: dict[str, UnitDef], result: ImportResult) -> dict[str, int]:
    existing = {r.code: r for r in session.execute(select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id))}
    new = [
        {"code": u.code, "name": u.name, "level": u.level, "path": ""}
        for c, u in units.items()
        if c not in existing
    ]
    if new:
        session.execute(insert(Unit), new)
    ids = dict(session.execute(select(Unit.code, Unit.id)).tuples().all())
    changes = []
    for code, unit in units.items():
        parent_id = ids[unit.parent_code] if unit.parent_code else None
        old = existing.get(code)
        if old is None or (old.name, old.level, old.parent_id) != (unit.name, unit.level, parent_id):
            changes.append({"id": ids[code], "name": unit.name, "level": unit.level, "parent_id": parent_id})
            if old is not None:
                result.units_updated += 1
    if changes:
        session.execute(update(Unit), changes)
    result.units_added = len(new)
    recompute_paths(session)
    return ids


def _fmt(value: Any) -> str | None:
    return None if value is None else str(value)


def _write_cadres(
    session: Session, cadres: list[tuple[int, dict[str, Any]]], unit_ids: dict[str, int],
    result: ImportResult, progress: Progress | None,
) -> None:
    columns = [getattr(Cadre, f) for f in CADRE_FIELDS]
    existing = {row[1]: row for row in session.execute(select(Cadre.id, Cadre.code, *columns))}
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for done, (_, values) in enumerate(cadres, start=1):
        row = {f: values[f] for f in CADRE_FIELDS if f != "unit_id"}
        row["unit_id"] = unit_ids[values["unit_code"]]
        old = existing.get(values["code"])
        if old is None:
            inserts.append({**row, "code": values["code"], "created_at": now, "updated_at": now})
        else:
            diff = {f: row[f] for i, f in enumerate(CADRE_FIELDS) if old[i + 2] != row[f]}
            if diff:
                updates.append({"id": old[0], **diff, "updated_at": now})
                history.extend(
                    {"cadre_id": old[0], "at": now, "source": "import-roster", "field": f,
                     "old_value": _fmt(old[CADRE_FIELDS.index(f) + 2]), "new_value": _fmt(v)}
                    for f, v in diff.items()
                )
            else:
                result.cadres_unchanged += 1
        if progress and (done % 2000 == 0 or done == len(cadres)):
            progress(done, len(cadres))
    for chunk in _chunks(inserts):
        session.execute(insert(Cadre), chunk)
    if updates:
        session.execute(update(Cadre), updates)
    if history:
        session.execute(insert(RecordChange), history)
    result.cadres_added, result.cadres_updated = len(inserts), len(updates)


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def import_roster(
    session: Session, path: Path, *, skip_bad_rows: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Validate the whole file, then write it in the caller's transaction (or nothing)."""
    sheet = load_sheet(path, HEADERS, REQUIRED)
    result = ImportResult(total_rows=len(sheet.rows))
    plan = _collect(sheet.rows)
    _cross_check(plan, session)
    result.rejected = sorted(plan.errors.values(), key=lambda e: e.row)
    if result.rejected and not skip_bad_rows:
        return result
    unit_ids = _write_units(session, plan.units, result)
    _write_cadres(session, plan.cadres, unit_ids, result, progress)
    result.applied = True
    return result
