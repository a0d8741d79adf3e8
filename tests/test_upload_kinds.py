"""Which kind a sheet is (attack on the roster-extract detection): a genuine completion sheet with a column the
province's results lists commonly carry (Ngày sinh, Giới tính, Dân tộc, Số điện thoại), sent after the course
page's '📥 Ghi nhận hoàn thành từ tệp' or with a caption saying so, was read as a roster and refused for lacking
the roster's required columns."""

from __future__ import annotations

import pytest

from bot.fakeapi import UpdateFactory
from db import Database
from tests.conftest import BotHarness
from tests.test_completion_sheet import _db, _hr, _register, _send, _start


@pytest.mark.parametrize("column,value", [("Ngày sinh", "01/01/1980"), ("Giới tính", "Nam"),
                                          ("Số điện thoại", "0912345010"), ("Dân tộc", "Tày")])
async def test_completion_sheet_with_a_birth_date_column(bot: BotHarness, roster: Database, user: UpdateFactory,
                                                         column: str, value: str) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    await bot.send(user.callback("cpl:want:CC-K26"))
    texts = await _send(bot, user, f"Mã cán bộ,Họ và tên,{column},Kết quả\nMAU010,Ma Văn Chiến,{value},Đạt\n")
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1], texts[-1]


async def test_completion_sheet_with_caption_and_birth_date(bot: BotHarness, roster: Database,
                                                            user: UpdateFactory) -> None:
    db = _db(roster)
    _register(db, "MAU010")
    _start(db)
    await _hr(bot, user)
    texts = await _send(bot, user, "Mã cán bộ,Họ và tên,Ngày sinh\nMAU010,Ma Văn Chiến,01/01/1980\n",
                        caption="Kết quả lớp CC-K26")
    assert "Xem trước: hoàn thành lớp CC-K26" in texts[-1], texts[-1]
