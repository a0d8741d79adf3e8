"""The offline terminal chat: the real Application and handlers, talking to a person on stdin/stdout.

Each `--as CODE` is its own Telegram user (a stable id per cadre), so links persist per person
and one database can be played as a cadre, their manager and HR in turn. Buttons of the last
message print numbered; typing the number or the label presses one. `/contact` shares the
played cadre's own phone number; `/who` says who you are and which database you are on.
Messages the bot sends to other people print with their recipient. Works typed (a prompt with
line editing) and piped (a script feeding lines, echoed). The bot's log goes to a file
(chat_log_path), never between the chat's lines; the banner and /who say where.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.handlers
import re
import sys
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.demo import linked_code, recipient_of
from bot.fakeapi import ApiCall, FakeBotApi, UpdateFactory
from bot.logs import RedactingFormatter, RedactTokenFilter
from core.config import Settings
from db import Database
from domain import conversation
from domain.text import fold
from handlers import text_router
from views.html import plain as render

# Stable per-cadre Telegram ids live above every real one the demo could meet (they stay < 2**53).
DEMO_USER_BASE = 5_000_000_000
QUIT = {"/quit", "/exit", "/thoat", "thoát", "thoat"}
PROMPT = "👤 "
INTRO = (
    "cadrebot – trò chuyện ngoại tuyến (không cần Telegram).\n"
    "Gõ tin nhắn hoặc lệnh như trên Telegram; bấm nút của tin nhắn cuối bằng cách gõ số [n] hoặc tên nút; "
    "/contact để chia sẻ số điện thoại của bạn; /file ĐƯỜNG_DẪN để gửi tệp; /who để xem bạn là ai; "
    "/quit để thoát.\n"
    "Đổi vai: thoát rồi chạy lại với --as MÃ_CÁN_BỘ (mỗi vai là một tài khoản Telegram riêng, "
    "liên kết được giữ lại).\n"
)
WHO = "Bạn đóng vai cán bộ {code} – {name} (tài khoản Telegram {user_id}).\nCơ sở dữ liệu: {db}"
LOG_AT = "Nhật ký của bot (cảnh báo, lỗi) ghi vào tệp {path}, không in vào cuộc trò chuyện."
LOG_BYTES, LOG_BACKUPS = 1_000_000, 1
LINKED = "Tài khoản này đã liên kết với hồ sơ {code}."
EARLIER_BUTTONS = "Nút của tin nhắn trước (gõ số hoặc tên nút để bấm):"
NOT_LINKED = "Tài khoản này chưa liên kết: gõ 1 (hoặc /contact) để chia sẻ số điện thoại và liên kết ngay."
NOT_LINKED_NO_PHONE = (
    "Tài khoản này chưa liên kết và hồ sơ không có số điện thoại: xin đường dẫn mời "
    "(cadrebot invite {code} --db …) rồi gõ /start MÃ_MỜI."
)
_SENT = ("sendMessage", "sendPhoto", "sendDocument", "editMessageText")


@dataclass
class Button:
    label: str
    callback_data: str | None
    request_contact: bool


def demo_user_id(code: str) -> int:
    """The Telegram user id the terminal uses for a cadre: the same on every run and every database."""
    return DEMO_USER_BASE + zlib.crc32(code.strip().upper().encode())


def database_label(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


def uploads_path(settings: Settings) -> Path:
    """Files sent with /file, kept like Telegram keeps them: a preview still confirms after a restart."""
    return settings.demo.output_dir.parent / "uploads"


def chat_log_path(settings: Settings) -> Path:
    """Beside the chat's saved files: var/chat.log for var/chat-files."""
    return settings.demo.output_dir.parent / "chat.log"


