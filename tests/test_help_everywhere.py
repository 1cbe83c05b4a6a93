"""F1 opens the help from every window (a modal screen hides the app's own keys)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.sales_report import SalesReportScreen


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


@pytest.mark.parametrize(
    ("keys", "window"),
    [
        ([*"3000000000024", "enter", "f9"], PaymentScreen),
        (["f3", "ctrl+n"], CustomerForm),
        (["ctrl+r"], SalesReportScreen),
    ],
)
async def test_f1_in_a_window_shows_the_help_and_esc_returns(
    engine: Engine, store: Store, drive: Drive, keys: list[str], window: type
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press(*keys[:-1])
        await settle(pilot)
        await pilot.press(keys[-1])
        await settle(pilot)
        assert isinstance(app.screen, window)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, window)


async def test_the_highlighted_groups_description_is_shown_whole(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        group = app.screen.current
        assert group is not None
        detail = str(app.screen.query_one("#group-detail", Static).render())
        assert detail == (f"{group.name}: {group.description}" if group.description else "")
