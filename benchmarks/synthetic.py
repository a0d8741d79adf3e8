"""A deterministic province-sized roster: ~2,000 units, 48,000 cadres, in HR's CSV format."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.models import Cadre, Outbox, Unit
from domain.clock import utcnow
from domain.courses import HEADERS as COURSE_HEADERS
from domain.roster import HEADERS
from domain.roster import HEADERS as ROSTER_HEADERS

HEADER = list(HEADERS)
EDU = ["Trung cấp", "Cao đẳng", "Đại học", "Đại học", "Đại học", "Thạc sĩ", "Tiến sĩ"]
LLCT = ["Chưa", "Sơ cấp", "Trung cấp", "Trung cấp", "Cao cấp", "Cử nhân"]
QLNN = ["Chưa", "Chuyên viên", "Chuyên viên chính", "Chuyên viên cao cấp"]
COMMUNE_TITLES = ["BT_XA", "PBT_XA", "CT_HDND_XA", "CT_UBND_XA", "PCT_HDND_XA", "PCT_UBND_XA"]


def _units(n_departments: int = 40, n_communes: int = 124) -> list[tuple[str, str, str | None, str]]:
    units: list[tuple[str, str, str | None, str]] = [("TINH", "Tỉnh Tuyên Quang", None, "Tỉnh")]
    for d in range(n_departments):
        code = f"S{d:03d}"
        units.append((code, f"Sở {d}", "TINH", "Tỉnh"))
        units += [(f"{code}-P{p:02d}", f"Phòng {p} sở {d}", code, "Tỉnh") for p in range(12)]
    for c in range(n_communes):
        code = f"X{c:03d}"
        units.append((code, f"Xã {c}", "TINH", "Xã"))
        units += [(f"{code}-P{p:02d}", f"Phòng {p} xã {c}", code, "Xã") for p in range(11)]
    return units


def _year(rng: random.Random, p_done: float) -> str:
    return str(rng.choice([2024, 2025, 2026])) if rng.random() < p_done else ""


def _cadre(rng: random.Random, i: int, unit: tuple[str, str, str | None, str], title: str) -> list[str]:
    code, name, parent, level = unit
    leader = title != "KHAC" or rng.random() < 0.15
    return [
        f"TQ{i:06d}", f"Cán bộ {i}", f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1965, 2000)}",
        rng.choice(["Nam", "Nữ"]), rng.choice(["Kinh", "Tày", "Dao", "Mông", "Nùng"]), f"09{i:08d}",
        code, name, parent or "", level, "Chuyên viên" if not leader else "Trưởng phòng", title,
        "Có" if leader else "Không", (rng.choice(["BTV", "CO_QUAN", "CO_QUAN", "CO_QUAN"]) if leader else ""),
        rng.choice(EDU), "Hành chính", rng.choice(LLCT), rng.choice(QLNN),
        "Không" if rng.random() < 0.01 else "Có", "Có" if rng.random() < 0.1 else "Không", "",
        _year(rng, 0.6), _year(rng, 0.4), _year(rng, 0.7), _year(rng, 0.2), _year(rng, 0.05), "",
    ]


def write_roster(path: Path, cadres: int = 48_000, seed: int = 2026) -> tuple[int, int]:
    rng = random.Random(seed)
    units = _units()
    communes = [u for u in units if u[3] == "Xã" and u[2] == "TINH"]
    rows = []
    # Units exist only through the rows that name them: every unit gets at least one cadre.
    for unit in units:
        rows.append(_cadre(rng, len(rows), unit, "KHAC"))
    for commune in communes:  # every commune gets its key titles
        for title in COMMUNE_TITLES:
            rows.append(_cadre(rng, len(rows), commune, title))
    while len(rows) < cadres:
        rows.append(_cadre(rng, len(rows), rng.choice(units), "KHAC"))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return len(rows), len(units)


def write_people(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(ROSTER_HEADERS))
        writer.writeheader()
        for i in range(n):
            writer.writerow({"Mã cán bộ": f"P{i:03d}", "Họ và tên": f"Học viên {i}", "Mã đơn vị": "U1",
                             "Tên đơn vị": "Đơn vị 1", "Cấp": "Xã", "Chức vụ": "Chuyên viên",
                             "Nhóm chức danh": "KHAC", "Lãnh đạo quản lý": "Không", "Trình độ chuyên môn": "Đại học",
                             "Lý luận chính trị": "Trung cấp", "Số điện thoại": f"0987{i:06d}"})
    return path


def write_course(path: Path, code: str, seats: int, start: date, kind: str = "CDS_AI",
                 audience: str = "Mọi cán bộ", days: int = 5) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(COURSE_HEADERS))
        writer.writeheader()
        writer.writerow({"Mã lớp": code, "Tên lớp": f"Lớp {code}", "Loại": kind,
                         "Cơ sở đào tạo": "Trường Chính trị tỉnh",
                         "Hình thức": "Tập trung", "Ngày bắt đầu": f"{start:%d/%m/%Y}",
                         "Ngày kết thúc": f"{start + timedelta(days=days):%d/%m/%Y}",
                         "Hạn đăng ký": f"{start - timedelta(days=7):%d/%m/%Y}", "Số chỗ": str(seats),
                         "Địa điểm": "Tuyên Quang", "Đối tượng": audience})
    return path


def insert_linked_with_messages(session: Session, n: int, kind: str, key_fmt: str, text_fmt: str,
                                chat_base: int, code_fmt: str = "C{i:06d}", unit_code: str = "SYN") -> None:
    """n linked cadres in a unit of their own, each with one pending outbox message (formats take i)."""
    now = utcnow()
    session.execute(insert(Unit), [{"code": unit_code, "name": unit_code, "level": "Xã", "path": f"/{unit_code}/"}])
    unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
    session.execute(insert(Cadre), [{
        "code": code_fmt.format(i=i), "full_name": f"Cán bộ {i}", "unit_id": unit_id, "position": "CV",
        "title_group": "KHAC", "is_leader": False, "education": 2, "political_theory": 1, "state_management": 0,
        "job_matched": True, "in_succession_plan": False, "is_hr": False, "mute_optional": False,
        "telegram_user_id": chat_base + i, "telegram_chat_id": chat_base + i, "created_at": now,
        "updated_at": now} for i in range(n)])
    ids = session.scalars(select(Cadre.id).where(Cadre.unit_id == unit_id).order_by(Cadre.id)).all()
    session.execute(insert(Outbox), [{
        "key": key_fmt.format(i=i, code=code_fmt.format(i=i)), "chat_id": chat_base + i, "cadre_id": cid,
        "kind": kind, "payload": json.dumps({"text": text_fmt.format(i=i)}), "due_at": now, "status": "pending",
        "attempts": 0, "created_at": now} for i, cid in enumerate(ids)])
