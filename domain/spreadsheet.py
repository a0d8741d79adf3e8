"""Reading HR's spreadsheets (.csv or .xlsx) into rows of text, finding the header row.

Official exports carry title rows and merged cells above the header; the header row is
the first row that holds every required header.

Files come from users, so the work is bounded before and while parsing: the zip's member count
and its declared and actual unpacked sizes are checked before openpyxl opens it; openpyxl's
read-only mode pads every row to the sheet's *declared* dimension (A1:XFD1048576 would mean
16,384 cells for each of a million rows), so the dimension is reset and at most `max_columns`
cells a row are read; reading stops after a run of empty rows, refuses more rows than a
province-scale cap, and stops when the time limit of the import has passed.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.config import SpreadsheetLimits
from domain import vn
from domain.errors import SpreadsheetError
from domain.text import ascii_key, clean

HEADER_SEARCH_ROWS = 30
UNZIP_CHUNK = 1 << 20


# Defined (with its defaults) beside the settings that fill it: [imports] in config.toml.
Limits = SpreadsheetLimits

_limits = Limits()
_deadline: ContextVar[float | None] = ContextVar("spreadsheet_deadline", default=None)


def configure(limits: Limits) -> None:
    """Set at start from the configuration (the bot and the command line)."""
    global _limits
    _limits = limits


def limits() -> Limits:
    return _limits


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Reading in this context (and in a worker thread started from it: asyncio.to_thread copies the
    context) stops with a SpreadsheetError once `seconds` have passed; the import's transaction rolls back."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def check_time() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() >= deadline:
        raise SpreadsheetError("Tệp xử lý quá thời gian cho phép nên đã dừng; chưa nhập gì. Hãy chia nhỏ tệp "
                               "hoặc dùng lệnh cadrebot import-roster trên máy chủ.")


@dataclass(frozen=True)
class Sheet:
    """Data rows keyed by field name, each with its 1-based row number in the file."""

    rows: list[tuple[int, dict[str, str]]]
    header_row: int
    fields: frozenset[str] = frozenset()  # the fields whose header the file has (an absent column is not an empty one)


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
    width = _limits.max_columns
    # strict: a quote opened and never closed (or closed mid-value) is an error, not a cell that swallows the
    # rows below it ('rows: 1, updated: 1', the rest of the file stored in one cell).
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            yield [Multiline(c) if "\n" in c or "\r" in c else clean(c) for c in row[:width]]
    except csv.Error as exc:
        raise SpreadsheetError(
            f"Tệp CSV có một dấu ngoặc kép (\") chưa đóng hoặc đặt sai chỗ, khoảng dòng {reader.line_num}: các dòng "
            "sau đó sẽ bị gộp vào một ô. Hãy sửa ô đó (hoặc gửi tệp .xlsx) rồi gửi lại.") from exc


class Multiline(str):
    """A quoted CSV cell on several lines (Alt+Enter in Excel), read as one line. Kept marked: lines that look like
    rows of the file mean a stray quote swallowed them (_refuse_unreadable)."""

    continuations: list[str]

    def __new__(cls, raw: str) -> Multiline:
        cell = super().__new__(cls, clean(raw))
        cell.continuations = raw.splitlines()[1:]
        return cell


def _check_zip(data: bytes) -> None:
    """Before openpyxl parses: few enough members, and their unpacked size (as declared, then as actually
    inflated, since a declared size can lie) within the limit."""
    limit = _limits.max_unzipped_mb * 1024 * 1024
    too_big = SpreadsheetError(f"Tệp .xlsx giải nén ra quá {_limits.max_unzipped_mb} MB nên không được đọc "
                               "(có thể là tệp độc hại). Hãy lưu lại tệp từ Excel rồi gửi lại.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > _limits.max_zip_members:
                raise SpreadsheetError(f"Tệp .xlsx có quá nhiều thành phần ({len(members)}) nên không được đọc.")
            if sum(m.file_size for m in members) > limit:
                raise too_big
            inflated = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(UNZIP_CHUNK):
                        inflated += len(chunk)
                        if inflated > limit:
                            raise too_big
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise SpreadsheetError("Tệp .xlsx bị hỏng hoặc không phải tệp Excel.") from exc


class Uncomputed(str):
    """A formula cell whose file keeps no value (written by a script, never opened in Excel): it reads as empty,
    which would clear a field, so a column the import reads refuses it (_data_rows); other columns ignore it."""


FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")  # <f>, <f t="shared" .../>, <x:f> (a namespace prefix)


def _open_workbook(data: bytes) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError("Tệp .xlsx bị hỏng hoặc không phải tệp Excel.") from exc


def _first_sheet(workbook: Any) -> Any:
    sheet = workbook.worksheets[0]
    if sheet.sheet_state != "visible":  # HR sees another sheet than the one that would be read
        raise SpreadsheetError(f"Trang tính đầu tiên “{sheet.title}” đang bị ẩn, mà bot đọc trang tính đầu tiên. "
                               "Hãy hiện trang đó hoặc chuyển trang cần nhập lên đầu, rồi gửi lại.")
    sheet.reset_dimensions()  # never pad rows to a declared A1:XFD1048576
    return sheet


def _has_formulas(sheet: Any) -> bool:
    """Whether the sheet that is read has formulas at all (one scan of its XML, not of the other sheets')."""
    with sheet._get_source() as source:  # openpyxl's reader of this sheet's XML; sizes checked by _check_zip
        return FORMULA_TAG.search(source.read()) is not None


def _uncomputed_cells(sheet: Any) -> dict[int, dict[int, str]]:
    """row -> {column index: formula} for each formula cell with no saved value. A value saved as empty
    (=IF(…;"";…) in Excel: t="str", <v></v>) is a value; openpyxl reads both as None, hence the sheet's own XML,
    read with openpyxl's parser (defusedxml when installed) through its reader of this sheet (pinned version)."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.functions import iterparse

    found: dict[int, dict[int, str]] = {}
    with sheet._get_source() as source:
        for _, element in iterparse(source):
            if element.tag.rsplit("}", 1)[-1] != "c":
                continue
            parts = {child.tag.rsplit("}", 1)[-1]: child for child in element}
            value = parts.get("v")
            # No value, or an empty one that is not a text result (Excel saves "" as t="str" with <v></v>; a
            # script's writer, openpyxl included, leaves <v/> on every formula).
            saved = value is not None and (bool(value.text) or element.get("t") == "str")
            if "f" in parts and not saved and element.get("r"):
                row, column = coordinate_to_tuple(element.get("r"))
                found.setdefault(row, {})[column - 1] = "=" + (parts["f"].text or "")
            element.clear()
    return found


def _read_xlsx(data: bytes) -> Iterator[list[str]]:
    _check_zip(data)
    workbook = _open_workbook(data)
    try:
        sheet = _first_sheet(workbook)
        uncomputed = _uncomputed_cells(sheet) if _has_formulas(sheet) else {}
        rows = sheet.iter_rows(max_col=_limits.max_columns, values_only=True)
        for number, row in enumerate(rows, start=1):
            cells = [_cell_text(c) for c in row]
            for column, formula in uncomputed.get(number, {}).items():
                if column < len(cells):
                    cells[column] = Uncomputed(formula)
            yield cells
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
    header_row = best_row = 0
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
            best_missing, best_row = missing, number
        if number >= HEADER_SEARCH_ROWS:
            break
    if not header_row:
        names = ", ".join(h for h in required if ascii_key(h) in best_missing)
        if best_row:  # a header row was there, short of some columns: say which row, not that none was found
            raise SpreadsheetError(f"Dòng tiêu đề (dòng {best_row}) thiếu cột bắt buộc: {names}.")
        raise SpreadsheetError("Không tìm thấy dòng tiêu đề. Thiếu cột bắt buộc: " + names)
    return Sheet(rows=_data_rows(rows, header_row, columns), header_row=header_row, fields=frozenset(columns.values()))


def _refuse_unreadable(cells: list[str], columns: dict[int, str], number: int) -> None:
    """A data row the reader could not read as written: an uncomputed formula where the import reads, or a cell
    whose later lines look like rows of this file (a stray quote swallowed them)."""
    for i in columns:
        if i < len(cells) and isinstance(cells[i], Uncomputed):
            raise SpreadsheetError(
                f"Ô {column_letter(i)}{number} là công thức “{cells[i][:40]}” mà tệp không lưu kết quả (tệp tạo "
                "bằng phần mềm, chưa mở bằng Excel). Hãy mở tệp trong Excel rồi lưu lại, hoặc thay công thức bằng "
                "giá trị.")
    row_like = max(1, len(columns) - 1)  # as many commas as a row of this file has
    for i, cell in enumerate(cells):
        if isinstance(cell, Multiline) and any(line.count(",") >= row_like for line in cell.continuations):
            raise SpreadsheetError(
                f"Ô {column_letter(i)}{number} kéo sang nhiều dòng giống các dòng dữ liệu: thường là một dấu ngoặc "
                "kép (\") chưa đóng, làm các dòng sau bị gộp vào ô đó. Hãy sửa ô đó (hoặc gửi tệp .xlsx) rồi gửi lại.")


def _data_rows(rows: Iterator[list[str]], header_row: int, columns: dict[int, str]
               ) -> list[tuple[int, dict[str, str]]]:
    """The rows under the header, only its columns; the sheet ends after a run of empty rows."""
    data_rows: list[tuple[int, dict[str, str]]] = []
    empty_run = 0
    for number, cells in enumerate(rows, start=header_row + 1):
        if number % 1000 == 0:
            check_time()
        if not any(cells[i] for i in columns if i < len(cells)):
            empty_run += 1
            if empty_run >= _limits.empty_rows_stop:
                break
            continue
        empty_run = 0
        if len(data_rows) >= _limits.max_rows:
            limit = vn.number(_limits.max_rows)
            raise SpreadsheetError(f"Tệp có hơn {limit} dòng dữ liệu (tối đa {limit} dòng); "
                                   "hãy kiểm tra lại tệp hoặc chia nhỏ.")
        _refuse_unreadable(cells, columns, number)
        data_rows.append((number, {field: cells[i] if i < len(cells) else "" for i, field in columns.items()}))
    check_time()
    return data_rows
