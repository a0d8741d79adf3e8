"""Issue 10 item 3: spreadsheets are read with bounds, and imports run off the event loop with a time limit."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre
from domain import accounts, spreadsheet
from domain.errors import SpreadsheetError
from domain.roster import import_roster
from tests.conftest import BotHarness, link
from tests.test_roster_import import sample_rows, write_csv

GUARD_S = 30  # a hang guard, not a performance figure (benchmarks measure speed)


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    saved = spreadsheet.limits()
    yield
    spreadsheet.configure(saved)


def _roster_xlsx() -> bytes:
    header, rows = sample_rows()
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append([row[h] for h in header])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rewrite(content: bytes, member: str, change: Any) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == member else data)
    return out.getvalue()


FAR_CELL = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def hostile_xlsx() -> bytes:
    """A small workbook declaring the whole grid, A1:XFD1048576, with one cell in its last corner
    (the red team's 1.9 KB file: read naively, a million rows of 16,384 cells)."""
    wb = Workbook()
    wb.active.append(["Mã cán bộ", "Họ và tên"])
    out = io.BytesIO()
    wb.save(out)
    return _rewrite(out.getvalue(), "xl/worksheets/sheet1.xml",
                    lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)
                    .replace(b"</sheetData>", FAR_CELL + b"</sheetData>"))


def zip_bomb(mb: int) -> bytes:
    """The roster workbook with its sheet padded by `mb` MB of whitespace: tiny compressed, huge unpacked."""
    return _rewrite(_roster_xlsx(), "xl/worksheets/sheet1.xml",
                    lambda xml: xml.replace(b"</worksheet>", b" " * (mb * 1024 * 1024) + b"</worksheet>"))


def _within_guard(work: Any) -> Any:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(GUARD_S)
    assert not thread.is_alive(), "reading the spreadsheet did not finish: its work is not bounded"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_a_sheet_declaring_the_whole_grid_reads_only_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(hostile_xlsx())
    assert path.stat().st_size < 8000
    sheet = _within_guard(lambda: spreadsheet.load_sheet(path, {"Mã cán bộ": "code", "Họ và tên": "name"},
                                                         ["Mã cán bộ"]))
    assert sheet.header_row == 1 and sheet.rows == []  # the corner cell lies past a run of empty rows
    first = next(iter(spreadsheet.read_rows(path)))
    assert first[:2] == ["Mã cán bộ", "Họ và tên"] and len(first) <= spreadsheet.limits().max_columns


def test_a_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    spreadsheet.configure(replace(spreadsheet.limits(), max_unzipped_mb=5))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb(20))
    assert path.stat().st_size < 200_000
    with pytest.raises(SpreadsheetError, match="giải nén"):
        _within_guard(lambda: list(spreadsheet.read_rows(path)))


def test_too_many_zip_members_are_refused(tmp_path: Path) -> None:
    spreadsheet.configure(replace(spreadsheet.limits(), max_zip_members=50))
    content = _roster_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for i in range(100):
            target.writestr(f"xl/media/x{i}.bin", b"")
    path = tmp_path / "many.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(SpreadsheetError, match="thành phần"):
        list(spreadsheet.read_rows(path))


def test_rows_past_the_configured_cap_are_refused(tmp_path: Path, database: Database) -> None:
    spreadsheet.configure(replace(spreadsheet.limits(), max_rows=10))
    header, rows = sample_rows()
    with pytest.raises(SpreadsheetError, match="10 dòng"):
        database.run(import_roster, write_csv(tmp_path / "r.csv", header, rows))


def test_reading_stops_after_a_run_of_empty_rows(tmp_path: Path) -> None:
    spreadsheet.configure(replace(spreadsheet.limits(), empty_rows_stop=5))
    path = tmp_path / "gap.csv"
    path.write_text("Mã cán bộ,Họ và tên\nA1,An\n" + "\n" * 8 + "A2,Bình\n", encoding="utf-8")
    sheet = spreadsheet.load_sheet(path, {"Mã cán bộ": "code", "Họ và tên": "name"}, ["Mã cán bộ"])
    assert [r["code"] for _, r in sheet.rows] == ["A1"]


