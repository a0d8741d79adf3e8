"""Delivery at province scale: 48,000 reminders through the dispatcher.

1. Rate: a fake Bot API that enforces Telegram's 30 messages/s scaled up 100× (3,000/s;
   any excess gets a 429 RetryAfter). Reported: the achieved rate as a fraction of that limit
   (target ≥ 0.9), beside the limit itself.
2. Crashes: `cadrebot dispatch` as a real process against a local HTTP stand-in, killed with
   SIGKILL at random moments and restarted until the outbox is empty. Reported: duplicates
   and losses, counted by the stand-in (target 0 and 0).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import func, select

from benchmarks.synthetic import insert_linked_with_messages
from bot.fakeapi import FakeBotApi
from core.config import load_settings
from db import Database
from db.migrate import upgrade
from db.models import Outbox
from scheduler.outbox import Dispatcher, RateLimiter

SCALE = 100
LIMIT = 30 * SCALE  # messages per second the fake Bot API accepts
MESSAGES = 48_000
KILL_MESSAGES = 12_000
ROOT = Path(__file__).resolve().parent.parent


def _fill(database: Database, n: int) -> None:
    """n linked cadres and one pending reminder each."""
    database.run(insert_linked_with_messages, n, "eval-reminder", "eval-reminder:2026-11:{code}:1", "nhắc #{i}",
                 10_000_000)


class LimitedApi(FakeBotApi):
    """Answers 429 once more than LIMIT messages arrived within the last second."""

    def __init__(self) -> None:
        super().__init__()
        self.window: deque[float] = deque()
        self.rejected = 0
        self.delivered = 0

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        if url.endswith("/sendMessage"):
            now = time.monotonic()
            while self.window and now - self.window[0] > 1.0:
                self.window.popleft()
            if len(self.window) >= LIMIT:
                self.rejected += 1
                return 429, json.dumps({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                        "parameters": {"retry_after": 1}}).encode()
            self.window.append(now)
            self.delivered += 1
            return 200, json.dumps({"ok": True, "result": {"message_id": 1, "date": 0,
                                                            "chat": {"id": 1, "type": "private"}}}).encode()
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def _rate_run(database: Database) -> tuple[float, LimitedApi]:
    from telegram import Bot

    settings = load_settings(ROOT / "config.toml", {})
    sched = replace(settings.scheduler, global_rate_per_s=settings.scheduler.global_rate_per_s * SCALE,
                    per_chat_interval_s=1.0, concurrent_sends=32, holidays=frozenset(),
                    quiet_start=settings.scheduler.quiet_end)
    api = LimitedApi()
    bot = Bot("1:bench", request=api)
    async with bot:
        dispatcher = Dispatcher(bot, database, sched, lambda: __import__("datetime").datetime.now(settings.timezone),
                                RateLimiter(sched.global_rate_per_s, sched.per_chat_interval_s))
        t0 = time.perf_counter()
        while await dispatcher.run_once(1000):
            pass
        elapsed = time.perf_counter() - t0
    return elapsed, api


# --- the crash run: a real process, a real HTTP stand-in ---------------------------------------------


class StandIn:
    """A minimal keep-alive HTTP server that counts each message text it receives."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.loop = asyncio.new_event_loop()
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next((int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length")), 0)
                body = await reader.readexactly(length) if length else b""
                path = lines[0].split(" ")[1]
                writer.write(self._response(path, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def _response(self, path: str, body: bytes) -> bytes:
        method = path.rsplit("/", 1)[-1]
        result: Any = True
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "bench", "username": "bench_bot"}
        elif method == "sendMessage":
            fields = parse_qs(body.decode())
            self.counts[fields.get("text", [""])[0]] += 1
            result = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
        payload = json.dumps({"ok": True, "result": result}).encode()
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(payload)).encode() + b"\r\n\r\n" + payload)

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait()


def _kill_run(tmp: Path) -> tuple[int, int, int, int]:
    stand_in = StandIn()
    stand_in.start()
    db_path = tmp / "kill.db"
    database = Database.from_url(f"sqlite:///{db_path}")
    upgrade(database.engine)
    _fill(database, KILL_MESSAGES)
    config = (ROOT / "config.toml").read_text(encoding="utf-8")
    config = config.replace('base_url = "https://api.telegram.org/bot"',
                            f'base_url = "http://127.0.0.1:{stand_in.port}/bot"')
    config = config.replace('url = "sqlite:///var/cadrebot.db"', f'url = "sqlite:///{db_path}"')
    config = config.replace("global_rate_per_s = 28.0", f"global_rate_per_s = {28.0 * SCALE}")
    config = config.replace('quiet_start = "21:00"', 'quiet_start = "07:00"')
    # A killed sender's claims come back when their lease expires: a short lease keeps the run short.
    config = config.replace("claim_lease_s = 30.0", "claim_lease_s = 3.0")
    (tmp / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CADREBOT_DATABASE_URL"}
    env |= {"CADREBOT_CONFIG": str(tmp / "config.toml"), "TELEGRAM_BOT_TOKEN": "123456:benchbenchbenchbenchbench"}
    command = [sys.executable, "-m", "bot.cli", "dispatch", "--until-empty"]
    rng, kills = random.Random(7), 0
    while True:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if kills < 6:
                proc.wait(timeout=rng.uniform(1.0, 3.0))
            else:
                proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            continue
        if proc.returncode == 0:
            break
        raise SystemExit(f"dispatch failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    expected = {f"nhắc #{i}" for i in range(KILL_MESSAGES)}
    duplicates = sum(n - 1 for n in stand_in.counts.values() if n > 1)
    losses = len(expected - set(stand_in.counts))
    left = database.run(lambda s: s.scalar(select(func.count(Outbox.id)).where(Outbox.status != "sent")))
    database.dispose()
    return kills, duplicates, losses, left


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = Database.from_url(f"sqlite:///{Path(tmp) / 'rate.db'}")
        upgrade(database.engine)
        _fill(database, MESSAGES)
        elapsed, api = asyncio.run(_rate_run(database))
        database.dispose()
        rate = api.delivered / elapsed
        print(f"dispatcher, {MESSAGES} reminders, fake Bot API limit {LIMIT}/s (Telegram's 30/s × {SCALE})")
        print(f"  achieved {rate:7.0f} msg/s = {rate / LIMIT:.2f} of the limit (target ≥ 0.90) "
              f"in {elapsed:.1f} s; 429 answers: {api.rejected}; delivered {api.delivered}")
        kills, duplicates, losses, left = _kill_run(Path(tmp))
        print(f"  crash run: {KILL_MESSAGES} reminders, dispatcher process SIGKILLed {kills} times at random "
              f"moments and restarted: duplicates {duplicates}, losses {losses} (target 0, 0); unsent rows {left}")
        print("  (a duplicate is a message Telegram accepted in the instant before the kill, before its "
              "confirmation was committed: at most concurrent_sends per kill; a graceful stop sends nothing new)")


if __name__ == "__main__":
    main()
