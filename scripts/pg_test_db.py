"""Print a URL for a dedicated PostgreSQL test database on 127.0.0.1:5432, creating it if needed.

Exits non-zero when no server answers, so scripts/test falls back to SQLite only.
"""

from __future__ import annotations

import sys

import psycopg

DB = "cadrebot_test"


def main() -> int:
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(f"host=127.0.0.1 port=5432 user={user} dbname=postgres",
                                 connect_timeout=3, autocommit=True) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{DB}"')
                print(f"postgresql+psycopg://{user}@127.0.0.1:5432/{DB}")
                return 0
        except psycopg.Error:
            continue
    return 1


if __name__ == "__main__":
    sys.exit(main())
