"""The HR admin menu as buttons, import templates from the bot and from `cadrebot template`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.fakeapi import UpdateFactory
from db import Database
from domain import accounts
from domain.bulk_registration import HEADERS as REGISTRATION_HEADERS
from domain.courses import HEADERS as COURSE_HEADERS
from domain.roster import HEADERS as ROSTER_HEADERS
from domain.spreadsheet import load_sheet
from domain.templates import TEMPLATES, template_xlsx
from tests.conftest import BotHarness, link

HR_PHONE = "0912345004"


async def _hr(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    roster.run(accounts.grant_hr, "MAU004")
    await link(bot, user, HR_PHONE)


async def test_admin_menu_is_buttons(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await _hr(bot, roster, user)
    texts = await bot.send(user.callback("menu:admin"))
    assert "Quản trị – Ban Tổ chức" in texts[-1]
    data = {b["text"]: b["callback_data"] for b in bot.last_buttons()}
    assert data["🔎 Tìm cán bộ"] == "menu:find" and data["🎓 Quản lý lớp"] == "menu:courses"
    assert {"📊 Báo cáo toàn tỉnh", "🔗 Tạo đường dẫn mời", "📥 Nhập tệp", "📄 Tệp mẫu"} <= set(data)
    texts = await bot.send(user.callback("adm:import"))
    assert "Gửi tệp .xlsx" in texts[-1]


async def test_invite_by_button_and_typed_code(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await _hr(bot, roster, user)
    texts = await bot.send(user.callback("adm:invite"))
    assert "Gõ mã cán bộ" in texts[-1]
    texts = await bot.send(user.text("mau010"))
    assert "Đường dẫn mời cho MAU010" in texts[-1] and "https://t.me/" in texts[-1]


async def test_templates_from_the_bot(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await _hr(bot, roster, user)
    await bot.send(user.callback("adm:tpl"))
    assert [b["callback_data"] for b in bot.last_buttons()][:3] == ["adm:tpl:roster", "adm:tpl:courses",
                                                                  "adm:tpl:completion"]
    await bot.send(user.callback("adm:tpl:courses"))
    doc = next(c for c in reversed(bot.api.calls) if c.method == "sendDocument")
    assert doc.files["document"][0] == "mau-danh-sach-lop.xlsx"
    assert bot.last_buttons()[0]["callback_data"] == "menu:admin"  # back to the admin menu under the file
    book = load_workbook(io.BytesIO(doc.files["document"][1]))
    assert [c.value for c in book.worksheets[0][1]] == list(COURSE_HEADERS)
    for forged in ("adm:tpl:../../etc", "adm:tpl:", "adm:zap"):
        assert "Nút này đã cũ" in (await bot.send(user.callback(forged)))[-1]


async def test_admin_buttons_refused_to_non_hr(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, HR_PHONE)
    for data in ("menu:admin", "adm:tpl:roster", "adm:invite"):
        assert "chỉ dành cho cán bộ Ban Tổ chức" in (await bot.send(user.callback(data)))[-1]


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_cli_template_is_read_back_by_the_importer(kind: str, tmp_path: Path) -> None:
    from bot.cli import main as cli_main

    out = tmp_path / f"{kind}.xlsx"
    assert cli_main(["template", kind, "--out", str(out)]) == 0
    template = TEMPLATES[kind]
    headers = {"roster": ROSTER_HEADERS, "courses": COURSE_HEADERS,
               "registrations": REGISTRATION_HEADERS}.get(kind, {"Mã cán bộ": "code"})
    sheet = load_sheet(out, headers, template.required)
    assert not list(sheet.rows)
    assert template_xlsx(kind)[:2] == b"PK"


async def test_the_registration_list_has_a_template_too(bot: BotHarness, roster: Database,
                                                        user: UpdateFactory) -> None:
    """The import help describes a registration list ('Mã cán bộ', 'Mã lớp'), but 'Tệp mẫu' had no template for
    it (walkthrough as HR)."""
    await _hr(bot, roster, user)
    await bot.send(user.callback("adm:tpl"))
    assert "adm:tpl:registrations" in [b["callback_data"] for b in bot.last_buttons()]
    await bot.send(user.callback("adm:tpl:registrations"))
    doc = next(c for c in reversed(bot.api.calls) if c.method == "sendDocument")
    book = load_workbook(io.BytesIO(doc.files["document"][1]))
    assert [c.value for c in book.worksheets[0][1]] == ["Mã cán bộ", "Mã lớp", "Họ và tên"]


def _invites(db: Database) -> int:
    from sqlalchemy import func, select

    from db.models import InviteToken
    return int(db.run(lambda s: s.scalar(select(func.count(InviteToken.id)))))


async def test_an_invite_names_the_person_and_is_refused_for_a_linked_one(bot: BotHarness, roster: Database,
                                                                          user: UpdateFactory) -> None:
    """`/invite mau017` for a cadre already linked returned a link that could only fail, and every answer showed
    the code alone, so a mistyped code went unnoticed (walkthrough as HR)."""
    await _hr(bot, roster, user)
    texts = await bot.send(user.text("/invite mau010"))
    assert "Đường dẫn mời cho MAU010 – Ma Văn Chiến, Xã Minh Hương" in texts[-1] and "https://t.me/" in texts[-1]
    await link(bot, UpdateFactory(user_id=1017), "0912345017")
    texts = await bot.send(user.text("/invite mau017"))
    assert "https://t.me/" not in texts[-1] and _invites(roster) == 1
    assert "MAU017 – Bùi Thị Trang" in texts[-1] and "đã liên kết Telegram" in texts[-1] and "/unlink" in texts[-1]


async def test_the_invite_prompt_stays_open_after_a_refused_code(bot: BotHarness, roster: Database,
                                                                 user: UpdateFactory) -> None:
    """From the admin menu, an unknown code answered "Không có cán bộ mã …" and closed the prompt, so the code typed
    next went to the questions about the resolution (walkthrough as HR)."""
    await _hr(bot, roster, user)
    await link(bot, UpdateFactory(user_id=1017), "0912345017")
    await bot.send(user.callback("adm:invite"))
    texts = await bot.send(user.text("mau0100"))
    assert "Không có cán bộ mã MAU0100" in texts[-1] and "Gõ mã khác" in texts[-1]
    texts = await bot.send(user.text("mau017"))
    assert "đã liên kết Telegram" in texts[-1] and "Gõ mã khác" in texts[-1]
    texts = await bot.send(user.text("mau010"))
    assert "Đường dẫn mời cho MAU010 – Ma Văn Chiến" in texts[-1] and _invites(roster) == 1
    await bot.send(user.callback("adm:invite"))
    assert "Đã thôi" in (await bot.send(user.text("thôi")))[-1]  # a change of mind closes the prompt


# Attack on the templates' guide sheet: each file's columns explained for that file.


def _guide(kind: str) -> dict[str, tuple[str, str]]:
    sheet = load_workbook(io.BytesIO(template_xlsx(kind)))["Hướng dẫn"]
    rows = {}
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] and len(row) >= 3:
            rows[str(row[0])] = (str(row[1]), str(row[2] or ""))
    return rows


def test_the_roster_guide_does_not_call_the_required_name_optional() -> None:
    """The registration list's wording for 'Họ và tên' ('không bắt buộc; nếu ghi, phải khớp hồ sơ…') was in the
    shared _allowed table, so the roster template (where the name is required and sets the record) says it too."""
    required, allowed = _guide("roster")["Họ và tên"]
    assert required == "Có"
    assert "không bắt buộc" not in allowed, allowed


def test_the_course_list_guide_does_not_send_hr_to_existing_codes() -> None:
    """In a course list 'Mã lớp' defines a class (new ones too); the guide said 'mã lớp như trong danh sách lớp'."""
    _, allowed = _guide("courses")["Mã lớp"]
    assert "như trong danh sách lớp" not in allowed, allowed
