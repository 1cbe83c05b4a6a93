"""Issue 17 at the register (80×24): each completed sale's receipt goes to the printer
after the commit, the drawer opens on cash, a printer that is not there loses nothing
and says so, Ctrl+L prints the last receipt again as a COPY. Checked on screen, on the
printer's bytes and in the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy import select
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm import printing
from tillterm.store.engine import session_scope
from tillterm.store.models import Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.register import RegisterScreen

KICK = b"\x1bp\x00"  # ESC p: the drawer, pin 2


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


async def _sell_for_cash(app: TilltermApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    app.post_message(ScanReceived("3000000000024"))
    await settle(pilot)
    await pilot.press("f9")
    await settle(pilot)
    await pilot.press("5", "0", "enter")
    await settle(pilot)
    await pilot.press("f10")
    await settle(pilot)
    assert isinstance(app.screen, ReceiptScreen)


def _sale(engine: Engine) -> Sale:
    with session_scope(engine) as s:
        sale = s.exec(select(Sale)).scalars().one()  # type: ignore[call-overload]
        s.expunge(sale)
        return sale  # type: ignore[no-any-return]


async def test_cash_sale_prints_with_drawer_kick_and_ctrl_l_copies(
    engine: Engine, store: Store, drive: Drive, printer_at: Callable[..., Path]
) -> None:
    lp0 = printer_at()
    async with drive(register="till-1") as (app, pilot):
        await _sell_for_cash(app, pilot)
        sale = _sale(engine)
        assert sale.state == "completed" and sale.receipt_no == "R0000001"
        assert shown_text(app, "#receipt-printed") == "Receipt R0000001 printed."
        config = printing.load_printer_config()
        printed = printing.receipt_bytes(sale.receipt_text or "", config, kick=True)
        assert lp0.read_bytes() == printed and printed.endswith(KICK + b"22")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        status = shown_text(app, "#register-status")
        assert status == "Sale R0000001 complete. Change 25.10. Printed."
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "Copy of receipt R0000001 printed." in shown_text(app, "#register-status")
        copy = lp0.read_bytes()  # a device node: each print is a new write from the start
        assert copy == printing.receipt_bytes(
            printing.mark_copy(sale.receipt_text or ""), config, kick=False
        )
        assert copy.count(b"*** COPY ***") == 2 and KICK not in copy


async def test_printer_not_there_keeps_the_sale_and_says_so(
    engine: Engine, store: Store, drive: Drive, tmp_path: Path, printer_at: Callable[..., Path]
) -> None:
    gone = tmp_path / "unplugged" / "lp0"
    printer_at(gone)
    async with drive(register="till-1") as (app, pilot):
        await _sell_for_cash(app, pilot)
        said = f"Receipt R0000001 not printed: printer not found at {gone} — Ctrl+L to reprint"
        assert shown_text(app, "#receipt-printed") == said
        assert "Thank you!" in shown_text(app, "#receipt-text")  # the receipt is on screen
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert shown_text(app, "#register-status") == said
        # plugged in again: Ctrl+L prints the copy
        gone.parent.mkdir()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "Copy of receipt R0000001 printed." in shown_text(app, "#register-status")
        assert gone.read_bytes().count(b"*** COPY ***") == 2
    sale = _sale(engine)
    assert sale.state == "completed" and sale.receipt_no == "R0000001"
    assert sale.receipt_filed_at is not None  # the receipt file is written as always


async def test_cash_refund_opens_the_drawer(
    engine: Engine, store: Store, drive: Drive, printer_at: Callable[..., Path]
) -> None:
    lp0 = printer_at()
    async with drive(register="till-1") as (app, pilot):
        await _sell_for_cash(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert lp0.read_bytes().endswith(KICK + b"22")
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert shown_text(app, "#receipt-printed") == "Receipt R0000002 printed."
    refund = lp0.read_bytes()
    assert b"REFUND R0000002" in refund and refund.endswith(KICK + b"22")


async def test_without_a_printer_nothing_changes(
    engine: Engine, store: Store, drive: Drive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLTERM_PRINTER_CONFIG", str(tmp_path / "none.toml"))
    async with drive(register="till-1") as (app, pilot):
        await _sell_for_cash(app, pilot)
        assert not app.screen.query_one("#receipt-printed", Static).display
        assert "saved to" in shown_text(app, "#receipt-note")
        await pilot.press("enter")
        await settle(pilot)
        assert shown_text(app, "#register-status").startswith("Sale R0000001 complete.")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "no printer is configured" in shown_text(app, "#register-status")
    assert _sale(engine).state == "completed"
