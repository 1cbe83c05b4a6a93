"""Bulk rows into SQLite without binding each value through Python.

Python's ``sqlite3`` binds about 0.3 µs a value: 100,000 customers of 40 columns take
two seconds in ``executemany``, when SQLite itself copies the same rows from one table to
another in 0.3 s. The ADBC SQLite driver writes an Arrow table (a polars frame) into a
database file in C, on any thread and with none of our connections. That file's bytes
are loaded whole into an in-memory schema attached to the importing connection
(``sqlite3.Connection.deserialize``) and copied into the real table by one
``INSERT … SELECT``, inside the caller's transaction: all or nothing still holds, and
the triggers and constraints of the real table apply as usual.

A schema can only be attached outside a transaction, so :func:`attach` is called before
the write begins; the attached schema stays with the pooled connection (empty once the
write is done) and is reused by the next bulk write. Without the ADBC driver, or when
the connection is already inside a transaction, :func:`attach` says no and the caller
binds rows itself.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    import polars as pl

#: the attached in-memory schema, and the table each image holds
SCHEMA = "tillterm_stage"
TABLE = "rows"


@cache
def available() -> bool:
    """Can a polars frame be staged here (the ADBC SQLite driver installed)?"""
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return can_attach()


def can_attach() -> bool:
    """Can a staged image be loaded into a connection (``deserialize``, Python ≥ 3.11)?"""
    return hasattr(sqlite3.Connection, "deserialize")


def _raw(conn: Connection) -> sqlite3.Connection:
    return conn.connection.dbapi_connection  # type: ignore[return-value]


def attach(conn: Connection) -> bool:
    """Make the staging schema ready on ``conn``; False when rows must be bound instead."""
    if conn.dialect.name != "sqlite" or not can_attach():
        return False
    raw = _raw(conn)
    names = {row[1] for row in raw.execute("PRAGMA database_list")}
    if SCHEMA in names:
        return True
    if raw.in_transaction:
        return False
    raw.execute(f"ATTACH DATABASE ':memory:' AS {SCHEMA}")
    return True


def image(frame: pl.DataFrame) -> bytes:
    """A SQLite database holding ``frame`` as table ``rows``, as bytes.

    Touches no connection of ours, so it runs on a helper thread while the database is
    busy with the previous batch. Column types the driver cannot write are converted to
    what SQLite stores anyway: decimals as text (the column's affinity makes them numbers
    again), all-null columns as text.
    """
    import adbc_driver_sqlite.dbapi as adbc
    import polars as pl

    casts = [
        pl.col(name).cast(pl.String)
        for name, dtype in frame.schema.items()
        if dtype == pl.Null or isinstance(dtype, pl.Decimal)
    ]
    if casts:
        frame = frame.with_columns(casts)
    folder = Path(tempfile.mkdtemp(prefix="tillterm-stage-"))
    try:
        path = folder / "rows.db"
        with adbc.connect(str(path)) as db:
            with db.cursor() as cur:
                cur.adbc_ingest(TABLE, frame, mode="create")
            db.commit()
        return path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def rows_image(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An :func:`image` of plain rows (values already in their stored form).

    This binds every value through ``sqlite3`` again, so it only pays off in another
    process (the demo's generator), where the binding runs on another core. It needs
    neither polars nor the ADBC driver, neither of which survives a ``fork``.
    """
    with sqlite3.connect(":memory:") as db:
        names = ", ".join(f'"{c}"' for c in columns)
        db.execute(f"CREATE TABLE {TABLE} ({names})")
        marks = ", ".join("?" for _ in columns)
        db.executemany(f"INSERT INTO {TABLE} VALUES ({marks})", rows)
        db.commit()
        return db.serialize()


@cache
def _empty() -> bytes:
    with sqlite3.connect(":memory:") as db:
        db.execute(f"CREATE TABLE {TABLE} (x)")
        return db.serialize()


def load(conn: Connection, staged: bytes) -> None:
    """Put the rows of an :func:`image` in the staging schema (replacing the last ones).

    They can be read and changed there as ``{SCHEMA}.{TABLE}`` before :func:`copy`.
    """
    _raw(conn).deserialize(staged, name=SCHEMA)


def copy(conn: Connection, table: str, columns: list[str]) -> None:
    """Copy the loaded rows into ``table`` (same column names), in one statement."""
    names = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM {SCHEMA}.{TABLE}")


def insert(conn: Connection, table: str, columns: list[str], staged: bytes) -> None:
    """:func:`load` then :func:`copy`."""
    load(conn, staged)
    copy(conn, table, columns)


def clear(conn: Connection) -> None:
    """Let go of the last image's memory (the schema stays attached, empty)."""
    _raw(conn).deserialize(_empty(), name=SCHEMA)
