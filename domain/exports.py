"""Report files: a bar chart (PNG) and an Excel workbook, as bytes ready to send or save."""

from __future__ import annotations

import io
import textwrap
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from domain.report import PersonGap, Report

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


def _sheet_rows(ws: Any, header: list[str], rows: list[list[object]]) -> None:
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(row)
    for i, _ in enumerate(header, start=1):
        width = max(len(str(ws.cell(r, i).value or "")) for r in range(1, ws.max_row + 1))
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)


def report_xlsx(report: Report, people: list[PersonGap]) -> bytes:
    wb = Workbook()
    summary = wb.active
    summary.title = "Tổng hợp"
    summary.append([f"Tiến độ thực hiện chỉ tiêu Nghị quyết – {report.unit_name}"])
    summary.append([f"Số liệu đến ngày {report.as_of:%d/%m/%Y}; tổng số cán bộ: {report.cadres}"])
    summary.append([])
    _sheet_rows(summary, ["Mã chỉ tiêu", "Chỉ tiêu", "Căn cứ", "Hạn", "Chỉ tiêu %", "Đối tượng", "Đạt", "% đạt",
                          "Còn thiếu (người)", "Dự kiến nếu học viên đã đăng ký hoàn thành (%)"],
                [[r.id, r.title, r.ref, r.deadline.strftime("%d/%m/%Y"), r.target_pct, r.population, r.met, r.pct,
                  r.shortfall, r.projected_pct] for r in report.rows])
    sheet = wb.create_sheet("Cán bộ thiếu chuẩn bắt buộc")
    _sheet_rows(sheet, ["Mã cán bộ", "Họ và tên", "Đơn vị", "Chức vụ", "Tiêu chuẩn còn thiếu"],
                [[p.code, p.full_name, p.unit_name, p.position, "; ".join(p.gaps)] for p in people])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def evaluations_xlsx(period: str, unit_name: str, people: list[dict[str, Any]], counts: dict[str, int]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Tự đánh giá"
    ws.append([f"Tình hình tự đánh giá tháng {period} – {unit_name}"])
    ws.append([f"Đã gửi {counts['submitted']}/{counts['cadres']}; muộn {counts['late']}; chưa gửi {counts['missing']}; "
               f"đã xếp loại {counts['reviewed']}"])
    ws.append([])
    status = {"missing": "Chưa gửi", "draft": "Đang soạn", "submitted": "Đã gửi", "rated": "Đã xếp loại"}
    _sheet_rows(ws, ["Mã cán bộ", "Họ và tên", "Đơn vị", "Trạng thái", "Nộp muộn", "Tự xếp loại", "Cấp trên xếp loại"],
                [[p["cadre"], p["name"], p["unit"], status[p["status"]], "Có" if p["late"] else "",
                  p["self_rating"] or "", p["manager_rating"] or ""] for p in people])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