def test_a_time_limit_stops_an_import_and_changes_nothing(tmp_path: Path, database: Database) -> None:
    header, rows = sample_rows()
    path = write_csv(tmp_path / "r.csv", header, rows)
    with spreadsheet.time_limit(0), pytest.raises(SpreadsheetError, match="quá"):
        database.run(import_roster, path)
    assert database.run(lambda s: s.scalar(select(func.count()).select_from(Cadre))) == 0


async def _hr(bot: BotHarness, roster: Database) -> UpdateFactory:
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=504)
    await link(bot, hr, "0912345004")
    return hr


async def test_hr_sending_the_hostile_file_gets_an_answer(bot: BotHarness, roster: Database) -> None:
    hr = await _hr(bot, roster)
    bot.api.uploads["h"] = hostile_xlsx()
    texts = await asyncio.wait_for(bot.send(hr.document("canbo.xlsx", "h")), GUARD_S)
    assert "Chưa nhập gì" in texts[-1] or "Không tìm thấy dòng tiêu đề" in texts[-1]


async def test_a_zip_bomb_sent_to_the_bot_is_refused(bot: BotHarness, roster: Database) -> None:
    spreadsheet.configure(replace(spreadsheet.limits(), max_unzipped_mb=5))
    hr = await _hr(bot, roster)
    bot.api.uploads["b"] = zip_bomb(20)
    texts = await bot.send(hr.document("canbo.xlsx", "b"))
    assert "giải nén" in texts[-1]


async def test_an_import_does_not_block_other_users(bot: BotHarness, roster: Database,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """While HR's import works, another person's /help is answered (the import runs in a worker thread)."""
    from handlers import admin

    hr = await _hr(bot, roster)
    real = admin.import_spreadsheet

    def slow_import(*args: Any) -> Any:
        time.sleep(2.0)  # long beside /help even on a loaded machine
        return real(*args)

    monkeypatch.setattr(admin, "import_spreadsheet", slow_import)
    bot.api.uploads["r"] = _roster_xlsx()
    other = UpdateFactory(user_id=777)
    finished: list[str] = []

    async def send(name: str, update: dict[str, Any]) -> None:
        await bot.send(update)
        finished.append(name)

    async def help_soon() -> None:
        await asyncio.sleep(0.2)
        await send("help", other.text("/help"))

    await asyncio.gather(send("import", hr.document("canbo.xlsx", "r")), help_soon())
    assert finished == ["help", "import"]


def test_imports_settings_are_the_spreadsheet_bounds(tmp_path: Path) -> None:
    """One definition: [imports] in config.toml is what the reader uses; a missing key keeps the one default."""
    from bot.app import apply_import_limits
    from core.config import SpreadsheetLimits, load_settings

    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "sqlite:///x.db"\n[imports]\nmax_rows = 500\n', encoding="utf-8")
    apply_import_limits(load_settings(path, {}))
    assert spreadsheet.limits().max_rows == 500
    assert spreadsheet.limits().max_columns == SpreadsheetLimits().max_columns == spreadsheet.Limits().max_columns


def test_a_stray_quote_in_a_csv_is_refused_not_swallowing_the_rows_below(tmp_path: Path, database: Database) -> None:
    """One `"` typed before a value made the rest of the file one cell: 'rows: 1, updated: 1' and the next rows'
    changes were lost, their text stored in the first row's last column."""
    header, rows = sample_rows()
    path = write_csv(tmp_path / "quote.csv", header, rows)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[1] = lines[1].replace(",Tỉnh,", ',"Tỉnh,', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match=r"ngoặc kép.*dòng"):
        database.run(import_roster, path)


def test_a_formula_with_no_saved_value_is_refused_by_cell(tmp_path: Path, database: Database) -> None:
    """A workbook written by a script keeps formulas without their values; read as empty, '=2020+5' in a training
    column cleared the year. A formula outside the header's columns (a numbering column) is no matter."""
    header, rows = sample_rows()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*header, "STT"])
    for number, row in enumerate(rows, start=1):
        sheet.append([row.get(h, "") for h in header] + [f"=ROW()-1+{number}-{number}"])
    column = header.index("BD theo VTVL") + 1
    sheet.cell(row=2, column=column, value="=2020+5")
    path = tmp_path / "formula.xlsx"
    book.save(path)
    from openpyxl.utils import get_column_letter
    with pytest.raises(SpreadsheetError, match=f"{get_column_letter(column)}2.*công thức"):
        database.run(import_roster, path)
    sheet.cell(row=2, column=column, value=2025)
    book.save(path)
    assert database.run(import_roster, path).applied


