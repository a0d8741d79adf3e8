"""Exactly one active `cadrebot run` per database.

PostgreSQL: a session-level advisory lock held on a connection of its own. The server releases it
the moment that connection ends, so when the active process dies (even by SIGKILL) a standby,
which tries every ops.standby_retry_s, takes over at its next try. The active process checks its
lock connection every few seconds and stops (for its supervisor to restart it as a standby) if it
lost it. The lock key includes the schema, so two bots in two schemas of one database do not meet.
(A connection pooler in transaction mode, e.g. PgBouncer, would break session locks: connect
`cadrebot run` to PostgreSQL directly.)

SQLite: one process only. An exclusive lock on a file beside the database; a second `cadrebot run`
refuses to start. The operating system drops the lock when the process dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, text

from db import Database

log = logging.getLogger(__name__)
LOCK_NAME = "cadrebot-active:"


class ActiveLease(Protocol):
    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLease:
    """pg_try_advisory_lock on a dedicated autocommit connection, kept open while active."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.conn: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self.conn is None:
                self.conn = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = self.conn.scalar(text("SELECT pg_try_advisory_lock(hashtext(:name || current_schema()))"),
                                   {"name": LOCK_NAME})
        except Exception:  # the database is away: stay standby and try again later
            log.warning("Could not reach the database to take the active lease", exc_info=True)
            self._drop()
            return False
        return bool(got)

    def still_held(self) -> bool:
        if self.conn is None:
            return False
        try:
            self.conn.scalar(text("SELECT 1"))
        except Exception:
            log.error("Lost the database connection that holds the active lease", exc_info=True)
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT pg_advisory_unlock(hashtext(:name || current_schema()))"),
                                  {"name": LOCK_NAME})
            except Exception:  # closing the connection releases it anyway
                log.debug("Unlock failed; closing the connection releases the lock", exc_info=True)
        self._drop()

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.invalidate()
                self.conn.close()
            except Exception:
                log.debug("Closing the lease connection failed", exc_info=True)
        self.conn = None


class FileLease:
    """An exclusive flock on '<database file>.run.lock'."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  (held open while active)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return True

    def still_held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def lease_for(database: Database) -> ActiveLease:
    if database.is_sqlite:
        name = database.engine.url.database or ":memory:"
        return FileLease(Path(f"{name}.run.lock"))
    return AdvisoryLease(database)


def sqlite_busy_message(database: Database) -> str:
    return (f"Một phiên cadrebot khác đang chạy trên cơ sở dữ liệu SQLite {database.engine.url.database}. "
            "SQLite chỉ cho phép một phiên chạy; muốn có phiên dự phòng, hãy dùng PostgreSQL.")
