"""Requests for the app itself, not questions about the resolution: they are pointed to the feature.

"tôi muốn đăng ký lớp học" -> the course list; "tôi còn thiếu tiêu chuẩn gì" -> the person's gaps;
"nộp bản tự đánh giá" -> the monthly self-evaluation. Patterns work on the folded question with teen-code
already mapped (knowledge.typing), before abbreviations are expanded.
"""

from __future__ import annotations

import re

COURSES, GAPS, EVAL = "courses", "gaps", "eval"

_ME = r"(toi|em|minh)"
_END = rf"( (a|nhi|vay|nhe|the|khong|{_ME}))*"  # closing particles ("ạ", "nhỉ"; "ạ" may fold to the pronoun)
_INTENTS = (
    (COURSES, re.compile(r"\b(dang ky|dang ki|ghi danh)\b.{0,40}\b(lop|khoa|hoc)\b|"
                         r"\b(lop|khoa hoc|khoa) nao (dang )?(mo|con cho)\b|\b(danh sach|xem) (cac )?lop\b|"
                         # cancelling a registration, or one named by its course code ("cds-01", "cc-k26")
                         r"\b(huy|bo|rut|thoi) (dang ky|dang ki)\b|"
                         r"\b(dang ky|dang ki) [a-z]{1,6}[ -]?[a-z]{0,3}\d{1,3}\b|"
                         # a menu's words typed alone ("khóa học", "lớp của tôi"), as the whole question
                         rf"^(cac )?(lop hoc|lop|khoa hoc|khoa)( (da )?dang k[yi])?( cua {_ME})?{_END}$")),
    (GAPS, re.compile(r"\b(toi|em) (con |dang |da )?(thieu|chua dat|chua du|chua dap ung)\b|"
                      r"\bminh (con )?(thieu|chua dat|chua du) (gi|tieu chuan|tieu chi|chuan|dieu kien)\b|"
                      rf"\btieu chuan (cua|con thieu cua) {_ME}\b|\b{_ME} (da )?dat chuan chua\b|"
                      # Which course for me: /gaps lists the open courses that close the person's own gaps. Only
                      # as the whole question: "tôi cần học gì về chuyển đổi số" asks the resolution.
                      rf"^(co )?(lop|khoa hoc|khoa) nao (cho|danh cho|hop voi|phu hop( voi| cho)?) {_ME}{_END}$|"
                      rf"^{_ME} (nen|can|phai) (di )?(hoc|dang ky) (them )?(lop|khoa hoc|khoa) nao{_END}$|"
                      rf"^{_ME} (nen|can|phai) hoc (them )?gi{_END}$")),
    (EVAL, re.compile(r"\b(nop|gui|lam|viet|sua|muon|can) (ban |phieu |bao cao )?(tu )?danh gia\b|"
                      r"\btu danh gia (thang nay|thang \d+|cua (toi|em|minh))\b|"
                      r"\b(toi|em|minh) (muon |can |phai )?tu danh gia\b")),
)

POINTERS = {
    COURSES: "Để xem các lớp đang mở và đăng ký, gõ /courses.",
    GAPS: "Để xem bạn còn thiếu tiêu chuẩn nào theo Nghị quyết và lớp nào giúp đạt, gõ /gaps.",
    EVAL: "Để làm hoặc nộp bản tự đánh giá hằng tháng, gõ /eval.",
}


def intent_of(folded: str) -> str | None:
    for name, pattern in _INTENTS:
        if pattern.search(folded):
            return name
    return None
