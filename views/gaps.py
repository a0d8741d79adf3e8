"""A cadre's gaps as text: the same wording in the bot and in `cadrebot gaps`."""

from __future__ import annotations

from domain import vn
from domain.gaps import CadreGaps, Gap
from views.html import esc

TITLE = "📋 <b>Tiêu chuẩn còn thiếu</b> – {name}"
MANDATORY = "\n❗ <b>Bắt buộc</b> (chỉ tiêu 100%, từng người phải đạt):"
CONTRIBUTION = "\n➕ <b>Góp phần chỉ tiêu chung</b> (đơn vị cần một tỷ lệ cán bộ đạt):"
GAP_LINE = "{n}. <b>{requirement}</b>\n   Hạn: {deadline} ({left}) · {ref}"
CONTRIBUTION_TARGET = "\n   Chỉ tiêu: {target} – {title}"
COURSES = "\n   🎓 Lớp phù hợp: {courses}"
NO_COURSE = "\n   Chưa có lớp mở phù hợp; đơn vị sẽ được thông báo khi có lớp."
ENROLLED = "\n   ✅ Đã đăng ký lớp {code} – {name} (khai giảng {start})"
WAITING = "\n   ⏳ Đang chờ chỗ lớp {code} – {name} (khai giảng {start})"
NONE = (
    "✅ <b>{name}</b>, bạn đã đạt mọi tiêu chuẩn của Nghị quyết áp dụng cho vị trí hiện tại."
)
NONE_OTHER = "✅ <b>{name}</b> đã đạt mọi tiêu chuẩn của Nghị quyết áp dụng cho vị trí hiện tại."
MET = "\n\n<b>Đã đạt</b>:\n{items}"
NOT_APPLICABLE = "\n\nKhông có chỉ tiêu nào của Nghị quyết áp dụng riêng cho vị trí của bạn."
NOT_APPLICABLE_OTHER = "\n\nKhông có chỉ tiêu nào của Nghị quyết áp dụng riêng cho vị trí này."
WRONG_DATA = (
    "\n\nSố liệu chưa đúng (ví dụ bạn đã học xong nhưng hồ sơ chưa ghi)? Hãy gửi bản sao văn bằng, "
    "chứng chỉ cho bộ phận tổ chức cán bộ của đơn vị để cập nhật hồ sơ."
)


def _left(days: int) -> str:
    return f"còn {vn.number(days)} ngày" if days >= 0 else f"đã quá hạn {vn.number(-days)} ngày"


def _gap_text(n: int, gap: Gap) -> str:
    text = GAP_LINE.format(n=n, requirement=esc(gap.requirement), deadline=gap.deadline.strftime("%d/%m/%Y"),
                           left=_left(gap.days_left), ref=esc(gap.ref))
    if not gap.mandatory:
        text += CONTRIBUTION_TARGET.format(target=vn.target(gap.target_pct), title=esc(gap.title))
    for e in gap.enrolled:
        text += (WAITING if e.waiting else ENROLLED).format(code=esc(e.code), name=esc(e.name),
                                                            start=f"{e.start_date:%d/%m/%Y}")
    if gap.courses:
        names = "; ".join(f"{esc(c.code)} – {esc(c.name)} (hạn đăng ký {c.register_by:%d/%m/%Y})"
                          for c in gap.courses)
        return text + COURSES.format(courses=names)
    return text if gap.enrolled else text + NO_COURSE


def render_gaps(data: CadreGaps, reader_is_the_cadre: bool = True) -> str:
    """The cadre's own /gaps speaks to them ("bạn") and says how to correct the record; HR's or a manager's
    view of someone (/find, the command line) speaks of them."""
    advice = WRONG_DATA if reader_is_the_cadre else ""
    if not data.gaps:
        text = (NONE if reader_is_the_cadre else NONE_OTHER).format(name=esc(data.full_name))
        items = "\n".join(f"• {esc(i.requirement)} ({esc(i.ref)})" for i in data.met)
        none = NOT_APPLICABLE if reader_is_the_cadre else NOT_APPLICABLE_OTHER
        return text + (MET.format(items=items) if items else none) + advice
    lines = [TITLE.format(name=esc(data.full_name))]
    mandatory = [g for g in data.gaps if g.mandatory]
    optional = [g for g in data.gaps if not g.mandatory]
    n = 0
    for header, group in ((MANDATORY, mandatory), (CONTRIBUTION, optional)):
        if group:
            lines.append(header)
        for gap in group:
            n += 1
            lines.append(_gap_text(n, gap))
    if data.met:  # two targets may set the same requirement (different groups, one person): said once
        met = dict.fromkeys(i.requirement for i in data.met)
        lines.append(MET.format(items="\n".join(f"• {esc(r)}" for r in met)).lstrip("\n"))
    return "\n".join(lines) + advice
