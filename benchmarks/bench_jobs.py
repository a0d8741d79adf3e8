"""Scheduled jobs at province scale: 48,000 linked cadres, ~2,000 units (SQLite).

Each figure is the time to fill the outbox (sending is bench_dispatch). Baseline in the
same run: a plain INSERT of the same number of outbox rows.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from benchmarks.synthetic import write_roster
from bot.demo import DEMO_DATA
from core.config import load_settings
from db import Database
from db.migrate import upgrade
from db.models import Cadre, Outbox
from domain.clock import utcnow
from domain.courses import import_courses
from domain.roster import import_roster
from scheduler.jobs import run_job

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    settings = load_settings(ROOT / "config.toml", {})
    tz = settings.timezone
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        write_roster(path)
        database = Database.from_url(f"sqlite:///{Path(tmp) / 'jobs.db'}")
        upgrade(database.engine)
        database.run(import_roster, path)
        database.run(import_courses, DEMO_DATA / "courses.csv")
        database.run(lambda s: s.execute(update(Cadre).values(telegram_chat_id=Cadre.id + 10**8,
                                                              telegram_user_id=Cadre.id + 10**8)))
        ids = database.run(lambda s: s.scalars(select(Cadre.id)).all())
        t0 = time.perf_counter()
        now = utcnow()
        database.run(lambda s: s.execute(insert(Outbox), [
            {"key": f"b{i}", "chat_id": i, "cadre_id": i, "kind": "b", "payload": "{}", "due_at": now,
             "status": "pending", "attempts": 0, "created_at": now} for i in ids]))
        baseline = time.perf_counter() - t0
        database.run(lambda s: s.execute(delete(Outbox)))
        print(f"scheduled jobs, {len(ids)} linked cadres (SQLite)")
        print(f"  baseline  plain INSERT of {len(ids)} outbox rows : {baseline:6.2f} s")
        for name, at in (("eval-open", datetime(2026, 11, 25, 8, 0, tzinfo=tz)),
                         ("eval-reminder", datetime(2026, 12, 1, 8, 0, tzinfo=tz)),
                         ("weekly-digest", datetime(2026, 11, 30, 7, 30, tzinfo=tz)),
                         ("course-notices", datetime(2026, 12, 25, 8, 30, tzinfo=tz)),
                         ("quarterly-gaps", datetime(2027, 1, 1, 8, 0, tzinfo=tz))):
            t0 = time.perf_counter()
            queued = run_job(database, name, at, settings)
            print(f"  {name:<16} queued {queued:6d} in {time.perf_counter() - t0:6.2f} s")
        database.dispose()


if __name__ == "__main__":
    main()
