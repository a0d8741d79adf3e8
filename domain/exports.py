"""Report files: a bar chart (PNG) and an Excel workbook, as bytes ready to send or save."""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from domain import vn
from domain.evaluation import status_label
from domain.report import IndicatorRow, PersonGap, Report
from domain.xlsx import Percent, workbook_bytes, write_table

if TYPE_CHECKING:  # matplotlib itself is imported when the first chart is drawn
    from matplotlib.figure import Figure

HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


NOT_APPLICABLE = "không áp dụng"
MET_COLOR, SHORT_COLOR, TRACK_COLOR = "#2e7d32", "#c62828", "#eeeeee"


def chart_rows(report: Report) -> tuple[list[IndicatorRow], list[IndicatorRow]]:
    """(drawn, not applicable): an indicator with nobody in its population is never drawn as 0%."""
    return [r for r in report.rows if r.population], [r for r in report.rows if not r.population]


def chart_png(report: Report) -> bytes:
    """The chart as a PNG, ready to send or save."""
    out = io.BytesIO()
    chart_figure(report).savefig(out, format="png")
    return out.getvalue()


def chart_figure(report: Report) -> Figure:
    """A phone-shaped chart: each indicator's title on its own line above its bar, the target as a black mark,
    and the figures in a column right of the bars so no label can cover a target mark. An indicator with no one
    in its population is not drawn (0% would be a lie); it is listed under the chart as "không áp dụng".

    A Figure of its own, not pyplot's global state: charts are drawn in worker threads, several at once.
    """
    from matplotlib.figure import Figure

    drawn, skipped = chart_rows(report)
    step = 1.35  # room for a two-line title above each bar
    height = 0.95 * step * max(len(drawn), 1) + 1.2 + (0.45 if skipped else 0.2)
    fig = Figure(figsize=(6.4, height), dpi=150)
    ax = fig.subplots()
    for i, r in enumerate(drawn):
        y = -i * step
        ax.barh(y, 100, color=TRACK_COLOR, height=0.38)
        ax.barh(y, r.pct, color=MET_COLOR if r.pct >= r.target_pct else SHORT_COLOR, height=0.38)
        ax.plot([r.target_pct, r.target_pct], [y - 0.3, y + 0.3], color="black", linewidth=2.5, zorder=3)
        title = "\n".join(textwrap.wrap(r.title, 64)[:2])
        ax.text(0, y + 0.28, title, fontsize=8.5, va="bottom", linespacing=1.1)
        ax.annotate(f"{vn.pct(r.pct)}\n/ {vn.target(r.target_pct)}", xy=(1.02, y),
                    xycoords=("axes fraction", "data"), fontsize=8.5, va="center", ha="left", fontweight="bold")
    ax.set_xlim(0, 100)
    ax.set_ylim(-(len(drawn) - 1) * step - 0.5, 1.05)
    ax.set_yticks([])
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title("\n".join(textwrap.wrap(f"{report.unit_name} – chỉ tiêu Nghị quyết đến {vn.day(report.as_of)}", 52)),
                 fontsize=10, loc="left")
    note = "▮ đạt/chỉ tiêu · vạch đen = chỉ tiêu"
    if skipped:
        note += "\nKhông áp dụng (đơn vị không có cán bộ thuộc đối tượng): " + "; ".join(
            textwrap.shorten(r.title, 40, placeholder="…") for r in skipped)
    fig.text(0.02, 0.01, "\n".join(textwrap.fill(line, 95) for line in note.split("\n")), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, (0.6 if skipped else 0.3) / height, 0.86, 1))
    return fig


def report_xlsx(report: Report, people: list[PersonGap]) -> bytes:
    """Every user-derived value (names, units, positions) is a text cell, never a formula."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Tổng hợp"
    write_table(summary, [f"Tiến độ thực hiện chỉ tiêu Nghị quyết – {report.unit_name}",
                          f"Số liệu đến ngày {report.as_of:%d/%m/%Y}; tổng số cán bộ: {vn.number(report.cadres)}"],
                ["Mã chỉ tiêu", "Chỉ tiêu", "Căn cứ", "Hạn", "Chỉ tiêu %", "Đối tượng", "Đạt", "% đạt",
                 "Còn thiếu (người)", "Dự kiến nếu học viên đã đăng ký hoàn thành (%)"],
                [[r.id, r.title, r.ref, r.deadline, Percent(r.target_pct), r.population, r.met,
                  Percent(r.pct) if r.population else NOT_APPLICABLE, r.shortfall,
                  Percent(r.projected_pct) if r.population else NOT_APPLICABLE] for r in report.rows])
    sheet = wb.create_sheet("Cán bộ thiếu chuẩn bắt buộc")
    write_table(sheet, [], ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", "Chức vụ", "Tiêu chuẩn còn thiếu"],
                [[p.code, p.full_name, p.unit_code, p.unit_name, p.position, "; ".join(p.gaps)] for p in people])
    return workbook_bytes(wb)


def evaluations_xlsx(period: str, unit_name: str, people: list[dict[str, Any]], counts: dict[str, int]) -> bytes:
    n = vn.number
    wb = Workbook()
    ws = wb.active
    ws.title = "Tự đánh giá"
    write_table(ws, [f"Tình hình tự đánh giá tháng {period} – {unit_name}",
                     f"Đã gửi {n(counts['submitted'])}/{n(counts['cadres'])}; muộn {n(counts['late'])}; "
                     f"chưa gửi {n(counts['missing'])}; đã xếp loại {n(counts['reviewed'])}"],
                ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", "Trạng thái", "Nộp muộn", "Tự xếp loại",
                 "Cấp trên xếp loại"],
                [[p["cadre"], p["name"], p.get("unit_code", ""), p["unit"], status_label(p["status"]).capitalize(),
                  "Có" if p["late"] else "", p["self_rating"] or "", p["manager_rating"] or ""] for p in people])
    return workbook_bytes(wb)
