"""Reading HR's spreadsheets (.csv or .xlsx) into rows of text, finding the header row.

Official exports carry title rows and merged cells above the header; the header row is
the first row that holds every required header.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from domain.errors import SpreadsheetError
from domain.text import ascii_key, clean

HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class Sheet:
    """Data rows keyed by field name, each with its 1-based row number in the file."""

    rows: list[tuple[int, dict[str, str]]]
    header_row: int


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean(value)


def _read_csv(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data[:65536]:
        raise SpreadsheetError("Tệp không phải CSV văn bản (có ký tự nhị phân). Hãy lưu lại dạng CSV UTF-8.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            "Tệp CSV không ở mã UTF-8. Trong Excel chọn “Lưu thành” → “CSV UTF-8 (phân tách bằng dấu phẩy)”."
        ) from exc
    for row in csv.reader(io.StringIO(text, newline="")):
        yield [clean(c) for c in row]


def _read_xlsx(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError("Tệp .xlsx bị hỏng hoặc không phải tệp Excel.") from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(c) for c in row]
    finally:
        workbook.close()


def read_rows(path: Path) -> Iterator[list[str]]:
    data = path.read_bytes()
    if not data.strip():
        raise SpreadsheetError("Tệp rỗng: không có dòng tiêu đề nào.")
    suffix = path.suffix.lower()
    if suffix == ".xlsx" or data[:2] == b"PK":
        return _read_xlsx(data)
    if suffix in (".csv", ".txt"):
        return _read_csv(data)
    raise SpreadsheetError(f"Định dạng {suffix or '(không đuôi)'} không được hỗ trợ: hãy dùng .xlsx hoặc .csv.")


def column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB': how Excel names the column HR has to fix."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _columns(cells: list[str], keys: list[str], by_key: dict[str, str]) -> dict[int, str]:
    """Column index -> field; a header written twice is refused (the second would silently win)."""
    columns: dict[int, str] = {}
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key not in by_key:
            continue
        field = by_key[key]
        if field in first:
            raise SpreadsheetError(
                f"Cột “{cells[i]}” có hai lần trong dòng tiêu đề (cột {column_letter(first[field])} và cột "
                f"{column_letter(i)}). Hãy xóa một cột rồi gửi lại."
            )
        first[field], columns[i] = i, field
    return columns


def load_sheet(path: Path, headers: dict[str, str], required: Sequence[str]) -> Sheet:
    """Map the file's header row onto field names. `headers` maps Vietnamese header -> field."""
    by_key = {ascii_key(h): f for h, f in headers.items()}
    required_keys = {ascii_key(h) for h in required}
    rows = read_rows(path)
    header_row = 0
    columns: dict[int, str] = {}
    best_missing: set[str] = required_keys
    for number, cells in enumerate(rows, start=1):
        keys = [ascii_key(c) for c in cells]
        present = {k for k in keys if k in by_key}
        missing = required_keys - present
        if not missing:
            header_row = number
            columns = _columns(cells, keys, by_key)
            break
        if len(missing) < len(best_missing):
            best_missing = missing
        if number >= HEADER_SEARCH_ROWS:
            break
    if not header_row:
        names = [h for h in required if ascii_key(h) in best_missing]
        raise SpreadsheetError("Không tìm thấy dòng tiêu đề. Thiếu cột bắt buộc: " + ", ".join(names))
    data_rows = []
    for number, cells in enumerate(rows, start=header_row + 1):
        if not any(cells):
            continue
        data_rows.append((number, {field: cells[i] if i < len(cells) else "" for i, field in columns.items()}))
    return Sheet(rows=data_rows, header_row=header_row)
