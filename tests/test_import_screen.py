"""The Import screen (F5) at 80×24, keyboard only."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from conftest import Drive, wait_until
from screens_data import settle
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from textual.widgets import DataTable, Static

from tillterm.demo.seeding import seed_demo
from tillterm.store.models import Customer
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
        assert [str(c) for c in rows[0][:3]] == ["2", "email", "error"]
        assert not screen.check_action("confirm_import", ())
        assert not screen.check_action("continue_anyway", ())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (tmp_path / "errors-annotated.csv").exists()
        await pilot.press("escape")
        await pilot.pause()
        assert screen.report is None and table.row_count == 0
    assert _count(engine) == 0


async def test_every_problem_is_readable_whole_at_80_columns(
    engine: Engine, tmp_path: Path, drive: Drive
) -> None:
    """At 80×24 the problems table has no horizontal scrollbar (it cut the messages:
    the unknown group's advice, the duplicate's code), and Down through the problems
    shows each one whole in the line under the table, wrapped if need be."""
    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")
    async with drive() as (app, pilot):
        screen = await _open(pilot, app)
        await _check(pilot, app, str(tmp_path / "errors.csv"))
        report = screen.report
        assert report is not None and len(report.problems) == 6
        table = screen.query_one("#import-problems", DataTable)
        assert table.has_focus and table.size.width == 78
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert not table.show_horizontal_scrollbar
        detail = screen.query_one("#import-problem-detail", Static)
        cut = 0
        for index, problem in enumerate(report.problems):
            if index:
                await pilot.press("down")
                await pilot.pause()
            assert table.cursor_row == index
            cut += str(table.get_row_at(index)[3]).endswith("…")
            lines = [
                "".join(segment.text for segment in strip)
                for strip in app.screen._compositor.render_strips()
            ]
            area = detail.region
            shown = " ".join(
                " ".join(line[area.x : area.right].split()) for line in lines[area.y : area.bottom]
            )
            expected = f"Row {problem.row}, {problem.column} ({problem.level}): {problem.message}"
            assert shown == " ".join(expected.split()), f"problem {index} shown whole"
        assert cut >= 2  # the table did cut some: the detail line is what shows them
        await pilot.press("escape")
        await pilot.pause()
        assert str(detail.render()) == ""


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


#: the import screen after checking errors.csv, as the terminal shows it (its text: an
#: SVG snapshot of this screen flaked, identical to the eye, its cells grouped into runs
#: differently by the problems table depending on what earlier tests left in Textual's caches)
#: (not under __snapshots__: the SVG plugin fails a run on any file there it did not write)
ERRORS_SCREEN = FIXTURES.parent / "screens" / "import_errors.txt"


async def test_errors_screen_as_shown(engine: Engine, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")
    monkeypatch.chdir(tmp_path)
    app = TilltermApp(engine, register="till", scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()  # the store's name is in the header
        await pilot.press("f5")
        await pilot.pause()
        app.sub_title = "till"
        await _check(pilot, app, "errors.csv")
        await wait_until(
            pilot,
            lambda: app.focused is not None and app.focused.id == "import-problems",
            "the problems table focused",
        )
        await pilot.pause()
        shown = "\n".join(
            "".join(segment.text for segment in strip).rstrip()
            for strip in app.screen._compositor.render_strips()
        )
    if not ERRORS_SCREEN.exists():  # a new screen: written once, to be read and committed
        ERRORS_SCREEN.write_text(shown + "\n", encoding="utf-8")
    assert shown + "\n" == ERRORS_SCREEN.read_text(encoding="utf-8")


def _whole_keys(app: TilltermApp) -> list[str]:
    """The footer's keys drawn whole within 80 columns, in order."""
    from textual.widgets._footer import FooterKey

    shown = [(k.key, k.region) for k in app.screen.query(FooterKey) if k.display]
    return [key for key, r in shown if r.width and r.right <= 80]


async def _asked(pilot, app: TilltermApp) -> None:  # type: ignore[no-untyped-def]
    """Wait for the question a key opened (a few frames on a loaded machine)."""
    from tillterm.ui.screens.confirm import ConfirmScreen

    for _ in range(40):
        if isinstance(app.screen, ConfirmScreen):
            return
        await pilot.pause(0.05)
    raise AssertionError(f"no question was asked: {app.screen!r} is shown")


