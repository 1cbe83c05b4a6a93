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