def test_a_hidden_first_sheet_is_refused_by_name(tmp_path: Path, database: Database) -> None:
    """The importer reads the first sheet; a hidden one holding last year's data was imported while the visible
    sheet with the changes was ignored, without a warning (helper's attack). It is refused, naming the sheet."""
    header, rows = sample_rows()
    book = Workbook()
    old = book.active
    assert old is not None
    old.title = "Cũ"
    old.append(header)
    old.append([rows[0].get(h, "") for h in header])
    old.sheet_state = "hidden"
    current = book.create_sheet("Mới")
    current.append(header)
    book.active = 1
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    with pytest.raises(SpreadsheetError, match=r"“Cũ”.*ẩn"):
        database.run(import_roster, path)


# Attack on the two checks above: legitimate files they refused.


def test_excel_csv_with_a_title_row_on_two_lines_still_imports(tmp_path: Path, database: Database) -> None:
    """Official exports put the issuing body on two lines in the title cell (Alt+Enter); Excel's 'CSV UTF-8'
    writes it quoted, as RFC 4180 says. Nothing is unclosed: the file imported before e4c6e98."""
    header, rows = sample_rows()
    path = tmp_path / "excel.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["UBND TỈNH TUYÊN QUANG\nSỞ NỘI VỤ"])
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(h, "") for h in header])
    result = database.run(import_roster, path)
    assert result.applied and not result.rejected


def test_excel_csv_with_a_two_line_note_in_a_column_not_imported_still_imports(tmp_path: Path,
                                                                             database: Database) -> None:
    """A 'Ghi chú' column the importer never reads, with one note on two lines: the whole roster is refused."""
    header, rows = sample_rows()
    path = tmp_path / "note.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([*header, "Ghi chú"])
        for n, row in enumerate(rows):
            w.writerow([row.get(h, "") for h in header] + ["Nghỉ thai sản\ntừ 01/10" if n == 0 else ""])
    result = database.run(import_roster, path)
    assert result.applied and not result.rejected


def _with_empty_string_results(data: bytes) -> bytes:
    """What Excel saves for a formula whose result is "" (e.g. =IF(...,"",...)): t="str" and an empty <v>."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = re.sub(rb'<c r="([A-Z]+\d+)"><f>(IF\(1=0,2020,""\))</f><v ?/></c>',
                              rb'<c r="\1" t="str"><f>\2</f><v></v></c>', body)
            dst.writestr(item, body)
    return out.getvalue()


def test_a_formula_whose_saved_result_is_empty_is_not_called_uncomputed(tmp_path: Path, database: Database) -> None:
    """=IF(...,"",...) in an optional training column, saved by Excel with its (empty) result: the file is refused
    as 'công thức mà tệp không lưu kết quả (... chưa mở bằng Excel)', which is false."""
    header, rows = sample_rows()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    column = header.index("BD theo VTVL")
    for row in rows:
        values = [row.get(h, "") for h in header]
        if not values[column]:
            values[column] = '=IF(1=0,2020,"")'
        sheet.append(values)
    buf = io.BytesIO()
    book.save(buf)
    data = _with_empty_string_results(buf.getvalue())
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b't="str"><f>IF(1=0,2020,"")</f><v></v>' in sheet_xml  # the patch took
    path = tmp_path / "excel-saved.xlsx"
    path.write_bytes(data)
    result = database.run(import_roster, path)
    assert result.applied and not result.rejected
