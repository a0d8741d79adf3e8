"""Empty import templates HR fills in (domain.md §5 `cadrebot template roster|courses|completion`, and the
registration list the admin menu's import help describes: `registrations`).

Each is an .xlsx whose first sheet holds only the header row the importer looks for (required columns
highlighted), and a second sheet explaining every column and its allowed values.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from domain import bulk_registration, courses, roster
from domain.levels import EDUCATION, MANAGED_BY, POLITICAL_THEORY, STATE_MANAGEMENT, TITLE_GROUPS
from domain.rules import default_rules
from domain.xlsx import workbook_bytes, write_table

REQUIRED_FILL = PatternFill("solid", fgColor="FCE4A8")
COMPLETION_HEADERS = ("Mã cán bộ", "Họ và tên", "Kết quả")  # "Kết quả": a pass (completion.result_refusal)
COMPLETION_REQUIRED = ("Mã cán bộ",)


@dataclass(frozen=True)
class Template:
    kind: str
    title: str
    headers: tuple[str, ...]
    required: tuple[str, ...]
    filename: str


TEMPLATES = {
    "roster": Template("roster", "Danh sách cán bộ", tuple(roster.HEADERS), tuple(roster.REQUIRED),
                       "mau-danh-sach-can-bo.xlsx"),
    "courses": Template("courses", "Danh sách lớp", tuple(courses.HEADERS), tuple(courses.REQUIRED),
                        "mau-danh-sach-lop.xlsx"),
    "completion": Template("completion", "Kết quả hoàn thành lớp", COMPLETION_HEADERS, COMPLETION_REQUIRED,
                           "mau-ket-qua-hoan-thanh.xlsx"),
    "registrations": Template("registrations", "Danh sách đăng ký lớp", tuple(bulk_registration.HEADERS),
                              tuple(bulk_registration.REQUIRED), "mau-dang-ky-lop.xlsx"),
}


# Where a column means something else in one file: in a registration list the class and the name point at records
# that exist (the name only checks the code), where the course list defines classes and the roster names people.
PER_KIND = {
    ("registrations", "Mã lớp"): "mã một lớp đã có (xem /courses)",
    ("registrations", "Họ và tên"): "không bắt buộc; nếu ghi, phải khớp hồ sơ của mã cán bộ (để bắt mã gõ nhầm)",
    ("completion", "Họ và tên"): "không bắt buộc; nếu ghi, phải khớp hồ sơ của mã cán bộ (để bắt mã gõ nhầm)",
    ("courses", "Mã lớp"): "mã lớp mới, hoặc mã một lớp đã có để cập nhật lớp đó",
    ("completion", "Kết quả"): ("để trống, hoặc Đạt / Hoàn thành / Khá / Giỏi / Xuất sắc, hoặc điểm từ 5 (thang 10) "
                                "hay 50 (thang 100); “Không đạt”, “Vắng” hay chữ khác thì dòng đó không được ghi nhận"),
}


def _allowed(header: str, kind: str = "") -> str:
    """The values a column accepts, as HR reads them (in the file of this kind)."""
    if (kind, header) in PER_KIND:
        return PER_KIND[(kind, header)]
    kinds = default_rules().course_kinds.values()
    values = {
        "Nhóm chức danh": "; ".join(f"{code} ({label})" for code, label in TITLE_GROUPS.items()),
        "Diện quản lý": "; ".join(f"{code} ({label})" for code, label in MANAGED_BY.items()) + " – chỉ với lãnh đạo",
        "Trình độ chuyên môn": ", ".join(EDUCATION.labels),
        "Lý luận chính trị": ", ".join(POLITICAL_THEORY.labels),
        "Quản lý nhà nước": ", ".join(STATE_MANAGEMENT.labels),
        "Cấp": "Tỉnh, Xã",
        "Giới tính": "Nam, Nữ",
        "Lãnh đạo quản lý": "Có, Không", "Bố trí đúng VTVL": "Có, Không (mặc định Có)", "Trong quy hoạch": "Có, Không",
        "Ngày sinh": "dd/mm/yyyy", "Ngày bắt đầu": "dd/mm/yyyy", "Ngày kết thúc": "dd/mm/yyyy",
        "Hạn đăng ký": "dd/mm/yyyy",
        "Loại": "mã hoặc tên loại: " + "; ".join(f"{k.code} ({k.label})" for k in kinds),
        "Hình thức": "Tập trung, Không tập trung, Trực tuyến, Tại chức…",
        "Số chỗ": "số nguyên dương",
        "Số điện thoại": "0912 345 678, +84912345678…",
        "Mã đơn vị cấp trên": "để trống với đơn vị cao nhất",
        "Đối tượng": "để trống = mọi cán bộ",
    }
    if header.startswith(("BD ", "Đào tạo chuyên môn")):
        return "năm hoàn thành (ví dụ 2025) hoặc để trống"
    return values.get(header, "")


def template_xlsx(kind: str) -> bytes:
    template = TEMPLATES[kind]
    wb = Workbook()
    sheet = wb.active
    sheet.title = template.title[:31]
    write_table(sheet, [], template.headers, [])
    for cell in sheet[1]:
        if cell.value in template.required:
            cell.fill = REQUIRED_FILL
    guide = wb.create_sheet("Hướng dẫn")
    write_table(guide, [f"Mẫu {template.title}: điền từ dòng 2 của trang đầu; cột tô vàng là bắt buộc.",
                        "Giữ nguyên tên cột (có dấu hay không dấu đều được), thứ tự cột tùy ý."],
                ["Cột", "Bắt buộc", "Giá trị"],
                [[h, "Có" if h in template.required else "Không", _allowed(h, kind)] for h in template.headers])
    guide["A1"].font = Font(bold=True)
    return workbook_bytes(wb)
