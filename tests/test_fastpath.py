"""The fast path (``tillterm.store.fastpath``): driver reads told like every other read.

Search and the profile reads talk to SQLite's driver directly; a locked or damaged
database must still come out as the readable :class:`DatabaseBusy` / :class:`DatabaseError`
that ``session_scope`` gives, never as a raw ``sqlite3.OperationalError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import needs_pg, wait_until_blocking
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tillterm.core.errors import DatabaseBusy, DatabaseError
from tillterm.customers import find_by_code, search_customers
from tillterm.customers.profiles import create_customer, get_customer
from tillterm.store import fastpath
from tillterm.store.engine import session_scope
from tillterm.store.models import Percent


@pytest.fixture
def other(db_path: Path, engine: Engine) -> Iterator[sqlite3.Connection]:
    """Another register's connection, on a store in rollback-journal mode.

    In WAL mode a writer never blocks a reader; with a rollback journal, a connection
    holding ``BEGIN EXCLUSIVE`` blocks reads too, which is how a read meets a lock.
    """
    with session_scope(engine) as s:
        create_customer(s, {"first_name": "Marie", "customer_code": "CARD-1"})
    engine.dispose()
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("PRAGMA journal_mode = DELETE")
    yield other
    other.close()


@pytest.mark.parametrize(
    "read",
    [
        lambda s: search_customers(s, "marie"),
        lambda s: search_customers(s, ""),
        lambda s: find_by_code(s, "card-1"),
        lambda s: get_customer(s, 1),
    ],
    ids=["search", "list", "code", "profile"],
)
def test_a_locked_database_is_told_not_raised_raw(
    engine: Engine, other: sqlite3.Connection, read: Callable[[Session], object]
) -> None:
    with pytest.raises(DatabaseBusy) as caught, session_scope(engine) as s:
        # the session's connection is open (a lock would stop its set-up, not the
        # read); it gives up on a lock at once (the engine waits five seconds)
        s.connection().exec_driver_sql("PRAGMA busy_timeout = 20")
        other.execute("BEGIN EXCLUSIVE")
        read(s)
    other.execute("ROLLBACK")
    assert str(caught.value) == "another register is holding the database; try again in a moment"
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    with session_scope(engine) as s:  # the lock gone, the same read answers
        assert read(s)


def test_a_broken_statement_is_a_database_error(engine: Engine) -> None:
    with pytest.raises(DatabaseError) as caught, session_scope(engine) as s:
        fastpath.fetch_all(s, "SELECT missing_column FROM no_such_table")
    assert not isinstance(caught.value, DatabaseBusy)
    assert "no such table" in str(caught.value)


def test_same_rows_through_the_driver_and_through_sqlalchemy(any_engine: Engine) -> None:
    """Lists spelt out, typed values encoded by their column type, on both engines."""
    with session_scope(any_engine) as s:
        for name in ("Ann", "Bob", "Cy"):
            create_customer(s, {"first_name": name, "discount_percent": "12.5"})
    with session_scope(any_engine) as s:
        rows = fastpath.fetch_all(
            s,
            "SELECT first_name FROM customer WHERE id IN :ids AND discount_percent = :d "
            "ORDER BY id",
            {"ids": [1, 3], "d": fastpath.Typed(Decimal("12.5"), Percent())},
        )
        assert [tuple(r) for r in rows] == [("Ann",), ("Cy",)]
        assert fastpath.fetch_all(s, "SELECT id FROM customer WHERE id IN :ids", {"ids": []}) == []
        assert fastpath.fetch_one(s, "SELECT id FROM customer WHERE id = :i", {"i": 9}) is None
        readers = fastpath.decoders(s, [Percent(), None])
        row = fastpath.fetch_one(s, "SELECT discount_percent, id FROM customer WHERE id = 2")
        assert row is not None
        assert fastpath.decode(row, readers) == [Decimal("12.5"), 2]


def test_a_search_that_opens_its_transaction_ends_it_and_the_session_carries_on(
    any_engine: Engine,
) -> None:
    """On PostgreSQL a search alone in its transaction commits in its own round trip:
    what the session does after it is a transaction of its own, kept or undone whole."""
    with session_scope(any_engine) as s:
        create_customer(s, {"first_name": "Marie"})
    with session_scope(any_engine) as s:
        assert [c.first_name for c in search_customers(s, "mar")] == ["Marie"]
        create_customer(s, {"first_name": "Martin"})
        assert [c.first_name for c in search_customers(s, "mar")] == ["Marie", "Martin"]
        s.rollback()
        assert [c.first_name for c in search_customers(s, "mar")] == ["Marie"]
    with pytest.raises(RuntimeError), session_scope(any_engine) as s:
        create_customer(s, {"first_name": "Marion"})
        # a search inside a transaction that wrote leaves it open: the write is undone
        assert len(search_customers(s, "mar")) == 2
        raise RuntimeError("the cashier cancels")
    with session_scope(any_engine) as s:
        assert [c.first_name for c in search_customers(s, "mar")] == ["Marie"]


@needs_pg
def test_a_pooled_connection_the_server_dropped_is_replaced_unseen(pg_engine: Engine) -> None:
    """No ping before each checkout: a connection whose server process ended (a restart,
    an administrator) has its goodbye on its socket, and is replaced before use."""
    with session_scope(pg_engine) as s:
        create_customer(s, {"first_name": "Marie"})
        pid = s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with session_scope(pg_engine) as s:  # the pooled connection again, with no ping
        assert s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == pid
    admin = create_engine(pg_engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()
            gone = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"
            wait_until_blocking(
                lambda: conn.exec_driver_sql(gone).scalar_one() == 0, "the backend gone"
            )
    finally:
        admin.dispose()
    with session_scope(pg_engine) as s:
        assert [c.first_name for c in search_customers(s, "mar")] == ["Marie"]
        assert s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid


@needs_pg
def test_the_search_connections_go_with_their_engine(pg_engine: Engine) -> None:
    """Disposing of an engine closes the connections kept for its searches too: a store
    moved or a test's schema dropped finds none of them left."""
    from tillterm.store.driver import psycopg_driver
    from tillterm.store.engine import generic_plan_engine

    engine = pg_engine
    planned = generic_plan_engine(engine)
    assert planned is not None
    with session_scope(engine) as s:
        assert search_customers(s, "dub") == []
    pooled = planned.raw_connection()
    pid = psycopg_driver(pooled).info.backend_pid
    pooled.close()
    engine.dispose()
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            gone = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"
            wait_until_blocking(
                lambda: conn.exec_driver_sql(gone).scalar_one() == 0, "the backend gone"
            )
    finally:
        admin.dispose()
