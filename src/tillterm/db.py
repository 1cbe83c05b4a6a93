"""Opening the database: the engine factory.

``open_db`` is the one way to get an engine. It builds it, checks the database can be
used, and brings its schema to the head revision with the Alembic migrations shipped in
``tillterm.migrations`` (an old database is upgraded in place, never recreated). Nothing
here runs at import time: the app and the CLI call the factory and pass the engine on.

SQLite is the embedded default: WAL so the register reads while another process writes,
foreign keys on, a busy timeout so two registers queue rather than fail, and a file only
its owner can read (customer data).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from tillterm.db_target import DbInfo, prepare_sqlite_file, to_url
from tillterm.errors import DatabaseBusy, DatabaseError, DatabaseTooNew
from tillterm.migrations import HEAD_REVISION, KNOWN_REVISIONS

BUSY_TIMEOUT_MS = 5000


def describe(engine: Engine) -> DbInfo:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return DbInfo("sqlite", url.database or ":memory:")
    host = url.host or "localhost"
    return DbInfo(url.get_backend_name(), f"{url.database}@{host}")


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA temp_store = MEMORY")
    cur.execute("PRAGMA cache_size = -32000")
    cur.close()


def begin_write(conn: Connection) -> None:
    """Open the write transaction now (SQLite), before the first statement of a bulk write.

    Python's ``sqlite3``, in the mode SQLAlchemy uses, opens a transaction only before an
    INSERT, UPDATE or DELETE: a ``DROP TRIGGER`` or a ``SELECT max(id)`` run earlier is
    outside it and stands on its own. A bulk write that suspends the search triggers, or
    numbers its rows from what it read, must do both inside its transaction, or a failure
    half-way would leave the triggers gone for good. ``IMMEDIATE`` takes the write lock
    at once, so what it reads cannot change before it writes. PostgreSQL needs nothing.
    """
    if conn.dialect.name != "sqlite":
        return
    if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def build_engine(url_or_path: str | os.PathLike[str], *, create_dirs: bool = False) -> Engine:
    """Build an engine without touching the schema (``open_db`` is what callers want)."""
    url = make_url(to_url(url_or_path))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseError(
                "An in-memory database is empty in every thread; give tillterm a file path."
            )
        prepare_sqlite_file(Path(url.database), create_dirs)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            exists = conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
            ).first()
        else:
            exists = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        if not exists:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _enable_wal(engine: Engine) -> None:
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
        if str(mode).lower() != "wal":
            raise DatabaseError(f"Cannot switch {engine.url.database} to WAL mode (got {mode}).")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the shipped migrations up to ``revision`` (Alembic loads only when needed)."""
    from tillterm.migrations import run_upgrade

    run_upgrade(engine, revision)


def open_db(
    url_or_path: str | os.PathLike[str], *, create_dirs: bool = False, migrate: bool = True
) -> Engine:
    """Return an engine whose schema is at head, or raise :class:`DatabaseError`.

    ``create_dirs`` lets the default location make its folder; an explicit path in a
    missing folder is refused instead.
    """
    engine = build_engine(url_or_path, create_dirs=create_dirs)
    try:
        if engine.dialect.name == "sqlite":
            _enable_wal(engine)
        current = _current_revision(engine)
        if current is not None and current not in KNOWN_REVISIONS:
            raise DatabaseTooNew(
                f"The database {describe(engine).label} was upgraded by a newer tillterm "
                f"(schema {current}); install that version to use it."
            )
        if migrate and current != HEAD_REVISION:
            upgrade(engine)
    except DatabaseError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        raise DatabaseError(
            f"Cannot open database {describe(engine).label}: {explain(exc)}"
        ) from exc
    return engine


def explain(exc: BaseException) -> str:
    """One readable line for a driver error (no SQL, no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = message.lower()
    if "database is locked" in lowered or "lock timeout" in lowered:
        return "another register is holding the database; try again in a moment"
    if "readonly" in lowered or "read-only" in lowered:
        return "the database is read-only for this user"
    if "unable to open" in lowered:
        return "the file cannot be opened (missing folder or no permission)"
    if (
        "connection refused" in lowered
        or "could not connect" in lowered
        or "connection failed" in lowered
    ):
        return "the database server cannot be reached"
    if "malformed" in lowered or "not a database" in lowered:
        return "the database file is damaged or is not a tillterm database"
    return message


def is_busy(exc: BaseException) -> bool:
    """True when the error is another connection holding the lock (worth a retry)."""
    orig = getattr(exc, "orig", None) or exc
    text_ = str(orig).lower()
    return "database is locked" in text_ or "could not obtain lock" in text_ or "deadlock" in text_


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error.

    Driver errors come out as :class:`DatabaseError` (or :class:`DatabaseBusy`) with a
    readable message, so no caller has to know SQLAlchemy's exception tree.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        if is_busy(exc):
            raise DatabaseBusy(explain(exc)) from exc
        raise DatabaseError(explain(exc)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
