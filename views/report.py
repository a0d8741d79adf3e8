"""A unit's report as text: the same wording in the bot and in `cadrebot report`."""

from __future__ import annotations

from domain.report import Report
from views.html import esc

TITLE = "📊 <b>Chỉ tiêu Nghị quyết – {unit}</b>\n{cadres} cán bộ · số liệu đến {as_of}"
ROW = (
    "\n{n}. {mark} <b>{title}</b>\n   Đạt {met}/{population} = {pct:.2f}% · chỉ tiêu {target:g}% · "
    "còn thiếu {shortfall} người · hạn {deadline} ({ref})"
)
PROJECTION = "\n   ↗ Nếu những người đã đăng ký lớp hoàn thành: {met}/{population} = {pct:.2f}%"
EMPTY_ROW = "\n{n}. <b>{title}</b>\n   Không có cán bộ thuộc đối tượng này."


def render_report(report: Report) -> str:
    lines = [TITLE.format(unit=esc(report.unit_name), cadres=report.cadres, as_of=f"{report.as_of:%d/%m/%Y}")]
    for n, r in enumerate(report.rows, 1):
        if not r.population:
            lines.append(EMPTY_ROW.format(n=n, title=esc(r.title)))
            continue
        lines.append(ROW.format(n=n, mark="✅" if r.shortfall == 0 else "⚠️", title=esc(r.title), met=r.met,
                                population=r.population, pct=r.pct, target=r.target_pct, shortfall=r.shortfall,
                                deadline=f"{r.deadline:%d/%m/%Y}", ref=esc(r.ref)))
        if r.projected_met > r.met:
            lines.append(PROJECTION.format(met=r.projected_met, population=r.population, pct=r.projected_pct))
    return "".join(lines)
