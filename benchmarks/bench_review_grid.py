"""The manager's year grid at province scale (48,000 cadres, ~2,000 units) on SQLite.

The phone view and the Excel export list everyone below the manager in the review chain. Measured for the
province's first leader (the whole province below him), a department head and a commune head, beside the
grid of the manager's direct reviewees only (what the phone view listed before) in the same run, and the
Excel file for the province leader's chain.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.bench_report import timed
from benchmarks.synthetic import write_roster
from db import Database
from db.migrate import upgrade
from db.models import Cadre, Unit
from domain.accounts import Actor
from domain.evaluation import reviewees
from domain.review_grid import Person, _grid, export_year_grid, review_chain, reviewee_year
from domain.roster import import_roster

TODAY = date(2026, 11, 26)


def _leader(database: Database, unit_code: str) -> Actor:
    def load(session):  # type: ignore[no-untyped-def]
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        code = session.scalar(select(func.min(Cadre.code)).where(Cadre.unit_id == unit.id, Cadre.is_leader.is_(True)))
        cadre = session.scalar(select(Cadre).where(Cadre.code == code))
        return Actor(cadre.id, cadre.code, cadre.full_name, unit.id, unit.code, unit.name, unit.path, True, False)
    return database.run(load)


def _direct_grid(session, actor: Actor) -> object:  # type: ignore[no-untyped-def]
    """The baseline: the direct reviewees' grid, as the phone view was before the chain."""
    people = [Person(c.id, c.code, c.full_name, c.unit.code, c.unit.name, c.unit.path)
              for c in reviewees(session, [actor.cadre_id])]
    return _grid(session, people, TODAY.year)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "roster.csv"
        write_roster(csv_path)
        database = Database.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(database.engine)
        database.run(import_roster, csv_path)
        print("year grid of a manager's review chain, 48,000 cadres (SQLite, median of runs)")
        for label, unit_code in (("province leader", "TINH"), ("department head", "S000"),
                                 ("commune head", "X010")):
            actor = _leader(database, unit_code)
            people = len(database.run(review_chain, actor.cadre_id))
            direct = len(database.run(reviewees, [actor.cadre_id]))
            chain_s = timed(database, reviewee_year, actor, TODAY.year, repeat=3)
            direct_s = timed(database, _direct_grid, actor, repeat=3)
            print(f"  {label:<16} chain {people:6d} people: {chain_s * 1000:8.1f} ms   "
                  f"baseline direct reviewees {direct:6d}: {direct_s * 1000:8.1f} ms")
        actor = _leader(database, "TINH")
        export_s = timed(database, export_year_grid, actor, TODAY.year, None, TODAY, repeat=1)
        hr = Actor(0, "HR", "HR", 0, "TINH", "", "/", False, True)
        hr_s = timed(database, export_year_grid, hr, TODAY.year, None, TODAY, repeat=1)
        print(f"  province leader's Excel export (chain) : {export_s * 1000:8.1f} ms   "
              f"baseline HR's province export: {hr_s * 1000:8.1f} ms")
        database.dispose()


if __name__ == "__main__":
    main()
