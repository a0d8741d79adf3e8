"""Unhandled errors reach the operators (ops.alert_chat_ids) as a short, redacted report.

The first error of a quiet period is reported at once; the errors that follow within
ops.alert_window_s are counted and sent as one summary when the window ends, so an error storm
sends a report and a summary per window, not a flood (python-telegram-bot's rules bot does the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable

from telegram import Bot

from core.logctx import current
from core.redact import redact
from domain import vn

log = logging.getLogger(__name__)
DETAIL_CHARS = 300


class OperatorAlerts:
    def __init__(self, chat_ids: tuple[int, ...], window_s: float, token: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.chat_ids, self.window_s, self.token, self.clock = chat_ids, window_s, token, clock
        self.quiet_until = 0.0
        self.held: Counter[str] = Counter()
        self.summary: asyncio.Task[None] | None = None

    def report_text(self, error: BaseException | None) -> str:
        update_id, actor = current()
        kind = type(error).__name__ if error is not None else "Lỗi"
        detail = redact(str(error), self.token)[:DETAIL_CHARS] if error is not None else ""
        lines = ["⚠️ cadrebot: lỗi chưa xử lý", f"Loại: {kind}"]
        if detail:
            lines.append(f"Chi tiết: {detail}")
        if update_id is not None:
            lines.append(f"Cập nhật: {update_id}" + (f" (cán bộ {actor})" if actor else ""))
        lines.append("Xem nhật ký máy chủ để biết đầy đủ.")
        return "\n".join(lines)

    async def report(self, bot: Bot, error: BaseException | None) -> None:
        if not self.chat_ids:
            return
        now = self.clock()
        if now >= self.quiet_until and not self.held:
            self.quiet_until = now + self.window_s
            await self._send(bot, self.report_text(error))
            return
        self.held[type(error).__name__ if error is not None else "Lỗi"] += 1
        if self.summary is None or self.summary.done():
            self.summary = asyncio.get_running_loop().create_task(self._summarise(bot))

    async def _summarise(self, bot: Bot) -> None:
        await asyncio.sleep(max(0.0, self.quiet_until - self.clock()))
        held, self.held = self.held, Counter()
        self.quiet_until = self.clock() + self.window_s
        kinds = ", ".join(f"{name} ×{n}" for name, n in held.most_common())
        window = vn.number(self.window_s, 0 if float(self.window_s).is_integer() else 1)
        await self._send(bot, f"⚠️ cadrebot: thêm {vn.number(sum(held.values()))} lỗi chưa xử lý trong "
                              f"{window} giây qua ({kinds}). Xem nhật ký máy chủ.")

    async def _send(self, bot: Bot, text: str) -> None:
        for chat_id in self.chat_ids:
            try:
                await bot.send_message(chat_id, text)
            except Exception:  # the error may be the network itself; the log has it anyway
                log.warning("Could not alert operator chat %s", chat_id, exc_info=True)

    async def close(self) -> None:
        if self.summary is not None and not self.summary.done():
            self.summary.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.summary
