"""The app shell: keys reach every screen, the header names store and database."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from tillterm.demo import seed_demo
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.spreadsheet_import import ImportScreen


async def test_function_keys_switch_screens(engine: Engine) -> None:
    seed_demo(engine, customers=20, products=5)
    app = TilltermApp(engine, register="till-1", scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
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


async def test_help_lists_every_app_key(engine: Engine) -> None:
    app = TilltermApp(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(section) for section in app.screen.sections)
        for description in ("Help", "Register", "Customers", "Groups", "Import", "Quit"):
            assert description in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)


async def test_ctrl_q_quits(engine: Engine) -> None:
    app = TilltermApp(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running
