"""Outbox claims carry a lease: a second sender never re-sends what a live process is sending.

Two real `cadrebot dispatch` processes share one database and the local Bot API stand-in; the
stand-in counts every text it receives, so a duplicate is a text that arrived twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from db import Database
from db.models import Outbox
from scheduler.outbox import claim_due, release, renew_leases, requeue_expired
from tests.procs import (
    backends,
    committed_database,
    env_for,
    fill_outbox,
    start,
    wait_until,
    write_config,
)
from tests.test_e2e_run import StandIn, stand_in  # noqa: F401  (the fixture)

MESSAGES = 300




@pytest.fixture(params=backends())
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with committed_database(request.param, tmp_path) as url:
        fill_outbox(url, MESSAGES)
        yield url


def test_second_dispatcher_does_not_resend_what_a_live_one_is_sending(
        stand_in: tuple[StandIn, int], shared_db: str, tmp_path: Path) -> None:  # noqa: F811
    api, port = stand_in
    # 100 messages/s: the first sender holds its claimed batch for about three seconds.
    config = write_config(tmp_path, port, **{"global_rate_per_s = 28.0": "global_rate_per_s = 100.0"})
    env = env_for(config, shared_db)
    first = start(["dispatch", "--until-empty"], env)
    second = None
    try:
        wait_until(lambda: len(api.texts()) >= 30, 30, "the first sender to be busy")
        second = start(["dispatch", "--until-empty"], env)
        for proc in (first, second):
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
    counts = Counter(api.texts())
    assert {n for n in counts.values()} == {1}, f"{sum(n - 1 for n in counts.values())} duplicates"
    assert len(counts) == MESSAGES


def test_lease_is_renewed_released_and_taken_back_only_when_expired(database: Database) -> None:
    fill = [Outbox(key=f"k{i}", chat_id=i, kind="digest", payload='{"text": "x"}', due_at=datetime.now(UTC),
                   status="pending", attempts=0, created_at=datetime.now(UTC)) for i in range(2)]
    database.run(lambda s: s.add_all(fill))
    first = database.run(claim_due, 1, False, frozenset(), "host:1:a", 30.0)
    second = database.run(claim_due, 1, False, frozenset(), "host:2:b", 30.0)
    assert len(first) == len(second) == 1
    soon = datetime.now(UTC) + timedelta(seconds=20)
    assert database.run(requeue_expired, soon) == 0  # both leases still run
    assert database.run(renew_leases, "host:1:a", 60.0) == 1  # the first sender's heartbeat
    later = datetime.now(UTC) + timedelta(seconds=45)
    assert database.run(requeue_expired, later) == 1  # only the second, which stopped renewing
    database.run(release, [first[0].id], "host:2:b")  # not its row: nothing happens
    rows = database.run(lambda s: {o.key: (o.status, o.claimed_by) for o in s.scalars(select(Outbox))})
    assert rows == {"k0": ("sending", "host:1:a"), "k1": ("pending", None)}
