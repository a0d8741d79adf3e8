"""Issue 10 items 9, 10, 13: unit codes, phone numbers from Telegram, header and phone checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Cadre, Unit
from domain.errors import SpreadsheetError
from domain.phone import normalize_contact_phone
from domain.roster import import_roster
from tests.conftest import BotHarness
from tests.test_roster_import import sample_rows, write_csv


def test_a_unit_code_with_a_slash_is_rejected(tmp_path: Path, database: Database) -> None:
    """'XMH/BAN' under the province would make its path /TINH/XMH/BAN/: inside XMH's subtree."""
    header, rows = sample_rows()
    rows[-1] |= {"Mã đơn vị": "XMH/BAN", "Tên đơn vị": "Ban giả", "Mã đơn vị cấp trên": "TINH"}
    result = database.run(import_roster, write_csv(tmp_path / "r.csv", header, rows))
    assert not result.applied
    assert any("Mã đơn vị" in e.reason and e.row == len(rows) + 1 for e in result.rejected)
    assert database.run(lambda s: s.scalar(select(Unit.id).where(Unit.code == "XMH/BAN"))) is None


def test_a_parent_unit_code_is_restricted_too(tmp_path: Path, database: Database) -> None:
    header, rows = sample_rows()
    rows[-1] |= {"Mã đơn vị cấp trên": "TINH/../XMH"}
    result = database.run(import_roster, write_csv(tmp_path / "r.csv", header, rows))
    assert not result.applied and any("Mã đơn vị cấp trên" in e.reason for e in result.rejected)


@pytest.mark.parametrize(("raw", "expected"), [
    ("84912345016", "0912345016"), ("+84912345016", "0912345016"), ("0912345016", "0912345016"),
    ("376312345", None),  # Andorra, no plus: not a Vietnamese number with its leading zero lost
    ("912345016", None), ("+376312345", None), ("", None),
])
def test_telegram_contacts_must_carry_the_country_code(raw: str, expected: str | None) -> None:
    assert normalize_contact_phone(raw) == expected


async def test_a_foreign_contact_does_not_link_to_a_vietnamese_cadre(bot: BotHarness, roster: Database) -> None:
    roster.run(lambda s: s.execute(Cadre.__table__.update().where(Cadre.code == "MAU016")
                                   .values(phone="0376312345")))
    andorra = UpdateFactory(user_id=376)
    texts = await bot.send(andorra.own_contact("376312345"))
    assert "Không tìm thấy hồ sơ" in texts[-1]
    assert roster.run(lambda s: s.scalar(select(Cadre.telegram_user_id).where(Cadre.code == "MAU016"))) is None


def test_a_duplicated_header_column_is_rejected(tmp_path: Path, database: Database) -> None:
    header, rows = sample_rows()
    header = [*header, "Số điện thoại"]
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join([row.get(h, "") for h in header[:-1]] + ["0999999999"]) + "\n")
    with pytest.raises(SpreadsheetError, match="“Số điện thoại” có hai lần"):
        database.run(import_roster, path)


def test_duplicate_phones_across_cadres_are_rejected_with_row_numbers(tmp_path: Path, database: Database) -> None:
    header, rows = sample_rows()
    rows[5]["Số điện thoại"] = rows[3]["Số điện thoại"]
    result = database.run(import_roster, write_csv(tmp_path / "r.csv", header, rows))
    assert not result.applied
    error = next(e for e in result.rejected if e.row == 7)
    assert "trùng “Số điện thoại”" in error.reason and "dòng 5" in error.reason


def test_a_phone_already_held_by_another_cadre_in_the_database_is_rejected(tmp_path: Path,
                                                                           database: Database) -> None:
    header, rows = sample_rows()
    database.run(import_roster, write_csv(tmp_path / "all.csv", header, rows))
    newcomer = dict(rows[3]) | {"Mã cán bộ": "MAU099", "Họ và tên": "Người Mới"}
    result = database.run(import_roster, write_csv(tmp_path / "one.csv", header, [newcomer]))
    assert not result.applied
    assert "MAU004" in result.rejected[0].reason and "Số điện thoại" in result.rejected[0].reason
