"""An in-process Bot API: records every call the bot makes and answers like Telegram would.

The offline terminal chat and the test suite both run the real Application on it, the way
python-telegram-bot's own tests replace the network with a request class.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    saved: list[Path] = field(default_factory=list)
    result: Any = None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def button_rows(self) -> list[list[dict[str, Any]]]:
        """Inline buttons (text, callback_data) or reply-keyboard buttons, row by row."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for row in self.button_rows for b in row]


_TAG = re.compile(r'<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote|tg-spoiler|a|span)'
                  r'(?:\s+(?:href="[^"<>]*"|class="[^"<>]*"|expandable))?>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_error(text: str) -> str | None:
    """Why Telegram would refuse this text in HTML parse mode, or None: an unknown or unclosed tag,
    or a '<' or '&' that is not part of a tag or an entity (an unescaped interpolated value)."""
    open_tags: list[str] = []
    position = 0
    while (position := _next_special(text, position)) < len(text):
        if text[position] == "&":
            entity = _ENTITY.match(text, position)
            if entity is None:
                return f"can't parse entities: unexpected '&' at offset {position}"
            position = entity.end()
            continue
        tag = _TAG.match(text, position)
        if tag is None:
            return f"can't parse entities: unsupported start tag at offset {position}"
        closing, name = tag.group(1), tag.group(2)
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            return f"can't parse entities: unmatched end tag \"{name}\" at offset {position}"
        position = tag.end()
    return f"can't parse entities: unclosed start tag \"{open_tags[-1]}\"" if open_tags else None


def _next_special(text: str, start: int) -> int:
    found = [i for i in (text.find("<", start), text.find("&", start)) if i >= 0]
    return min(found, default=len(text))


UPLOAD_ID = re.compile(r"upload-[0-9a-f]{24}")
SENDING = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}


