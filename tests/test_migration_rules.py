"""The one-transaction upgrade holds for revisions not written yet.

Each test copies the shipped migrations to a folder of its own and adds a revision the
way a future author might (a SQLite table rebuild, a forbidden COMMIT, rows orphaned by a
rebuild), then upgrades an old store with it: the rebuild keeps every row that points at
the rebuilt table, and a revision breaking the rules fails the whole upgrade, leaving
the store as it was. Two registers upgrading at once upgrade once.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from test_migration_kill import COUNTED, FIRST, fill_first_schema, fingerprint

import tillterm.store.migrations as migrations
from tillterm.store.engine import build_engine, open_db, upgrade
from tillterm.store.migrations import HEAD_REVISION, MigrationRuleBroken

REVISION = '''
"""{doc}"""
import sqlalchemy as sa
from alembic import op

revision = "0099_future"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''

REBUILD_SALE = """\
    # a change SQLite cannot ALTER: the table is copied, dropped and renamed
    with op.batch_alter_table("sale", recreate="always") as batch:
        batch.add_column(sa.Column("till_drawer", sa.Integer(), nullable=True))
"""
COMMITS = """\
    op.execute("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
    op.execute("COMMIT")
"""
ORPHANS = """\
    op.execute("DELETE FROM customer WHERE id IN (SELECT customer_id FROM sale)")
"""


@pytest.fixture
def old_store(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(tmp_path / "old.db")
    upgrade(engine, FIRST)
    with engine.begin() as conn:
        fill_first_schema(conn)
    yield engine
    engine.dispose()  # again if the test did: a failing test must not leave it open


def with_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """The shipped migrations plus one more, used by ``run_upgrade`` in this test."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__py*"))
    revision = REVISION.format(doc="a future revision", head=HEAD_REVISION, body=body)
    (folder / "versions" / "0099_future.py").write_text(revision)
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", folder)


def test_a_table_rebuild_keeps_every_row_that_points_at_it(
    old_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With foreign keys on, dropping ``sale`` would delete its lines and payments
    (ON DELETE CASCADE): the migration connection has them off, then checks them."""
    with old_store.connect() as conn:
        before = fingerprint(conn)
    with_revision(tmp_path, monkeypatch, REBUILD_SALE)
    upgrade(old_store)
    with old_store.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0099_future"
        )
        assert "till_drawer" in [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(sale)")]
        assert fingerprint(conn) == before
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # the app's own
    old_store.dispose()


@pytest.mark.parametrize(
    ("body", "message"),
    [(COMMITS, "ends or escapes the upgrade's transaction"), (ORPHANS, "pointing at missing")],
    ids=["commit", "orphans"],
)
def test_a_revision_breaking_the_rules_changes_nothing(
    old_store: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: str,
    message: str,
) -> None:
    with old_store.connect() as conn:
        before = fingerprint(conn)
        objects = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    with_revision(tmp_path, monkeypatch, body)
    with pytest.raises(MigrationRuleBroken, match=message):
        upgrade(old_store)
    with old_store.connect() as conn:  # not even 0002 and 0003, which ran first
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == FIRST
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == objects
        assert fingerprint(conn) == before
    old_store.dispose()


def test_two_registers_starting_on_an_old_store_upgrade_it_once(old_store: Engine) -> None:
    path = Path(str(old_store.url.database))
    with old_store.connect() as conn:
        before = fingerprint(conn)
    old_store.dispose()
    upgrades: list[str] = []
    errors: list[BaseException] = []
    go = threading.Barrier(2)

    def register() -> None:
        try:
            go.wait()
            open_db(path, on_upgrade=upgrades.append).dispose()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    conn.close()
    assert counts == before["counts"]


def test_switching_a_store_to_wal_waits_for_another_registers_write_lock(
    old_store: Engine,
) -> None:
    """What the test above meets about once in a hundred runs: the other register holds
    the write lock as this one switches the store from rollback mode to WAL, and SQLite
    says "database is locked" at once, without waiting (found in 7 ms)."""
    path = Path(str(old_store.url.database))
    old_store.dispose()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    assert holder.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, holder.rollback)
    release.start()
    started = time.monotonic()
    try:
        engine = open_db(path)
    finally:
        release.join()
        holder.close()
    waited = time.monotonic() - started
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            HEAD_REVISION
        )
    engine.dispose()
    assert waited >= 0.3  # it waited for the lock, not around it


def test_two_registers_on_postgresql_upgrade_it_once(pg_url: str) -> None:
    engine = build_engine(pg_url)
    upgrade(engine, FIRST)
    with engine.begin() as conn:
        fill_first_schema(conn)
    with engine.connect() as conn:
        before = fingerprint(conn)
    engine.dispose()
    errors: list[BaseException] = []
    go = threading.Barrier(2)

    def register() -> None:
        try:
            go.wait()
            open_db(pg_url).dispose()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = open_db(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (HEAD_REVISION,)
        ]
        assert fingerprint(conn) == before
    engine.dispose()
