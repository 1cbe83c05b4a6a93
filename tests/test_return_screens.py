"""Returns from the register (Ctrl+T, then F6 or F7), at 80×24: on screen and in the
ledgers (balances are the sums of ledger rows)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from test_returns import _ledgers, _line, _sale
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from textual.widgets._footer import FooterKey

from tillterm import sales
from tillterm.store.engine import session_scope
from tillterm.store.models import Sale, SaleLine
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.recent_sales import RecentSalesScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.return_lines import ReturnLinesScreen
from tillterm.ui.screens.return_no_receipt import ReturnNoReceiptScreen


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _rows(app: TilltermApp) -> list[str]:
    listed = app.screen.query_one("#return-list", OptionList)
    return [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]


def _refunds(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.execute(select(func.count()).where(Sale.kind == "refund")).scalar_one())


async def _open_return(app: TilltermApp, pilot: Pilot[int], *keys: str) -> None:
    """Ctrl+T, the sale (``keys`` move to it in the list), F6."""
    await pilot.press("ctrl+t", *keys)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert "F6 returns" in shown_text(app, "#recent-note")
    await pilot.press("f6")
    await settle(pilot)
    assert isinstance(app.screen, ReturnLinesScreen)


def _receipt_shown(app: TilltermApp) -> bool:
    """The receipt window is up and built (pushed is not yet composed)."""
    return isinstance(app.screen, ReceiptScreen) and bool(app.screen.query("#receipt-text"))


async def test_return_two_pens_and_a_coffee(
    engine: Engine, store: Store, tmp_path: Path, drive: Drive
) -> None:
    done = _sale(engine)
    async with drive(register="till-2") as (app, pilot):
        await settle(pilot)
        await _open_return(app, pilot)
        rows = _rows(app)
        assert rows[0].split() == ["Stylo", "plume", "3", "0", "0"]
        assert rows[1].split() == ["Café", "moulu", "2", "0", "0"]
        assert "Nothing chosen yet" in shown_text(app, "#return-plan")
        await pilot.press("4")  # more than was sold: refused, nothing marked
        await settle(pilot)
        assert "Only 3 of “Stylo plume”" in shown_text(app, "#return-note")
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("down", "plus")
        await settle(pilot)
        rows = _rows(app)
        assert rows[0].startswith("*Stylo plume") and rows[0].split()[-2:] == ["2", "47.31"]
        assert rows[1].startswith("*Café moulu") and rows[1].split()[-2:] == ["1", "4.27"]
        plan = shown_text(app, "#return-plan")
        assert plan.startswith("Refund 51.58 EUR: 50.00 EUR credited to the account")
        assert "1.58 EUR to the card" in plan and "points earned taken back" in plan
        assert _refunds(engine) == 0  # nothing written before F10
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: _receipt_shown(app), "the receipt")
        receipt = shown_text(app, "#receipt-text")
        assert "Return of sale " + (done.receipt_no or "?") in receipt
        assert "Stylo plume" in receipt and "-51.58" in receipt
        assert "50.00 EUR taken off the account" in shown_text(app, "#receipt-note")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        # the rest, from the list again: the pens' last and the coffee's last
        await _open_return(app, pilot, "down")  # the refund is the latest
        assert [r.split()[-3:] for r in _rows(app)] == [["3", "2", "0"], ["2", "1", "0"]]
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: _receipt_shown(app), "the receipt")
        assert "-27.93" in shown_text(app, "#receipt-text")
    assert _ledgers(engine, store.paul) == (0, 0)
    pen, coffee = _line(done, "Stylo plume"), _line(done, "Café moulu")
    with session_scope(engine) as s:
        back = s.execute(
            select(SaleLine.returned_line_id, func.sum(SaleLine.quantity))
            .where(SaleLine.returned_line_id.is_not(None))  # type: ignore[union-attr]
            .group_by(SaleLine.returned_line_id)
        ).all()
        kept = s.execute(
            select(func.sum(Sale.total_cents)).where(Sale.state == "completed")
        ).scalar_one()
    assert dict(back) == {pen: -3, coffee: -2} and kept == 0
    files = sorted(f.stem for f in (tmp_path / "receipts").glob("till-*/*.txt"))
    assert files == ["R0000002", "R0000003"]


async def test_return_keys_in_footer_and_help(engine: Engine, store: Store, drive: Drive) -> None:
    _sale(engine)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await _open_return(app, pilot)
        keys = [(k.key, k.region.right) for k in app.screen.query(FooterKey) if k.region.width]
        assert {"0", "f10", "escape", "a"} <= {k for k, _ in keys}
        assert all(right <= 80 for _, right in keys), keys
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "One more" in shown and "Return" in shown
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, RecentSalesScreen)
    assert _refunds(engine) == 0


async def test_return_without_receipt_as_store_credit(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ReturnNoReceiptScreen)
        await pilot.press(*"Parapluie", "tab", *"12", "tab", "tab", *"20")
        await pilot.press("f10")  # no reason: refused, everything typed kept
        await settle(pilot)
        assert "needs a reason" in shown_text(app, "#noreceipt-note")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("tab", *"cadeau", "f3")
        await settle(pilot)
        assert "Store credit" in shown_text(app, "#noreceipt-method")
        await pilot.press("f10")  # no customer for the credit: the till refuses
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ReturnNoReceiptScreen), "the form")
        await wait_until(
            pilot, lambda: "give their card" in shown_text(app, "#noreceipt-note"), "no"
        )
        assert _refunds(engine) == 0
        await pilot.press("tab", *"CARD-PAUL", "f10")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: _receipt_shown(app), "the receipt")
        receipt = shown_text(app, "#receipt-text")
        assert "Return without receipt" in receipt and "Reason: cadeau" in receipt
        assert "-12.00" in receipt and "Paul Martin" in receipt
    assert _ledgers(engine, store.paul) == (0, -1200)
    with session_scope(engine) as s:
        row = s.execute(select(Sale).where(Sale.kind == "refund")).scalar_one()
        assert row.note == "cadeau" and row.original_sale_id is None
        assert row.customer_id == store.paul and row.total_cents == -1200


async def test_returned_meanwhile_at_another_register(
    engine: Engine, store: Store, drive: Drive
) -> None:
    """The screen was opened, then another register returned the pens: F10 is refused
    with the reason, nothing is written twice, and the screen shows what is left."""
    done = _sale(engine)
    pen = _line(done, "Stylo plume")
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await _open_return(app, pilot)
        await pilot.press("3")
        await settle(pilot)
        assert _rows(app)[0].split()[-2:] == ["3", "70.96"]
        with session_scope(engine) as s:
            sales.return_lines(s, "till-2", done.id, {pen: 2})
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ReturnLinesScreen), "the list")
        await wait_until(
            pilot, lambda: "Only 1 of “Stylo plume”" in shown_text(app, "#return-note"), "refusal"
        )
        await wait_until(
            pilot, lambda: _rows(app)[0].split()[-4:] == ["3", "2", "1", "23.65"], "rows"
        )
    assert _refunds(engine) == 1
    assert _ledgers(engine, store.paul)[1] == 5000 - 4731
