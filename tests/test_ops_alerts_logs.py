"""Operators hear about unhandled errors (redacted, rate-limited); JSON-lines logs carry the update and
the actor's cadre code, never a phone number or the token."""

from __future__ import annotations

import asyncio
import json
import logging

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.app import ALERTS_KEY
from bot.fakeapi import UpdateFactory
from bot.ops.alerts import OperatorAlerts
from bot.ops.logjson import JsonFormatter
from core.logctx import bind_actor, bound_update
from domain.accounts import Actor
from handlers.common import linked_only
from tests.conftest import BotHarness, link

OPERATOR = 880001
TOKEN = "123456789:AAE2eTestTokenAbcdefghijklmnopq"
SECRET_TEXT = f"gọi 0912 345 017 hoặc +84912345017 bằng {TOKEN}"


@linked_only
async def _boom(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    raise ValueError(SECRET_TEXT)


def _operator_texts(bot: BotHarness) -> list[str]:
    return [c.text for c in bot.api.sent(chat_id=OPERATOR)]


async def test_error_storm_sends_one_report_then_one_summary(bot: BotHarness, roster: object) -> None:
    # The window must outlast six updates on a loaded machine (0.3 s did not, now and then, under CI).
    bot.app.bot_data[ALERTS_KEY] = OperatorAlerts((OPERATOR,), window_s=1.5, token=TOKEN)
    bot.app.add_handler(CommandHandler("boom", _boom), group=-10)
    user = UpdateFactory(user_id=702)
    await link(bot, user, "0912345017")  # MAU017
    for _ in range(6):
        seen = await bot.send(user.text("/boom"))
        assert any("đã có lỗi" in t for t in seen)  # the user is told, as before
    reports = _operator_texts(bot)
    assert len(reports) == 1
    assert "ValueError" in reports[0] and "MAU017" in reports[0]
    assert TOKEN not in reports[0] and "0912" not in reports[0] and "912345017" not in reports[0]
    await asyncio.sleep(1.8)
    reports = _operator_texts(bot)
    assert len(reports) == 2 and "thêm 5 lỗi" in reports[1] and "ValueError ×5" in reports[1]
    assert "trong 1,5 giây qua" in reports[1]  # a Vietnamese decimal comma
    await bot.app.bot_data[ALERTS_KEY].close()


async def test_no_operators_no_alerts(bot: BotHarness, roster: object) -> None:
    bot.app.add_handler(CommandHandler("boom", _boom), group=-10)
    await link(bot, UpdateFactory(user_id=703), "0912345017")
    await bot.send(UpdateFactory(user_id=703).text("/boom"))
    assert all(c.params.get("chat_id") == 703 for c in bot.api.sent())


def test_json_lines_name_update_and_cadre_never_phone_or_token() -> None:
    formatter = JsonFormatter(TOKEN)
    update = Update.de_json(UpdateFactory(user_id=704).text("/menu"), None)
    with bound_update(update):
        bind_actor("MAU017")
        try:
            raise RuntimeError(SECRET_TEXT)
        except RuntimeError:
            record = logging.LogRecord("cadrebot", logging.ERROR, __file__, 1, "failed for %s", ("0912345017",),
                                       exc_info=__import__("sys").exc_info())
        line = formatter.format(record)
    entry = json.loads(line)
    assert entry["update_id"] == update.update_id and entry["actor"] == "MAU017" and entry["level"] == "ERROR"
    assert "0912345017" not in line and "912 345 017" not in line and TOKEN not in line
    assert "RuntimeError" in entry["exc"]
    outside = json.loads(formatter.format(logging.LogRecord("x", logging.INFO, __file__, 1, "idle", None, None)))
    assert "update_id" not in outside and "actor" not in outside