def log_to_file(path: Path, token: str | None = None) -> None:
    """Send every log line (INFO and up, Python warnings too) to `path`, redacted, and none to the
    console: a warning printed between two chat lines reads like part of the conversation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                   encoding="utf-8")
    handler.setFormatter(RedactingFormatter(token))
    handler.addFilter(RedactTokenFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)


class TerminalChat:
    def __init__(
        self, settings: Settings, database: Database, code: str, full_name: str, phone: str | None,
        inp: TextIO = sys.stdin, out: TextIO = sys.stdout, clock: Callable[[], date] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.settings, self.database, self.log_path = settings, database, log_path
        self.code, self.full_name, self.phone = code, full_name, phone
        self.inp, self.out, self.clock = inp, out, clock
        self.user_id = demo_user_id(code)
        # The last message's buttons: the only ones a number or a loose label presses.
        self.buttons: list[Button] = []
        self.buttons_message_id = 0
        # Every inline button still on screen, by exact label: older messages' buttons stay pressable,
        # as in Telegram, unless a text prompt is waiting for the line.
        self.on_screen: dict[str, tuple[Button, int]] = {}
        self.interactive = inp.isatty() and out.isatty()
        self.factory = UpdateFactory(user_id=self.user_id, first_name=full_name.split()[-1])
        self.api: FakeBotApi | None = None
        self.app: Application | None = None
        self._recipients: dict[int, str] = {}

    def _print(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    # --- what the bot sends ------------------------------------------------------------------

    def on_call(self, call: ApiCall) -> None:
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            self._print(f"🔔 {call.params['text']}")
        chat_id = call.params.get("chat_id")
        if call.method == "editMessageReplyMarkup" and self._mine(chat_id):
            self._edited_markup(call)
        if call.method not in _SENT:
            return
        if not self._mine(chat_id):
            self._print_to_other(call, int(str(chat_id)))
            return
        self._print("🤖 " + render(call.text).replace("\n", "\n   "))
        for path in call.saved:
            self._print(f"   📎 Tệp đã lưu: {path}")
        self._take_buttons(call)
        self._print()

    def _mine(self, chat_id: Any) -> bool:
        return chat_id is None or str(chat_id) == str(self.user_id)

    def _print_to_other(self, call: ApiCall, chat_id: int) -> None:
        name = self._recipients.get(chat_id)
        if name is None:
            name = self._recipients[chat_id] = self.database.read(recipient_of, chat_id) or f"chat {chat_id}"
        self._print(f"→ {name}: " + render(call.text).replace("\n", "\n   "))
        labels = [b.get("text", "") for b in call.buttons]
        if labels:
            self._print("   (nút: " + " | ".join(labels) + ")")
        self._print()

    def _take_buttons(self, call: ApiCall) -> None:
        """A message with buttons replaces the pressable ones; a message without buttons ends them."""
        result = call.result if isinstance(call.result, dict) else {}
        message_id = int(result.get("message_id", 0))
        if call.method == "editMessageText" and message_id != self.buttons_message_id:
            return  # an older message changed: the last message's buttons stay
        self.buttons = [
            Button(b.get("text", ""), b.get("callback_data"), bool(b.get("request_contact")))
            for b in call.buttons
        ]
        self.buttons_message_id = message_id
        for button in self.buttons:
            if button.callback_data:
                self.on_screen[_strip_emoji(button.label)] = (button, message_id)
        number = 0
        for row in call.button_rows:
            cells = []
            for raw in row:
                number += 1
                cells.append(f"[{number}] {raw.get('text', '')}")
            self._print("   " + "   ".join(cells))

    def _edited_markup(self, call: ApiCall) -> None:
        if str(call.params.get("message_id")) == str(self.buttons_message_id) and not call.buttons:
            self.buttons = []

    # --- what the person types ------------------------------------------------------------------

    def _press(self, button: Button) -> dict[str, Any]:
        if button.request_contact:
            return self._contact()
        if button.callback_data is None:
            return self.factory.text(button.label)
        return self.factory.callback(button.callback_data, message_id=self.buttons_message_id)

    def _contact(self) -> dict[str, Any]:
        return self.factory.own_contact(self.phone or "")

    def _file(self, argument: str) -> dict[str, Any] | None:
        """`/file PATH [caption]`: send a local file as a document, as HR does from a phone."""
        path_text, _, caption = argument.partition(" ")
        path = Path(path_text).expanduser()
        if not path.is_file() or self.api is None:
            self._print(f"   (Không đọc được tệp {path_text})")
            return None
        file_id = self.api.keep_upload(path.read_bytes())
        return self.factory.document(path.name, file_id, caption, size=path.stat().st_size)

    async def to_update(self, line: str) -> dict[str, Any] | None:
        if line == "/contact":
            return self._contact()
        if line.startswith("/file "):
            return self._file(line[len("/file "):].strip())
        if line.isdecimal():
            return self._number(line)
        for button in self.buttons:
            if fold(line) in (fold(button.label), fold(_strip_emoji(button.label))):
                return self._press(button)
        earlier = self.on_screen.get(_strip_emoji(line))
        if earlier is not None and earlier[0].callback_data and not await self._text_awaited():
            return self.factory.callback(earlier[0].callback_data, message_id=earlier[1])
        return self.factory.text(line)

    def _number(self, line: str) -> dict[str, Any] | None:
        """A number is a button only when the last message has buttons; otherwise it is text."""
        if not self.buttons:
            return self.factory.text(line)
        if 1 <= int(line) <= len(self.buttons):
            return self._press(self.buttons[int(line) - 1])
        self._print(f"   (Không có nút [{line}]; hãy gõ số từ 1 đến {len(self.buttons)}.)")
        return None

    async def _text_awaited(self) -> bool:
        return self.app is not None and await text_router.awaits_text(self.app, self.user_id)

    # --- the session ------------------------------------------------------------------------------

    def who(self) -> None:
        self._print(WHO.format(code=self.code, name=self.full_name, user_id=self.user_id,
                               db=database_label(self.database)))
        if self.log_path is not None:
            self._print(LOG_AT.format(path=self.log_path))
        linked = self.database.read(linked_code, self.user_id)
        if linked:
            self._print(LINKED.format(code=linked))
        elif self.phone:
            self._print(NOT_LINKED)
        else:
            self._print(NOT_LINKED_NO_PHONE.format(code=self.code))

    def _restore_buttons(self) -> None:
        """After a restart, the last message's buttons (kept in the database) answer to their numbers again."""
        rows = self.database.read(conversation.offered_buttons, self.user_id, self.user_id)
        if not any(rows):
            return
        self._print(EARLIER_BUTTONS)
        self._take_buttons(ApiCall("sendMessage", {"reply_markup": {"inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in rows]}}))

    async def _read_line(self) -> str | None:
        if self.interactive:
            return await _input(PROMPT)
        line = await asyncio.to_thread(self.inp.readline)
        return line or None

    async def _send(self, app: Application, line: str) -> None:
        update = await self.to_update(line)
        if update is not None:
            await app.process_update(Update.de_json(update, app.bot))

    async def run(self) -> None:
        if self.interactive:
            import readline  # noqa: F401  (imported for its effect: arrow keys and history in input())
        api = FakeBotApi(self.settings.telegram.bot_username, self.settings.demo.output_dir, self.on_call,
                         uploads_dir=uploads_path(self.settings))
        self.api = api
        app = build_application(self.settings, self.database, request=api, clock=self.clock)
        self.app = app
        self._print(INTRO)
        self.who()
        self._restore_buttons()
        self._print()
        async with app:
            if app.post_init:
                await app.post_init(app)
            if not self.database.read(linked_code, self.user_id):
                await self._send(app, "/start")  # offer to link at once
            await self._loop(app)
            if app.post_stop:
                await app.post_stop(app)
        self._print("Tạm biệt!")

    async def _loop(self, app: Application) -> None:
        while True:
            line = await self._read_line()
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if not self.interactive:
                self._print(f"{PROMPT}{line}")
            if fold(line) in QUIT:
                break
            if fold(line) == "/who":
                self.who()
                continue
            await self._send(app, line)


async def _input(prompt: str) -> str | None:
    """input() with readline editing, in a daemon thread: Ctrl-C ends the chat without waiting for Enter."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def settle(value: str | None) -> None:
        if not future.done():
            future.set_result(value)

    def read() -> None:
        try:
            value: str | None = input(prompt)
        except (EOFError, KeyboardInterrupt):
            value = None
        with contextlib.suppress(RuntimeError):  # the loop is closed: the chat has ended
            loop.call_soon_threadsafe(settle, value)

    threading.Thread(target=read, daemon=True).start()
    return await future


def _strip_emoji(label: str) -> str:
    return re.sub(r"^[^\w]+", "", label).strip()
