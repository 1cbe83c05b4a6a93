"""No customer job fails silently: an unexpected error in each kind of job is told once,
logged with its traceback, and leaves the screen usable.

Each test breaks one use case of ``services.customer_care.CustomerCare`` with a
``RuntimeError`` (a bug, not a refusal), drives the screen to run it, checks the one
notification ("Unexpected error while …"), the traceback in the failure log, and then
mends the use case and does the same thing again: it must work, so no busy flag,
"Saving…" label or disabled key was left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Drive, wait_until
from screens_data import Store, screen_text, seed_store, settle
from sqlalchemy.engine import Engine
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from tillterm.customers.profiles import create_customer, get_customer, search_customers
from tillterm.services.customer_care import CustomerCare
from tillterm.store.engine import session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import PAGE, CustomersScreen
from tillterm.ui.screens.group_form import GroupForm
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.widgets.customer_filters import CustomerFilters


class Broken:
    """One ``CustomerCare`` use case raising a bug's error until it is mended."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.name = name
        self.broken = True
        self.calls = 0
        real: Callable[..., Any] = getattr(CustomerCare, name)

        def maybe(care: CustomerCare, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.broken:
                raise RuntimeError(f"{name} broke")
            return real(care, *args, **kwargs)

        monkeypatch.setattr(CustomerCare, name, maybe)

    def mend(self) -> None:
        self.broken = False


@pytest.fixture
def store(engine: Engine) -> Store:
    return seed_store(engine)


def _unexpected(app: TilltermApp) -> list[str]:
    return [n.message for n in app._notifications if n.message.startswith("Unexpected error")]


async def told_once(
    app: TilltermApp, pilot: Pilot[Any], log: Path, broken: Broken, what: str
) -> None:
    """One line for the cashier, naming the job; the traceback in the log."""
    await wait_until(pilot, lambda: _unexpected(app), f"the notice about {what}")
    await settle(pilot)
    said = _unexpected(app)
    assert len(said) == 1, said
    assert said[0].startswith(f"Unexpected error while {what}: {broken.name} broke"), said[0]
    assert "The screen is usable again." in said[0]
    logged = log.read_text()
    assert "Traceback" in logged and f"RuntimeError: {broken.name} broke" in logged
    assert what in logged
    app.clear_notifications()


async def open_customers(app: TilltermApp, pilot: Pilot[Any]) -> CustomersScreen:
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)
    return app.screen


def listed(app: TilltermApp) -> list[str]:
    table = app.screen.query_one("#customer-table", DataTable)
    return [str(table.get_row_at(n)[0]) for n in range(table.row_count)]


