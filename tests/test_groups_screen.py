"""The Groups screen (F4) at 80×24: member counts, add, edit, delete with confirmation,
and Enter to the group's customers."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from conftest import Drive, wait_until
from screens_data import Store, screen_text, seed_store, settle
from sqlalchemy.engine import Engine
from textual.widgets import DataTable, Input, Select

from tillterm.customers.groups import list_groups
from tillterm.customers.profiles import get_customer
from tillterm.store.engine import session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.group_form import GroupForm
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.widgets.customer_filters import CustomerFilters


@pytest.fixture
def store(engine: Engine) -> Store:
    return seed_store(engine)


def rows(app: TilltermApp) -> list[tuple[str, str]]:
    table = app.screen.query_one("#group-table", DataTable)
    return [
        (str(table.get_row_at(n)[0]), str(table.get_row_at(n)[4]).strip())
        for n in range(table.row_count)
    ]


async def test_list_with_member_counts(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive() as (app, pilot):
        await pilot.press("f4")
        await settle(pilot)
        assert rows(app) == [("Student", "1"), ("VIP", "1"), ("Wholesale", "1")]


async def test_the_list_comes_first_and_the_counts_after(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The groups are read once on opening, without their counts (a scan of every
    customer); the counts follow, and a delete asked before they come says "if any"."""
    from tillterm.services.customer_care import CustomerCare

    read: list[bool] = []
    counting = threading.Event()
    groups, counts = CustomerCare.groups, CustomerCare.group_member_counts

    def listed(self: CustomerCare, *, counted: bool = True) -> object:
        read.append(counted)
        return groups(self, counted=counted)

    def counted(self: CustomerCare) -> dict[int, int]:
        assert counting.wait(10), "the test never let the count finish"
        return counts(self)

    monkeypatch.setattr(CustomerCare, "groups", listed)
    monkeypatch.setattr(CustomerCare, "group_member_counts", counted)
    async with drive() as (app, pilot):
        await pilot.press("f4")
        await wait_until(pilot, lambda: len(rows(app)) == 3, "the groups listed")
        assert rows(app) == [("Student", "…"), ("VIP", "…"), ("Wholesale", "…")]
        assert read == [False], "read once on opening, without the counts"
        await pilot.press("down", "delete")  # VIP, not counted yet
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "Its customers, if any, stay, without a group" in app.screen.message
        await pilot.press("escape")
        counting.set()
        await settle(pilot)
        assert rows(app) == [("Student", "1"), ("VIP", "1"), ("Wholesale", "1")]


async def test_delete_cancel_then_confirm(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive() as (app, pilot):
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("down", "delete")  # VIP
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "It holds 1 customer: they stay, without a group" in app.screen.message
        assert "Past sales keep VIP on their receipts and in the sales-by-group report" in (
            app.screen.message
        )
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert [name for name, _ in rows(app)] == ["Student", "VIP", "Wholesale"]
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        await settle(pilot)
        assert [name for name, _ in rows(app)] == ["Student", "Wholesale"]
    with session_scope(engine) as session:
        assert [g.name for g in list_groups(session)] == ["Student", "Wholesale"]
        marie = get_customer(session, store.marie)
    assert marie.group_id is None, "the customers stay, without a group"


async def test_add_and_edit_group(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive() as (app, pilot):
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupForm)
        await pilot.press(*"Staff")
        form.query_one("#group-discount", Input).value = "lots"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "not a percentage" in screen_text(app)
        form.query_one("#group-discount", Input).value = "12,5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert ("Staff", "0") in rows(app)
        assert rows(app)[0][0] == "Staff"
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, GroupForm), "the form")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupForm)
        assert form.query_one("#group-name", Input).value == "Staff"
        form.query_one("#group-name", Input).value = "VIP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "a duplicate name is refused"
        form.query_one("#group-name", Input).value = "Staff members"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with session_scope(engine) as session:
        groups = {g.name: g for g in list_groups(session)}
    assert groups["Staff members"].discount_percent == Decimal("12.5")


async def test_enter_shows_the_groups_customers(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive() as (app, pilot):
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # Wholesale
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        filters = app.screen.query_one(CustomerFilters)
        assert filters.display
        assert filters.query_one("#filter-group", Select).value == store.wholesale
        table = app.screen.query_one("#customer-table", DataTable)
        assert [str(table.get_row_at(n)[0]) for n in range(table.row_count)] == ["Sophie Leroy"]
