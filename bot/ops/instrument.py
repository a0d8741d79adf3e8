"""The bot's instruments for /metrics: the Application counts and times updates, the request class
counts what Telegram accepted and refused, a collector counts the outbox at each scrape."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, HTTPXRequest

from core.logctx import bound_update
from core.metrics import API_ERRORS, MESSAGES_SENT, REGISTRY, SEND_METHODS, STATE, UPDATE_SECONDS, UPDATES
from db import Database

log = logging.getLogger(__name__)


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    if update.callback_query:
        return "callback_query"
    if update.edited_message:
        return "edited_message"
    if update.my_chat_member:
        return "my_chat_member"
    message = update.message
    if message is None:
        return "other"
    if message.text:
        return "command" if message.text.startswith("/") else "text"
    for kind in ("contact", "document", "photo"):
        if getattr(message, kind):
            return kind
    return "other_message"


class InstrumentedApplication(Application):
    """Counts and times every update; binds the update id to the log context while it is handled."""

    async def process_update(self, update: object) -> None:
        kind = update_kind(update)
        start = time.perf_counter()
        try:
            with bound_update(update):
                await super().process_update(update)
        finally:
            UPDATES.labels(kind).inc()
            UPDATE_SECONDS.labels(kind).observe(time.perf_counter() - start)
            if STATE.mode == "webhook" and isinstance(update, Update):
                STATE.polled()


class InstrumentedRequest(HTTPXRequest):
    """Counts messages Telegram accepted and the answers it refused (429, 403…); notes each good poll."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, *args, **kwargs)
        api_method = url.rsplit("/", 1)[-1]
        if status == 200:
            if api_method in SEND_METHODS:
                MESSAGES_SENT.labels(api_method).inc()
            elif api_method == "getUpdates":
                STATE.polled()
        else:
            API_ERRORS.labels(str(status)).inc()
        return status, body


# Connections for sending: up to SEND_SHARDS x PER_SHARD requests in flight (16 concurrent updates' replies
# beside the dispatcher's sends). One httpx client with a pool of 16 costs twice the CPU per request of several
# small ones: on every request httpcore walks its whole pool (is each connection idle, has it expired: a
# syscall each) and wakes queued requests through anyio events. Measured on the Bot API stand-in, 16
# requests in flight: one pool of 16 2.7 ms of CPU per sendMessage, 8 clients of 2 1.2-1.4 ms
# (benchmarks/bench_rush.py shows it in updates/s).
SEND_SHARDS, PER_SHARD = 8, 2


class ShardedRequest(BaseRequest):
    """Sends through several small HTTP clients, each request on one with a free connection.

    The requests in flight are bounded by the connections (a semaphore), so a request never waits inside a
    client's pool (whose wait has a timeout of its own and would fail the message); it waits here instead."""

    def __init__(self, shards: int = SEND_SHARDS, per_shard: int = PER_SHARD) -> None:
        self.shards = [InstrumentedRequest(connection_pool_size=per_shard) for _ in range(shards)]
        self.in_flight = [0] * shards
        self._free = asyncio.Semaphore(shards * per_shard)

    @property
    def read_timeout(self) -> float | None:
        return self.shards[0].read_timeout

    async def initialize(self) -> None:
        await asyncio.gather(*(shard.initialize() for shard in self.shards))

    async def shutdown(self) -> None:
        await asyncio.gather(*(shard.shutdown() for shard in self.shards))

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._free:  # a shard has a free connection once this is acquired
            index = min(range(len(self.shards)), key=self.in_flight.__getitem__)
            self.in_flight[index] += 1
            try:
                return await self.shards[index].do_request(*args, **kwargs)
            finally:
                self.in_flight[index] -= 1


def requests() -> tuple[BaseRequest, HTTPXRequest]:
    """The bot's two request objects (sending; long polling)."""
    return ShardedRequest(), InstrumentedRequest(connection_pool_size=1)


class OutboxDepth(Collector):
    """cadrebot_outbox_messages{status,kind}, counted in the database at each scrape."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from db.models import Outbox

        family = GaugeMetricFamily("cadrebot_outbox_messages", "Outbox messages by status and kind",
                                   labels=["status", "kind"])
        try:
            rows = self.database.read(lambda s: s.execute(
                select(Outbox.status, Outbox.kind, func.count()).group_by(Outbox.status, Outbox.kind)).all())
        except Exception:  # a scrape must not fail because the database is away; /readyz says so
            log.warning("Could not count the outbox for /metrics", exc_info=True)
            return
        for status, kind, count in rows:
            family.add_metric([status, kind], count)
        yield family


def watch_outbox(database: Database) -> None:
    REGISTRY.register(OutboxDepth(database))

