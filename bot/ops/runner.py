"""`cadrebot run` in production: health server, active lease (or standby), then the bot itself."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from types import FrameType

from telegram.ext import Application, ContextTypes

from bot.ops.health import HealthServer
from bot.ops.instrument import watch_outbox
from bot.ops.leader import ActiveLease, lease_for, sqlite_busy_message
from bot.ops.transport import requests
from core.config import Settings
from core.metrics import STATE
from db import Database

log = logging.getLogger("cadrebot")
LEASE_CHECK_S = 5.0
UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
LEASE_KEY = "ops.lease"


def run_bot(settings: Settings, database: Database) -> int:
    """Returns the exit code: 0 after a stop, 1 when this instance may not (or may no longer) be active."""
    STATE.mode = settings.telegram.mode
    STATE.set_role("starting")
    watch_outbox(database)
    health = _start_health(settings, database)
    lease = lease_for(database)
    try:
        if not lease.try_acquire():
            if database.is_sqlite:
                print(sqlite_busy_message(database), file=sys.stderr)
                return 1
            STATE.set_role("standby")
            log.info("Standby: another cadrebot is active on this database; trying every %g s",
                     settings.ops.standby_retry_s)
            if not _wait_for_lease(lease, settings.ops.standby_retry_s):
                log.info("cadrebot stopped (standby)")
                return 0
        STATE.set_role("active")
        log.info("Starting cadrebot (%s mode), active instance", settings.telegram.mode)
        lost = _run_active(settings, database, lease)
        log.info("cadrebot stopped")
        return 1 if lost else 0
    finally:
        STATE.set_role("stopping")
        lease.release()
        if health is not None:
            health.stop()
        database.dispose()


def _start_health(settings: Settings, database: Database) -> HealthServer | None:
    """The health server, unless turned off; a port already taken is logged, and the bot runs anyway."""
    ops = settings.ops
    if not ops.health_port:
        return None
    try:
        return HealthServer(database, ops.health_listen, ops.health_port).start()
    except OSError as exc:
        log.error("No health/metrics server on %s:%s: %s", ops.health_listen, ops.health_port, exc)
        return None


def _wait_for_lease(lease: ActiveLease, retry_s: float) -> bool:
    """Block until this instance becomes active (True) or is told to stop (False)."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(retry_s):
            if lease.try_acquire():
                log.info("The active instance is gone: this one takes over")
                return True
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def _check_lease(context: ContextTypes.DEFAULT_TYPE) -> None:
    lease: ActiveLease = context.application.bot_data[LEASE_KEY]
    if not await asyncio.to_thread(lease.still_held):
        log.error("This instance lost its active lease: stopping so that only one instance is active")
        context.application.bot_data["ops.lost"] = True
        context.application.stop_running()


def _run_active(settings: Settings, database: Database, lease: ActiveLease) -> bool:
    """Run the bot until stopped; True if it stopped because the lease was lost."""
    from bot.app import build_application

    request, updates_request = requests()
    app: Application = build_application(settings, database, request=request,
                                         updates_request=updates_request)
    app.bot_data[LEASE_KEY] = lease
    if app.job_queue is not None:
        app.job_queue.run_repeating(_check_lease, interval=LEASE_CHECK_S, first=LEASE_CHECK_S, name="ops-lease")
    # run_polling/run_webhook stop gracefully on SIGINT, SIGTERM and SIGABRT.
    if settings.telegram.mode == "webhook":
        tg = settings.telegram
        app.run_webhook(listen=tg.webhook_listen, port=tg.webhook_port, url_path=tg.webhook_path,
                        webhook_url=tg.webhook_url, secret_token=settings.webhook_secret, allowed_updates=UPDATES)
    else:
        app.run_polling(allowed_updates=UPDATES)
    return bool(app.bot_data.get("ops.lost"))
