"""The app's own jobs (open the database, read the settings) and the scanner bridge, when
they fail: never silently, never as a traceback, and the register stays usable.

An unexpected exception is injected into each (a service monkeypatched to raise
``RuntimeError``); the cashier gets one line "Unexpected error while …", the traceback
goes to the log file, and the register still takes a key and a scan. A database that
cannot be opened stays what it always was: the app ends and the CLI prints why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sqlalchemy.engine import Engine
from textual.app import App
from textual.pilot import Pilot

from tillterm import cli
from tillterm.core.errors import DatabaseBusy
from tillterm.demo.seeding import seed_demo
from tillterm.services import opening
from tillterm.services.opening import DbTarget
from tillterm.services.settings import StoreSettings
from tillterm.store.engine import open_db
from tillterm.ui import scanner_bridge
from tillterm.ui.app import OPENING_DATABASE, TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.register import RegisterScreen

BARCODE = "3000000000014"  # the demo store's first product


def _said(app: TilltermApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def _register_still_works(app: TilltermApp, pilot: Pilot[int]) -> None:
    """A scan rings up a line, and a key changes screen."""
    await wait_until(pilot, lambda: isinstance(app.screen, RegisterScreen), "the register")
    register = app.screen
    assert isinstance(register, RegisterScreen)
    app.post_message(ScanReceived(BARCODE, "scanner"))
    await wait_until(
        pilot,
        lambda: register.sale is not None and len(register.sale.lines) == 1,
        lambda: f"the scan to ring up a line (status: {register.sale})",
    )
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomersScreen), "F3: the customers")


def _logged(log: Path, what: str, error: str) -> str:
    text = log.read_text()
    assert f" {what}\n" in text
    assert "Traceback" in text and error in text
    assert log.stat().st_mode & 0o777 == 0o600
    return text


async def test_settings_failing_unexpectedly_are_told_logged_and_the_register_works(
    engine: Engine, drive: Drive, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(engine, customers=5, products=5)

    def broken(self: StoreSettings) -> object:
        raise RuntimeError("settings exploded")

    monkeypatch.setattr(StoreSettings, "load", broken)
    async with drive(notifications=True) as (app, pilot):
        await wait_until(pilot, lambda: _said(app), "the notification")
        said = _said(app)
        assert len(said) == 1
        assert said[0].startswith(
            "Unexpected error while loading the store's settings: settings exploded"
        )
        assert str(_failure_log) in said[0]
        assert app.title == "tillterm"  # the header keeps its name, nothing else changes
        await _register_still_works(app, pilot)
        assert len(_said(app)) == 1
    _logged(_failure_log, "loading the store's settings", "RuntimeError: settings exploded")


async def test_settings_the_database_refuses_are_said_in_its_words(
    engine: Engine, drive: Drive, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(engine, customers=5, products=5)

    def busy(self: StoreSettings) -> object:
        raise DatabaseBusy("another register is holding the database; try again in a moment")

    monkeypatch.setattr(StoreSettings, "load", busy)
    async with drive(notifications=True) as (app, pilot):
        await wait_until(pilot, lambda: _said(app), "the notification")
        assert _said(app) == [
            "The store's settings could not be read: another register is holding the "
            "database; try again in a moment"
        ]
        await _register_still_works(app, pilot)
    assert not _failure_log.exists()  # expected: said, not logged as a bug


async def test_settings_load_through_the_service(engine: Engine, drive: Drive) -> None:
    seed_demo(engine, customers=5, products=5)
    async with drive() as (app, pilot):
        await wait_until(pilot, lambda: app.settings is not None, "the settings")
        assert app.settings is not None and app.settings.name == "Épicerie Dubois & Fils"
        assert app.title == app.settings.name
        assert app.settings == app.services.store_settings.load()


async def test_the_opening_job_failing_unexpectedly_ends_the_app_with_its_reason(
    db_path: Path, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not even the service's own translation ran: still one line, logged, exit 1, and no
    job waiting for the engine hangs."""

    def broken(target: DbTarget, on_upgrade: object = None) -> object:
        raise RuntimeError("the opener itself broke")

    monkeypatch.setattr(opening, "open_database", broken)
    app = TilltermApp(DbTarget(str(db_path)), scanner=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None, "the app to end")
    assert app.return_code == 1
    assert app.startup_error == f"Cannot open database {db_path}: the opener itself broke"
    assert app._engine_ready.is_set()
    _logged(_failure_log, "opening the database", "RuntimeError: the opener itself broke")


def _run_headless(monkeypatch: pytest.MonkeyPatch) -> None:
    """``app.run()`` without a terminal, and without the real scanner."""

    def run(self: TilltermApp) -> None:
        self.use_scanner = False
        App.run(self, headless=True, size=(80, 24))

    monkeypatch.setattr(TilltermApp, "run", run)


def test_a_driver_failing_to_open_is_printed_by_the_cli(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As before the services: the reason on stderr in one line, exit status 1."""
    engine = open_db(db_path)
    engine.dispose()

    def broken(target: DbTarget, on_upgrade: object = None) -> object:
        raise RuntimeError("driver exploded")

    monkeypatch.setattr("tillterm.store.engine.open_target", broken)
    _run_headless(monkeypatch)
    assert cli.main(["--db", str(db_path), "--register", "till-9"]) == 1
    err = capsys.readouterr().err
    assert err == f"tillterm: Cannot open database {db_path}: driver exploded\n"


def test_a_store_that_opens_runs_until_quit_through_the_cli(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same path, working: the CLI's register opens its store, then quits cleanly."""
    engine = open_db(db_path)
    seed_demo(engine, customers=5, products=5)
    engine.dispose()
    titles: list[str] = []

    def run(self: TilltermApp) -> None:
        self.use_scanner = False

        async def quit_when_named(pilot: Pilot[int]) -> None:
            opening = ("tillterm", OPENING_DATABASE)  # the header while the store opens
            await wait_until(pilot, lambda: self.title not in opening, "the store's name")
            titles.append(self.title)
            assert self.sub_title == f"till-9 · {db_path}"
            await pilot.press("ctrl+q")

        App.run(self, headless=True, size=(80, 24), auto_pilot=quit_when_named)
        self.engine.dispose()

    monkeypatch.setattr(TilltermApp, "run", run)
    assert cli.main(["--db", str(db_path), "--register", "till-9"]) == 0
    assert titles == ["Épicerie Dubois & Fils"]
    assert capsys.readouterr().err == ""


class StartFails:
    """A scanner listener that cannot even start (a bug, not a missing scanner)."""

    def start(self) -> bool:
        raise RuntimeError("listener start blew up")

    def stop(self, timeout: float = 2.0) -> None:
        raise AssertionError("a listener that never started is not stopped")


async def test_the_scanner_reader_failing_to_start_is_told_logged_and_the_register_works(
    engine: Engine, drive: Drive, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(engine, customers=5, products=5)
    monkeypatch.setattr(scanner_bridge, "make_listener", lambda on_code, on_notice: StartFails())
    async with drive(scanner=True, notifications=True) as (app, pilot):
        await wait_until(pilot, lambda: _said(app), "the notification")
        said = _said(app)
        assert len(said) == 1
        assert said[0].startswith(
            "Unexpected error while starting the barcode scanner reader: listener start blew up"
        )
        assert app.scanner_bridge is not None and app.scanner_bridge.listener is None
        await _register_still_works(app, pilot)
    _logged(
        _failure_log,
        "starting the barcode scanner reader",
        "RuntimeError: listener start blew up",
    )
