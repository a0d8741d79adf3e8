"""Importing HR's roster (domain.md §2): validate every row, then write all or nothing.

Re-importing the same file changes nothing; a newer file updates cadres by code and
records every changed field in the cadre's history, naming the file. Nothing is ever deleted.
A file never silently undoes the bot: where it would lower a qualification that a course
completion raised after the previous import, that field is kept and reported as a conflict.
Names are stored in Vietnamese title case; the name as typed stays in the history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.collation import name_key
from db.models import Cadre, RecordChange, RosterImport, Unit
from domain import vn
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
from domain.records import (
    QUALIFICATIONS,
    ROSTER_SOURCE,
    Change,
    actor_label,
    field_label,
    is_lower,
    protected_completions,
    title_case,
    value_label,
)
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
FIELD_TITLES = {f: h for h, f in HEADERS.items()} | {"unit_id": "Đơn vị"}
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
    dry_run: bool = False
    skip_bad_rows: bool = False
    per_field: dict[str, int] = field(default_factory=dict)  # field -> cadres whose value changed
    changes: list[dict[str, Any]] = field(default_factory=list)  # per cadre: code and its field changes
    names: dict[str, str] = field(default_factory=dict)  # code -> name of each changed cadre (the preview's lines)
    conflicts: list[Conflict] = field(default_factory=list)
    kept_columns: list[str] = field(default_factory=list)  # optional headers the file lacks: recorded values kept
    added: list[tuple[str, str]] = field(default_factory=list)  # (code, name) of each new cadre (the preview's lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "dry_run": self.dry_run,
            "rows": self.total_rows,
            "units": {"added": self.units_added, "updated": self.units_updated},
            "cadres": {
                "added": self.cadres_added,
                "updated": self.cadres_updated,
                "unchanged": self.cadres_unchanged,
                "rejected": len(self.rejected),
            },
            "errors": [{"row": e.row, "code": e.code, "reason": e.reason} for e in self.rejected],
            "changes_per_field": dict(sorted(self.per_field.items())),
            "changes": self.changes,
            "conflicts": [c.as_dict() for c in self.conflicts],
            "kept_columns": self.kept_columns,
        }

    @property
    def would_apply(self) -> bool:
        return not self.rejected or self.skip_bad_rows

    def summary_lines(self, shown_conflicts: int = 20, heading: bool = True) -> list[str]:
        """The import's summary as HR reads it: counts, changes per field, conflicts named. `heading`: a dry run
        says so (the command line); the bot's preview says it in its own words."""
        head = "XEM TRƯỚC (chưa ghi gì): " if self.dry_run and heading else ""
        n = vn.number
        lines = [f"{head}Đơn vị: thêm {n(self.units_added)}, cập nhật {n(self.units_updated)}",
                 f"Cán bộ: thêm {n(self.cadres_added)}, cập nhật {n(self.cadres_updated)}, "
                 f"không đổi {n(self.cadres_unchanged)}, bị từ chối {n(len(self.rejected))}"]
        if self.kept_columns:
            lines.append("Cột không có trong tệp, giữ nguyên giá trị đã lưu: " + ", ".join(self.kept_columns))
        if self.per_field:
            lines.append("Thay đổi theo trường: " + ", ".join(
                f"{FIELD_TITLES.get(f, f)} {n(c)}" for f, c in sorted(self.per_field.items(), key=lambda i: -i[1])))
        if self.dry_run and self.changes:
            lines += [f"• {c['cadre']} {self.names.get(c['cadre'], '')}: " + "; ".join(
                f"{FIELD_TITLES.get(d['field'], field_label(d['field']))}: {d['old_label']} → {d['new_label']}"
                for d in c["changes"])
                for c in self.changes[:SHOWN_CHANGES]]
            if len(self.changes) > SHOWN_CHANGES:
                lines.append(f"… và {n(len(self.changes) - SHOWN_CHANGES)} người khác thay đổi.")
        if self.dry_run and self.added:
            lines += [f"• Mới: {code} {name}" for code, name in self.added[:SHOWN_CHANGES]]
            if len(self.added) > SHOWN_CHANGES:
                lines.append(f"… và {n(len(self.added) - SHOWN_CHANGES)} người mới khác.")
        if self.conflicts:
            lines.append(f"⚠️ {n(len(self.conflicts))} xung đột (tệp hạ thấp giá trị bot đã ghi nhận; KHÔNG áp dụng):")
            lines += [f"• {c.text}" for c in self.conflicts[:shown_conflicts]]
            if len(self.conflicts) > shown_conflicts:
                lines.append(f"… và {n(len(self.conflicts) - shown_conflicts)} xung đột khác.")
        return lines


