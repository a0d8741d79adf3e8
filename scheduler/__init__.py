"""Reminders, digests and the outbox dispatcher, run through PTB's JobQueue."""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from handlers.common import Services, services
from scheduler.outbox import flush_outbox, requeue_unconfirmed

log = logging.getLogger(__name__)
FLUSH_INTERVAL_S = 2.0


async def _flush_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await flush_outbox(context.bot, services(context).db)


async def recover(app: Application) -> None:
    """At start: messages claimed by a process that died are queued again."""
    count = services_of(app).db.run(requeue_unconfirmed)
    if count:
        log.info("Re-queued %d unconfirmed outbox messages", count)


def services_of(app: Application) -> Services:
    return app.bot_data["services"]


def register(app: Application) -> None:
    if app.job_queue is not None:
        app.job_queue.run_repeating(_flush_job, interval=FLUSH_INTERVAL_S, first=FLUSH_INTERVAL_S, name="outbox")
