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
# A unit of work (one per update in flight, see UnitOfWork) keeps its connection between its steps, so the pool
# must hold one for each concurrent update (bot.updates.MAX_CONCURRENT_UPDATES, 16; a typed button processes a
# second update inside the first) besides the dispatcher's and the jobs': a step waiting for a connection would
# hold a worker thread that another update's next step needs.
POOL_SIZE, POOL_OVERFLOW = 24, 24


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


def _is_memory_url(url: str) -> bool:
    return url.rstrip("/") in ("sqlite:", "sqlite:/", "sqlite://") or ":memory:" in url


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if _is_memory_url(url):
            engine = create_engine(url, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=POOL_SIZE,
                                   max_overflow=POOL_OVERFLOW)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


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
        with self.turn():
            yield from self._transaction()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Tests: short transactions take turns on the one connection; one that waited long enough nests inside
        the long one (a slow import), which a single connection allows as long as the short one ends first."""
        took_turn = self._turns.acquire(timeout=TURN_WAIT_S) if self._turns is not None else False
        try:
            yield
        finally:
            if took_turn and self._turns is not None:
                self._turns.release()

    def session(self) -> Session:
        return self._factory()

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

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

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


class UnitOfWork:
    """One update's session: the actor's load, the handler's reads and its write share one transaction.

    Each step runs in a worker thread (`call`), one step at a time; between steps the transaction stays
    open, so a read at the start of the update (the actor) and the handler's work see one state. A write
    commits and ends the unit at once, so the reply is sent after the commit and no lock is held while the
    bot talks to Telegram. On SQLite a read transaction cannot become a write one (its snapshot may be
    stale: SQLITE_BUSY_SNAPSHOT, without waiting), so before the first write the read part ends and the
    write begins IMMEDIATE in the same session; on PostgreSQL (READ COMMITTED, rows locked FOR UPDATE where
    they change) it is the same transaction throughout.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._session: Session | None = None
        self._writing = False
        self.begun = 0  # sessions opened: one per update unless a step came after a write

    @property
    def open(self) -> bool:
        return self._session is not None

    def call(self, fn: Callable[..., T], *args: Any, write: bool = False, final: bool = False) -> T:
        """fn(session, *args) in this unit's transaction; a write commits and ends the unit, and so does a read
        its caller knows to be the update's last (`final`): ending it here saves a trip to a worker thread."""
        with self.database.turn():
            session = self._session_for(write)
            token = _DEFERRED.set(not self._writing)  # read: SQLite begins DEFERRED, no write lock
            try:
                result = fn(session, *args)
                if write or final:
                    self._end(commit=True)
            except BaseException:
                self._end(commit=False)
                raise
            finally:
                _DEFERRED.reset(token)
            return result

    def close(self) -> None:
        """End a unit that only read (or is already ended): nothing to keep, the snapshot is let go."""
        with self.database.turn():
            self._end(commit=True)

    def _session_for(self, write: bool) -> Session:
        if self._session is None:
            self._session, self._writing = self.database.session(), write
            self.begun += 1
        elif write and not self._writing:
            if self.database.is_sqlite:
                self._session.commit()  # the read snapshot ends; the write begins IMMEDIATE below
            # Rows read so far (the actor's is held for the update, domain.accounts.actor_for) are read again
            # when touched: a write decides on what is committed now, not on what the update first read.
            self._session.expire_all()
            self._writing = True
        return self._session

    def _end(self, commit: bool) -> None:
        session, self._session, self._writing = self._session, None, False
        if session is None:
            return
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
