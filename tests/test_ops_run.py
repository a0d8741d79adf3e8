"""`cadrebot run` in production, as real processes on 127.0.0.1: one active instance per database (a
standby takes over after SIGKILL on PostgreSQL; a second instance refuses on SQLite), health, readiness
and Prometheus metrics. Each waits with a bound; the takeover test needs CADREBOT_TEST_POSTGRES_URL."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.fakeapi import UpdateFactory
from db import Database
from db.models import Outbox
from tests.conftest import SAMPLE_ROSTER
from tests.procs import (
    ApiStandIn,
    backends,
    committed_database,
    env_for,
    fill_outbox,
    free_port,
    http_get,
    postgres_url,
    readyz,
    serve_api,
    start,
    stop,
    wait_until,
    write_config,
)

TAKEOVER_LIMIT_S = 30.0




@pytest.fixture
def api() -> Iterator[tuple[ApiStandIn, int]]:
    with serve_api() as served:
        yield served


def _config(tmp_path: Path, api_port: int, health_port: int, name: str, **extra: str) -> Path:
    return write_config(tmp_path, api_port, name, **{"health_port = 9108": f"health_port = {health_port}",
                                                     "standby_retry_s = 5.0": "standby_retry_s = 1.0", **extra})


def _import_roster(url: str) -> None:
    from domain.roster import import_roster

    database = Database.from_url(url)
    database.run(import_roster, SAMPLE_ROSTER)
    database.dispose()


@pytest.mark.parametrize("backend", backends())
def test_health_readiness_and_metrics(api: tuple[ApiStandIn, int], tmp_path: Path, backend: str) -> None:
    stand_in, api_port = api
    port = free_port()
    with committed_database(backend, tmp_path) as url:
        _import_roster(url)
        config = _config(tmp_path, api_port, port, "health.toml", **{'log_format = "text"': 'log_format = "json"'})
        proc = start(["run"], env_for(config, url))
        try:
            wait_until(lambda: http_get(port, "/healthz")[0] == 200, 30, "/healthz")
            wait_until(lambda: readyz(port).get("status") == 200, 30, "/readyz to say ready")
            ready = readyz(port)
            assert ready["role"] == "active" and ready["database"] is True and ready["last_poll_age_s"] < 90
            user = UpdateFactory(user_id=515151, first_name="Hà")
            stand_in.updates.append(user.text("/start"))
            wait_until(lambda: any("liên kết" in t for t in stand_in.texts()), 30, "the reply to /start")
            stand_in.fail("sendMessage", 429)  # the first message waits and goes again
            stand_in.fail("sendMessage", 403)  # the second person blocked the bot
            fill_outbox(url, 3, kind="course-registered")
            wait_until(lambda: sum(t.startswith("tin #") for t in stand_in.texts()) == 2, 30, "the outbox")
            status, metrics = http_get(port, "/metrics")
        finally:
            _, err = stop(proc)
    assert status == 200
    for line in ('cadrebot_updates_total{kind="command"} 1.0', 'cadrebot_update_seconds_bucket{kind="command",le=',
                 'cadrebot_messages_sent_total{method="sendMessage"}',
                 'cadrebot_telegram_errors_total{status="429"} 1.0', 'cadrebot_telegram_errors_total{status="403"} 1.0',
                 'cadrebot_outbox_messages{kind="course-registered",', "cadrebot_active 1.0",
                 "cadrebot_last_poll_timestamp_seconds"):
        assert line in metrics, line
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # JSON lines, every one
    assert lines[-1]["msg"] == "cadrebot stopped" and {"ts", "level", "logger"} <= set(lines[-1])


def test_sqlite_second_instance_refuses(api: tuple[ApiStandIn, int], tmp_path: Path) -> None:
    _, api_port = api
    with committed_database("sqlite", tmp_path) as url:
        first_port = free_port()
        first = start(["run"], env_for(_config(tmp_path, api_port, first_port, "a.toml"), url))
        try:
            wait_until(lambda: readyz(first_port).get("role") == "active", 30, "the first instance")
            second = start(["run"], env_for(_config(tmp_path, api_port, free_port(), "b.toml"), url))
            _, err = second.communicate(timeout=30)
            assert second.returncode == 1
            assert "Một phiên cadrebot khác đang chạy trên cơ sở dữ liệu SQLite" in err
            assert readyz(first_port).get("role") == "active"
        finally:
            stop(first)


def _in_flight(url: str) -> set[str]:
    """Texts of the rows claimed and not confirmed: what a takeover may send a second time."""
    database = Database.from_url(url)
    rows = database.run(lambda s: s.scalars(select(Outbox.payload).where(Outbox.status == "sending")).all())
    database.dispose()
    return {json.loads(p)["text"] for p in rows}


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_url(), reason="takeover needs PostgreSQL (CADREBOT_TEST_POSTGRES_URL)")
def test_standby_takes_over_after_sigkill(api: tuple[ApiStandIn, int], tmp_path: Path) -> None:
    stand_in, api_port = api
    messages = 200
    with committed_database("postgresql", tmp_path) as url:
        _import_roster(url)
        slow = {"global_rate_per_s = 28.0": "global_rate_per_s = 20.0", "claim_lease_s = 30.0": "claim_lease_s = 5.0"}
        port_a, port_b = free_port(), free_port()
        active = start(["run"], env_for(_config(tmp_path, api_port, port_a, "a.toml", **slow), url))
        standby = None
        try:
            wait_until(lambda: readyz(port_a).get("role") == "active", 30, "the first instance to be active")
            standby = start(["run"], env_for(_config(tmp_path, api_port, port_b, "b.toml", **slow), url))
            wait_until(lambda: readyz(port_b).get("role") == "standby", 30, "the second to be standby")
            assert readyz(port_b)["status"] == 503  # a proxy sends webhooks to the active one only
            fill_outbox(url, messages)
            wait_until(lambda: len(stand_in.texts()) >= 40, 30, "the active one to be sending")
            active.kill()
            active.communicate(timeout=10)
            killed_at = time.monotonic()
            in_flight = _in_flight(url)
            wait_until(lambda: readyz(port_b).get("role") == "active", TAKEOVER_LIMIT_S, "the standby to take over")
            took = time.monotonic() - killed_at
            user = UpdateFactory(user_id=626262, first_name="Minh")
            stand_in.updates.append(user.text("/start"))
            wait_until(lambda: any("liên kết" in t for t in stand_in.texts()), 30, "the new active one to answer")
            wait_until(lambda: len({t for t in stand_in.texts() if t.startswith("tin #")}) == messages, 60,
                       "every message to be delivered")
        finally:
            stop(active)
            _, err = stop(standby)
    counts = Counter(t for t in stand_in.texts() if t.startswith("tin #"))
    duplicates = {t for t, n in counts.items() if n > 1}
    print(f"takeover after SIGKILL: {took:.1f} s; in flight at the crash {len(in_flight)}; "
          f"sent twice {len(duplicates)} of {messages}")
    assert took < TAKEOVER_LIMIT_S
    assert duplicates <= in_flight, "only messages in flight at the crash may be sent twice"
    assert len(duplicates) <= 8, f"{len(duplicates)} re-sent (at most concurrent_sends were being sent)"
    assert max(counts.values()) <= 2
    assert standby is not None and standby.returncode == 0, err
