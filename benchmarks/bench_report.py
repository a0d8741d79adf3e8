"""Indicator report at province scale (48,000 cadres, ~2,000 units) on SQLite.

Targets (issue 3): the province report under 1 s, measured beside a plain SELECT COUNT(*)
over the same table in the same run; one cadre's gaps under 20 ms; a commune's subtree
report via the stored path.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.synthetic import write_roster
from bot.demo import DEMO_DATA
from db import Database
from db.migrate import upgrade
from db.models import Cadre
from domain.courses import import_courses
from domain.gaps import gaps_by_code
from domain.report import build_report, child_units, people_with_mandatory_gaps
from domain.roster import import_roster
from domain.units import unit_by_code

TODAY = date(2026, 11, 26)


def timed(database: Database, fn: Callable[..., object], *args: object, repeat: int = 5) -> float:
    """Median wall time in seconds of fn(session, *args), each in its own transaction."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        database.run(fn, *args)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "roster.csv"
        write_roster(csv_path)
        database = Database.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(database.engine)
        database.run(import_roster, csv_path)
        database.run(import_courses, DEMO_DATA / "courses.csv")
        count_s = timed(database, lambda s: s.scalar(select(func.count(Cadre.id))))
        province_s = timed(database, build_report, None, TODAY)
        commune = database.run(lambda s: unit_by_code(s, "X010"))
        commune_s = timed(database, build_report, commune, TODAY)
        gaps_s = timed(database, gaps_by_code, "TQ012345", TODAY, repeat=50)
        from domain.accounts import Actor

        hr = Actor(0, "HR", "HR", 0, "TINH", "", "/", False, True)
        drill_s = timed(database, child_units, hr, None)
        people_s = timed(database, people_with_mandatory_gaps, None, 0, 10)
        database.dispose()
    print("indicator report, 48,000 cadres / 2,009 units (SQLite, median of runs)")
    print(f"  baseline  SELECT COUNT(*) cadres : {count_s * 1000:8.1f} ms")
    print(f"  province report (11 indicators)  : {province_s * 1000:8.1f} ms  target < 1000 ms  "
          f"{'OK' if province_s < 1 else 'MISSED'}  ({province_s / count_s:.1f}x the COUNT)")
    print(f"  commune subtree report           : {commune_s * 1000:8.1f} ms")
    print(f"  province drill-down (children)   : {drill_s * 1000:8.1f} ms")
    print(f"  people with mandatory gaps, p.1  : {people_s * 1000:8.1f} ms")
    print(f"  one cadre's gaps                 : {gaps_s * 1000:8.1f} ms  target < 20 ms  "
          f"{'OK' if gaps_s < 0.02 else 'MISSED'}")


if __name__ == "__main__":
    main()
