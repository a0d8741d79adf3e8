"""Report files: a bar chart (PNG) and an Excel workbook, as bytes ready to send or save."""

from __future__ import annotations

import io
import textwrap
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from domain.report import PersonGap, Report
from domain.xlsx import workbook_bytes, write_table

HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


def chart_png(report: Report) -> bytes:
    """Horizontal bars: each indicator's current % against its target (a tick)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(report.rows))
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.6), dpi=110)
    labels = ["\n".join(textwrap.wrap(r.title, 48)[:2]) for r in rows]
    positions = range(len(rows))
    colors = ["#2e7d32" if r.pct >= r.target_pct else "#c62828" for r in rows]
    ax.barh(positions, [r.pct for r in rows], color=colors, height=0.6)
    ax.scatter([r.target_pct for r in rows], positions, marker="|", s=400, color="black", zorder=3,
               label="Chỉ tiêu")
    for y, r in zip(positions, rows, strict=True):
        ax.text(min(r.pct + 1, 92), y, f"{r.pct:.1f}% / {r.target_pct:g}%", va="center", fontsize=7)
    ax.set_yticks(list(positions), labels, fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% đạt")
    ax.set_title(f"{report.unit_name}: tiến độ các chỉ tiêu Nghị quyết (đến {report.as_of:%d/%m/%Y})", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), fontsize=7, frameon=False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def report_xlsx(report: Report, people: list[PersonGap]) -> bytes:
    """Every user-derived value (names, units, positions) is a text cell, never a formula."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Tổng hợp"
    write_table(summary, [f"Tiến độ thực hiện chỉ tiêu Nghị quyết – {report.unit_name}",
                          f"Số liệu đến ngày {report.as_of:%d/%m/%Y}; tổng số cán bộ: {report.cadres}"],
                ["Mã chỉ tiêu", "Chỉ tiêu", "Căn cứ", "Hạn", "Chỉ tiêu %", "Đối tượng", "Đạt", "% đạt",
                 "Còn thiếu (người)", "Dự kiến nếu học viên đã đăng ký hoàn thành (%)"],
                [[r.id, r.title, r.ref, r.deadline.strftime("%d/%m/%Y"), r.target_pct, r.population, r.met, r.pct,
                  r.shortfall, r.projected_pct] for r in report.rows])
    sheet = wb.create_sheet("Cán bộ thiếu chuẩn bắt buộc")
    write_table(sheet, [], ["Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ", "Tiêu chuẩn còn thiếu"],
                [[p.code, p.full_name, p.unit_name, p.position, "; ".join(p.gaps)] for p in people])
    return workbook_bytes(wb)


def evaluations_xlsx(period: str, unit_name: str, people: list[dict[str, Any]], counts: dict[str, int]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Tự đánh giá"
    status = {"missing": "Chưa gửi", "draft": "Đang soạn", "submitted": "Đã gửi", "rated": "Đã xếp loại"}
    write_table(ws, [f"Tình hình tự đánh giá tháng {period} – {unit_name}",
                     f"Đã gửi {counts['submitted']}/{counts['cadres']}; muộn {counts['late']}; "
                     f"chưa gửi {counts['missing']}; đã xếp loại {counts['reviewed']}"],
                ["Mã cán bộ", "Họ và tên", "Đơn vị", "Trạng thái", "Nộp muộn", "Tự xếp loại", "Cấp trên xếp loại"],
                [[p["cadre"], p["name"], p["unit"], status[p["status"]], "Có" if p["late"] else "",
                  p["self_rating"] or "", p["manager_rating"] or ""] for p in people])
    return workbook_bytes(wb)
