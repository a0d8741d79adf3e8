"""Sending goes over aiohttp (bot.ops.transport.AiohttpRequest): what python-telegram-bot sends arrives whole
(form fields, buttons, uploaded files), Telegram's refusals keep their meaning, a slow or absent API is a
timeout or a network error that never shows the token, and a burst waits for a connection instead of failing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

import bot.ops.transport as transport
from bot.ops.transport import AiohttpRequest, InstrumentedRequest, requests
from core.metrics import API_ERRORS, MESSAGES_SENT

TOKEN = "123456:TEST-secret-token-for-sending"
Answer = Callable[[str, web.Request], Awaitable[web.Response]]


class FakeApi:
    """A Bot API on 127.0.0.1 that records each request's method and fields and answers as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answer: Answer | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return _ok({"id": 1, "is_bot": True, "first_name": "cadrebot", "username": "cadrebot"})
        fields: dict[str, Any] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                assert isinstance(part, BodyPartReader)
                data = bytes(await part.read())
                fields[part.name or ""] = (part.filename, data) if part.filename else data.decode()
        else:
            fields = dict(await request.post())
        self.calls.append((method, fields))
        if self.answer is not None:
            return await self.answer(method, request)
        return _ok({"message_id": len(self.calls), "date": 0, "chat": {"id": 5, "type": "private"}})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    fake = FakeApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.port = runner.addresses[0][1]
    yield fake
    await runner.cleanup()


async def test_a_message_and_its_buttons_arrive_as_a_form(api: FakeApi) -> None:
    sent_before = MESSAGES_SENT.labels("sendMessage")._value.get()
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Đăng ký", callback_data="crs:reg:7")]])
        message = await bot.send_message(5, "Chào <b>anh Sơn</b> – 65,81 %", reply_markup=markup)
    assert message.message_id == 1 and message.chat.id == 5
    method, fields = api.calls[0]
    assert method == "sendMessage" and fields["chat_id"] == "5"
    assert fields["text"] == "Chào <b>anh Sơn</b> – 65,81 %"
    assert json.loads(fields["reply_markup"])["inline_keyboard"][0][0]["callback_data"] == "crs:reg:7"
    assert MESSAGES_SENT.labels("sendMessage")._value.get() == sent_before + 1


async def test_a_file_is_uploaded_whole_with_its_name_and_caption(api: FakeApi) -> None:
    content = bytes(range(256)) * 40
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        await bot.send_document(5, document=content, filename="bao-cao-don-vi.xlsx", caption="Báo cáo tháng 11")
    method, fields = api.calls[0]
    assert method == "sendDocument" and fields["chat_id"] == "5" and fields["caption"] == "Báo cáo tháng 11"
    assert fields["document"] == ("bao-cao-don-vi.xlsx", content)


async def test_telegram_refusals_keep_their_meaning_and_are_counted(api: FakeApi) -> None:
    async def refuse(method: str, _request: web.Request) -> web.Response:
        if method == "sendMessage":
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                      "parameters": {"retry_after": 3}}, status=429)
        return web.json_response({"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"},
                                 status=403)

    api.answer = refuse
    refused_before = API_ERRORS.labels("403")._value.get()
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(5, "x")
        with pytest.raises(Forbidden):
            await bot.send_photo(5, photo=b"\x89PNG not really")
    assert retry.value.retry_after == 3
    assert API_ERRORS.labels("403")._value.get() == refused_before + 1


async def test_a_slow_api_is_a_timeout(api: FakeApi) -> None:
    async def slow(_method: str, _request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return _ok(True)

    api.answer = slow
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(5, "x", read_timeout=0.2)


async def _network_error(url: str) -> pytest.ExceptionInfo[NetworkError]:
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError) as error:
            await request.post(url)
    return error


async def test_no_network_is_a_network_error_that_never_shows_the_token(unused_tcp_port: int) -> None:
    error = await _network_error(f"http://127.0.0.1:{unused_tcp_port}/bot{TOKEN}/sendMessage")
    assert not isinstance(error.value, TimedOut)
    assert "secret-token" not in str(error.value) and "secret-token" not in repr(error.value.__cause__)


@pytest.mark.parametrize("base", ["htp://127.0.0.1/bot", "http://[bad/bot"])
async def test_a_misconfigured_api_address_is_a_network_error_that_never_shows_the_token(base: str) -> None:
    """aiohttp names the whole URL, token included, when it cannot use it: the text that reaches logs and
    alerts is redacted, and the original error is not chained to it."""
    error = await _network_error(f"{base}{TOKEN}/sendMessage")
    assert "secret-token" not in str(error.value) and "<token>" in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


async def test_a_burst_waits_for_a_connection_instead_of_failing(api: FakeApi,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Forty replies at once on two connections, each answer 50 ms: the last waits a second, twice the whole
    request's timeout here, and still goes, because it waits for a connection before its timeout starts."""
    for name, seconds in (("CONNECT_S", 0.1), ("READ_S", 0.2), ("WRITE_S", 0.2)):
        monkeypatch.setattr(transport, name, seconds)
    now, peak = 0, 0

    async def busy(_method: str, _request: web.Request) -> web.Response:
        nonlocal now, peak
        now += 1
        peak = max(peak, now)
        await asyncio.sleep(0.05)
        now -= 1
        return _ok({"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}})

    api.answer = busy
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest(connections=2)) as bot:
        messages = await asyncio.gather(*(bot.send_message(5, f"tin {i}") for i in range(40)))
    assert len(messages) == 40 and peak == 2


async def test_a_proxy_set_in_the_environment_is_used(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY applies, as it did with httpx: the request goes to the proxy, which here is the fake API."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{api.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=AiohttpRequest()) as bot:
        await bot.send_message(5, "qua proxy")
    assert api.calls[0][1]["text"] == "qua proxy"


async def test_no_proxy_names_the_hosts_reached_directly(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        await bot.send_message(5, "trực tiếp")
    assert api.calls[0][1]["text"] == "trực tiếp"


def test_the_bot_sends_over_aiohttp_and_polls_through_its_own_client() -> None:
    send, poll = requests()
    assert isinstance(send, AiohttpRequest) and isinstance(poll, InstrumentedRequest)
    assert send.read_timeout == poll.read_timeout == 5.0
