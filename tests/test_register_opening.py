"""While the register opens, the screen says so; then it shows the sale it recovered.

The database opens behind the first frame: for that moment the header said "tillterm"
and the sale panel "New sale / No customer" even when a sale with a customer was about to
come back. Keys typed meanwhile are not lost: they queue behind the start-up.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm import sales
from tillterm.services.till import Till
from tillterm.store.engine import session_scope
from tillterm.ui.widgets.customer_panel import CustomerPanel
from tillterm.ui.widgets.sale_lines import SaleLines
from tillterm.ui.widgets.sale_totals import SaleTotals


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


async def test_the_register_says_it_is_opening_until_its_sale_is_read(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as s:  # a sale left open with only a customer on it
        sales.attach_customer(s, sales.ensure_open_sale(s, "till-1"), store.marie)
    held = threading.Event()
    start_up = Till.start_up

    def slow_start_up(self: Till, name: str):  # type: ignore[no-untyped-def]
        held.wait(10)
        return start_up(self, name)

    monkeypatch.setattr(Till, "start_up", slow_start_up)
    async with drive(register="till-1") as (app, pilot):
        await pilot.pause(0.2)
        screen = app.screen
        assert str(screen.query_one(CustomerPanel).render()) == "Loading…"
        assert str(screen.query_one(SaleTotals).render()) == "Loading…"
        assert screen.query_one(SaleLines).border_title == "Opening the register…"
        assert "Opening the register" in str(screen.query_one("#register-status", Static).render())
        assert "No customer" not in str(screen.query_one(CustomerPanel).render())
        await pilot.press(*"3000000000024", "enter")  # typed while it opens: queued
        held.set()
        await settle(pilot)
        assert "Marie Dubois" in str(screen.query_one(CustomerPanel).render())
        assert screen.query_one(SaleLines).border_title.startswith("Sale ")
        assert app.title == "Test shop"
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, "till-1")
        assert view is not None and [line.description for line in view.lines] == ["Stylo plume"]
        assert view.customer is not None and view.customer.id == store.marie
