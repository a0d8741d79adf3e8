"""Sending to the Bot API over aiohttp: a fifth of httpx's CPU per request.

python-telegram-bot lets the bot bring its own request class (`BaseRequest`). Its default, httpx through
httpcore and anyio, spends 0.5 ms of CPU per sendMessage in this process; aiohttp spends 0.1 ms (measured on
the Bot API stand-in, 16 in flight). A reply is one request, a link two: at 5-7 ms of CPU per update
(benchmarks/bench_rush.py) the difference is a sixth of the bot's work in a rush. Long polling keeps PTB's
own client: one request per hundred updates.

The requests in flight are bounded here (a semaphore) rather than in aiohttp's pool, whose wait counts
against the connect timeout and would fail a message in a burst; a request waits here instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import httpx
from httpx._utils import URLPattern, get_environment_proxies  # private; httpx is pinned (constraints.txt)
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from core.metrics import API_ERRORS, MESSAGES_SENT, SEND_METHODS, STATE
from core.redact import redact

CONNECTIONS = 16
# PTB's defaults (HTTPXRequest): seconds.
READ_S, WRITE_S, CONNECT_S, MEDIA_WRITE_S = 5.0, 5.0, 5.0, 20.0
# An upload's deadline grows with its size at this rate (bytes/s, half a megabit): a province's Excel export
# of several megabytes on a slow uplink is not cut at the 20 s PTB allows for writing.
SLOWEST_UPLOAD_BPS = 64_000
UNKNOWN_UPLOAD_BYTES = 50_000_000  # a file handle whose size cannot be told: the Bot API's upload limit


def count_answer(url: str, status: int) -> None:
    """/metrics: messages Telegram accepted, answers it refused (429, 403…), each good poll."""
    api_method = url.rsplit("/", 1)[-1]
    if status == 200:
        if api_method in SEND_METHODS:
            MESSAGES_SENT.labels(api_method).inc()
        elif api_method == "getUpdates":
            STATE.polled()
    else:
        API_ERRORS.labels(str(status)).inc()


class InstrumentedRequest(HTTPXRequest):
    """Long polling, on PTB's own client (one request per hundred updates), counted like the sending."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, *args, **kwargs)
        count_answer(url, status)
        return status, body


def requests() -> tuple[AiohttpRequest, InstrumentedRequest]:
    """The bot's two request objects (sending; long polling)."""
    return AiohttpRequest(), InstrumentedRequest(connection_pool_size=1)


class AiohttpRequest(BaseRequest):
    """The bot's sending requests, on one aiohttp session with CONNECTIONS connections."""

    def __init__(self, connections: int = CONNECTIONS) -> None:
        self.connections = connections
        self._free = asyncio.Semaphore(connections)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: list[tuple[URLPattern, str | None]] = []  # most specific first, as httpx matches them
        self._proxy_of: dict[str, str | None] = {}  # origin -> its proxy (or None), decided once
        # The certificates httpx trusts (certifi's, or SSL_CERT_FILE / SSL_CERT_DIR), as long polling does:
        # aiohttp would take the operating system's, and sending and polling could disagree.
        self.ssl_context = httpx.create_ssl_context()

    @property
    def read_timeout(self) -> float | None:
        return READ_S

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections, ssl=self.ssl_context)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})
            # A semaphore belongs to the event loop it first waited in: a new session (perhaps in a new loop, an
            # Application run again) gets a new one.
            self._free = asyncio.Semaphore(self.connections)
            # HTTP(S)_PROXY, ALL_PROXY and NO_PROXY apply as httpx applies them (httpx's own reading: a proxy without
            # a scheme, NO_PROXY with a port or a scheme, IPv6, "*"), so a send takes the proxy long polling takes;
            # read once (aiohttp's trust_env reads the whole environment on every request: a twentieth of a link's CPU).
            mounts = [(URLPattern(pattern), proxy) for pattern, proxy in get_environment_proxies().items()]
            self._proxies, self._proxy_of = sorted(mounts, key=lambda mount: mount[0].priority), {}

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None and request_data.contains_files else {}
        timeout = _timeout(read_timeout, write_timeout, connect_timeout, _upload_bytes(files))
        body = _body(request_data, files)
        async with self._free:
            try:
                async with self._session.request(method, url, data=body, timeout=timeout,
                                                 proxy=self._proxy(url)) as response:
                    status, payload = response.status, await response.read()
            except TimeoutError:
                # Not chained: aiohttp's ConnectionTimeoutError names the whole URL, token included.
                raise TimedOut from None
            except aiohttp.ClientError as err:
                # Some of aiohttp's errors (a URL it cannot use) carry the URL, and with it the token.
                raise NetworkError(redact(f"aiohttp.{err.__class__.__name__}: {err}")) from None
        count_answer(url, status)
        return status, payload

    def _proxy(self, url: str) -> str | None:
        scheme, _, rest = url.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}"
        if origin not in self._proxy_of:
            try:
                target = httpx.URL(origin)
            except httpx.InvalidURL:  # aiohttp says what is wrong with it (redacted), in do_request
                self._proxy_of[origin] = None
            else:
                self._proxy_of[origin] = next((proxy for pattern, proxy in self._proxies if pattern.matches(target)),
                                              None)
        return self._proxy_of[origin]


def _given(value: Any, default: float) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def _upload_bytes(files: dict[str, Any]) -> int:
    """The bytes of the files a request uploads (0: no file)."""
    if not files:
        return 0
    sizes = [len(content) if isinstance(content, bytes) else UNKNOWN_UPLOAD_BYTES
             for _name, content, _mimetype in files.values()]
    return max(1, sum(sizes))


def _timeout(read: Any, write: Any, connect: Any, upload_bytes: int = 0) -> aiohttp.ClientTimeout:
    """Each operation bounded, as httpx bounds it: connecting (DNS included) by the connect timeout, each wait
    for the answer's next bytes by the read timeout; never the whole request, so a download that keeps coming
    is not cut off. aiohttp has no write timeout of its own: an upload is bounded by the three together, plus
    the time its bytes take at SLOWEST_UPLOAD_BPS."""
    read_s = _given(read, READ_S)
    write_s = _given(write, MEDIA_WRITE_S if upload_bytes else WRITE_S)
    connect_s = _given(connect, CONNECT_S)
    total = None
    if upload_bytes and read_s is not None and write_s is not None and connect_s is not None:
        total = read_s + write_s + connect_s + upload_bytes / SLOWEST_UPLOAD_BPS
    return aiohttp.ClientTimeout(total=total, connect=connect_s, sock_connect=connect_s, sock_read=read_s)


def _body(request_data: RequestData | None, files: dict[str, Any]) -> aiohttp.FormData | dict[str, str] | None:
    """The parameters as a form (urlencoded, as httpx sent them), or multipart when a file is uploaded."""
    if request_data is None or not files:
        return request_data.json_parameters if request_data else None
    # The Bot API server takes filename="…" as written (no percent-decoding, no filename*): UTF-8, as httpx sent it.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        if name not in files:
            form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
