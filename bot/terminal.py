"""The offline terminal chat: the real Application and handlers, talking to a person on stdin/stdout.

Buttons print numbered; typing the number or the label presses it. `/contact` shares the
demo user's own phone number. Photos and documents are saved and their paths printed.
Works typed (a terminal) and piped (a script feeding lines).
"""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from telegram import Update

from bot.app import build_application
from bot.fakeapi import ApiCall, FakeBotApi, UpdateFactory
from core.config import Settings
from db import Database
from domain.text import fold
from views.html import plain as render

DEMO_USER_ID = 424242
QUIT = {"/quit", "/exit", "/thoat", "thoát", "thoat"}
INTRO = (
    "cadrebot – trò chuyện ngoại tuyến (không cần Telegram). Bạn đóng vai cán bộ {code} – {name}.\n"
    "Gõ tin nhắn hoặc lệnh như trên Telegram; bấm nút bằng cách gõ số [n] hoặc tên nút; "
    "/contact để chia sẻ số điện thoại của bạn; /file ĐƯỜNG_DẪN để gửi tệp; /quit để thoát.\n"
)


@dataclass
class Button:
    label: str
    callback_data: str | None
    request_contact: bool


class TerminalChat:
    def __init__(
        self, settings: Settings, database: Database, code: str, full_name: str, phone: str | None,
        inp: TextIO = sys.stdin, out: TextIO = sys.stdout,
    ) -> None:
        self.settings, self.database = settings, database
        self.code, self.full_name, self.phone = code, full_name, phone
        self.inp, self.out = inp, out
        self.buttons: list[Button] = []
        self.buttons_message_id = 0
        # Every inline button still on screen, by label: older messages' buttons stay pressable, as in Telegram.
        self.on_screen: dict[str, tuple[Button, int]] = {}
        self.echo = not inp.isatty()
        self.factory = UpdateFactory(user_id=DEMO_USER_ID, first_name=full_name.split()[-1])
        self.api: FakeBotApi | None = None

    def _print(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def on_call(self, call: ApiCall) -> None:
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            self._print(f"🔔 {call.params['text']}")
        if call.method not in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText"):
            return
        self._print("🤖 " + render(call.text).replace("\n", "\n   "))
        for path in call.saved:
            self._print(f"   📎 Tệp đã lưu: {path}")
        buttons = [
            Button(b.get("text", ""), b.get("callback_data"), bool(b.get("request_contact")))
            for b in call.buttons
        ]
        markup = call.params.get("reply_markup")
        if buttons:
            self.buttons = buttons
            result = call.result if isinstance(call.result, dict) else {}
            self.buttons_message_id = int(result.get("message_id", 0))
            for button in buttons:
                if button.callback_data:
                    self.on_screen[fold(_strip_emoji(button.label))] = (button, self.buttons_message_id)
            number = 0
            for row in call.button_rows:
                cells = []
                for raw in row:
                    number += 1
                    cells.append(f"[{number}] {raw.get('text', '')}")
                self._print("   " + "   ".join(cells))
        elif isinstance(markup, dict) and markup.get("remove_keyboard"):
            self.buttons = []
        self._print()

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
        file_id = f"upload-{len(self.api.uploads) + 1}"
        self.api.uploads[file_id] = path.read_bytes()
        return self.factory.document(path.name, file_id, caption, size=path.stat().st_size)

    def to_update(self, line: str) -> dict[str, Any] | None:
        if line == "/contact":
            return self._contact()
        if line.startswith("/file "):
            return self._file(line[len("/file "):].strip())
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            return self._press(self.buttons[int(line) - 1])
        if line.isdigit() and len(line) <= 2 and self.buttons:
            self._print(f"   (Không có nút [{line}]; hãy gõ số từ 1 đến {len(self.buttons)}.)")
            return None
        for button in self.buttons:
            if fold(line) in (fold(button.label), fold(_strip_emoji(button.label))):
                return self._press(button)
        earlier = self.on_screen.get(fold(_strip_emoji(line)))
        if earlier is not None and earlier[0].callback_data:
            return self.factory.callback(earlier[0].callback_data, message_id=earlier[1])
        return self.factory.text(line)

    async def run(self) -> None:
        api = FakeBotApi(self.settings.telegram.bot_username, self.settings.demo.output_dir, self.on_call)
        self.api = api
        app = build_application(self.settings, self.database, request=api)
        self._print(INTRO.format(code=self.code, name=self.full_name))
        async with app:
            if app.post_init:
                await app.post_init(app)
            while True:
                line = await asyncio.to_thread(self.inp.readline)
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                if self.echo:
                    self._print(f"👤 {line}")
                if fold(line) in QUIT:
                    break
                update = self.to_update(line)
                if update is not None:
                    await app.process_update(Update.de_json(update, app.bot))
            if app.post_stop:
                await app.post_stop(app)
        self._print("Tạm biệt!")


def _strip_emoji(label: str) -> str:
    return re.sub(r"^[^\w]+", "", label).strip()
