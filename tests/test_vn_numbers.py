"""Numbers people read carry the Vietnamese thousands dot (1.131 ngày, 5.000 ký tự)."""

from __future__ import annotations

import pytest

from bot.fakeapi import UpdateFactory
from db import Database
from domain import vn
from tests.conftest import BotHarness, link


def test_the_formatter() -> None:
    assert vn.number(1131) == "1.131" and vn.number(48_000) == "48.000" and vn.number(999) == "999"
    assert vn.pct(33.3333) == "33,33%"


async def test_days_left_have_a_thousands_dot(bot: BotHarness, roster: Database, user: UpdateFactory) -> None:
    await link(bot, user, "0912345003")  # MAU003: a 2029 deadline is 1.131 days after 26/11/2026
    text = (await bot.send(user.text("/gaps")))[-1]
    assert "còn 1.131 ngày" in text and "1131" not in text


async def test_a_too_long_result_names_the_limit_with_a_dot(bot: BotHarness, roster: Database,
                                                           user: UpdateFactory) -> None:
    await link(bot, user, "0912345016")
    await bot.send(user.text("/eval"))
    texts = await bot.send(user.text("x" * 1500))
    assert any("tối đa 1.000 ký tự" in t for t in texts), texts



@pytest.mark.parametrize(("typed", "value"), [("1000", 1000), ("1.000", 1000), ("1 000", 1000), (" 12.500 ", 12500),
                                              ("60", 60), ("1,5", None), ("1.00", None), ("²", None), ("", None),
                                              ("mười", None), ("1.000.000", 1000000)])
def test_a_whole_number_typed_as_the_bot_writes_it(typed: str, value: int | None) -> None:
    """The bot shows seats as "1.000"; typed back, "1.000" was refused as not a number (walkthrough)."""
    assert vn.whole_number(typed) == value
