"""Issue 13: no job of the sales screens fails silently.

For each kind of job the register and its windows run (a scan, a product found by
name, a customer search, attaching a customer, a payment, completing, parking, the
parked list, resuming, voiding, refunding, returning, the report), the till's method is made to
raise an exception nobody planned for. The cashier must read one line "Unexpected
error while …", the traceback must be in the log file, and the screen must work again:
the same key, pressed once the fault is gone, does what it should.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList

from tillterm import sales
from tillterm.services.till import Till
from tillterm.store.engine import session_scope
from tillterm.store.models import Payment, Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen, KeyConfirmScreen
from tillterm.ui.screens.parked_sales import ParkedSalesScreen
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.recent_sales import RecentSalesScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.return_lines import ReturnLinesScreen
from tillterm.ui.screens.return_no_receipt import ReturnNoReceiptScreen
from tillterm.ui.screens.sales_report import SalesReportScreen
from tillterm.ui.widgets.suggestions import Suggestions

REGISTER = "till-1"
COFFEE = "3000000000017"  # Café moulu, 4.50

Step = Callable[[TilltermApp, Pilot[int], Engine], Awaitable[None]]
Check = Callable[[TilltermApp, Engine], object]


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


@asynccontextmanager
async def running(drive: Drive) -> AsyncIterator[tuple[TilltermApp, Pilot[int]]]:
    async with drive(register=REGISTER, notifications=True) as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, RegisterScreen), "the register")
        await settle(pilot)
        yield app, pilot


# --------------------------------------------------------------------------- reading


def _open_sale(engine: Engine) -> sales.SaleView | None:
    with session_scope(engine) as s:
        return sales.find_open_sale(s, REGISTER)


def _line_names(engine: Engine) -> list[str]:
    view = _open_sale(engine)
    return [line.description for line in view.lines] if view else []


def _count(engine: Engine, *where: Any) -> int:
    with session_scope(engine) as s:
        return int(s.execute(select(func.count()).select_from(Sale).where(*where)).scalar_one())


def _paid(engine: Engine) -> int:
    view = _open_sale(engine)
    if view is None:
        return 0
    with session_scope(engine) as s:
        return int(
            s.execute(
                select(func.count()).select_from(Payment).where(Payment.sale_id == view.id)
            ).scalar_one()
        )


# --------------------------------------------------------------------------- steps


async def _nothing(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    return None


async def _type(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*[{"\n": "enter"}.get(ch, ch) for ch in text])


def _items(engine: Engine) -> int:
    view = _open_sale(engine)
    return view.item_count if view else 0


async def _scan_coffee(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    before = _items(engine)
    await _type(pilot, COFFEE + "\n")
    await wait_until(pilot, lambda: _items(engine) > before, "the coffee on the sale")
    # and on the register's screen: a key acting on the sale (F8) reads the one shown
    await wait_until(pilot, lambda: _shown_items(app) > before, "the coffee shown")
    await settle(pilot)


def _shown_items(app: TilltermApp) -> int:
    register = next((s for s in app.screen_stack if isinstance(s, RegisterScreen)), None)
    sale = register.sale if register is not None else None
    return sale.item_count if sale is not None else 0


async def _type_stylo(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _type(pilot, "stylo\n")


async def _search_paul(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    """One search (one Input.Changed), not one per key."""
    await pilot.press("f7")
    field = app.screen.query_one("#customer-input", Input)
    await wait_until(pilot, lambda: field.has_focus, "the customer field")
    field.value = ""
    field.insert_text_at_cursor("paul")


async def _paul_suggested(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _search_paul(app, pilot, engine)
    suggestions = app.screen.query_one(Suggestions)
    await wait_until(pilot, lambda: suggestions.kind == "customers", "Paul suggested")
    await settle(pilot)


def press(*keys: str) -> Step:
    async def step(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
        await pilot.press(*keys)

    return step


async def _in_payment(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _scan_coffee(app, pilot, engine)
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(app.screen, PaymentScreen), "the payment window")
    await settle(pilot)


async def _paid_in_full(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _in_payment(app, pilot, engine)
    await pilot.press("f2")
    await wait_until(pilot, lambda: _paid(engine) == 1, "the cash payment")
    await settle(pilot)
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(app.screen, RegisterScreen), "the register")
    await settle(pilot)


async def _parked(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _scan_coffee(app, pilot, engine)
    await pilot.press("f8")
    await wait_until(pilot, lambda: _count(engine, Sale.state == "parked") == 1, "the park")
    await settle(pilot)


async def _open_parked_list(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    if isinstance(app.screen, ParkedSalesScreen):
        await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(app.screen, RegisterScreen), "the register")
    await pilot.press("f6")
    await wait_until(pilot, lambda: isinstance(app.screen, ParkedSalesScreen), "the parked list")


async def _parked_listed(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _open_parked_list(app, pilot, engine)
    await wait_until(
        pilot,
        lambda: app.screen.query_one("#parked-list", OptionList).option_count == 1,
        "the parked sale listed",
    )
    await settle(pilot)


async def _resume_from_list(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    if not isinstance(app.screen, ParkedSalesScreen):
        await _parked_listed(app, pilot, engine)
    await pilot.press("enter")


async def _parked_then_listed(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _parked(app, pilot, engine)
    await _parked_listed(app, pilot, engine)


async def _void_keys(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await pilot.press("f12")
    await wait_until(pilot, lambda: isinstance(app.screen, KeyConfirmScreen), "the question")
    await pilot.press("f12")


async def _receipt_of_a_sale(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    """A sale completed on this register, then its receipt opened in Ctrl+T."""
    await _paid_in_full(app, pilot, engine)
    await pilot.press("f10")
    await wait_until(pilot, lambda: _receipt_shown(app), "the receipt")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, RegisterScreen), "the register")
    await pilot.press("ctrl+t")
    await wait_until(pilot, lambda: isinstance(app.screen, RecentSalesScreen), "recent sales")
    screen = app.screen
    await wait_until(
        pilot,
        lambda: screen.query_one("#recent-list", OptionList).option_count == 1,
        "the completed sale listed",
    )
    await pilot.press("enter")
    await wait_until(pilot, lambda: getattr(screen, "sale", None) is not None, "its receipt")
    await settle(pilot)


async def _refund_keys(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await pilot.press("f10")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
    await pilot.press("y")


async def _coffee_chosen_to_return(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    """A sale's receipt opened in Ctrl+T, F6, its coffee marked to go back."""
    await _receipt_of_a_sale(app, pilot, engine)
    await pilot.press("f6")
    await wait_until(pilot, lambda: isinstance(app.screen, ReturnLinesScreen), "return items")
    screen = app.screen
    await wait_until(
        pilot, lambda: screen.query_one("#return-list", OptionList).option_count, "its lines"
    )
    await pilot.press("1")
    await settle(pilot)


