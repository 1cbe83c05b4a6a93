"""A bulk write on PostgreSQL is not cut short by a register's time limits.

A register's connections carry a backstop: the server's ``statement_timeout`` and the
client's own bound on each wait (store/deadline.py). One statement of a bulk load (a
COPY of a million rows, an index built over them) may run longer on a loaded server,
and cancelling it rolls the whole load back. The demo, the import and migrate-store lift
both for their transaction; the connection gets its limits back afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tillterm.store.engine import open_db
from tillterm.store.staging import lift_time_limits, plan_indexes


def test_a_bulk_transaction_outlasts_the_statement_timeout_and_the_limits_come_back(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLTERM_PG_STATEMENT_TIMEOUT", "0.3")
    engine = open_db(pg_url)
    try:
        with engine.connect() as conn, pytest.raises(OperationalError):
            conn.execute(text("SELECT pg_sleep(0.6)"))  # a register's statement: cut
        with engine.begin() as conn:
            lift_time_limits(conn)
            dbapi = conn.connection.dbapi_connection
            assert getattr(dbapi, "fallback", "absent") is None
            conn.execute(text("SELECT pg_sleep(0.6)"))  # the bulk write's: runs
        assert dbapi.fallback == dbapi.usual_fallback is not None  # back in the pool
        with engine.connect() as conn, pytest.raises(OperationalError):
            conn.execute(text("SELECT pg_sleep(0.6)"))  # the limit is back
    finally:
        engine.dispose()


def test_an_import_plan_lifts_the_limits_for_its_transaction(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLTERM_PG_STATEMENT_TIMEOUT", "0.3")
    engine = open_db(pg_url)
    try:
        with engine.begin() as conn:
            plan_indexes(conn, ("customer",), 10)
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "300ms"
    finally:
        engine.dispose()
