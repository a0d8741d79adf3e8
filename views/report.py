"""A unit's report as text: the same wording in the bot and in `cadrebot report`."""

from __future__ import annotations

from domain import vn
from domain.report import Report
from views.html import esc

TITLE = "📊 <b>Chỉ tiêu Nghị quyết – {unit}</b>\n{cadres} cán bộ · số liệu đến {as_of}"
ROW = (
    "\n{n}. {mark} <b>{title}</b>\n   Đạt {met}/{population} = {pct} · chỉ tiêu {target} · "
    "còn thiếu {shortfall} người · hạn {deadline} ({ref})"
)
PROJECTION = "\n   ↗ Nếu những người đã đăng ký lớp hoàn thành: {met}/{population} = {pct}"
EMPTY_ROW = "\n{n}. <b>{title}</b>\n   Không có cán bộ thuộc đối tượng này."


def render_report(report: Report) -> str:
    lines = [TITLE.format(unit=esc(report.unit_name), cadres=vn.number(report.cadres), as_of=vn.day(report.as_of))]
    for n, r in enumerate(report.rows, 1):
        if not r.population:
            lines.append(EMPTY_ROW.format(n=n, title=esc(r.title)))
            continue
        lines.append(ROW.format(n=n, mark="✅" if r.shortfall == 0 else "⚠️", title=esc(r.title), met=vn.number(r.met),
                                population=vn.number(r.population), pct=vn.pct(r.pct), target=vn.target(r.target_pct),
                                shortfall=vn.number(r.shortfall),
                                deadline=f"{r.deadline:%d/%m/%Y}", ref=esc(r.ref)))
        if r.projected_met > r.met:
            lines.append(PROJECTION.format(met=vn.number(r.projected_met), population=vn.number(r.population),
                                            pct=vn.pct(r.projected_pct)))
    return "".join(lines)
