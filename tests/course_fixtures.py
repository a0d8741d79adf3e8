"""A small roster and course list built for registration tests."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from domain.courses import HEADERS as COURSE_HEADERS
from domain.roster import HEADERS as ROSTER_HEADERS


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
