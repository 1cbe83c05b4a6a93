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

A bulk write into PostgreSQL also plans its indexes (:func:`planned_indexes`): rows
that at least double a table go in without its secondary indexes, which are built once
afterwards (a GIN index built from a million rows costs a fraction of a million
insertions into it); either way the tables are analysed before the transaction ends, so
the first search after a load is planned on the rows that are there.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection, Engine

from tillterm.store.deadline import lift_fallback
from tillterm.store.driver import psycopg_driver, sqlite_driver

if TYPE_CHECKING:
    import polars as pl

#: SQLite: the attached in-memory schema, and the table each payload holds
SCHEMA = "tillterm_stage"
TABLE = "rows"
#: PostgreSQL: the temporary staging table
PG_TABLE = "tillterm_stage"
#: PostgreSQL: memory for building the B-tree indexes of a bulk load (a million rows
#: sorted in memory, not spilled to disk)
BUILD_MEMORY = "512MB"
#: PostgreSQL: memory for building a GIN index. Its build gathers the words of the rows
#: in a search tree and writes the tree out each time it fills this much: a smaller
#: tree stays closer to the processor, and writing it out more often costs less than
#: walking a large one, above all when other processes share the caches (the
#: customers' all-fields index, a million customers and 5 million distinct words, on a
#: 2-core machine at load 8-10: 51-58 s of the server's CPU with 512 MB to 2 GB, 36 s
#: with 64 MB, 35 s with 32 MB; 300,000 customers: 14.5 s with 512 MB, 10.9 s with
#: 64 MB; at load 3 the whole demo took as long either way). Measured again at load 2
#: (PostgreSQL 15), the same index: a million customers in 26.5-27 s with 16 or 32 MB,
#: 27-29 s with 8 MB, 29-35 s with 64 MB; 100,000 customers in 1.9-2.0 s with 4-8 MB,
#: 2.2 s with 16-32 MB, 2.2-2.4 s with 64 MB, 3.3 s with 1 GB: 16 MB is near the best
#: at both sizes
GIN_BUILD_MEMORY = "16MB"
#: PostgreSQL ``COPY`` text format: what a value must not hold as is
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


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
        copy_payload(conn, PG_TABLE, columns, staged)
        return
    sqlite_driver(conn).deserialize(staged, name=SCHEMA)


def copy_payload(conn: Connection, table: str, columns: Sequence[str], staged: bytes) -> None:
    """``COPY`` a PostgreSQL :func:`payload` (CSV) into ``table``: the staging table, or
    the real one when nothing needs correcting first (one pass over the rows, not two)."""
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = psycopg_driver(conn).cursor()
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv, NULL '\\N')") as copy:
        copy.write(staged)


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


def copy_text(rows: Iterable[Sequence[object]], first_id: int | None = None) -> bytes:
    """Rows as PostgreSQL ``COPY`` text (tab-separated, ``\\N`` for NULL), numbered from
    ``first_id`` in a first column when given.

    Values are written in their stored form: strings as they are (escaped), numbers,
    ``1``/``0`` for booleans (PostgreSQL reads both), ISO dates and timestamps, which
    :func:`copy_in` reads as UTC. Touches no connection: the demo's helper process
    writes its batches with it, on the other core.
    """
    escapes = _COPY_ESCAPES
    lines = []
    for n, row in enumerate(rows):
        fields = [] if first_id is None else [str(first_id + n)]
        for value in row:
            if value is None:
                fields.append("\\N")
            elif isinstance(value, str):
                fields.append(value.translate(escapes))
            elif isinstance(value, bool):
                fields.append("1" if value else "0")
            else:
                fields.append(str(value))
        lines.append("\t".join(fields))
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def copy_in(conn: Connection, table: str, columns: Sequence[str], payload: bytes) -> None:
    """``COPY`` a :func:`copy_text` payload straight into ``table`` (PostgreSQL), in the
    caller's transaction. Timestamps without a zone are read as UTC."""
    conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = psycopg_driver(conn).cursor()
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        copy.write(payload)


def _secondary_indexes(conn: Connection, table: str) -> dict[str, str]:
    """The indexes of ``table`` that no constraint stands on: name → definition."""
    rows = conn.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = to_regclass(%(table)s) AND NOT x.indisunique "
        "AND NOT x.indisprimary AND NOT x.indisexclusion ORDER BY i.relname",
        {"table": table},
    )
    return {str(name): str(ddl) for name, ddl in rows}


def rebuild_pays(conn: Connection, table: str, incoming: int) -> bool:
    """Will ``incoming`` new rows at least double ``table`` (counted no further than
    needed)? Then its secondary indexes are dropped for the load and built after it."""
    there = conn.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %(n)s) AS sample",
        {"n": max(incoming, 1)},
    ).scalar_one()
    return incoming > 0 and int(there) < incoming


#: analyse after a bulk write that adds at least this share of the rows already there
#: (below it, the planner's picture of the table is still right; autovacuum's threshold)
ANALYZE_SHARE = 0.1


#: the tables a bulk load of customers may hold locked until it commits, so that the
#: foreign keys pointing at them are checked once at the end instead of row by row:
#: what only a customer's screens read. Not ``tax_rate``: a product's price is read
#: with it, and a customer's tax rate is rarely set
CHECKED_AFTER_LOAD = frozenset({"customer", "customer_group", "tag", "custom_field"})