async def _item_without_receipt(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    """Ctrl+T, F7, the form filled in (cash)."""
    await pilot.press("ctrl+t")
    await wait_until(pilot, lambda: isinstance(app.screen, RecentSalesScreen), "recent sales")
    await pilot.press("f7")
    await wait_until(pilot, lambda: isinstance(app.screen, ReturnNoReceiptScreen), "the form")
    await pilot.press(*"Parapluie", "tab", *"12", "tab", "tab", *"20", "tab", *"gift")
    await settle(pilot)


async def _confirm_return(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await pilot.press("f10")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
    await pilot.press("y")


async def _report_again(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await pilot.press("enter")


def _report_rows(app: TilltermApp) -> int:
    screen = app.screen
    if not isinstance(screen, SalesReportScreen):
        return 0
    return screen.query_one("#report-table", DataTable).row_count


@dataclass(frozen=True)
class Case:
    """One kind of job: set the scene, do what fails, and how to see it worked."""

    method: str
    doing: str
    act: Step
    worked: Check
    prepare: Step = _nothing
    #: what the cashier does again once the fault is gone (default: ``act``)
    again: Step | None = None
    #: the screen whose job fails, when ``act`` opens or closes one
    on: type[Screen[Any]] | None = None


CASES = {
    "scan a product": Case(
        "enter",
        f"adding “{COFFEE}” to the sale",
        lambda app, pilot, engine: _type(pilot, COFFEE + "\n"),
        lambda app, engine: _line_names(engine) == ["Café moulu"],
    ),
    "find a product by name": Case(
        "enter",
        "adding “stylo” to the sale",
        _type_stylo,
        lambda app, engine: _line_names(engine) == ["Stylo plume"],
    ),
    "search customers": Case(
        "search_customers",
        "searching customers",
        _search_paul,
        lambda app, engine: app.screen.query_one(Suggestions).kind == "customers",
    ),
    "attach a customer": Case(
        "attach_customer",
        "attaching the customer",
        press("enter"),
        lambda app, engine: (view := _open_sale(engine)) is not None and view.customer is not None,
        prepare=_paul_suggested,
        again=lambda app, pilot, engine: _again_attach(app, pilot, engine),
    ),
    "take a payment": Case(
        "pay",
        "taking the cash payment",
        press("f2"),
        lambda app, engine: _paid(engine) == 1,
        prepare=_in_payment,
    ),
    "complete the sale": Case(
        "finish",
        "completing the sale",
        press("f10"),
        lambda app, engine: (
            isinstance(app.screen, ReceiptScreen) and _count(engine, Sale.state == "completed") == 1
        ),
        prepare=_paid_in_full,
    ),
    "park the sale": Case(
        "park",
        "parking the sale",
        press("f8"),
        lambda app, engine: _count(engine, Sale.state == "parked") == 1,
        prepare=_scan_coffee,
    ),
    "list the parked sales": Case(
        "parked",
        "listing the parked sales",
        _open_parked_list,
        lambda app, engine: (
            isinstance(app.screen, ParkedSalesScreen)
            and app.screen.query_one("#parked-list", OptionList).option_count == 1
        ),
        prepare=_parked,
        on=ParkedSalesScreen,
    ),
    "resume a parked sale": Case(
        "resume",
        "resuming the sale",
        press("enter"),
        lambda app, engine: _line_names(engine) == ["Café moulu"],
        prepare=_parked_then_listed,
        again=_resume_from_list,
        on=RegisterScreen,
    ),
    "void the sale": Case(
        "void",
        "voiding the sale",
        _void_keys,
        lambda app, engine: _count(engine, Sale.state == "voided") == 1,
        prepare=_scan_coffee,
    ),
    "refund a sale": Case(
        "finish",
        "refunding the sale",
        _refund_keys,
        lambda app, engine: (
            _count(engine, Sale.kind == "refund") == 1 and isinstance(app.screen, ReceiptScreen)
        ),
        prepare=_receipt_of_a_sale,
    ),
    "return items": Case(
        "return_items",
        "returning the items",
        _confirm_return,
        lambda app, engine: (
            _count(engine, Sale.kind == "refund") == 1 and isinstance(app.screen, ReceiptScreen)
        ),
        prepare=_coffee_chosen_to_return,
        on=ReturnLinesScreen,
    ),
    "return without receipt": Case(
        "return_without_receipt",
        "recording the return without receipt",
        _confirm_return,
        lambda app, engine: (
            _count(engine, Sale.kind == "refund") == 1 and isinstance(app.screen, ReceiptScreen)
        ),
        prepare=_item_without_receipt,
        on=ReturnNoReceiptScreen,
    ),
    "sales report": Case(
        "sales_by_group",
        "computing the sales report",
        press("ctrl+r"),
        lambda app, engine: _report_rows(app) > 0,
        again=_report_again,
        on=SalesReportScreen,
    ),
}


async def _again_attach(app: TilltermApp, pilot: Pilot[int], engine: Engine) -> None:
    await _paul_suggested(app, pilot, engine)
    await pilot.press("enter")


def _receipt_shown(app: TilltermApp) -> bool:
    """The receipt window is up and built (pushed is not yet composed)."""
    return isinstance(app.screen, ReceiptScreen) and bool(app.screen.query("#receipt-text"))


@pytest.mark.parametrize("kind", list(CASES))
async def test_an_unexpected_failure_is_told_logged_and_the_screen_works_again(
    kind: str,
    engine: Engine,
    store: Store,
    drive: Drive,
    monkeypatch: pytest.MonkeyPatch,
    _failure_log: Path,
) -> None:
    case = CASES[kind]
    original = getattr(Till, case.method)

    def broken(self: Till, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"injected fault in Till.{case.method}")

    async with running(drive) as (app, pilot):
        await case.prepare(app, pilot, engine)
        on = case.on or type(app.screen)
        monkeypatch.setattr(Till, case.method, broken)
        await case.act(app, pilot, engine)
        await wait_until(pilot, lambda: app._notifications, f"the failure of {kind} told")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert len(said) == 1, said
        assert said[0].startswith(f"Unexpected error while {case.doing}: injected fault"), said
        assert str(_failure_log) in said[0] and "usable again" in said[0]
        assert isinstance(app.screen, on)  # still there, not stuck on a "busy" state
        assert not getattr(app.screen, "_busy", False)

        monkeypatch.setattr(Till, case.method, original)  # the fault is gone
        await (case.again or case.act)(app, pilot, engine)
        await wait_until(pilot, lambda: case.worked(app, engine), f"{kind} working again")
    logged = _failure_log.read_text()
    assert case.doing in logged and logged.count("Traceback") == 1  # nothing else went wrong
    assert f"RuntimeError: injected fault in Till.{case.method}" in logged
