"""The Import screen (F5) at 80×24, keyboard only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Drive
from screens_data import settle
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from textual.widgets import DataTable

from tillterm.demo import seed_demo
from tillterm.models import Customer
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.spreadsheet_import import ImportScreen
from tillterm.ui.widgets.path_input import PathInput, complete_path

FIXTURES = Path(__file__).parent / "fixtures" / "spreadsheets"


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


async def _open(pilot, app: TilltermApp) -> ImportScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await pilot.pause()
    assert isinstance(app.screen, ImportScreen)
    return app.screen


async def _check(pilot, app: TilltermApp, text: str) -> None:  # type: ignore[no-untyped-def]
    app.screen.query_one(PathInput).value = text
    await pilot.press("tab")  # completes the name
    await pilot.press("enter")
    await settle(pilot)


def test_completion_of_folders_and_spreadsheets(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_text("x")
    (tmp_path / "clients.pdf").write_text("x")
    (tmp_path / "cli").mkdir()
    assert complete_path(f"{tmp_path}/clients", (".csv",))[0] == f"{tmp_path}/clients.csv"
    text, names = complete_path(f"{tmp_path}/cl", (".csv",))
    assert text == f"{tmp_path}/cli" and names == ["cli/", "clients.csv"]


async def test_errors_listed_then_annotated_then_cancel(
    engine: Engine, tmp_path: Path, drive: Drive
) -> None:
    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")
    async with drive() as (app, pilot):
        screen = await _open(pilot, app)
        await _check(pilot, app, f"{tmp_path}/erro")
        assert screen.query_one(PathInput).value == f"{tmp_path}/errors.csv"
        assert screen.report is not None and screen.report.errors == 4
        table = screen.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert rows[0][:3] == ["2", "email", "error"]
        assert not screen.check_action("confirm_import", ())
        assert not screen.check_action("continue_anyway", ())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (tmp_path / "errors-annotated.csv").exists()
        await pilot.press("escape")
        await pilot.pause()
        assert screen.report is None and table.row_count == 0
    assert _count(engine) == 0


async def test_continue_anyway_imports_with_warnings(engine: Engine, drive: Drive) -> None:
    async with drive() as (app, pilot):
        screen = await _open(pilot, app)
        await _check(pilot, app, str(FIXTURES / "warnings.csv"))
        assert screen.report is not None and screen.report.warnings == 2
        await pilot.press("ctrl+y")  # not offered: there are warnings
        await app.workers.wait_for_complete()
        assert _count(engine) == 0
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "1 new" in str(screen.query_one("#import-summary").render())
    assert _count(engine) == 1


async def test_clean_file_imports_on_confirm(engine: Engine, drive: Drive) -> None:
    seed_demo(engine, customers=0, products=0)
    async with drive() as (app, pilot):
        screen = await _open(pilot, app)
        await _check(pilot, app, str(FIXTURES / "customers.xlsx"))
        assert screen.report is not None and screen.report.new == 3
        await pilot.press("ctrl+y")
        await settle(pilot)
    assert _count(engine) == 3


async def test_unusable_file_says_why(drive: Drive) -> None:
    async with drive() as (app, pilot):
        screen = await _open(pilot, app)
        await _check(pilot, app, str(FIXTURES / "picture.csv"))
        assert "PNG picture" in str(screen.query_one("#import-summary").render())
        assert screen.report is None


@pytest.mark.filterwarnings("ignore")
def test_snapshot_errors(snap_compare, engine: Engine, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await app.workers.wait_for_complete()  # the store's name is in the header
        await pilot.press("f5")
        await pilot.pause()
        app.sub_title = "till"
        await _check(pilot, app, "errors.csv")

    app = TilltermApp(engine, register="till", scanner=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