def _foreign_keys(conn: Connection, table: str) -> dict[tuple[str, str], str]:
    """The foreign keys of ``table`` pointing at a table of :data:`CHECKED_AFTER_LOAD`:
    (table, name) → definition."""
    rows = conn.exec_driver_sql(
        "SELECT k.conname, pg_get_constraintdef(k.oid), r.relname FROM pg_constraint k "
        "JOIN pg_class r ON r.oid = k.confrelid "
        "WHERE k.conrelid = to_regclass(%(table)s) AND k.contype = 'f' ORDER BY k.conname",
        {"table": table},
    )
    return {
        (table, str(name)): str(ddl)
        for name, ddl, target in rows
        if str(target) in CHECKED_AFTER_LOAD
    }


@dataclass
class IndexPlan:
    """What a bulk write into PostgreSQL dropped (to build again) and must analyse."""

    tables: tuple[str, ...]
    dropped: dict[str, str] = field(default_factory=dict)
    #: foreign keys dropped for the load, to add again (checked then): (table, name) →
    #: definition
    foreign_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    analyse: bool = True

    def finish(self, conn: Connection) -> None:
        """Build the dropped indexes again (with :data:`BUILD_MEMORY`, GIN ones with
        :data:`GIN_BUILD_MEMORY`), add the dropped foreign keys again, then analyse."""
        if self.dropped:
            memory = ""
            for ddl in self.dropped.values():
                wanted = GIN_BUILD_MEMORY if " USING gin " in ddl else BUILD_MEMORY
                if wanted != memory:
                    conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{wanted}'")
                    memory = wanted
                conn.exec_driver_sql(ddl)
            self.dropped = {}
        for (table, name), ddl in self.foreign_keys.items():
            # checks every row at once (one join), as the rows' own checks would have
            # one by one: a row pointing at nothing fails the load here, whole
            conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}')
        self.foreign_keys = {}
        if self.analyse:
            for table in self.tables:
                conn.exec_driver_sql(f"ANALYZE {table}")


def lift_time_limits(conn: Connection) -> None:
    """For the rest of this transaction, no limit on how long one statement may run.

    A register's connections carry a backstop (``statement_timeout``, and the client's
    own bound on a wait: :mod:`tillterm.store.deadline`) sized for a register's
    statements; one statement of a bulk write (a COPY of a million rows, an index built
    over them) may take longer on a loaded server, and cancelling it would roll the whole
    load back. PostgreSQL only; the server's limit comes back at the transaction's end,
    the client's when the connection returns to the pool.
    """
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
    lift_fallback(conn.connection.dbapi_connection)


def vacuum_loaded(engine: Engine, tables: Sequence[str]) -> None:
    """``VACUUM`` the tables a bulk load just filled (PostgreSQL, after its commit).

    A row read for the first time after the load is checked against the transaction
    that wrote it, and its page marked (hint bits) and so made dirty: the first
    searches of a new store paid for that, and for writing the pages out again to make
    room in the server's buffers ("to m": 2,554 pages written by one search, 22 ms).
    One pass here does it for every page at once, in order, and marks the pages
    all-visible, which lets a plan read an index alone. It runs outside any transaction
    (``VACUUM`` must), so :func:`lift_time_limits` cannot serve: the server's bound is
    lifted for the session and put back after. The load is already committed: a vacuum
    that fails loses nothing. Elsewhere (SQLite) nothing is done.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("SET statement_timeout = 0")
        lift_fallback(conn.connection.dbapi_connection)
        try:
            conn.exec_driver_sql(f"VACUUM {', '.join(tables)}")
        finally:
            conn.exec_driver_sql("RESET statement_timeout")


def plan_indexes(conn: Connection, tables: Sequence[str], incoming: int) -> IndexPlan:
    """Index maintenance planned for a bulk write of about ``incoming`` rows into the
    first of ``tables`` (the others follow its rows: its tags, its custom values); call
    :meth:`IndexPlan.finish` once the rows are in, in the same transaction.

    On PostgreSQL, when the load at least doubles the first table, the secondary indexes
    of every table named (not the primary keys nor the unique ones: codes must clash
    during the load, not after it) are dropped now and built again at the end, and so
    are their foreign keys to :data:`CHECKED_AFTER_LOAD`: checked row by row, each cost
    a lookup and a row lock in the table pointed at (27 µs: a million-customer demo
    spent about 16 s on its groups and tags), where adding the key again checks every
    row in one join. The tables are analysed at the end when the write adds a tenth or
    more of their rows.
    All inside the caller's transaction: a load that fails leaves the indexes and keys as
    they were. Other registers wait for the transaction to end (dropping an index or a
    key locks its table and the one it points at; a new sale waits too, as it points at
    the customer table, even without a customer), which is why a load into a store that
    already holds as many customers keeps them. Elsewhere (SQLite) nothing is done.
    """
    plan = IndexPlan(tuple(tables), analyse=conn.dialect.name == "postgresql")
    if conn.dialect.name != "postgresql" or not tables:
        return plan
    lift_time_limits(conn)
    if rebuild_pays(conn, tables[0], incoming):
        for table in tables:
            plan.dropped.update(_secondary_indexes(conn, table))
            plan.foreign_keys.update(_foreign_keys(conn, table))
        for name in plan.dropped:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        for table, name in plan.foreign_keys:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    else:
        there = conn.exec_driver_sql(
            f"SELECT count(*) FROM (SELECT 1 FROM {tables[0]} LIMIT %(n)s) AS sample",
            {"n": int(incoming / ANALYZE_SHARE) + 1},
        ).scalar_one()
        plan.analyse = incoming >= int(there) * ANALYZE_SHARE
    return plan


@contextlib.contextmanager
def planned_indexes(conn: Connection, tables: Sequence[str], incoming: int) -> Iterator[None]:
    """:func:`plan_indexes` around a block that writes the rows."""
    plan = plan_indexes(conn, tables, incoming)
    yield
    plan.finish(conn)
