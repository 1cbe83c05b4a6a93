"""Ctrl+G on the register, at 80×24: open the drawer, sell for cash, close with a count.

On screen (status, X report, confirmation, the Z with over/short, the Z list) and in the
database (the day closed with its count and its stored report, the sale counted in it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.widgets import Input, OptionList

from tillterm.store.engine import session_scope
from tillterm.store.models import DrawerDay, Sale
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.drawer import DrawerScreen
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.register import RegisterScreen


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def test_open_sell_cash_close_with_count(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, DrawerScreen)
        assert "Drawer NOT opened" in shown_text(app, "#drawer-head")
        assert "X REPORT" in shown_text(app, "#drawer-report")
        await pilot.press("f7")  # cash in without an amount: said, nothing done
        await settle(pilot)
        assert "No amount was typed" in shown_text(app, "#drawer-note")
        await _type(pilot, "100")
        await pilot.press("f6")
        await settle(pilot)
        assert "float 100.00" in shown_text(app, "#drawer-head")
        assert "Drawer opened with a float of 100.00" in shown_text(app, "#drawer-note")
        await pilot.press("escape")
        await settle(pilot)

        # a cash sale: 24.90, 30.00 tendered
        assert isinstance(app.screen, RegisterScreen)
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        await _type(pilot, "30")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        await pilot.press("enter")
        await settle(pilot)

        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "expected in drawer 124.90" in shown_text(app, "#drawer-head")
        assert "Sales (1)" in shown_text(app, "#drawer-report")
        await _type(pilot, "123.90")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = shown_text(app, "#confirm-message")
        assert "Z0001" in question and "1.00 short" in question
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen), "the drawer again")
        await settle(pilot)
        report = shown_text(app, "#drawer-report")
        assert "Z REPORT Z0001" in report
        assert "  Over/short" + " " * 18 + "1.00 short" in report.splitlines()
        assert "Z0001 taken: 1.00 short" in shown_text(app, "#drawer-note")
        assert "Drawer NOT opened: sales still count for the next day" in shown_text(
            app, "#drawer-head"
        )
        listed = app.screen.query_one("#drawer-z-list", OptionList)
        assert str(listed.get_option_at_index(0).prompt).startswith("Z0001")
        assert app.screen.query_one("#drawer-amount", Input).value == ""
        # F9 shows it again, exactly as stored
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "X REPORT" in shown_text(app, "#drawer-report")
        await pilot.press("f9")
        await settle(pilot)
        assert shown_text(app, "#drawer-report") == report
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    with session_scope(engine) as s:
        day = s.exec(select(DrawerDay)).one()
        sale = s.exec(select(Sale)).one()
    assert (day.z_no, day.float_cents, day.counted_cents) == (1, 10000, 12390)
    assert day.report_text is not None and day.report_text.rstrip("\n") == report.rstrip("\n")
    assert sale.drawer_day_id == day.id
