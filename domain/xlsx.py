"""Writing Excel tables people open on their own computers: typed cells, a frozen header, safe text.

Text is always written as a string cell (never a formula, whatever it starts with: names and course titles
come from users); dates are date cells shown dd/mm/yyyy; percentages are percent cells.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
DATE_FORMAT = "DD/MM/YYYY"
PERCENT_FORMAT = "0.00%"
MAX_WIDTH = 50


@dataclass(frozen=True)
class Percent:
    """A percentage given as 0–100 (as the bot shows it); written as a percent cell."""

    value: float


def _put(ws: Any, row: int, column: int, value: object) -> None:
    cell = ws.cell(row=row, column=column)
    if isinstance(value, Percent):
        cell.value, cell.number_format = value.value / 100, PERCENT_FORMAT
    elif isinstance(value, (date, datetime)):
        cell.value, cell.number_format = value, DATE_FORMAT
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # '=…', '+…', '-…', '@…' stay text, never a formula
    else:
        cell.value = value


def _width(value: object) -> int:
    if isinstance(value, (date, datetime, Percent)):
        return 10
    return len(str(value or ""))


def write_table(ws: Any, title_lines: Sequence[str], header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Title lines, then a bold header row frozen in place with a filter, then the rows."""
    for row, line in enumerate(title_lines, start=1):
        _put(ws, row, 1, line)
        ws.cell(row, 1).font = Font(bold=row == 1)
    header_row = len(title_lines) + 2 if title_lines else 1
    for column, name in enumerate(header, start=1):
        _put(ws, header_row, column, name)
        cell = ws.cell(header_row, column)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            _put(ws, header_row + offset, column, value)
    ws.freeze_panes = ws.cell(header_row + 1, 1).coordinate
    last = get_column_letter(max(1, len(header)))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + len(rows)}"
    for column, name in enumerate(header, start=1):
        widest = max([len(str(name)), *(_width(r[column - 1]) for r in rows[:500] if len(r) >= column)])
        ws.column_dimensions[get_column_letter(column)].width = min(max(8, widest + 2), MAX_WIDTH)


CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A CSV cell Excel will not run: one starting with = + - @ (or tab/CR before them) gets a leading
    apostrophe, which Excel shows as plain text (OWASP's advice for CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_TRIGGERS) else text


def workbook_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
