"""Refunds from the register (Ctrl+T), at 80×24: on screen and in the ledgers."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from textual.widgets import OptionList, Static

from tillterm import sales
from tillterm.store.engine import session_scope
from tillterm.store.models import AccountEntry, LoyaltyEntry, Sale
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.recent_sales import RecentSalesScreen
from tillterm.ui.screens.register import RegisterScreen


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _paul_sale(engine: Engine) -> sales.SaleView:
    """Paul buys a pen (23.65 after his 5 %): 20.00 on account, the rest cash; 23 points."""
    with session_scope(engine) as s:
        sales.scan_code(s, "till-1", "3000000000024")
        view = sales.scan_code(s, "till-1", "CARD-PAUL").view
        assert view is not None
        sales.add_payment(s, view.id, "account", D(20))
        sales.add_payment(s, view.id, "cash", tendered=D(10))
        done = sales.complete_sale(s, view.id)
    assert done.loyalty_earned == 23
    return done


def _balances(engine: Engine, customer_id: int) -> tuple[int, int]:
    with session_scope(engine) as s:
        return (
            sales.loyalty_balance(s, customer_id),
            sales.account_balance_cents(s, customer_id),
        )


async def test_refund_from_the_list(
    engine: Engine, store: Store, tmp_path: Path, drive: Drive
) -> None:
    done = _paul_sale(engine)
    assert _balances(engine, store.paul) == (23, 2000)
    async with drive(register="till-2") as (app, pilot):
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, RecentSalesScreen)
        listed = app.screen.query_one("#recent-list", OptionList)
        first = str(listed.get_option_at_index(0).prompt)
        assert first.startswith(done.receipt_no or "?") and "Paul Martin" in first
        assert "23.65" in first
        await pilot.press("enter")
        await settle(pilot)
        assert "RECEIPT " + (done.receipt_no or "") in shown_text(app, "#recent-receipt-text")
        assert "F10 refunds" in shown_text(app, "#recent-note")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        receipt = shown_text(app, "#receipt-text")
        assert "REFUND" in receipt and "-23.65" in receipt and "Points reversed" in receipt
        note = shown_text(app, "#receipt-note")
        assert "give back 3.65 EUR in cash" in note
        assert "20.00 EUR taken off the account" in note
        assert "23 loyalty points taken back" in note
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert "taken off the account" in shown_text(app, "#register-status")
    assert _balances(engine, store.paul) == (0, 0)
    with session_scope(engine) as s:
        refund = s.execute(select(Sale).where(Sale.kind == "refund")).scalar_one()
        assert refund.original_sale_id == done.id and refund.register_name == "till-2"
        assert refund.total_cents == -2365
        points = s.execute(
            select(LoyaltyEntry.points).where(LoyaltyEntry.sale_id == refund.id)
        ).all()
        moved = s.execute(
            select(AccountEntry.amount_cents).where(AccountEntry.sale_id == refund.id)
        ).all()
    assert [p[0] for p in points] == [-23] and [m[0] for m in moved] == [-2000]
    # in the database's own folder (two databases may share the receipts folder)
    files = sorted(f.stem for f in (tmp_path / "receipts").glob("till-*/*.txt"))
    assert files == [refund.receipt_no]
    assert "Refund of sale " + (done.receipt_no or "?") in receipt


async def test_receipt_number_typed_or_scanned(engine: Engine, store: Store, drive: Drive) -> None:
    done = _paul_sale(engine)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press(*"R999", "enter")
        await settle(pilot)
        assert "No sale with receipt number “R999”" in shown_text(app, "#recent-note")
        app.post_message(ScanReceived((done.receipt_no or "").lower()))  # a scanned receipt
        await settle(pilot)
        assert "F10 refunds " + (done.receipt_no or "") in shown_text(app, "#recent-note")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("escape")  # "no": nothing happens
        await settle(pilot)
        assert isinstance(app.screen, RecentSalesScreen)
        assert _balances(engine, store.paul) == (23, 2000)
        await pilot.press("escape", "escape")  # receipt → list → register
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).where(Sale.kind == "refund")).scalar_one() == 0


async def test_refunded_once_and_refund_of_a_refund(
    engine: Engine, store: Store, drive: Drive
) -> None:
    done = _paul_sale(engine)
    with session_scope(engine) as s:
        refund = sales.refund_sale(s, "till-1", done.id)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        listed = app.screen.query_one("#recent-list", OptionList)
        labels = [str(listed.get_option_at_index(i).prompt) for i in range(2)]
        assert labels[0].endswith("REFUND") and labels[1].endswith("refunded")
        await pilot.press("enter")  # the refund itself
        await settle(pilot)
        assert "is a refund; it cannot be refunded" in shown_text(app, "#recent-note")
        await pilot.press("f10")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape", "down", "enter", "f10", "y")  # the original, again
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        await settle(pilot)
        assert isinstance(app.screen, RecentSalesScreen)
        assert "has already been refunded" in shown_text(app, "#recent-note")
    assert _balances(engine, store.paul) == (0, 0)
    with session_scope(engine) as s:
        count = s.execute(select(func.count()).where(Sale.kind == "refund")).scalar_one()
    assert count == 1 and refund.original_sale_id == done.id


async def test_refund_key_is_in_the_help(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "Ctrl+T" in shown and "Recent sales / refund" in shown
        await pilot.press("escape", "ctrl+t")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "F10" in shown and "Refund sale" in shown
