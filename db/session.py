"""Engine set-up and the unit of work: one transaction per update or job.

Repositories and domain functions never commit; `Database.transaction()` does, once,
when the whole update has succeeded, and rolls everything back otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
# SQLite: reads that may take seconds (a job scanning 48,000 cadres) begin DEFERRED so they
# do not hold the write lock the bot's handlers need; everything else begins IMMEDIATE.
_DEFERRED: ContextVar[bool] = ContextVar("cadrebot_deferred_begin", default=False)


TURN_WAIT_S = 0.25


class SchemaOutdatedError(RuntimeError):
    """The database schema is older than the code and automatic upgrade was not requested."""


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers locking; take it over
    # (the recipe from SQLAlchemy's SQLite dialect docs) and turn on WAL and foreign keys.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if not _is_memory(engine):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue instead of deadlocking.
        conn.exec_driver_sql("BEGIN" if _DEFERRED.get() else "BEGIN IMMEDIATE")


def _is_memory(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """Owns the engine and hands out transactions."""

    def __init__(self, engine: Engine, factory: sessionmaker[Session] | None = None) -> None:
        self.engine = engine
        self._bound = factory is not None
        self._factory = factory or sessionmaker(engine, expire_on_commit=False)
        # Tests bind every session to one connection; handlers (worker threads) and the dispatcher (event loop)
        # may then use it at the same moment, which one connection cannot do: take turns.
        self._turns = threading.RLock() if self._bound else None

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @classmethod
    def bound_to(cls, connection: Connection) -> Database:
        """Sessions joined to an outer transaction (tests roll it back; commits become savepoints)."""
        factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        return cls(connection.engine, factory)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        if self._turns is None:
            yield from self._transaction()
            return
        # Tests: short transactions take turns; one that waited long enough nests inside the long one (a slow
        # import), which a single connection allows as long as the short one ends first, as it does.
        took_turn = self._turns.acquire(timeout=TURN_WAIT_S)
        try:
            yield from self._transaction()
        finally:
            if took_turn:
                self._turns.release()

    def _transaction(self) -> Iterator[Session]:
        session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn(session, *args) in one transaction and return its result."""
        with self.transaction() as session:
            return fn(session, *args, **kwargs)

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like run(), for long reads: on SQLite the transaction does not take the write lock."""
        token = _DEFERRED.set(True)
        try:
            return self.run(fn, *args, **kwargs)
        finally:
            _DEFERRED.reset(token)

    def execute(self, statement: Executable, params: dict[str, Any] | None = None) -> None:
        """One Core statement in its own transaction: the cheap path for hot, tiny writes."""
        if self._bound:  # tests: stay inside the outer transaction
            with self.transaction() as session:
                session.execute(statement, params)
            return
        with self.engine.begin() as conn:
            conn.execute(statement, params)

    def dispose(self) -> None:
        self.engine.dispose()