SHOWN_CHANGES = 10  # people named in a preview (a message holds 4,096 characters, conflicts included)


@dataclass(frozen=True)
class Conflict:
    """The file would lower a value a course completion in the bot raised after the previous import."""

    cadre: str
    name: str
    field: str
    file_value: Any
    recorded_value: Any
    course: str
    completed_at: datetime
    completed_by: str | None
    completed_by_name: str | None = None

    @property
    def text(self) -> str:
        kept = value_label(self.field, self.recorded_value)
        who = (f"{self.completed_by_name} ({self.completed_by})" if self.completed_by_name
               else actor_label(self.completed_by or ""))
        by = f" bởi {who}" if self.completed_by else ""
        return (f"{self.cadre} ({self.name}) – {field_label(self.field)}: tệp ghi "
                f"{value_label(self.field, self.file_value)}, hồ sơ {kept} do hoàn thành lớp {self.course} "
                f"(ghi nhận {self.completed_at:%d/%m/%Y}{by}); giữ {kept}")

    def as_dict(self) -> dict[str, Any]:
        return {"cadre": self.cadre, "field": self.field, "file_value": self.file_value,
                "recorded_value": self.recorded_value, "file_label": value_label(self.field, self.file_value),
                "recorded_label": value_label(self.field, self.recorded_value), "course": self.course,
                "completed_at": self.completed_at.isoformat(), "completed_by": self.completed_by}


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
    if text.isdigit() and 1950 <= int(text) <= date.today().year:  # a training not yet done is no record
        return int(text)
    problems.append(f"“{header}” phải là năm đã qua hoặc năm nay (ví dụ 2025), hoặc để trống; nhận được “{raw}”")
    return None


def _code(raw: str) -> str:
    return clean(raw).upper()


def _checked_code(raw: str, header: str, p: _RowProblems) -> str:
    """Cadre and unit codes: they travel in button data and build unit paths ('/TINH/XMH/'), so a '/'
    would put a unit inside another's subtree."""
    code = _code(raw)
    if code and not CODE_PATTERN.fullmatch(code):
        p.append(f"“{header}” chỉ gồm chữ không dấu, số, '-', '_', '.' và tối đa {MAX_CODE} ký tự")
    return code


def parse_row(cells: dict[str, str]) -> tuple[dict[str, Any], UnitDef | None, list[str]]:
    """One roster row -> cadre values (with 'unit_code'), its unit definition, and problems."""
    p = _RowProblems()
    get = lambda f: cells.get(f, "")  # noqa: E731
    values: dict[str, Any] = {"code": _checked_code(p.need(get("code"), "Mã cán bộ"), "Mã cán bộ", p)}
    values["name_as_typed"] = p.need(get("full_name"), "Họ và tên")
    values["full_name"] = title_case(values["name_as_typed"])
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
    values["manager_code"] = _checked_code(get("manager_code"), "Mã người quản lý", p) or None
    unit = _parse_unit(cells, p)
    values["unit_code"] = unit.code if unit else None
    return values, unit, list(p)


def _parse_unit(cells: dict[str, str], p: _RowProblems) -> UnitDef | None:
    code = _checked_code(p.need(cells.get("unit_code", ""), "Mã đơn vị"), "Mã đơn vị", p)
    name = p.need(cells.get("unit_name", ""), "Tên đơn vị")
    raw_level = p.need(cells.get("unit_level", ""), "Cấp")
    level = _parse_choice(raw_level, UNIT_LEVELS, "Cấp", p)
    if not (code and name and level):
        return None
    parent = _checked_code(cells.get("parent_code", ""), "Mã đơn vị cấp trên", p) or None
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
    seen_phones: dict[str, int] = {}
    for number, cells in rows:
        values, unit, problems = parse_row(cells)
        code = values["code"]
        if code and code in seen_codes:
            problems.append(f"trùng “Mã cán bộ” {code} với dòng {seen_codes[code]}")
        elif code:
            seen_codes[code] = number
        phone = values.get("phone")
        if phone and phone in seen_phones:  # a phone links one Telegram account to exactly one cadre
            problems.append(f"trùng “Số điện thoại” {phone} với dòng {seen_phones[phone]}")
        elif phone:
            seen_phones[phone] = number
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


