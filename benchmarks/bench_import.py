"""Roster import at province scale on SQLite: rows/s for a first import and an unchanged re-import.

Target (issue 2): each under 20 s on a 2-core machine. Baseline printed beside it: the time
to merely read and validate the same file (no database writes), measured in the same run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import write_roster
from db import Database
from db.migrate import upgrade
from domain.roster import HEADERS, REQUIRED, _collect, import_roster
from domain.spreadsheet import load_sheet


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "roster-48k.csv"
        cadres, units = write_roster(csv_path)
        t0 = time.perf_counter()
        _collect(load_sheet(csv_path, HEADERS, REQUIRED).rows)
        parse_s = time.perf_counter() - t0
        database = Database.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(database.engine)
        t0 = time.perf_counter()
        first = database.run(import_roster, csv_path)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = database.run(import_roster, csv_path)
        again_s = time.perf_counter() - t0
        database.dispose()
    print(f"roster import: {cadres} cadres, {units} units (SQLite, WAL)")
    print(f"  baseline  read+validate only : {parse_s:6.2f} s  ({cadres / parse_s:8.0f} rows/s)")
    print(f"  first import                 : {first_s:6.2f} s  ({cadres / first_s:8.0f} rows/s)"
          f"  added={first.cadres_added}  target < 20 s  {'OK' if first_s < 20 else 'MISSED'}")
    print(f"  re-import unchanged          : {again_s:6.2f} s  ({cadres / again_s:8.0f} rows/s)"
          f"  changed={again.cadres_added + again.cadres_updated}  target < 20 s, 0 changed  "
          f"{'OK' if again_s < 20 and again.cadres_updated == 0 else 'MISSED'}")


if __name__ == "__main__":
    main()
