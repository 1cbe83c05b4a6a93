"""Under 80×24 the app covers every screen and says how big the terminal must be.

At 60×20 the register's lines lost their prices and at 40×12 the TOTAL went: a cashier
must never take money from a screen that hides it. Keys and scans are refused (with a
line saying so) while the box is up; the sale is kept and comes back with the size.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm import sales
from tillterm.store.engine import session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.too_small import TooSmallScreen
from tillterm.ui.widgets.sale_totals import SaleTotals


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _lines(engine: Engine) -> int:
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, "till-1")
        return 0 if view is None else len(view.lines)


@pytest.mark.parametrize("size", [(60, 20), (40, 12), (79, 24), (80, 23)])
async def test_under_80x24_the_box_covers_the_register_and_refuses_keys(
    engine: Engine, store: Store, drive: Drive, size: tuple[int, int]
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press(*"3000000000024", "enter")  # a line on the sale
        await settle(pilot)
        assert _lines(engine) == 1
        await pilot.resize_terminal(*size)
        await settle(pilot)
        box = app.screen
        assert isinstance(box, TooSmallScreen)
        message = str(box.query_one("#too-small-message", Static).render())
        assert f"Enlarge the terminal to 80×24 (it is {size[0]}×{size[1]})" in message
        # nothing typed, scanned or switched to reaches what the cashier cannot see
        await pilot.press(*"3000000000024", "enter", "f9", "f3", "f1")
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        assert app.screen is box
        assert "not taken: enlarge the terminal first" in str(
            box.query_one("#too-small-refused", Static).render()
        )
        assert _lines(engine) == 1
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert "24.90" in str(app.screen.query_one(SaleTotals).render())


async def test_a_terminal_too_small_from_the_start_is_covered_at_once(
    engine: Engine, store: Store
) -> None:
    app = TilltermApp(engine, register="till-1", scanner=False)
    async with app.run_test(size=(70, 20)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert app.focused is not None and app.focused.id == "scan-input"