def _summary(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-summary", Static).content)


def _big_csv(path: Path, rows: int) -> Path:
    lines = ["customer_code,first_name,last_name,email"]
    lines += [f"BIG-{n},Ann{n},Lee,ann{n}@example.org" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_hostile_workbooks_are_a_message_and_esc_clears(
    engine: Engine, tmp_path: Path
) -> None:
    from test_spreadsheet_limits import HEADER_ROW, _book, _cell

    # one cell far away: in-process, the Excel engine would abort the whole app
    sparse = _book(tmp_path / "sparse.xlsx", HEADER_ROW + f"<row>{_cell('ALL900000', 'x')}</row>")
    row = f"<row>{_cell('A2', 'x' * 50)}</row>".encode()
    bomb = _book(tmp_path / "bomb.xlsx", row * (200_000_000 // len(row)))
    app = TilltermApp(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, app)
        for path, words in ((sparse, "memory"), (bomb, "zip bomb")):
            await _check(pilot, app, str(path))
            assert words in _summary(screen) and not screen.busy and screen.report is None
            await pilot.press("escape")  # after a failure: the screen clears
            await pilot.pause()
            assert _summary(screen) == "" and not screen.busy
    assert _count(engine) == 0


async def test_esc_stops_a_check_that_is_reading(engine: Engine, tmp_path: Path) -> None:
    from test_spreadsheet_limits import HEADER_ROW, _book, _cell

    rows = "".join(f'<row r="{n}">{_cell(f"A{n}", f"Name {n}")}</row>' for n in range(2, 60_000))
    book = _book(tmp_path / "long.xlsx", HEADER_ROW + rows)
    app = TilltermApp(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, app)
        screen.query_one(PathInput).value = str(book)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.busy
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.busy and screen.report is None
        assert _summary(screen) == "Import cancelled: nothing was imported."


async def test_esc_during_an_import_rolls_it_all_back(
    engine: Engine, db_path: Path, tmp_path: Path
) -> None:
    import sqlite3

    seed_demo(engine, customers=0, products=0)
    path = _big_csv(tmp_path / "big.csv", 120_000)
    app = TilltermApp(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, app)
        await _check(pilot, app, str(path))
        assert screen.report is not None and screen.report.new == 120_000
        # another register holds the write lock, so the import is surely still running
        # when Esc comes (it waits for the lock, then stops after its first rows)
        other = sqlite3.connect(db_path)
        other.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press("ctrl+y")
            await pilot.pause()
            assert screen.busy, _summary(screen)
            await pilot.press("escape")
            await pilot.pause()
        finally:
            other.rollback()
            other.close()
        await settle(pilot)
        assert not screen.busy and screen.report is None
        assert _summary(screen) == "Import cancelled: nothing was imported."
        await pilot.press("escape")  # and again, after it: the screen clears
        await pilot.pause()
        assert _summary(screen) == ""
    assert _count(engine) == 0


async def test_blank_cells_that_clear_values_are_shown_before_import(
    engine: Engine, tmp_path: Path
) -> None:
    from tillterm.store.engine import session_scope

    seed_demo(engine, customers=3, products=0)
    with session_scope(engine) as s:
        c = s.exec(select(Customer).order_by(Customer.id)).scalars().first()
        assert c is not None
        c.notes = "[b]allergic[/b] to latex"
        code = c.customer_code
    path = tmp_path / "u.csv"
    path.write_text(f"customer_code,notes,[red]odd\n{code},,x\n")
    app = TilltermApp(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, app)
        await _check(pilot, app, str(path))
        assert "1 updated" in _summary(screen)
        assert "1 value on file will be cleared by blank cells: notes 1." in _summary(screen)
        # a header from the file is shown as written, never as markup
        assert "“[red]odd”" in str(screen.query_one("#import-detected", Static).content)


async def test_annotated_copy_is_private_and_replacing_it_is_asked(
    engine: Engine, tmp_path: Path
) -> None:
    import stat

    from tillterm.ui.screens.confirm import ConfirmScreen

    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")
    target = tmp_path / "errors-annotated.csv"
    app = TilltermApp(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app)
        await _check(pilot, app, str(tmp_path / "errors.csv"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        target.write_text("kept")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert target.read_text() == "kept"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await _asked(pilot, app)
        await pilot.press("y")
        await settle(pilot)
        assert "import_problems" in target.read_text(encoding="utf-8")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


def _screen_text(app: TilltermApp) -> str:
    """What the 80×24 terminal shows, as plain text (no colour, no style)."""
    from rich.console import Console

    console = Console(width=80, height=24, record=True, color_system=None, file=io.StringIO())
    console.print(app.screen._compositor.render_update(full=True))  # type: ignore[attr-defined]
    return console.export_text()


async def test_opening_balances_switch_checks_again_imports_and_reverses(
    engine: Engine, tmp_path: Path, drive: Drive
) -> None:
    from test_import_balances import ROWS, _balances, _xseries

    from tillterm.store.models import OpeningSpend
    from tillterm.ui.screens.help import HelpScreen

    path = _xseries(tmp_path / "xseries.csv", ROWS)
    async with drive() as (app, pilot):
        screen = await _open(pilot, app)
        options = screen.query_one("#import-options", Static)
        assert "[ ] Opening balances ^B" in str(options.content)
        # the switch's key is in the footer, whole at 80 columns (Ctrl+O is on the line)
        keys = _whole_keys(app)
        assert "ctrl+b" in keys and "escape" in keys and "ctrl+o" not in keys
        await _check(pilot, app, str(path))
        assert screen.report is not None and screen.report.opening is None
        assert "opening balances" not in _summary(screen)
        # the switch: drawn as text, and the file is checked again with it
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert "[x] Opening balances ^B" in str(options.content)
        assert screen.report is not None and screen.report.opening is not None
        summary = _summary(screen)
        assert "opening balances: 2 loyalty balances (1,620 points)" in summary
        assert "year-to-date spend brought over for 2 customers (total 360.00 EUR)" in summary
        on_screen = _screen_text(app)
        assert "[x] Opening balances ^B" in on_screen
        # the summary wraps at 80 columns: read it as words
        assert "year-to-date spend brought over for 2 customers (total 360.00 EUR)" in " ".join(
            on_screen.split()
        )
        # F1 lists the switch too
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = " ".join(str(s) for s in app.screen.sections)
        assert "Balances" in listed and "Create groups" in listed and "Undo balances" in listed
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.check_action("reverse_opening_balances", ())
        await pilot.press("ctrl+y")
        await settle(pilot)
        summary = _summary(screen)
        assert "as opening-balance import 1" in summary
        assert "Ctrl+R reverses the opening balances now" in summary
        assert _balances(engine)["OLIVIA-1"] == (120, 2550)
        with engine.connect() as conn:
            assert conn.execute(select(func.sum(OpeningSpend.amount_cents))).scalar() == 36000
        # Ctrl+R asks, then takes them back
        # Ctrl+R takes Ctrl+B's place in the footer, every key whole at 80 columns
        keys = _whole_keys(app)
        assert "ctrl+r" in keys and "escape" in keys and "ctrl+b" not in keys
        await pilot.press("ctrl+r")
        await _asked(pilot, app)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        summary = _summary(screen)
        assert summary.startswith("Reversed opening-balance import 1: 2 loyalty balances")
        assert "year-to-date spend of 2 customers (360.00 EUR)" in summary
        assert not screen.check_action("reverse_opening_balances", ())
        assert "Reversed opening-balance import 1" in " ".join(_screen_text(app).split())
    assert set(_balances(engine).values()) == {(0, 0)}
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(OpeningSpend.amount_cents))).scalar() == 0


async def test_without_the_switch_balances_stay_read_only(
    engine: Engine, tmp_path: Path, drive: Drive
) -> None:
    from test_import_balances import ROWS, _balances, _xseries

    path = _xseries(tmp_path / "xseries.csv", ROWS)
    async with drive() as (app, pilot):
        screen = await _open(pilot, app)
        await _check(pilot, app, str(path))
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert "opening" not in _summary(screen) and "Imported" in _summary(screen)
        assert not screen.check_action("reverse_opening_balances", ())
    assert set(_balances(engine).values()) == {(0, 0)}
    assert _count(engine) == 4
