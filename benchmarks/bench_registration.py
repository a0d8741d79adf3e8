"""Course registration throughput with 8 concurrent clients, SQLite and PostgreSQL.

Each registration is one transaction with every rule checked and the seat taken under the
course row lock. Baseline in the same run: a bare INSERT of the same rows into the same
table by the same 8 clients, one transaction each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, delete, insert, select, text, update

from benchmarks.synthetic import write_course, write_people
from db import Database
from db.migrate import upgrade
from db.models import Cadre, Course, Registration, RegistrationStatus
from db.session import make_engine
from domain import registration as reg
from domain.clock import utcnow
from domain.courses import import_courses
from domain.roster import import_roster

CLIENTS, PEOPLE, SEATS = 8, 1000, 800
TODAY = date(2026, 11, 26)


def _prepare(database: Database, tmp: Path) -> list[tuple[int, str]]:
    database.run(import_roster, write_people(tmp / "people.csv", PEOPLE))
    database.run(import_courses, write_course(tmp / "c.csv", "BENCH", SEATS, date(2027, 3, 1)))
    return database.run(lambda s: s.execute(select(Cadre.id, Cadre.code)).tuples().all())


def _register_all(database: Database, people: list[tuple[int, str]]) -> float:
    def one(code: str) -> None:
        database.run(lambda s: reg.register(s, s.scalars(select(Cadre).where(Cadre.code == code)).one(),
                                            "BENCH", TODAY, code))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, [code for _, code in people]))
    return time.perf_counter() - t0


def _bare_inserts(database: Database, people: list[tuple[int, str]]) -> float:
    course_id = database.run(lambda s: s.scalar(select(Course.id)))

    def one(cadre_id: int) -> None:
        now = utcnow()
        database.run(lambda s: s.execute(insert(Registration).values(
            course_id=course_id, cadre_id=cadre_id, status=RegistrationStatus.CANCELLED, registered_by="bench",
            created_at=now, updated_at=now)))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, [cadre_id for cadre_id, _ in people]))
    return time.perf_counter() - t0


def _run(label: str, database: Database, tmp: Path) -> None:
    upgrade(database.engine)
    people = _prepare(database, tmp)
    register_s = _register_all(database, people)
    taken = database.run(lambda s: s.scalar(select(Course.seats_taken)))
    database.run(lambda s: s.execute(delete(Registration)))
    database.run(lambda s: s.execute(update(Course).values(seats_taken=0)))
    insert_s = _bare_inserts(database, people)
    print(f"  {label:<10} register : {PEOPLE / register_s:7.0f} /s  ({register_s:5.2f} s, seats {taken}/{SEATS})"
          f"   bare INSERT : {PEOPLE / insert_s:7.0f} /s  ({insert_s:5.2f} s)  ratio {insert_s / register_s:.2f}")


def _postgres_url() -> str | None:
    url = os.environ.get("CADREBOT_TEST_POSTGRES_URL")
    if url:
        return url
    found = subprocess.run([sys.executable, "scripts/pg_test_db.py"], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def main() -> None:
    print(f"course registration, {CLIENTS} concurrent clients, {PEOPLE} people for {SEATS} seats")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = Database(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        _run("SQLite", sqlite, Path(tmp))
        sqlite.dispose()
    url = _postgres_url()
    if url is None:
        print("  PostgreSQL: no server on 127.0.0.1:5432, skipped")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=CLIENTS)
        with tempfile.TemporaryDirectory() as tmp:
            _run("PostgreSQL", Database(engine), Path(tmp))
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
