"""open_db: a ready engine on SQLite and PostgreSQL, or one clear error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import PG_ENV, PG_URL
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import select

from tillterm.catalog.settings import load_settings, update_settings
from tillterm.core.errors import DatabaseError, DatabaseTooNew
from tillterm.store.engine import (
    DatabaseUnreachable,
    explain,
    is_unreachable,
    open_db,
    session_scope,
)
from tillterm.store.migrations import HEAD_REVISION
from tillterm.store.models import Customer, CustomerGroup


def test_sqlite_file_is_private_wal_with_foreign_keys(db_path: Path) -> None:
    engine = open_db(db_path)
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        )
    engine.dispose()


def test_schema_covers_the_whole_store(any_engine: Engine) -> None:
    tables = set(inspect(any_engine).get_table_names())
    assert {
        "customer",
        "customer_group",
        "tax_rate",
        "tag",
        "customer_tag",
        "custom_field",
        "custom_field_value",
        "product",
        "sale",
        "sale_line",
        "payment",
        "loyalty_entry",
        "account_entry",
        "store_settings",
    } <= tables


def test_reopening_keeps_data(db_path: Path) -> None:
    engine = open_db(db_path)
    with session_scope(engine) as s:
        s.add(Customer(customer_code="A1", code_key="a1", first_name="Léa"))
    engine.dispose()
    engine = open_db(db_path)
    with session_scope(engine) as s:
        assert s.exec(select(Customer)).one().first_name == "Léa"
    engine.dispose()


def test_group_delete_leaves_customers_groupless(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        group = CustomerGroup(name="VIP", name_key="vip")
        s.add(group)
        s.flush()
        s.add(Customer(customer_code="B2", code_key="b2", group_id=group.id))
    with session_scope(any_engine) as s:
        s.delete(s.exec(select(CustomerGroup)).one())
    with session_scope(any_engine) as s:
        assert s.exec(select(Customer)).one().group_id is None


def test_settings_round_trip_and_money_is_exact(any_engine: Engine) -> None:
    from decimal import Decimal

    with session_scope(any_engine) as s:
        assert load_settings(s).currency == "EUR"
        info = update_settings(s, name="Chez Zoé", loyalty_points_per_unit=Decimal("0.125"))
    assert info.name == "Chez Zoé"
    with session_scope(any_engine) as s:
        assert load_settings(s).loyalty_points_per_unit == Decimal("0.125")


def test_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "till.db"
    with pytest.raises(DatabaseError, match="does not exist"):
        open_db(target)
    assert not target.parent.exists()


def test_default_location_creates_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "data" / "till.db"
    open_db(target, create_dirs=True).dispose()
    assert target.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files")
def test_read_only_file_is_refused(db_path: Path) -> None:
    open_db(db_path).dispose()
    db_path.chmod(0o400)
    with pytest.raises(DatabaseError, match="read-only"):
        open_db(db_path)


def test_read_only_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "till.db"
    open_db(db).dispose()
    real_access = os.access

    def no_write(path: object, mode: int) -> bool:  # root ignores modes; simulate a clerk
        if mode == os.W_OK and str(path).startswith(str(tmp_path)):
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", no_write)
    with pytest.raises(DatabaseError, match="read-only"):
        open_db(db)


def test_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "notes.db"
    target.write_bytes(b"PK\x03\x04 this is a zip file")
    with pytest.raises(DatabaseError, match="not a tillterm database"):
        open_db(target)
    assert target.read_bytes() == b"PK\x03\x04 this is a zip file"


def test_database_from_a_newer_tillterm_is_refused(db_path: Path) -> None:
    engine = open_db(db_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(DatabaseTooNew, match="newer tillterm"):
        open_db(db_path)


def test_unreachable_server_is_one_clear_error() -> None:
    with pytest.raises(DatabaseError, match=r"cannot be reached|Cannot open"):
        open_db("postgresql+psycopg://nobody@127.0.0.1:1/none")


@pytest.mark.parametrize(
    ("said", "told"),
    [
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            'FATAL:  database "shop" does not exist',
            "the database server has no database shop (check the name in TILLTERM_DB or --db)",
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            'FATAL:  password authentication failed for user "till"',
            "the database server refused the password of user till",
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            'FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "till", database '
            '"shop", no encryption',
            "the database server does not let 10.0.0.9 connect (its pg_hba.conf)",
        ),
    ],
)
def test_a_server_that_turns_the_connection_away_says_why_and_is_not_retried(
    said: str, told: str
) -> None:
    """libpq's words (no SQLSTATE, after "connection failed"): the server answered, so
    the register must not say "unreachable" and retry a name that is wrong for ever."""
    import psycopg

    error = psycopg.OperationalError(said)
    assert explain(error) == told
    assert not is_unreachable(error)


def test_a_missing_database_or_user_on_the_real_server_is_named() -> None:
    """On the PostgreSQL the tests use: a database and a user that are not there."""
    if not PG_URL:
        pytest.skip(f"set {PG_ENV} to a PostgreSQL URL to run the PostgreSQL tests")
    server = make_url(PG_URL)
    missing_db = server.set(database="tillterm_no_such_db").render_as_string(False)
    with pytest.raises(DatabaseError, match="has no database tillterm_no_such_db") as refused:
        open_db(missing_db)
    assert not isinstance(refused.value, DatabaseUnreachable)
    missing_user = server.set(username="tillterm_no_such_user").render_as_string(False)
    with pytest.raises(DatabaseError, match="has no user tillterm_no_such_user") as refused:
        open_db(missing_user)
    assert not isinstance(refused.value, DatabaseUnreachable)


def test_in_memory_database_is_refused() -> None:
    with pytest.raises(DatabaseError, match="in-memory"):
        open_db("sqlite://")
