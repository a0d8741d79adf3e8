"""Concurrent updates, in order per user.

python-telegram-bot processes one update at a time by default: 300 people pressing at once wait
in one line. Here different users' updates run concurrently (their database work is in worker
threads), while one user's updates still run in the order they arrived: a double press or a
command typed right after a button never overtakes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.ops.instrument import InstrumentedApplication
from handlers.context import UpdateScope

# Enough to overlap database waits; more only lengthens the queue for HTTP connections
# (bot.ops.transport.AiohttpRequest).
MAX_CONCURRENT_UPDATES = 16


# Worker threads for database steps (asyncio.to_thread). A unit of work holds its connection between steps but
# no thread, so fewer threads than updates in flight cannot deadlock; more threads only fight over the GIL and
# stretch the time a thread holds SQLite's write lock. benchmarks/bench_rush.py, same machine minutes apart:
# 20 threads 50 updates/s, 16.8 ms CPU per update, p95 6.7 s; 8 threads 62/s, 12.2 ms, 4.7 s; 4 threads 54/s,
# 15.4 ms, 5.2 s. (asyncio's default is min(32, cores + 4), 6 here.) Since then each update takes fewer and
# shorter steps, and 4 is ahead: alternated four times, 4 threads 221-257 updates/s (3.8-4.5 ms CPU per update)
# against 8 threads 210-229/s (3.9-4.6 ms); 2 threads were no better than 4. The price: four updates waiting
# for SQLite's write lock (another process's import) hold every thread until it is free.
WORKER_THREADS = 4


def use_worker_threads() -> None:
    """Called on the running loop at start-up (bot.app)."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="cadrebot-worker"))


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates of a user in flight, to drop idle locks
        # Updates running (PTB's process_update, which waits for a slot, is final; while any wait, the slots are
        # full, so this is above 0 as well): the outbox's broadcasts let them go first.
        self.in_flight = 0

    def busy(self) -> bool:
        return self.in_flight > 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self.in_flight += 1
        try:
            await self._in_order(update, coroutine)
        finally:
            self.in_flight -= 1

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._users[user.id] = self._users.get(user.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[user.id] -= 1
            if not self._users[user.id]:
                del self._users[user.id], self._locks[user.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class UnitOfWorkApplication(InstrumentedApplication):
    """Each update's unit of work (handlers.context.UpdateContext) is ended when the update is done."""

    async def process_update(self, update: object) -> None:
        async with UpdateScope():
            await super().process_update(update)
