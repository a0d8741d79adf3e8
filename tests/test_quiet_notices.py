"""In quiet hours the bot says when a notice will go out, never that it was sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from pathlib import Path

import pytest

from bot.fakeapi import UpdateFactory
from core.config import Settings
from db import Database
from tests.conftest import BotHarness, link
from tests.conftest import settings as base_settings
from tests.test_review_flow import COMMUNE_HEAD, VP_HEAD, _submit


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Quiet from 09:00 to 11:00: the tests' fixed clock reads 10:00."""
    base = base_settings.__wrapped__(tmp_path)  # type: ignore[attr-defined]
    return replace(base, scheduler=replace(base.scheduler, quiet_start=time(9, 0), quiet_end=time(11, 0)))


async def test_rating_and_reminder_in_quiet_hours_say_when_they_go_out(bot: BotHarness, roster: Database,
                                                                       user: UpdateFactory) -> None:
    await link(bot, UpdateFactory(user_id=811), "0912345011")
    first = _submit(roster, "MAU011")
    await link(bot, user, COMMUNE_HEAD)
    told_before = len(bot.api.sent(chat_id=811))
    await bot.send(user.callback(f"rev:open:{first}"))
    await bot.send(user.callback(f"rev:nocomment:{first}:1"))
    answer = next(t for t in await bot.send(user.callback(f"rev:ok:{first}:1")) if "Đã xếp loại" in t)
    assert "sẽ được thông báo qua bot lúc 11:00" in answer and "đã được thông báo" not in answer
    assert len(bot.api.sent(chat_id=811)) == told_before  # the notice waits for 11:00
    head = UpdateFactory(user_id=915)
    await link(bot, head, VP_HEAD)
    await link(bot, UpdateFactory(user_id=816), "0912345016")
    text = (await bot.send(head.callback("rev:nudge")))[0]
    assert "Lời nhắc tới 1 người chưa nộp sẽ được gửi lúc 11:00" in text and "Đã gửi" not in text
