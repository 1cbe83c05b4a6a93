"""Only tillterm databases are touched: anything else is refused exactly as it was found.

A non-empty database that is not tillterm's, or one a newer tillterm upgraded, is read
and refused before anything is written: same bytes, same journal mode, no ``-wal`` file
left behind; on PostgreSQL the schema keeps its tables and gets none of tillterm's.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_until
from sqlalchemy import create_engine, text

from tillterm.core.errors import DatabaseError, DatabaseTooNew
from tillterm.store.engine import open_db
from tillterm.store.migrations import HEAD_REVISION
from tillterm.store.target import DbTarget


def sqlite_file(path: Path, *statements: str, journal: str = "delete") -> Path:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return path


def fingerprint(path: Path) -> tuple[str, str, list[str]]:
    """The file's checksum, its journal mode (from the header) and what lies beside it."""
    data = path.read_bytes()
    # header bytes 18-19: 1/1 = rollback journal, 2/2 = WAL
    mode = "wal" if data[18:20] == b"\x02\x02" else "rollback"
    beside = sorted(p.name for p in path.parent.iterdir() if p.name != path.name)
    return hashlib.sha256(data).hexdigest(), mode, beside


NOTES = (
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
    "INSERT INTO notes (body) VALUES ('buy milk'), ('call Léa')",
)
CUSTOMER = (  # a clash with one of tillterm's table names
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)",
    "INSERT INTO customer (name) VALUES ('Zoé')",
)


@pytest.mark.parametrize(
    ("statements", "journal", "named"),
    [(NOTES, "delete", "notes"), (CUSTOMER, "delete", "customer"), (NOTES, "wal", "notes")],
    ids=["notes", "customer-table", "notes-in-wal"],
)
def test_a_database_of_something_else_is_refused_untouched(
    tmp_path: Path, statements: tuple[str, ...], journal: str, named: str
) -> None:
    path = sqlite_file(tmp_path / "other.db", *statements, journal=journal)
    before = fingerprint(path)
    with pytest.raises(DatabaseError, match=f"not a tillterm database .*{named}") as caught:
        open_db(path)
    assert "\n" not in str(caught.value)
    assert fingerprint(path) == before
    assert before[2] == []  # no -wal, no -shm left beside it


def test_a_newer_tillterm_database_is_refused_before_the_switch_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    open_db(path).dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = delete")  # as a newer tillterm might leave it
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.commit()
    conn.close()
    before = fingerprint(path)
    assert before[1] == "rollback"
    with pytest.raises(DatabaseTooNew, match="newer tillterm"):
        open_db(path)
    assert fingerprint(path) == before


def test_another_applications_alembic_database_is_not_taken_for_a_newer_tillterm(
    tmp_path: Path,
) -> None:
    path = sqlite_file(
        tmp_path / "shop.db",
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        "INSERT INTO alembic_version VALUES ('ae1027a6acf')",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY)",
    )
    before = fingerprint(path)
    with pytest.raises(DatabaseError, match="not a tillterm database") as caught:
        open_db(path)
    assert not isinstance(caught.value, DatabaseTooNew)
    assert fingerprint(path) == before


def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    open_db(path).dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            HEAD_REVISION,
        )
    conn.close()


def test_cli_refuses_another_database_with_one_line(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path / "notes.db", *NOTES)
    before = fingerprint(path)
    for args in (["demo"], ["export", str(tmp_path / "out.csv")]):
        out = subprocess.run(
            [sys.executable, "-m", "tillterm", "--db", str(path), *args],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 1, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, out.stderr
        assert lines[0].startswith(f"tillterm: Cannot open database {path}: it is not a")
        assert "tillterm changed nothing" in lines[0]
        assert fingerprint(path) == before


async def test_the_register_refuses_another_database_and_says_why(tmp_path: Path) -> None:
    from tillterm.ui.app import TilltermApp

    path = sqlite_file(tmp_path / "notes.db", *NOTES)
    before = fingerprint(path)
    app = TilltermApp(DbTarget(str(path)), scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        # the opening runs behind the first frame
        await wait_until(pilot, lambda: app.startup_error is not None, "the opening to fail")
        await pilot.pause()
    assert app.return_code == 1
    assert app.startup_error is not None and "not a tillterm database" in app.startup_error
    assert fingerprint(path) == before


# ----------------------------------------------------------------- PostgreSQL


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = conn.execute(
            text(
                "SELECT tablename FROM pg_catalog.pg_tables "
                "WHERE schemaname = current_schema() ORDER BY 1"
            )
        ).scalars()
        found = list(names)
    engine.dispose()
    return found


def test_postgresql_schema_of_something_else_is_refused_untouched(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id serial PRIMARY KEY, body text)"))
        conn.execute(text("INSERT INTO notes (body) VALUES ('buy milk')"))
    engine.dispose()
    with pytest.raises(DatabaseError, match=r"not a tillterm database .*notes"):
        open_db(pg_url)
    assert _tables(pg_url) == ["notes"]


def test_postgresql_newer_tillterm_is_refused(pg_url: str) -> None:
    open_db(pg_url).dispose()
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    with pytest.raises(DatabaseTooNew, match="newer tillterm"):
        open_db(pg_url)


def test_postgresql_empty_schema_gets_the_tables(pg_url: str) -> None:
    assert _tables(pg_url) == []
    open_db(pg_url).dispose()
    assert "customer" in _tables(pg_url)