class FakeBotApi(BaseRequest):
    def __init__(
        self,
        username: str = "TuyenQuangCadreBot",
        files_dir: Path | None = None,
        on_call: Callable[[ApiCall], None] | None = None,
        uploads_dir: Path | None = None,
    ) -> None:
        self.username = username
        self.files_dir = files_dir
        self.on_call = on_call
        self.calls: list[ApiCall] = []
        self.commands: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1000)
        self._failures: list[tuple[str, Any]] = []
        self.uploads: dict[str, bytes] = {}  # file_id -> content, for getFile and downloads
        # Where files sent to the bot are kept across restarts, as Telegram keeps them (the offline chat's).
        self.uploads_dir = uploads_dir
        self.html_errors: list[str] = []  # messages Telegram would have refused (tests fail on any)

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    # --- what tests read -------------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        return [
            c for c in self.calls
            if c.method in SENDING and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def last_text(self) -> str:
        sent = self.sent()
        return sent[-1].text if sent else ""

    def texts(self) -> list[str]:
        return [c.text for c in self.sent()]

    def clear(self) -> None:
        self.calls.clear()

    def fail(self, method: str, error: Any, times: int = 1) -> None:
        """Make the next calls of `method` fail: an HTTP status (403, 429) or an exception to raise."""
        self._failures += [(method, error)] * times

    def _failure(self, method: str) -> tuple[int, bytes] | None:
        for i, (name, error) in enumerate(self._failures):
            if name != method:
                continue
            del self._failures[i]
            if isinstance(error, BaseException):
                raise error
            body: dict[str, Any] = {"ok": False, "error_code": error}
            if error == 403:
                body["description"] = "Forbidden: bot was blocked by the user"
            elif error == 429:
                body |= {"description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}}
            else:
                body["description"] = "Bad Request"
            return error, json.dumps(body).encode()
        return None

    # --- files sent to the bot ----------------------------------------------------------------

    def keep_upload(self, content: bytes) -> str:
        """Store a file a user sends; its file_id is its content hash, so ids never collide across restarts."""
        file_id = "upload-" + hashlib.sha256(content).hexdigest()[:24]
        self.uploads[file_id] = content
        if self.uploads_dir is not None:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            (self.uploads_dir / file_id).write_bytes(content)
        return file_id

    def upload(self, file_id: str) -> bytes | None:
        content = self.uploads.get(file_id)
        if content is None and self.uploads_dir is not None and UPLOAD_ID.fullmatch(file_id):
            path = self.uploads_dir / file_id
            if path.is_file():
                content = self.uploads[file_id] = path.read_bytes()
        return content

    # --- the Bot API ---------------------------------------------------------------------

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None,
        read_timeout: Any = None, write_timeout: Any = None, connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        if method == "GET":  # a file download
            content = self.upload(api_method)
            return (200, content) if content is not None else (404, b"")
        failure = self._failure(api_method)
        if failure is not None:
            return failure
        params = dict(request_data.parameters) if request_data else {}
        refused = self._refused_html(params)
        if refused is not None:
            return refused
        call = ApiCall(api_method, params, self._files(request_data))
        self._save_files(call)
        call.result = self._result(call)
        self.calls.append(call)
        if self.on_call:
            self.on_call(call)
        return 200, json.dumps({"ok": True, "result": call.result}).encode()

    def _refused_html(self, params: dict[str, Any]) -> tuple[int, bytes] | None:
        """Telegram answers 400 to HTML it cannot parse; so does this API (and it keeps the text)."""
        if params.get("parse_mode") != "HTML":
            return None
        text = str(params.get("text") or params.get("caption") or "")
        error = html_error(text)
        if error is None:
            return None
        self.html_errors.append(f"{error}: {text[:200]!r}")
        return 400, json.dumps({"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}).encode()

    @staticmethod
    def _files(request_data: RequestData | None) -> dict[str, tuple[str, bytes]]:
        if not request_data or not request_data.contains_files:
            return {}
        out = {}
        for name, value in request_data.multipart_data.items():
            filename, content = value[0], value[1]
            data = content if isinstance(content, bytes) else content.read()
            out[name] = (str(filename or name), data)
        return out

    def _save_files(self, call: ApiCall) -> None:
        if not self.files_dir or not call.files:
            return
        self.files_dir.mkdir(parents=True, exist_ok=True)
        for name, (filename, content) in call.files.items():
            safe = Path(filename).name or name
            path = self.files_dir / f"{int(time.time() * 1000)}-{safe}"
            path.write_bytes(content)
            call.saved.append(path)

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "cadrebot", "username": self.username,
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _message(self, call: ApiCall) -> dict[str, Any]:
        chat_id = call.params.get("chat_id", 0)
        message: dict[str, Any] = {
            "message_id": call.params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self._bot_user(),
        }
        if call.method in ("sendPhoto", "sendDocument"):
            message["caption"] = call.params.get("caption", "")
            message["document"] = {"file_id": "f", "file_unique_id": "f"}
        else:
            message["text"] = call.params.get("text", "")
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _result(self, call: ApiCall) -> Any:
        if call.method == "getMe":
            return self._bot_user()
        if call.method == "setMyCommands":
            self.commands = list(call.params.get("commands", []))
            return True
        if call.method == "getMyCommands":
            return self.commands
        if call.method == "getUpdates":
            return []
        if call.method == "getFile":
            file_id = str(call.params.get("file_id"))
            return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(self.upload(file_id) or b""),
                    "file_path": file_id}
        if call.method in SENDING:
            return self._message(call)
        return True


class UpdateFactory:
    """Builds real Update JSON as Telegram sends it, for one user in one private chat."""

    def __init__(self, user_id: int = 100001, first_name: str = "Lan", chat_id: int | None = None) -> None:
        self.user_id = user_id
        self.first_name = first_name
        self.chat_id = chat_id or user_id
        self._ids = itertools.count(1)

    def _user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name, "language_code": "vi"}

    def _chat(self, chat_type: str = "private") -> dict[str, Any]:
        if chat_type == "private":
            return {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        return {"id": -1000000000000 - self.chat_id, "type": chat_type, "title": "Nhóm cơ quan"}

    def _message(self, chat_type: str = "private", **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._ids), "date": int(time.time()), "chat": self._chat(chat_type),
                "from": self._user(), **content}

    def _update(self, **body: Any) -> dict[str, Any]:
        return {"update_id": next(self._ids), **body}

    def text(self, text: str, chat_type: str = "private") -> dict[str, Any]:
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._update(message=self._message(chat_type, text=text, entities=entities))

    def contact(self, phone: str, contact_user_id: int | None = None, forwarded: bool = False) -> dict[str, Any]:
        contact: dict[str, Any] = {"phone_number": phone, "first_name": self.first_name}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        extra: dict[str, Any] = {}
        if forwarded:
            extra["forward_origin"] = {"type": "hidden_user", "date": int(time.time()), "sender_user_name": "X"}
        return self._update(message=self._message(contact=contact, **extra))

    def own_contact(self, phone: str) -> dict[str, Any]:
        return self.contact(phone, contact_user_id=self.user_id)

    def callback(self, data: str, message_id: int = 1, message_text: str = "") -> dict[str, Any]:
        message = {"message_id": message_id, "date": int(time.time()), "chat": self._chat(),
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "cadrebot"}, "text": message_text}
        return self._update(callback_query={"id": str(next(self._ids)), "from": self._user(),
                                            "chat_instance": "ci", "data": data, "message": message})

    def edited(self, text: str) -> dict[str, Any]:
        message = self._message(text=text)
        message["edit_date"] = int(time.time())
        return self._update(edited_message=message)

    def sticker(self) -> dict[str, Any]:
        return self._update(message=self._message(sticker={
            "file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512,
            "is_animated": False, "is_video": False}))

    def photo(self) -> dict[str, Any]:
        return self._update(message=self._message(photo=[{"file_id": "p", "file_unique_id": "p", "width": 90,
                                                          "height": 90}]))

    def voice(self) -> dict[str, Any]:
        return self._update(message=self._message(voice={"file_id": "v", "file_unique_id": "v", "duration": 3}))

    def document(self, file_name: str = "a.xlsx", file_id: str = "d", caption: str = "",
                 size: int = 100) -> dict[str, Any]:
        extra = {"caption": caption} if caption else {}
        return self._update(message=self._message(document={"file_id": file_id, "file_unique_id": file_id,
                                                             "file_name": file_name, "file_size": size}, **extra))

    def my_chat_member(self, status: str) -> dict[str, Any]:
        old: dict[str, Any] = {"status": "member", "user": {"id": BOT_ID, "is_bot": True, "first_name": "cadrebot"}}
        new: dict[str, Any] = {"status": status, "user": old["user"]}
        if status == "kicked":
            new["until_date"] = 0
        return self._update(my_chat_member={"chat": self._chat(), "from": self._user(), "date": int(time.time()),
                                            "old_chat_member": old, "new_chat_member": new})
