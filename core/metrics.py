"""Prometheus metrics (the prometheus_client library) and the state /readyz reports.

Counted where things pass through one place: every Bot API answer in the request class, every
update in the Application's process_update (both in bot/ops/instrument.py), every job in run_due,
every import in its handler. The outbox depth is read from the database when Prometheus scrapes.
Here, in the bottom package, so that every layer may count without importing the bot.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText"})

UPDATES = Counter("cadrebot_updates", "Updates handled, by kind", ["kind"], registry=REGISTRY)
UPDATE_SECONDS = Histogram("cadrebot_update_seconds", "Time to handle one update (all handlers), by kind",
                           ["kind"], registry=REGISTRY,
                           buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
MESSAGES_SENT = Counter("cadrebot_messages_sent", "Messages Telegram accepted, by Bot API method", ["method"],
                        registry=REGISTRY)
API_ERRORS = Counter("cadrebot_telegram_errors", "Bot API answers other than success, by HTTP status (429, 403…)",
                     ["status"], registry=REGISTRY)
JOB_RUNS = Counter("cadrebot_job_runs", "Scheduled job runs, by job", ["job"], registry=REGISTRY)
JOB_SECONDS = Histogram("cadrebot_job_seconds", "Duration of a scheduled job run, by job", ["job"],
                        registry=REGISTRY, buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
IMPORT_SECONDS = Histogram("cadrebot_import_seconds", "Duration of a spreadsheet import, by kind", ["kind"],
                           registry=REGISTRY, buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
ACTIVE = Gauge("cadrebot_active", "1 on the active instance, 0 on a standby", registry=REGISTRY)
LAST_POLL = Gauge("cadrebot_last_poll_timestamp_seconds", "Unix time of the last successful getUpdates",
                  registry=REGISTRY)


@dataclass
class RuntimeState:
    """What /readyz reports: this process's role and when Telegram last answered a poll or sent an update."""

    role: str = "starting"  # starting | standby | active | stopping
    mode: str = "polling"
    last_poll: float | None = None  # time.time() of the last successful getUpdates (or webhook update)

    def set_role(self, role: str) -> None:
        self.role = role
        ACTIVE.set(1 if role == "active" else 0)

    def polled(self) -> None:
        self.last_poll = time.time()
        LAST_POLL.set(self.last_poll)


STATE = RuntimeState()


@contextmanager
def timed_job(name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        JOB_RUNS.labels(name).inc()
        JOB_SECONDS.labels(name).observe(time.perf_counter() - start)


@contextmanager
def timed_import() -> Iterator[dict[str, str]]:
    """Times an import; the caller fills label["kind"] once it knows it (roster or courses)."""
    label = {"kind": "unknown"}
    start = time.perf_counter()
    try:
        yield label
    finally:
        IMPORT_SECONDS.labels(label["kind"]).observe(time.perf_counter() - start)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
