"""Import and export never fail silently: an unexpected exception in each kind of job of
the Import screen (check, import, annotated copy) is one line for the cashier, a
traceback in the log file, and a screen that works again; in the commands it is one line
on stderr and a non-zero exit, never a traceback.

Path completion is no job (it lists one folder on the UI thread), so it has no case here.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Drive, run_cli, wait_until
from screens_data import settle
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from textual.pilot import Pilot
from textual.widgets import Static

from tillterm.demo.seeding import seed_demo
from tillterm.services.imports import EngineFailure, Imports
from tillterm.store.models import Customer
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.spreadsheet_import import STOPPED, STOPPED_SAVING, ImportScreen
from tillterm.ui.widgets.path_input import PathInput

FIXTURES = Path(__file__).parent / "fixtures" / "spreadsheets"


class Panic(BaseException):
    """Stands for pyo3's ``PanicException``: a native engine's panic is no Exception."""


def _fail_once(
    monkeypatch: pytest.MonkeyPatch, name: str, error: BaseException
) -> Callable[[], int]:
    """``Imports.<name>`` raises ``error`` on its first call, then works as before;
    the returned function says how many calls there were."""
    real = getattr(Imports, name)
    calls = 0

    def once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(Imports, name, once)
    return lambda: calls


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


def _summary(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-summary", Static).content)


async def _open(pilot: Pilot[int], app: TilltermApp) -> ImportScreen:
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(app.screen, ImportScreen), "the Import screen")
    screen = app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def _start_check(pilot: Pilot[int], screen: ImportScreen, path: Path) -> None:
    screen.query_one(PathInput).value = str(path)
    screen.query_one(PathInput).focus()
    await pilot.press("enter")


async def _told_once(
    pilot: Pilot[int], app: TilltermApp, screen: ImportScreen, doing: str, log: Path
) -> None:
    """The cashier got one line naming what failed, the log the traceback, and the
    screen is no longer busy."""
    await wait_until(
        pilot, lambda: not screen.busy and app._notifications, f"the failure of {doing}"
    )
    await pilot.pause()
    said = [n.message for n in app._notifications]
    assert len(said) == 1, said
    assert said[0].startswith(f"Unexpected error while {doing}: "), said
    logged = log.read_text()
    assert doing in logged and "Traceback" in logged
    app.clear_notifications()


async def test_a_check_that_fails_unexpectedly_is_told_and_the_next_check_works(
    drive: Drive, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fail_once(monkeypatch, "check", RuntimeError("the reader lost its mind"))
    async with drive(notifications=True) as (app, pilot):
        screen = await _open(pilot, app)
        await _start_check(pilot, screen, FIXTURES / "warnings.csv")
        await _told_once(pilot, app, screen, "checking the file", _failure_log)
        assert "RuntimeError: the reader lost its mind" in _failure_log.read_text()
        assert screen.report is None and _summary(screen) == STOPPED
        assert not screen.query_one(PathInput).disabled
        await _start_check(pilot, screen, FIXTURES / "warnings.csv")
        await settle(pilot)
        assert calls() == 2
        assert screen.report is not None and screen.report.warnings == 2
        assert not app._notifications


async def test_a_panic_while_checking_is_an_unexpected_error_not_a_dead_worker(
    drive: Drive, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A BaseException would escape Textual's worker (it catches Exception): the service
    raises it again as EngineFailure, so it is told and logged like any other."""
    from tillterm.spreadsheet import importing

    real = importing.check_import
    calls = 0

    def panicking(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise Panic("index out of bounds")
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "check_import", panicking)
    async with drive(notifications=True) as (app, pilot):
        screen = await _open(pilot, app)
        await _start_check(pilot, screen, FIXTURES / "warnings.csv")
        await _told_once(pilot, app, screen, "checking the file", _failure_log)
        assert "EngineFailure: Panic: index out of bounds" in _failure_log.read_text()
        await _start_check(pilot, screen, FIXTURES / "warnings.csv")
        await settle(pilot)
        assert screen.report is not None and screen.report.warnings == 2


