"""Archived customers on screen (issue 18), at 80×24: archive from the profile, find them
under "Show: Archived only" (Ctrl+F), restore with R, found again in the normal list;
checked on screen and in the database."""

from __future__ import annotations

import pytest
from conftest import Drive, wait_until
from screens_data import Store, screen_text, seed_store, settle
from sqlalchemy.engine import Engine
from textual.widgets import DataTable, Select

from tillterm.customers.privacy import erase_customer, erased_code
from tillterm.customers.profiles import get_customer
from tillterm.store.engine import session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.widgets.customer_filters import CustomerFilters
from tillterm.ui.widgets.key_footer import shown_keys


@pytest.fixture
def store(engine: Engine) -> Store:
    return seed_store(engine)


def listed_names(app: TilltermApp) -> list[str]:
    table = app.screen.query_one("#customer-table", DataTable)
    return [str(table.get_row_at(n)[0]) for n in range(table.row_count)]


def footer_keys(app: TilltermApp) -> list[str]:
    """The keys the footer shows usable (a disabled one is drawn dimmed)."""
    return [key[0] for key in shown_keys(app.screen) if key[3]]


async def choose_show(app: TilltermApp, pilot, steps: int) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+F (unless the filters are shown), to "Show" by Tab, open it, ``steps`` down,
    Enter."""
    panel = app.screen.query(CustomerFilters)
    if not panel or not panel.first().display:
        await pilot.press("ctrl+f")
        await settle(pilot)
    show = app.screen.query_one("#filter-show", Select)
    for _ in range(12):
        if show.has_focus:
            break
        await pilot.press("tab")
    assert show.has_focus
    await pilot.press("enter", *["down"] * steps, "enter")
    await settle(pilot)


async def open_listed(app: TilltermApp, pilot) -> CustomerView:  # type: ignore[no-untyped-def]
    """Focus the list and open its highlighted (first) row with Enter."""
    app.screen.query_one("#customer-table", DataTable).focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
    await settle(pilot)
    assert isinstance(app.screen, CustomerView)
    return app.screen


async def confirm(app: TilltermApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
    await pilot.press("y")
    await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
    await settle(pilot)


async def test_archive_find_under_archived_restore(
    engine: Engine, drive: Drive, store: Store
) -> None:
    async with drive(notifications=True) as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        await pilot.press(*"durand")
        await settle(pilot)
        assert listed_names(app) == ["Paul Durand"]
        view = await open_listed(app, pilot)
        assert "r" not in footer_keys(app)  # nothing to restore on an active customer
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is view  # and R does nothing there
        await pilot.press("delete")
        await confirm(app, pilot)
        assert app.screen is customers
        assert listed_names(app) == []
        with session_scope(engine) as s:
            assert get_customer(s, store.paul).archived_at is not None

        await choose_show(app, pilot, 1)  # Archived only
        assert customers.query_one(CustomerFilters).items()[0] == (("archived_only", True),)
        assert listed_names(app) == ["Paul Durand (arch.)"]
        assert "1 match" in screen_text(app)
        customers.query_one("#customer-search").focus()
        await pilot.press(*["backspace"] * len("durand"))  # every archived customer
        await settle(pilot)
        assert listed_names(app) == ["Paul Durand (arch.)"]

        view = await open_listed(app, pilot)
        assert "ARCHIVED" in screen_text(app)
        assert "r" in footer_keys(app) and "delete" not in footer_keys(app)
        await pilot.press("r")
        await confirm(app, pilot)
        await wait_until(pilot, lambda: "ARCHIVED" not in screen_text(app), "the profile")
        assert any("Paul Durand restored." in n.message for n in app._notifications)
        assert "r" not in footer_keys(app) and "delete" in footer_keys(app)
        with session_scope(engine) as s:
            assert get_customer(s, store.paul).archived_at is None

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is customers
        assert listed_names(app) == []  # no archived customer left
        await choose_show(app, pilot, 1)  # Active and archived (Archived only was chosen)
        names = listed_names(app)
        assert "Paul Durand" in names and len(names) == 5
        await pilot.press("escape")  # the filters cleared: active customers
        await settle(pilot)
        assert not customers.query_one(CustomerFilters).display
        assert "Paul Durand" in listed_names(app) and len(listed_names(app)) == 5


async def test_an_erased_customer_is_listed_archived_and_never_restored(
    engine: Engine, drive: Drive, store: Store
) -> None:
    with session_scope(engine) as s:
        erase_customer(s, store.jean, via="cli", actor="test")
    async with drive(notifications=True) as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        assert len(listed_names(app)) == 4
        await choose_show(app, pilot, 1)
        # no name left: the record is shown by its code
        assert listed_names(app) == [f"{erased_code(store.jean)} (archived)"]
        view = await open_listed(app, pilot)
        assert view.customer_id == store.jean
        await pilot.press("r")
        await confirm(app, pilot)
        await wait_until(
            pilot,
            lambda: any("identity was erased" in n.message for n in app._notifications),
            "the refusal",
        )
        assert app.screen is view and "ARCHIVED" in screen_text(app)
    with session_scope(engine) as s:
        assert get_customer(s, store.jean).archived_at is not None
