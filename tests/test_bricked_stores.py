"""Stores an older tillterm left half-migrated open again, with every row.

Before upgrades ran in one transaction, each DDL statement of a migration committed on
its own on SQLite: a store interrupted mid-upgrade kept part of the next schema and
every later start failed ("index ... already exists"). These tests rebuild those
states the way the old code left them — the statements of the interrupted step replayed
one by one in autocommit, stopped after each of them — and open the store normally.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from test_migration_kill import (
    FIRST,
    check_opens_with_everything,
    head_objects,  # noqa: F401  (a fixture)
    objects_at,
    old_store,  # noqa: F401  (a fixture)
)

from tillterm.store.engine import build_engine, upgrade
from tillterm.store.migrations import MIGRATIONS_DIR


def revision_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS_DIR / "versions" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def statements_of_0002() -> list[str]:
    """0002's SQLite statements, in the order its ``upgrade()`` runs them."""
    m = revision_module("0002_search_index")
    index = "CREATE INDEX ix_customer_archived_at ON customer (archived_at)"
    return [index, *m.SQLITE_TABLES, *m.SQLITE_SETTINGS, *m.SQLITE_TRIGGERS, *m.SQLITE_FILL]


def replay(path: Path, statements: list[str]) -> None:
    """Each statement committed on its own, as the old upgrade did."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def test_a_store_left_between_0001_and_0002_opens_again(
    old_store: tuple[Path, dict[str, object]],  # noqa: F811
    tmp_path: Path,
) -> None:
    template, before = old_store
    statements = statements_of_0002()
    for stopped_after in range(1, len(statements) + 1):
        path = tmp_path / f"{stopped_after}.db"
        shutil.copyfile(template, path)
        replay(path, statements[:stopped_after])
        assert objects_at(path) > objects_at(template)  # half-migrated, still "0001"
        check_opens_with_everything(path, before)


def first_schema_ddl(tmp_path: Path) -> list[str]:
    """The CREATE statements of a first creation up to ``0001_initial``, in order."""
    seen: list[str] = []
    engine = build_engine(tmp_path / "scratch.db")

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("CREATE"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)  # the upgrade's own engine too
    try:
        upgrade(engine, FIRST)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    engine.dispose()
    assert seen[0].lstrip().upper().startswith("CREATE TABLE ALEMBIC_VERSION")
    return seen


def test_a_new_database_whose_creation_was_interrupted_is_made_again(
    tmp_path: Path,
    head_objects: int,  # noqa: F811
) -> None:
    statements = first_schema_ddl(tmp_path)
    for stopped_after in range(1, len(statements) + 1):
        path = tmp_path / f"{stopped_after}.db"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
        replay(path, statements[:stopped_after])
        check_opens_with_everything(path, None)
        assert objects_at(path) == head_objects


def test_a_half_made_database_holding_rows_is_not_taken_for_one(tmp_path: Path) -> None:
    """Rows in it mean someone used it: refused, not cleared."""
    from tillterm.core.errors import DatabaseError
    from tillterm.store.engine import open_db

    statements = first_schema_ddl(tmp_path)
    path = tmp_path / "used.db"
    replay(path, statements[:3])
    table = statements[1].split()[2].strip('"')
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('1' * len(columns))})"
        )
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not a tillterm database"):
        open_db(path)
    assert path.read_bytes() == before