async def test_search(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        screen = await open_customers(app, pilot)
        broken = Broken(monkeypatch, "page")
        await pilot.press("d")
        await told_once(app, pilot, _failure_log, broken, "searching customers")
        assert not screen._in_flight
        assert "Search failed" in screen_text(app)
        broken.mend()
        await pilot.press(*"ubo")
        await wait_until(pilot, lambda: listed(app) == ["Marie Dubois"], "the search answered")


async def test_more_rows(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    with session_scope(engine) as session:
        for n in range(PAGE + 10):
            create_customer(session, {"first_name": "Many", "last_name": f"Row {n:02d}"})
    async with drive(notifications=True) as (app, pilot):
        screen = await open_customers(app, pilot)
        await pilot.press(*"many")
        await settle(pilot)
        table = screen.query_one("#customer-table", DataTable)
        assert table.row_count == PAGE
        broken = Broken(monkeypatch, "page")
        await pilot.press("down", *["down"] * (PAGE - 8))
        await told_once(app, pilot, _failure_log, broken, "reading more customers")
        assert not screen._loading_more
        assert table.row_count == PAGE
        broken.mend()
        await pilot.press("down")
        await wait_until(pilot, lambda: table.row_count == PAGE + 10, "the next page")


async def test_count(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    with session_scope(engine) as session:
        for n in range(PAGE + 5):
            create_customer(session, {"first_name": "Many", "last_name": f"Row {n:02d}"})
    async with drive(notifications=True) as (app, pilot):
        screen = await open_customers(app, pilot)
        await wait_until(pilot, lambda: "35 matches" in screen_text(app), "the first count")
        broken = Broken(monkeypatch, "count")
        # one change of text (a paste): each list shown is counted, and this is one list
        screen.query_one("#customer-search", Input).value = "many"
        await told_once(app, pilot, _failure_log, broken, "counting customers")
        assert f"{PAGE}+ matches" in screen_text(app)
        broken.mend()
        await pilot.press("backspace", "y")
        await wait_until(pilot, lambda: "30 matches" in screen_text(app), "the count")
        assert app.screen is screen


async def test_open_customer(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        screen = await open_customers(app, pilot)
        await pilot.press(*"dubois")
        await settle(pilot)
        broken = Broken(monkeypatch, "open")
        await pilot.press("enter")
        await told_once(app, pilot, _failure_log, broken, "opening the customer")
        assert app.screen is screen
        broken.mend()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
        await settle(pilot)
        assert app.screen.customer_id == store.marie
        assert "Marie Dubois" in screen_text(app)


async def test_code_lookup(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    with session_scope(engine) as session:
        marie = get_customer(session, store.marie)
    async with drive(notifications=True) as (app, pilot):
        screen = await open_customers(app, pilot)
        broken = Broken(monkeypatch, "find_by_code")
        app.post_message(ScanReceived(marie.customer_code))
        await told_once(app, pilot, _failure_log, broken, "looking up the scanned card")
        assert app.screen is screen
        broken.mend()
        app.post_message(ScanReceived(marie.customer_code))
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
        await settle(pilot)
        assert app.screen.customer_id == store.marie
        assert "Marie Dubois" in screen_text(app)


async def test_code_lookup_in_the_form(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        broken = Broken(monkeypatch, "find_by_code")
        app.post_message(ScanReceived("2900000000999"))
        await told_once(app, pilot, _failure_log, broken, "looking up the scanned card")
        broken.mend()
        app.post_message(ScanReceived("2900000000999"))
        await wait_until(
            pilot, lambda: "Customer code 2900000000999" in screen_text(app), "the scanned code"
        )
        assert form.collect()["customer_code"] == "2900000000999"


async def test_filter_choices(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        screen = await open_customers(app, pilot)
        broken = Broken(monkeypatch, "choices")
        await pilot.press("ctrl+f")
        await told_once(app, pilot, _failure_log, broken, "reading the groups and sales taxes")
        panel = screen.query_one(CustomerFilters)
        assert panel.display
        broken.mend()
        await pilot.press("f4")  # away and back: the screen reads its choices again
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await wait_until(pilot, lambda: screen._choices is not None, "the choices")
        panel.query_one("#filter-group", Select).value = store.vip  # refused if not offered
        await wait_until(pilot, lambda: listed(app) == ["Marie Dubois"], "the VIP customers")


async def test_form_choices(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        await open_customers(app, pilot)
        broken = Broken(monkeypatch, "start_form")
        await pilot.press("ctrl+n")
        await told_once(app, pilot, _failure_log, broken, "reading the customer form's choices")
        form = app.screen
        assert isinstance(form, CustomerForm)
        assert "Cannot read the database" in screen_text(app)
        broken.mend()
        await pilot.press(*"Zoé", "ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CustomerForm), "the save")
    with session_scope(engine) as session:
        assert [c.first_name for c in search_customers(session, "zoé")] == ["Zoé"]


async def test_save(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        await pilot.press(*"Zoé")
        broken = Broken(monkeypatch, "save")
        await pilot.press("ctrl+s")
        await told_once(app, pilot, _failure_log, broken, "saving the customer")
        assert app.screen is form and not form._saving
        assert "Everything you typed is still here" in screen_text(app)
        assert form.query_one("#field-first_name", Input).value == "Zoé"
        broken.mend()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CustomerForm), "the save")
        assert broken.calls == 2


async def test_archive(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        screen = await open_customers(app, pilot)
        screen.open_customer(store.paul)
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
        await settle(pilot)
        view = app.screen
        broken = Broken(monkeypatch, "archive")
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await told_once(app, pilot, _failure_log, broken, "archiving the customer")
        assert app.screen is view
        broken.mend()
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.screen is screen, "back to the list")
    with session_scope(engine) as session:
        assert get_customer(session, store.paul).archived_at is not None


async def test_group_list(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    broken = Broken(monkeypatch, "groups")
    async with drive(notifications=True) as (app, pilot):
        await pilot.press("f4")
        await told_once(app, pilot, _failure_log, broken, "reading the groups")
        screen = app.screen
        assert isinstance(screen, GroupsScreen) and screen.groups == ()
        broken.mend()
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: len(screen.groups) == 3, "the groups")


async def test_group_save(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch, _failure_log: Path
) -> None:
    async with drive(notifications=True) as (app, pilot):
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GroupForm)
        await pilot.press(*"Staff")
        broken = Broken(monkeypatch, "save_group")
        await pilot.press("ctrl+s")
        await told_once(app, pilot, _failure_log, broken, "saving the group")
        assert app.screen is form
        assert "Ctrl+S tries again" in screen_text(app)
        broken.mend()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GroupsScreen), "the list")
        await wait_until(
            pilot, lambda: "Staff" in [g.name for g in app.screen.groups], "the new group"
        )
