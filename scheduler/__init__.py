"""Reminders, digests and delivery: a JobQueue tick runs due jobs, a dispatcher task sends the outbox.

Jobs only fill the outbox; the dispatcher is the one path to Telegram for everything that is
not a direct reply, within the rate limits, quiet hours and holidays of config.toml.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from telegram import Bot
from telegram.ext import Application, ContextTypes

from core.services import Services
from scheduler.jobs import run_due
from scheduler.outbox import Dispatcher, flush_outbox

log = logging.getLogger(__name__)
TICK_S = 60.0
STOP_KEY, TASK_KEY = "scheduler.stop", "scheduler.task"


def _services(app: Application) -> Services:
    svc: Services = app.bot_data["services"]
    return svc


def local_now(svc: Services) -> datetime:
    return datetime.now(svc.settings.timezone)


async def tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run every job whose time has come and has not run yet (also those missed while down)."""
    svc = _services(context.application)
    # Off the event loop: a province-wide job takes seconds, and updates must keep flowing meanwhile.
    done = await asyncio.to_thread(run_due, svc.db, local_now(svc), svc.settings)
    if done:
        log.info("Scheduled jobs queued messages: %s", done)


def _buttons_sent(svc: Services) -> Callable[[int], None]:
    """The hook is filled when the first update comes (handlers.last_buttons): looked up at each notice."""

    def told(chat_id: int) -> None:
        if svc.buttons_sent is not None:
            svc.buttons_sent(chat_id)

    return told


def dispatcher_for(app: Application, now: Callable[[], datetime]) -> Dispatcher:
    svc = _services(app)
    return Dispatcher(app.bot, svc.db, svc.settings.scheduler, now, on_buttons_sent=_buttons_sent(svc),
                      busy=svc.busy)


async def start(app: Application) -> None:
    """The dispatcher starts (it takes back, first thing, the claims of a sender that died)."""
    svc = _services(app)
    stop = asyncio.Event()
    dispatcher = dispatcher_for(app, lambda: local_now(svc))
    app.bot_data[STOP_KEY] = stop
    app.bot_data[TASK_KEY] = asyncio.get_running_loop().create_task(dispatcher.run_forever(stop))


async def stop(app: Application) -> None:
    event = app.bot_data.pop(STOP_KEY, None)
    task = app.bot_data.pop(TASK_KEY, None)
    if event is not None:
        event.set()
    if task is not None:
        await task


def _fill_notify_hook(svc: Services) -> None:
    """Handlers ask for "send this now" through Services; they never import the scheduler."""

    async def notify_now(bot: Bot, kinds: frozenset[str]) -> None:
        await flush_outbox(bot, svc.db, kinds, svc.settings.scheduler, svc.now(), on_buttons_sent=_buttons_sent(svc))

    svc.notify_now = notify_now


def register(app: Application) -> None:
    _fill_notify_hook(_services(app))
    if app.job_queue is not None:
        app.job_queue.run_repeating(tick, interval=TICK_S, first=5.0, name="scheduler-tick")
