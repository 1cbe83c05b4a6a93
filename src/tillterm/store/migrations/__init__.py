"""The schema's history, as Alembic migrations shipped inside the package.

Revision ids are the file names in ``versions/`` (``0001_initial``...), numbered so the
head is the highest. That lets ``open_db`` tell "at head", "older" and "newer than this
tillterm" from a directory listing, without importing Alembic on every start.

An upgrade is all or nothing
----------------------------
Every pending revision runs in **one** database transaction, committed once at the end
(:func:`run_upgrade`). A register killed, hung up or powered off at any moment of an
upgrade leaves the database on the schema it had before or on the new one, never in
between. On SQLite that takes a dedicated connection: Python's ``sqlite3`` in its
default mode opens a transaction only before INSERT/UPDATE/DELETE and Alembic's SQLite
dialect is not transactional, so each CREATE used to commit on its own and a store
interrupted half-way could never open again ("index ... already exists"). The migration
connection turns the driver's own transaction handling off and says ``BEGIN IMMEDIATE``
itself (taking the write lock: other registers wait, then see the new schema); foreign
keys are off on it, since a batch rebuild drops and recreates a table, and checked with
``PRAGMA foreign_key_check`` before the commit. PostgreSQL's DDL is transactional; the
upgrade holds an advisory lock so two registers starting together upgrade once.

Rules for whoever writes a migration (``0004_...`` and later)
-------------------------------------------------------------
- Never commit, and nothing that cannot run inside a transaction: no ``COMMIT``,
  ``BEGIN``, ``VACUUM``, ``op.get_context().autocommit_block()``, ``CREATE INDEX
  CONCURRENTLY``; no ``PRAGMA foreign_keys`` / ``journal_mode`` (silently ignored inside
  a transaction on SQLite). Each of these fails the upgrade, which then changes nothing.
- Write data with SQL in the migration (``op.execute``), never through the app's
  engine, sessions or models: anything outside ``op.get_bind()`` is outside the
  transaction (and, on SQLite, fails on the write lock the upgrade holds).
- SQLite table rebuilds (``batch_alter_table`` with a change SQLite cannot ALTER) are
  fine inside the transaction, but a rebuilt table loses its triggers: rebuilding
  ``customer`` or ``custom_field_value`` must recreate the ``search_*`` triggers of
  ``0002_search_index`` (and, for ``customer``, the expression indexes
  ``search_customer_email*_start`` of ``0017_ranking_phones``, which reflection skips).
  Foreign keys are off during the upgrade (on SQLite), so a
  DELETE in a migration does not cascade: delete or update the dependent rows yourself.
  They are checked at the end: rows left orphaned make the whole upgrade fail and roll
  back, with nothing changed.
- Keep revision ids ``NNNN_name``, one after another (the history stays linear).
- ``tests/test_migration_kill.py`` kills an upgrade at every statement; it covers a new
  revision without being edited.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
KNOWN_REVISIONS: tuple[str, ...] = tuple(
    sorted(p.stem for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
)
HEAD_REVISION: str = KNOWN_REVISIONS[-1] if KNOWN_REVISIONS else ""
#: what a tillterm revision id looks like (another application's Alembic ids do not)
REVISION_PATTERN = re.compile(r"^[0-9]{4}_[a-z0-9_]+$")

#: how long an upgrade waits for another register's write (or upgrade) to finish
MIGRATION_LOCK_WAIT_S = 600
#: PostgreSQL advisory lock key: one upgrade at a time per schema
_PG_LOCK = "SELECT pg_advisory_xact_lock(hashtext('tillterm-migrate:' || current_schema()))"
#: statements that would end the upgrade's transaction, or be ignored inside it
_FORBIDDEN = re.compile(
    r"^\s*(COMMIT|END|BEGIN|ROLLBACK(?!\s+TO\b)|VACUUM"
    r"|PRAGMA\s+(\w+\.)?(foreign_keys|journal_mode)\s*=)|\bCONCURRENTLY\b",
    re.IGNORECASE,
)


class MigrationRuleBroken(RuntimeError):
    """A revision did something that cannot run inside the upgrade's one transaction."""


#: database objects that are not SQLAlchemy tables (the search index: FTS5 tables and
#: their shadow tables on SQLite, expression indexes on PostgreSQL) are named like this
UNMODELLED_PREFIX = "search_"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic hook: leave the search index out of models-vs-database comparisons."""
    return not (reflected and compare_to is None and (name or "").startswith(UNMODELLED_PREFIX))


def alembic_config(engine: Engine, connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the shipped scripts and bound to ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    cfg.attributes["connection"] = connection
    return cfg


def migration_engine(engine: Engine) -> Engine:
    """The engine an upgrade runs on: SQLite gets a dedicated one, in real transactions.

    Its connections leave transactions to us (``isolation_level = None``: the driver
    neither begins nor commits by itself, so no DDL statement commits on its own), begin
    with ``BEGIN IMMEDIATE``, have foreign keys off (``PRAGMA foreign_keys`` is a no-op
    once a transaction is open, so it is set on connecting) and wait for another
    register's write lock for as long as an upgrade may take.
    """
    if engine.dialect.name != "sqlite":
        return engine
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    wait_ms = MIGRATION_LOCK_WAIT_S * 1000
    dedicated = create_engine(
        engine.url, poolclass=NullPool, connect_args={"timeout": MIGRATION_LOCK_WAIT_S}
    )

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {wait_ms}")
        cur.execute("PRAGMA foreign_keys = OFF")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(dedicated, "connect", on_connect)
    event.listen(dedicated, "begin", on_begin)
    return dedicated


def _refuse_non_transactional(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if _FORBIDDEN.search(statement):
        raise MigrationRuleBroken(
            "A migration tried to run a statement that ends or escapes the upgrade's "
            f"transaction: {statement.strip().splitlines()[0][:80]}"
        )


def run_upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    check: Callable[[Connection], bool] | None = None,
) -> None:
    """Upgrade the database to ``revision``: every pending step in one transaction.

    ``check`` runs first inside that transaction, once the lock is held, and sees the
    database as the upgrade will: it raises to refuse the database, or returns False
    when there is nothing left to do (another register upgraded it meanwhile).
    """
    from alembic import command
    from sqlalchemy import event

    runner = migration_engine(engine)
    try:
        with runner.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(_PG_LOCK)
            if check is not None and not check(conn):
                return
            event.listen(conn, "before_cursor_execute", _refuse_non_transactional)
            command.upgrade(alembic_config(runner, conn), revision)
            _check_before_commit(conn)
    finally:
        if runner is not engine:
            runner.dispose()


def _check_before_commit(conn: Connection) -> None:
    """Refuse to commit an upgrade that lost its transaction or broke a foreign key."""
    from tillterm.store.driver import sqlite_driver

    if conn.dialect.name != "sqlite":
        return
    if not sqlite_driver(conn).in_transaction:
        raise MigrationRuleBroken("A migration ended the upgrade's transaction early.")
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise MigrationRuleBroken(
            f"The upgrade would leave rows of {broken[0]} pointing at missing {broken[2]} rows."
        )
