"""Capacity under load: 70 people press "Đăng ký" at once for 60 seats, from several processes."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update

from benchmarks.synthetic import write_course, write_people
from db import Database
from db.migrate import upgrade
from db.models import Cadre, Course, Outbox, Registration
from db.session import make_engine
from domain import registration as reg
from domain.courses import import_courses
from domain.roster import import_roster

TODAY = date(2026, 11, 26)
PROCESSES, THREADS = 4, 4


def _open(url: str, schema: str | None) -> Database:
    if schema is None:
        return Database.from_url(url)
    return Database(create_engine(url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=THREADS))


def _register_one(database: Database, code: str) -> str:
    def work(session):  # type: ignore[no-untyped-def]
        cadre = session.scalars(select(Cadre).where(Cadre.code == code)).one()
        return reg.register(session, cadre, "BIG", TODAY, code).status

    return database.run(work)


def _worker(args: tuple[str, str | None, list[str]]) -> list[tuple[str, str]]:
    """One process: its own engine, several threads, each registration its own transaction."""
    url, schema, codes = args
    database = _open(url, schema)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda c: (c, _register_one(database, c)), codes))
    database.dispose()
    return results


def _backends() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if os.environ.get("CADREBOT_TEST_POSTGRES_URL"):
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_backends())
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """A real database whose transactions commit (no rollback wrapper): SQLite file or a PG schema."""
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'conc.db'}", None
        engine = make_engine(url)
    else:
        url, schema = os.environ["CADREBOT_TEST_POSTGRES_URL"], f"conc_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = _open(url, schema).engine
    upgrade(engine)
    database = Database(engine)
    database.run(import_roster, write_people(tmp_path / "people.csv", 70))
    database.run(import_courses, write_course(tmp_path / "big.csv", "BIG", 60, date(2027, 2, 1)))
    database.run(lambda s: s.execute(update(Cadre).values(telegram_chat_id=Cadre.id + 5000)))
    engine.dispose()
    yield url, schema
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_seventy_for_sixty_seats_then_five_cancel(committed: tuple[str, str | None]) -> None:
    url, schema = committed
    codes = [f"P{i:03d}" for i in range(70)]
    chunks = [(url, schema, codes[i::PROCESSES]) for i in range(PROCESSES)]
    with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
        outcomes = [o for chunk in pool.map(_worker, chunks) for o in chunk]
    assert sorted(s for _, s in outcomes).count("registered") == 60
    database = _open(url, schema)
    try:
        rows = database.run(lambda s: s.execute(
            select(Registration.id, Registration.status, Cadre.code)
            .join(Cadre, Registration.cadre_id == Cadre.id).order_by(Registration.id)).all())
        assert [r.status for r in rows].count("registered") == 60
        waitlist = [r for r in rows if r.status == "waitlisted"]
        assert len(waitlist) == 10
        # arrival order: every waitlisted row arrived after the last seat was taken
        assert min(r.id for r in waitlist) > max(r.id for r in rows if r.status == "registered")
        assert database.run(lambda s: s.scalar(select(Course.seats_taken))) == 60

        leavers = [r.code for r in rows if r.status == "registered"][:5]
        with ThreadPoolExecutor(5) as pool:
            list(pool.map(lambda c: database.run(lambda s: reg.cancel(
                s, s.scalars(select(Cadre).where(Cadre.code == c)).one(), "BIG", TODAY, c)), leavers))
        promoted = database.run(lambda s: s.scalars(
            select(Cadre.code).join(Registration, Registration.cadre_id == Cadre.id)
            .where(Registration.promoted_at.is_not(None)).order_by(Registration.id)).all())
        assert promoted == [r.code for r in waitlist[:5]]
        told = database.run(lambda s: s.scalars(select(Outbox.key).where(Outbox.kind == "waitlist-promoted")).all())
        assert len(told) == 5 and all(any(code in key for key in told) for code in promoted)
        assert database.run(lambda s: s.scalar(select(Course.seats_taken))) == 60
    finally:
        database.dispose()


def test_database_refuses_overbooking_directly(committed: tuple[str, str | None]) -> None:
    """Even a buggy writer cannot push seats_taken past capacity: the CHECK constraint stops it."""
    from sqlalchemy.exc import IntegrityError

    database = _open(*committed)
    try:
        with pytest.raises(IntegrityError):
            database.run(lambda s: s.execute(update(Course).values(seats_taken=61)))
    finally:
        database.dispose()
