"""The register while its database is upgraded: it says so, and takes no sale meanwhile.

The upgrade is held at its first step by another connection holding the write lock (as
another register's long write would), so the test sees the app in the middle of it
without any timing luck.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import wait_until
from screens_data import settle
from sqlalchemy import text
from textual.pilot import Pilot

from tillterm.store.engine import build_engine, upgrade
from tillterm.store.migrations import HEAD_REVISION, KNOWN_REVISIONS
from tillterm.store.target import DbTarget
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.upgrading import UpgradingScreen

BARCODE = "3000000000014"


def old_store(path: Path) -> Path:
    """A store at the first schema, with one product to scan."""
    engine = build_engine(path)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode = WAL")
    upgrade(engine, KNOWN_REVISIONS[0])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO product (sku, barcode, name, price_cents, active) "
                "VALUES ('BREAD', :code, 'Pain', 250, :yes)"
            ),
            {"code": BARCODE, "yes": True},
        )
    engine.dispose()
    return path


class WriteLock:
    """Another register in the middle of a write: the upgrade waits for it to end."""

    def __init__(self, path: Path) -> None:
        self.conn: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None


async def wait_for_box(app: TilltermApp, pilot: Pilot[int]) -> UpgradingScreen:
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, UpgradingScreen),
        lambda: f"the upgrade box; the app shows {app.screen!r}",
    )
    await pilot.pause()
    assert isinstance(app.screen, UpgradingScreen)
    return app.screen


def refused_line(box: UpgradingScreen) -> str:
    return str(box.query_one("#upgrading-refused").render())


def revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    conn.close()
    return str(found)


async def test_the_register_says_it_is_upgrading_and_takes_no_sale_meanwhile(
    tmp_path: Path,
) -> None:
    path = old_store(tmp_path / "till.db")
    lock = WriteLock(path)
    app = TilltermApp(DbTarget(str(path)), scanner=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            box = await wait_for_box(app, pilot)
            assert box.kind == "upgrade"
            assert str(box.query_one("#upgrading-title").render()) == "Upgrading the database…"
            await pilot.press(*BARCODE, "enter")  # a scanner typing into the terminal
            assert refused_line(box) == "Wait for the upgrade: that key was not taken."
            app.post_message(ScanReceived(BARCODE, "scanner"))
            await pilot.pause()
            assert refused_line(box) == (f"Wait for the upgrade: scan {BARCODE} was not taken.")
            await pilot.press("f3", "f1")  # no other screen over the box
            assert app.screen is box
            assert revision(path) == KNOWN_REVISIONS[0]

            lock.release()
            await wait_until(pilot, lambda: not app.workers, "the upgrade and settings to finish")
            await settle(pilot)
            assert app.startup_error is None
            screen = app.screen
            assert isinstance(screen, RegisterScreen)
            assert screen.sale is None or not screen.sale.lines  # nothing was half-taken
            assert revision(path) == HEAD_REVISION
            app.post_message(ScanReceived(BARCODE, "scanner"))  # now it sells
            await settle(pilot)
            assert screen.sale is not None and len(screen.sale.lines) == 1
    finally:
        lock.release()
        if app._engine is not None:
            app._engine.dispose()


async def test_quitting_during_the_upgrade_waits_for_it_to_finish(tmp_path: Path) -> None:
    path = old_store(tmp_path / "till.db")
    lock = WriteLock(path)
    app = TilltermApp(DbTarget(str(path)), scanner=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            box = await wait_for_box(app, pilot)
            await pilot.press("ctrl+q")
            assert app.is_running
            assert "close as soon as the upgrade is done" in refused_line(box)
            lock.release()
            await wait_until(
                pilot, lambda: not app.is_running, "the app to close after the upgrade"
            )
    finally:
        lock.release()
        if app._engine is not None:
            app._engine.dispose()
    assert app.return_code == 0 and app.startup_error is None
    assert revision(path) == HEAD_REVISION


def test_a_command_says_on_stderr_that_it_upgrades_the_database(tmp_path: Path) -> None:
    path = old_store(tmp_path / "till.db")
    command = [sys.executable, "-m", "tillterm", "--db", str(path), "export"]
    out = subprocess.run([*command, str(tmp_path / "out.csv")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [f"tillterm: upgrading the database {path}…"]
    assert revision(path) == HEAD_REVISION
    again = subprocess.run([*command, str(tmp_path / "again.csv")], capture_output=True, text=True)
    assert again.returncode == 0 and again.stderr == ""  # at head: nothing to say
