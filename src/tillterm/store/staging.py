"""Bulk rows into the database without binding each value through Python.

A driver's ``executemany`` binds every value from Python: on SQLite about 0.3 µs a
value (100,000 customers of 40 columns: two seconds, when SQLite copies the same rows
from table to table in 0.3 s); on PostgreSQL a round of the pipeline per row (20,000
customers: four seconds of the client's time). So the rows of a polars frame are turned
into a *payload* on any thread (:func:`payload`, no connection of ours), loaded whole
into a staging table (:func:`load`), where they can still be read and corrected, and
copied into the real table by one ``INSERT … SELECT`` (:func:`copy`), inside the
caller's transaction: all or nothing still holds, and the real table's triggers,
constraints and indexes apply as usual.

- SQLite: the payload is a SQLite database written by the ADBC SQLite driver in C;
  it is loaded into an in-memory schema attached to the connection
  (``sqlite3.Connection.deserialize``). A schema can only be attached outside a
  transaction, so :func:`attach` comes before the write begins; the schema stays with
  the pooled connection (emptied by :func:`clear`) and is reused by the next bulk write.
- PostgreSQL: the payload is CSV text (strings quoted, ``\\N`` for NULL), loaded with
  ``COPY`` into a temporary table shaped like the target.

Without the ADBC driver, or a SQLite connection already inside a transaction,
:func:`attach` says no and the caller binds rows itself.
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

from tillterm.store.driver import psycopg_driver, sqlite_driver

if TYPE_CHECKING:
    import polars as pl

#: SQLite: the attached in-memory schema, and the table each payload holds
SCHEMA = "tillterm_stage"
TABLE = "rows"
#: PostgreSQL: the temporary staging table
PG_TABLE = "tillterm_stage"


@cache
def available() -> bool:
    """Can a polars frame be staged for SQLite here (the ADBC SQLite driver installed)?"""
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return can_attach()


def can_attach() -> bool:
    """Can a staged image be loaded into a connection (``deserialize``, Python ≥ 3.11)?"""
    return hasattr(sqlite3.Connection, "deserialize")


def attach(conn: Connection, like: str = "customer") -> bool:
    """Make staging ready on ``conn`` for rows of table ``like``; False: bind rows instead."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {PG_TABLE} (LIKE {like} INCLUDING DEFAULTS)"
        )
        return True
    if conn.dialect.name != "sqlite" or not can_attach():
        return False
    raw = sqlite_driver(conn)
    names = {row[1] for row in raw.execute("PRAGMA database_list")}
    if SCHEMA in names:
        return True
    if raw.in_transaction:
        return False
    raw.execute(f"ATTACH DATABASE ':memory:' AS {SCHEMA}")
    return True


def staged_table(conn: Connection) -> str:
    """Where :func:`load` put the rows, to read or correct them before :func:`copy`."""
    return f"{SCHEMA}.{TABLE}" if conn.dialect.name == "sqlite" else PG_TABLE


def frames_supported(dialect: str) -> bool:
    """Can :func:`payload` stage a polars frame for this database here?"""
    return dialect == "postgresql" or (dialect == "sqlite" and available())


def payload(frame: pl.DataFrame, dialect: str) -> bytes:
    """``frame`` as the bytes :func:`load` takes. Touches no connection of ours, so it
    runs on a helper thread while the database is busy with the previous batch."""
    if dialect == "postgresql":
        return frame.write_csv(
            include_header=False, null_value="\\N", quote_style="non_numeric"
        ).encode("utf-8")
    return image(frame)


def image(frame: pl.DataFrame) -> bytes:
    """A SQLite database holding ``frame`` as table ``rows``, as bytes.

    Column types the driver cannot write are converted to what SQLite stores anyway:
    decimals as text (the column's affinity makes them numbers again), all-null
    columns as text.
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


def load(conn: Connection, staged: bytes, columns: Sequence[str] = ()) -> None:
    """Put the rows of a :func:`payload` in the staging table (replacing the last ones).

    On PostgreSQL ``columns`` names the payload's columns, in order.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"TRUNCATE {PG_TABLE}")
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = psycopg_driver(conn).cursor()
        with cursor.copy(f"COPY {PG_TABLE} ({names}) FROM STDIN (FORMAT csv, NULL '\\N')") as copy:
            copy.write(staged)
        return
    sqlite_driver(conn).deserialize(staged, name=SCHEMA)


def copy(conn: Connection, table: str, columns: Sequence[str]) -> None:
    """Copy the loaded rows into ``table`` (same column names), in one statement."""
    names = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged_table(conn)}")


def insert(conn: Connection, table: str, columns: Sequence[str], staged: bytes) -> None:
    """:func:`load` then :func:`copy`."""
    load(conn, staged, columns)
    copy(conn, table, columns)


def clear(conn: Connection) -> None:
    """Let go of the last payload's memory (the staging table stays, empty)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"TRUNCATE {PG_TABLE}")
        return
    sqlite_driver(conn).deserialize(_empty(), name=SCHEMA)
