"""The bot's instruments for /metrics: the Application counts and times updates, a collector counts the
outbox at each scrape (the request classes, bot.ops.transport, count what Telegram accepted and refused)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application

from core.logctx import bound_update
from core.metrics import REGISTRY, STATE, UPDATE_SECONDS, UPDATES
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

