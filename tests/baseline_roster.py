"""A roster that reproduces the resolution's own baselines (footnotes 5–10)."""

from __future__ import annotations

import csv
from pathlib import Path

from domain.roster import HEADERS

KEY_TITLES = ["BT_XA", "PBT_XA", "CT_HDND_XA", "CT_UBND_XA"]


def _row(i: int, unit: str, title: str, leader: bool, managed: str, edu: str, llct: str) -> dict[str, str]:
    commune = unit.startswith("X")
    return {
        "Mã cán bộ": f"B{i:05d}", "Họ và tên": f"Cán bộ {i}", "Mã đơn vị": unit,
        "Tên đơn vị": f"{'Xã' if commune else 'Sở'} {unit}", "Mã đơn vị cấp trên": "TINH",
        "Cấp": "Xã" if commune else "Tỉnh", "Chức vụ": "Lãnh đạo" if leader else "Chuyên viên",
        "Nhóm chức danh": title, "Lãnh đạo quản lý": "Có" if leader else "Không", "Diện quản lý": managed,
        "Trình độ chuyên môn": edu, "Lý luận chính trị": llct,
    }


def baseline_rows() -> list[dict[str, str]]:
    rows = [{"Mã cán bộ": "B00000", "Họ và tên": "Văn phòng", "Mã đơn vị": "TINH", "Tên đơn vị": "Tỉnh",
             "Mã đơn vị cấp trên": "", "Cấp": "Tỉnh", "Chức vụ": "Chuyên viên", "Nhóm chức danh": "KHAC",
             "Lãnh đạo quản lý": "Không", "Trình độ chuyên môn": "Đại học", "Lý luận chính trị": "Chưa"}]
    btv: list[dict[str, str]] = []
    for k in range(372):  # commune key titles: all BTV-managed leaders, 368 with Cao cấp
        btv.append(_row(len(rows) + len(btv), f"X{k % 93:03d}", KEY_TITLES[k // 93], True, "BTV", "Đại học",
                        "Trung cấp" if k < 4 else "Cao cấp"))
    for _ in range(254):
        btv.append(_row(len(rows) + len(btv), "S001", "KHAC", True, "BTV", "Đại học", "Cao cấp"))
    for k, row in enumerate(btv):
        if k < 412:
            row["Trình độ chuyên môn"] = "Thạc sĩ" if k % 2 else "Tiến sĩ"
    rows += btv
    coquan: list[dict[str, str]] = []
    for k in range(371):  # commune vice-chairs: CO_QUAN leaders, 204 with Cao cấp/Cử nhân
        title = "PCT_HDND_XA" if k % 2 else "PCT_UBND_XA"
        llct = ("Cử nhân" if k % 3 == 0 else "Cao cấp") if k < 204 else "Trung cấp"
        coquan.append(_row(len(rows) + len(coquan), f"X{k % 93:03d}", title, True, "CO_QUAN", "Đại học", llct))
    for k in range(6154):
        llct = "Cao cấp" if k < 1074 else ("Trung cấp" if k < 1074 + 4949 else "Sơ cấp")
        coquan.append(_row(len(rows) + len(coquan), "S002", "KHAC", True, "CO_QUAN", "Đại học", llct))
    for k, row in enumerate(coquan):
        if k < 1183:
            row["Trình độ chuyên môn"] = "Thạc sĩ"
    rows += coquan
    for _ in range(100):  # staff: in no leader population
        rows.append(_row(len(rows), "S002", "KHAC", False, "", "Thạc sĩ", "Cao cấp"))
    return rows


def write_baseline_roster(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(HEADERS))
        writer.writeheader()
        for row in baseline_rows():
            writer.writerow(row)
    return path