async def test_an_import_that_fails_unexpectedly_keeps_the_report_to_try_again(
    engine: Engine, drive: Drive, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(engine, customers=0, products=0)
    calls = _fail_once(monkeypatch, "apply", RuntimeError("the disk said no"))
    async with drive(notifications=True) as (app, pilot):
        screen = await _open(pilot, app)
        await _start_check(pilot, screen, FIXTURES / "customers.xlsx")
        await settle(pilot)
        assert screen.report is not None and screen.report.new == 3
        await pilot.press("ctrl+y")
        await _told_once(pilot, app, screen, "importing the file", _failure_log)
        assert _summary(screen) == STOPPED and _count(engine) == 0
        assert screen.report is not None  # the checked rows are still there
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert calls() == 2
        assert screen.report is None and "3 new" in _summary(screen)
    assert _count(engine) == 3


async def test_a_save_that_fails_unexpectedly_is_told_and_the_next_save_works(
    drive: Drive, tmp_path: Path, _failure_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")
    target = tmp_path / "errors-annotated.csv"
    calls = _fail_once(monkeypatch, "save_annotated", RuntimeError("no more ink"))
    async with drive(notifications=True) as (app, pilot):
        screen = await _open(pilot, app)
        await _start_check(pilot, screen, tmp_path / "errors.csv")
        await settle(pilot)
        assert screen.report is not None and screen.report.errors == 4
        await pilot.press("ctrl+s")
        await _told_once(pilot, app, screen, "saving the annotated copy", _failure_log)
        assert _summary(screen) == STOPPED_SAVING and not target.exists()
        assert screen.report is not None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert calls() == 2 and target.exists()


@pytest.mark.parametrize("step", ["check", "apply"])
def test_an_unexpected_error_in_the_import_command_is_one_line(
    engine: Engine,
    db_path: Path,
    step: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_demo(engine, customers=0, products=0)  # the file's group exists: it gets to apply
    calls = _fail_once(monkeypatch, step, RuntimeError("something nobody planned"))
    status = run_cli(["import", "--db", str(db_path), str(FIXTURES / "customers.xlsx")])
    err = capsys.readouterr().err
    assert status != 0 and calls() == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "something nobody planned" in lines[0] and "nothing was imported" in lines[0]
    assert "Traceback" not in err
    assert _count(engine) == 0


def test_a_panic_in_the_import_command_is_one_line(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.spreadsheet import importing

    def panicking(*args: Any, **kwargs: Any) -> Any:
        raise Panic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(importing, "check_import", panicking)
    status = run_cli(["import", "--db", str(db_path), str(FIXTURES / "customers.xlsx")])
    err = capsys.readouterr().err
    assert status != 0
    assert len(err.strip().splitlines()) == 1 and "unwrap" in err and "Traceback" not in err


def test_an_unexpected_error_in_the_export_command_is_one_line(
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fail_once(monkeypatch, "export", RuntimeError("the writer fell over"))
    status = run_cli(["export", "--db", str(db_path), str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert status != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "the writer fell over" in lines[0], err
    assert "Traceback" not in err and not (tmp_path / "out.csv").exists()


def test_the_service_raises_a_panic_again_as_an_exception(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.spreadsheet import importing

    def panicking(*args: Any, **kwargs: Any) -> Any:
        raise Panic("boom\nsecond line")

    monkeypatch.setattr(importing, "check_import", panicking)
    with pytest.raises(EngineFailure, match=r"^Panic: boom$") as raised:
        Imports(lambda: engine).check(tmp_path / "x.csv")
    assert isinstance(raised.value.__cause__, Panic)
    # what must stop the program still does
    monkeypatch.setattr(
        importing, "check_import", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt())
    )
    with pytest.raises(KeyboardInterrupt):
        Imports(lambda: engine).check(tmp_path / "x.csv")