def _cross_check(plan: _Plan, session: Session, parents_known: bool = True) -> None:
    """parents_known: the file has the "Mã đơn vị cấp trên" column. Without it a recorded unit stays where it is,
    and a new unit cannot be placed: an empty parent would make it a top unit, outside every manager's scope."""
    db_rows = session.execute(select(Unit.code, Unit.id, Unit.parent_id)).all()
    id_to_code = {r.id: r.code for r in db_rows}
    db_units = {r.code: r.id for r in db_rows}
    db_parents = {r.code: id_to_code.get(r.parent_id) if r.parent_id else None for r in db_rows}
    bad_units = _check_unit_tree(plan, db_units, db_parents)
    if not parents_known:
        bad_units.update({code: f"đơn vị mới {code}: tệp không có cột “Mã đơn vị cấp trên” nên không biết đặt đơn vị "
                                "này ở đâu; thêm cột đó (để trống nếu là đơn vị cấp cao nhất)"
                          for code in plan.units if code not in db_units and code not in bad_units})
    file_codes = {v["code"] for _, v in plan.cadres}
    known_codes = file_codes | set(session.scalars(select(Cadre.code)))
    # Phones of cadres this file does not list keep identifying them after the import.
    held = {phone: code for phone, code in session.execute(select(Cadre.phone, Cadre.code)
                                                            .where(Cadre.phone.is_not(None)))
            if code not in file_codes}
    kept = []
    for number, values in plan.cadres:
        holder = held.get(values.get("phone") or "")
        if values["unit_code"] in bad_units:
            plan.reject(number, values["code"], bad_units[values["unit_code"]])
        elif values["manager_code"] and values["manager_code"] not in known_codes:
            plan.reject(number, values["code"], f"“Mã người quản lý” {values['manager_code']} không có trong danh sách")
        elif holder:
            plan.reject(number, values["code"], f"“Số điện thoại” {values['phone']} đã là của cán bộ {holder}")
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


def _write_units(session: Session, units: dict[str, UnitDef], result: ImportResult, keep_parents: bool
                 ) -> dict[str, int]:
    """keep_parents: the file has no "Mã đơn vị cấp trên" column, so a unit already recorded stays where it is."""
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
        old = existing.get(code)
        parent_id = ids[unit.parent_code] if unit.parent_code else None
        if keep_parents and old is not None:
            parent_id = old.parent_id
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


@dataclass
class _CadreWrites:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    renamed_new: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (as typed, stored)


def _history_row(cadre_id: int, at: datetime, name: str, old: Any, new: Any, detail: str | None = None
                 ) -> dict[str, Any]:
    return {"cadre_id": cadre_id, "at": at, "source": ROSTER_SOURCE, "field": name, "old_value": _fmt(old),
            "new_value": _fmt(new), "detail": detail}


def _name_detail(values: dict[str, Any]) -> str | None:
    typed = values["name_as_typed"]
    return f"tên trong tệp: “{typed}”" if typed != values["full_name"] else None


def _diff(protected: dict[tuple[int, str], Any], old: Any, row: dict[str, Any], values: dict[str, Any],
          result: ImportResult, absent: frozenset[str]) -> dict[str, Any]:
    """The fields this row changes, minus those the file has no column for and those that would undo a
    completion (reported as conflicts)."""
    diff = {f: row[f] for i, f in enumerate(CADRE_FIELDS) if f not in absent and old[i + 2] != row[f]}
    for name in [f for f in diff if f in QUALIFICATIONS]:
        current = old[CADRE_FIELDS.index(name) + 2]
        completion = protected.get((old[0], name))
        if completion is not None and is_lower(name, diff[name], current):
            result.conflicts.append(Conflict(values["code"], old[CADRE_FIELDS.index("full_name") + 2], name,
                                             diff.pop(name), current, completion.course, completion.at,
                                             completion.actor, completion.actor_name))
    return diff


