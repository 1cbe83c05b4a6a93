"""The app shell: keys reach every screen, the header names store and database."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive, wait_until
from screens_data import settle
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tillterm.demo.seeding import seed_demo
from tillterm.store.engine import open_db
from tillterm.store.target import DbTarget
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.spreadsheet_import import ImportScreen


async def test_function_keys_switch_screens(engine: Engine, drive: Drive) -> None:
    seed_demo(engine, customers=20, products=5)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert app.title == "Épicerie Dubois & Fils"
        assert "till-1" in app.sub_title and "till.db" in app.sub_title
        for key, screen in [
            ("f3", CustomersScreen),
            ("f4", GroupsScreen),
            ("f5", ImportScreen),
            ("f2", RegisterScreen),
        ]:
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen), key


async def test_help_lists_every_app_key(drive: Drive) -> None:
    async with drive() as (app, pilot):
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(section) for section in app.screen.sections)
        for description in ("Help", "Register", "Customers", "Groups", "Import", "Quit"):
            assert description in text
        assert "('ctrl+p', 'Command palette: every action')" in text  # not in the footer
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)


async def test_ctrl_q_quits(drive: Drive) -> None:
    """Checked inside ``run_test``: leaving it shuts any app down, quit or not."""
    async with drive() as (app, pilot):
        assert app.return_code is None
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: app.return_code is not None, "Ctrl+Q to exit the app")
        assert app.return_code == 0


async def test_register_is_drawn_before_the_database_opens(db_path: Path) -> None:
    """Given a target, the app opens it behind the first frame and queues early scans."""
    engine = open_db(db_path)
    seed_demo(engine, customers=20, products=5)
    engine.dispose()
    app = TilltermApp(DbTarget(str(db_path)), register="till-2", scanner=False)
    assert "till.db" in app.sub_title  # named from the target, before any engine exists
    with pytest.raises(RuntimeError, match="still opening"):
        _ = app.engine  # the event loop must never wait for the database
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.post_message(ScanReceived("3000000000014", "scanner"))
        await pilot.pause()
        await wait_until(  # the opening, then settings and the queued scan
            pilot, lambda: not app.workers, "the opening, settings and the queued scan"
        )
        await settle(pilot)
        assert app.startup_error is None
        assert app.title == "Épicerie Dubois & Fils"
        screen = app.screen
        assert isinstance(screen, RegisterScreen)
        assert screen.sale is not None and len(screen.sale.lines) == 1
    app.engine.dispose()


async def test_a_database_that_cannot_open_ends_the_app_with_its_reason(db_path: Path) -> None:
    engine = open_db(db_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    app = TilltermApp(DbTarget(str(db_path)), scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        # the opening runs behind the first frame
        await wait_until(pilot, lambda: app.startup_error is not None, "the opening to fail")
        await pilot.pause()
    assert app.return_code == 1
    assert app.startup_error is not None and "newer tillterm" in app.startup_error


async def test_footer_is_rebuilt_only_when_its_keys_change(drive: Drive) -> None:
    """Same keys after a focus change: the same key widgets; other keys: the new ones."""
    from textual.widgets._footer import FooterKey

    from tillterm.ui.widgets.key_footer import KeyFooter

    async with drive() as (app, pilot):
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        keys = list(footer.query(FooterKey))
        assert "Remove line" in [key.description for key in keys]
        await pilot.press("f7")  # the customer field: the register's keys are unchanged
        await pilot.pause()
        assert list(footer.query(FooterKey)) == keys
        await pilot.press("f1")  # help has keys of its own
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        shown = [key.description for key in app.screen.query_one(KeyFooter).query(FooterKey)]
        assert "Add" in shown and "Remove line" not in shown


def test_the_shell_reaches_the_database_through_services_only() -> None:
    """The app, its messages, the scanner bridge and its windows import no store module
    (outside type hints): the database is opened and read through ``tillterm.services``."""
    import ast

    import tillterm.ui

    ui = Path(tillterm.ui.__file__).parent
    shell = ["app.py", "messages.py", "scanner_bridge.py", "styles.py"]
    shell += [f"screens/{name}.py" for name in ("help", "upgrading", "confirm")]
    for name in shell:
        tree = ast.parse((ui / name).read_text(encoding="utf-8"))
        hints = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in hints
            for alias in node.names
        ]
        assert not [m for m in imported if m and m.startswith("tillterm.store")], name
        assert not [m for m in imported if m and m.split(".")[0] == "sqlalchemy"], name


async def test_no_screen_makes_the_app_parse_its_stylesheet_again(
    engine: Engine, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every screen's stylesheet is read with the app's: a screen read its own as it
    first opened, and Textual then parsed the whole stylesheet again and restyled every
    widget of the app (30-37 ms of each first opening; issue 17)."""
    from textual.css.stylesheet import Stylesheet

    parsed: list[int] = []
    reparse = Stylesheet.reparse

    def counted(sheet: Stylesheet) -> None:
        parsed.append(1)
        reparse(sheet)

    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        monkeypatch.setattr(Stylesheet, "reparse", counted)
        for opens, closes in (
            ("f3", "f2"),
            ("f4", "f2"),
            ("ctrl+g", "escape"),
            ("ctrl+t", "escape"),
            ("f11", "escape"),
            ("f1", "escape"),
        ):
            await pilot.press(opens)
            await settle(pilot)
            assert not isinstance(app.screen, RegisterScreen), opens
            await pilot.press(closes)
            await settle(pilot)
        assert parsed == []