def _plan_cadres(session: Session, cadres: list[tuple[int, dict[str, Any]]], unit_ids: dict[str, int],
                 result: ImportResult, progress: Progress | None, now: datetime, absent: frozenset[str]
                 ) -> _CadreWrites:
    columns = [getattr(Cadre, f) for f in CADRE_FIELDS]
    existing = {row[1]: row for row in session.execute(select(Cadre.id, Cadre.code, *columns))}
    protected = protected_completions(session)
    writes = _CadreWrites()
    for done, (_, values) in enumerate(cadres, start=1):
        row = {f: values[f] for f in CADRE_FIELDS if f != "unit_id"}
        row["unit_id"] = unit_ids[values["unit_code"]]
        old = existing.get(values["code"])
        if old is None:
            writes.inserts.append({**row, "code": values["code"], "name_key": name_key(values["full_name"]),
                                   "created_at": now, "updated_at": now})
            result.added.append((values["code"], values["full_name"]))
            if _name_detail(values):
                writes.renamed_new[values["code"]] = (values["name_as_typed"], values["full_name"])
        elif diff := _diff(protected, old, row, values, result, absent):
            keyed = {"name_key": name_key(diff["full_name"])} if "full_name" in diff else {}
            writes.updates.append({"id": old[0], **diff, **keyed, "updated_at": now})
            olds = {f: old[CADRE_FIELDS.index(f) + 2] for f in diff}
            writes.history.extend(_history_row(old[0], now, f, olds[f], v, _name_detail(values)
                                               if f == "full_name" else None) for f, v in diff.items())
            result.names[values["code"]] = values["full_name"]
            result.changes.append({"cadre": values["code"], "changes": [
                Change(f, olds[f], v).as_dict() for f, v in diff.items() if f != "unit_id"]})
            for f in diff:
                result.per_field[f] = result.per_field.get(f, 0) + 1
        else:
            result.cadres_unchanged += 1
        if progress and (done % 2000 == 0 or done == len(cadres)):
            progress(done, len(cadres))
    return writes


def _write_cadres(
    session: Session, cadres: list[tuple[int, dict[str, Any]]], unit_ids: dict[str, int],
    result: ImportResult, progress: Progress | None, source: RosterImport, absent: frozenset[str],
) -> None:
    writes = _plan_cadres(session, cadres, unit_ids, result, progress, source.at, absent)
    for chunk in _chunks(writes.inserts):
        session.execute(insert(Cadre), chunk)
    if writes.updates:
        session.execute(update(Cadre), writes.updates)
    if writes.renamed_new:  # the name as typed is kept in the history of a cadre added title-cased
        query = select(Cadre.code, Cadre.id).where(Cadre.code.in_(writes.renamed_new))
        ids = dict(session.execute(query).tuples().all())
        writes.history.extend(_history_row(ids[code], source.at, "full_name", typed, stored, "viết hoa chuẩn khi nhập")
                              for code, (typed, stored) in writes.renamed_new.items())
    for entry in writes.history:
        entry["import_id"] = source.id
    for chunk in _chunks(writes.history):
        session.execute(insert(RecordChange), chunk)
    result.cadres_added, result.cadres_updated = len(writes.inserts), len(writes.updates)


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def import_roster(
    session: Session, path: Path, *, skip_bad_rows: bool = False, dry_run: bool = False, actor: str = "cli",
    file_name: str | None = None, progress: Progress | None = None,
) -> ImportResult:
    """Validate the whole file, then write it in the caller's transaction (or nothing).

    dry_run: the same result, conflicts and changes included, and nothing written (a savepoint
    rolled back)."""
    sheet = load_sheet(path, HEADERS, REQUIRED)
    result = ImportResult(total_rows=len(sheet.rows), dry_run=dry_run, skip_bad_rows=skip_bad_rows,
                          kept_columns=[h for h, f in HEADERS.items() if f not in sheet.fields])
    plan = _collect(sheet.rows)
    _cross_check(plan, session, parents_known="parent_code" in sheet.fields)
    result.rejected = sorted(plan.errors.values(), key=lambda e: e.row)
    if result.rejected and not skip_bad_rows:
        return result
    savepoint = session.begin_nested() if dry_run else None
    source = RosterImport(at=utcnow(), file_name=(file_name or path.name)[:255], actor=actor, summary="{}")
    session.add(source)
    session.flush()
    absent = frozenset(HEADERS.values()) - sheet.fields
    unit_ids = _write_units(session, plan.units, result, keep_parents="parent_code" in absent)
    _write_cadres(session, plan.cadres, unit_ids, result, progress, source, absent)
    if savepoint is not None:
        savepoint.rollback()
        return result
    source.summary = json.dumps({"cadres": result.as_dict()["cadres"], "per_field": result.per_field,
                                 "conflicts": len(result.conflicts)}, ensure_ascii=False)
    result.applied = True
    return result
