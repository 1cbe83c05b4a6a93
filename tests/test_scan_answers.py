"""Issue 12 §4: scans and fast input never answer a question.

Two ways a code arrives: through evdev (real ``InputEvent`` traces from a fake device,
decoded by the real listener on its thread) and as a terminal-wedge burst (every key
handed to the app back to back, as the terminal driver does with one read of a fast
scanner or a paste over SSH). Each test waits for a positive sign that the scan was
processed (a line on the sale, a notice, a field's value) before asserting what must
not have happened, and checks the database as well as the screen.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from scanner_fakes import FakeBackend, FakeDevice, entry, scan
from screens_data import settle
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from tillterm import sales
from tillterm.customers.profiles import create_customer
from tillterm.scanner import listener as listener_module
from tillterm.scanner.config import ScannerConfig
from tillterm.scanner.decoder import STALL_WINDOW_MS
from tillterm.scanner.listener import ScannerListener
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, CustomerGroup, Payment, Sale
from tillterm.ui import scanner_bridge
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import (
    ChoiceScreen,
    ConfirmScreen,
    KeyConfirmScreen,
    PromptScreen,
)
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.recent_sales import RecentSalesScreen
from tillterm.ui.screens.register import RegisterScreen

REGISTER = "till-1"
PEN = "3000000000024"  # Stylo plume, 24.90
COFFEE = "3000000000017"  # Café moulu, 4.50
MARIE = "2900000000017"  # Marie Dubois's card (VIP, 10 %)
PAUL = "CARD-PAUL"
UNKNOWN_CARD = "2911112222333"


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


@pytest.fixture
def device(monkeypatch: pytest.MonkeyPatch) -> FakeDevice:
    """A scanner the app's real listener reads (US layout), through a fake backend."""
    monkeypatch.setattr(listener_module, "RESCAN_MISSING_S", 0.02)
    backend = FakeBackend()
    dev = FakeDevice()
    backend.add(entry(), dev)

    def make(on_code, on_notice):  # type: ignore[no-untyped-def]
        return ScannerListener(
            on_code, on_notice, config=ScannerConfig(layout="us"), backend=backend
        )

    monkeypatch.setattr(scanner_bridge, "make_listener", make)
    return dev


@asynccontextmanager
async def running(
    drive: Drive, *, scanner: bool = False
) -> AsyncIterator[tuple[TilltermApp, Pilot[int]]]:
    """The shared ``drive`` on this register, notices shown, once its start has settled."""
    async with drive(register=REGISTER, scanner=scanner, notifications=True) as (app, pilot):
        await settle(pilot)
        yield app, pilot


async def on_screen(pilot: Pilot[int], screen: type[object]) -> None:
    """Wait until ``screen`` is shown and what it started loading has settled."""
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, screen), f"the {screen.__name__} screen"
    )
    await settle(pilot)


def _key(character: str) -> events.Key:
    if character == "\n":
        return events.Key("enter", "\r")
    if character == " ":
        return events.Key("space", " ")
    if character.isalnum():
        return events.Key(character, character)
    from textual.keys import _character_to_key

    return events.Key(_character_to_key(character), character)


async def burst(pilot: Pilot[int], text: str) -> None:
    """Keys as a wedge scanner (or a paste over SSH) delivers them: all at once.

    ``pilot.press`` waits for the app to be idle after every key (40 ms or more), far
    slower than any scanner; the driver hands the app a terminal read's keys in one go.
    """
    for character in text:
        pilot.app.post_message(_key(character))
    await pilot.pause()


async def scanned_slowly(pilot: Pilot[int], text: str, gap: float = 0.005) -> None:
    """Keys as a slower wedge scanner types them: ``gap`` seconds apart (still a scan),
    so the app handles each key, bindings and all, before the next one comes."""
    for character in text:
        pilot.app.post_message(_key(character))
        await asyncio.sleep(gap)
    await pilot.pause()


async def typed(pilot: Pilot[int], text: str) -> None:
    """Keys as a person types them (``pilot.press``: one at a time)."""
    await pilot.press(*[{" ": "space", "\n": "enter"}.get(ch, ch) for ch in text])


def sale(engine: Engine) -> sales.SaleView | None:
    with session_scope(engine) as s:
        return sales.find_open_sale(s, REGISTER)


def lines(engine: Engine) -> list[tuple[str, int]]:
    view = sale(engine)
    return [(line.description, line.quantity) for line in view.lines] if view else []


def customer_on_sale(engine: Engine) -> int | None:
    view = sale(engine)
    return view.customer.id if view and view.customer else None


def customer_codes(engine: Engine) -> set[str]:
    with session_scope(engine) as s:
        return set(s.execute(select(Customer.customer_code)).scalars())


def status(app: TilltermApp) -> str:
    return str(app.screen.query_one("#register-status", Static).render())


def notices(app: TilltermApp) -> list[str]:
    return [n.message for n in app._notifications]


# --- the unknown code ------------------------------------------------------------------


async def test_after_an_unknown_scan_the_next_scan_is_just_the_next_scan(
    engine: Engine, store: Store, device: FakeDevice, drive: Drive
) -> None:
    async with running(drive, scanner=True) as (app, pilot):
        await wait_until(pilot, lambda: device.grabbed, "the scanner to be grabbed")
        device.push(scan(UNKNOWN_CARD))
        await wait_until(
            pilot, lambda: UNKNOWN_CARD in status(app), "the unknown card in the status line"
        )
        assert isinstance(app.screen, RegisterScreen)
        assert "Ctrl+N" in status(app)
        assert app.focused is not None and app.focused.id == "scan-input"
        device.push(scan(PEN))
        await wait_until(
            pilot, lambda: lines(engine) == [("Stylo plume", 1)], "the pen on the sale"
        )
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert "Ctrl+N" not in status(app)
        await pilot.press("ctrl+n")  # the offer went with the next scan: a blank form
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        assert app.screen.collect()["customer_code"] == ""
    assert customer_codes(engine) == {MARIE, PAUL, "TRADE-1", "PLAIN-1"}


async def test_a_wedge_scan_after_an_unknown_one_adds_the_item(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        await burst(pilot, f"{UNKNOWN_CARD}\n")
        await wait_until(
            pilot, lambda: UNKNOWN_CARD in status(app), "the unknown card in the status line"
        )
        await burst(pilot, f"{PEN}\n")
        await wait_until(
            pilot, lambda: lines(engine) == [("Stylo plume", 1)], "the pen on the sale"
        )
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert app.screen.query_one("#scan-input", Input).value == ""
    assert customer_codes(engine) == {MARIE, PAUL, "TRADE-1", "PLAIN-1"}


async def test_a_valid_product_barcode_is_not_offered_as_a_card(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        await burst(pilot, "4006381333931\n")  # a real EAN-13, not in this catalogue
        await wait_until(
            pilot, lambda: "4006381333931" in status(app), "the unknown EAN in the status line"
        )
        assert "not in the catalogue" in status(app)
        assert isinstance(app.screen, RegisterScreen)
        await pilot.press("ctrl+n")  # only the cashier's key makes it a card
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        assert app.screen.collect()["customer_code"] == "4006381333931"


# --- dialogs ---------------------------------------------------------------------------


async def test_a_wedge_scan_does_not_pay(engine: Engine, store: Store, drive: Drive) -> None:
    async with running(drive) as (app, pilot):
        await burst(pilot, f"{PEN}\n")
        await wait_until(
            pilot, lambda: lines(engine) == [("Stylo plume", 1)], "the pen on the sale"
        )
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        await burst(pilot, f"{COFFEE}\n")  # digits only: the amount field takes them all
        await wait_until(
            pilot,
            lambda: any(COFFEE in n and "not used" in n for n in notices(app)),
            'a "not used" notice for the coffee',
        )
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.query_one("#payment-amount", Input).value == ""
    with session_scope(engine) as s:
        assert s.execute(select(Payment)).first() is None
    assert lines(engine) == [("Stylo plume", 1)]


async def test_a_scanner_code_in_the_payment_screen_is_not_lost_in_silence(
    engine: Engine, store: Store, device: FakeDevice, drive: Drive
) -> None:
    async with running(drive, scanner=True) as (app, pilot):
        await wait_until(pilot, lambda: device.grabbed, "the scanner to be grabbed")
        device.push(scan(PEN))
        await wait_until(
            pilot, lambda: lines(engine) == [("Stylo plume", 1)], "the pen on the sale"
        )
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        device.push(scan(COFFEE))
        await wait_until(
            pilot,
            lambda: any(COFFEE in n and "not used" in n for n in notices(app)),
            'a "not used" notice for the coffee',
        )
        assert isinstance(app.screen, PaymentScreen)
    assert lines(engine) == [("Stylo plume", 1)]


async def test_a_wedge_scan_does_not_press_the_focused_button(
    engine: Engine, store: Store, drive: Drive
) -> None:
    answers: list[bool | None] = []
    async with running(drive) as (app, pilot):
        app.push_screen(ConfirmScreen("Void the sale?", "Really?"), answers.append)
        await settle(pilot)
        await burst(pilot, f"{PEN}\n")
        await wait_until(
            pilot,
            lambda: any(PEN in n and "not used" in n for n in notices(app)),
            'a "not used" notice for the pen',
        )
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and answers == []
        await pilot.press("n")  # a person's key still answers
        await wait_until(pilot, lambda: answers == [False], "the answer")
    assert lines(engine) == []


# --- typed at scanner speed: exactly as typed ------------------------------------------


async def test_open_price_item_and_discount_at_scanner_speed(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        await burst(pilot, "=12.50 gift wrap\n")
        await wait_until(
            pilot, lambda: lines(engine) == [("gift wrap", 1)], "the gift wrap on the sale"
        )
        await burst(pilot, "%10\n")
        await wait_until(
            pilot,
            lambda: (view := sale(engine)) is not None and view.discount > 0,
            "the discount on the sale",
        )
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    view = sale(engine)
    assert view is not None
    assert (view.lines[0].unit_price, view.lines[0].line_discount_percent) == (D("12.50"), D(10))
    assert view.total == D("11.25")


# --- the customer field and the customer form ------------------------------------------


async def test_a_card_scanned_into_the_customer_field_attaches_at_once(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        await pilot.press("f7")
        assert app.focused is not None and app.focused.id == "customer-input"
        await burst(pilot, f"{MARIE}\n")
        await wait_until(
            pilot, lambda: customer_on_sale(engine) == store.marie, "Marie on the sale"
        )
        await settle(pilot)
        assert "Marie Dubois" in str(app.screen.query_one("#customer-panel").render())
        # looked up as a card, not picked from whatever a search of a prefix had found
        assert status(app) == "Customer: Marie Dubois."
        assert app.focused is not None and app.focused.id == "scan-input"
        assert app.screen.query_one("#customer-input", Input).value == ""


async def test_enter_typed_before_the_customer_search_answers_still_attaches(
    engine: Engine, store: Store, monkeypatch: pytest.MonkeyPatch, drive: Drive
) -> None:
    """The search is held until Enter has been handled: Enter must not be lost."""
    from tillterm.services.till import Till

    search = Till.search_customers
    gate = threading.Event()
    searched: list[str] = []

    def held(till: Till, text: str, limit: int):  # type: ignore[no-untyped-def]
        searched.append(text)
        gate.wait(10)
        return search(till, text, limit)

    monkeypatch.setattr(Till, "search_customers", held)
    async with running(drive) as (app, pilot):
        await pilot.press("f7")
        await typed(pilot, "paul\n")
        await wait_until(
            pilot,
            lambda: "paul" in searched and "paul" in status(app),
            'the held search for "paul"',
        )
        gate.set()
        await wait_until(pilot, lambda: customer_on_sale(engine) == store.paul, "Paul on the sale")
        await settle(pilot)
        assert "again" not in status(app)
        assert app.focused is not None and app.focused.id == "scan-input"


async def test_a_scan_in_the_customer_form_goes_to_the_code_field(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        app.push_screen(CustomerForm())
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        first = form.query_one("#field-first_name", Input)
        assert first.has_focus
        await typed(pilot, "Ana")
        # a person puts the keyboard down and picks up the scanner: a burst sooner than
        # the stall window after typing may be that typing held back by the network, or a
        # scan whose first key came alone (issue 16 §5), and is never taken for a scan
        await pilot.pause(STALL_WINDOW_MS / 1000 + 0.1)
        await burst(pilot, "2900000000888\n")
        await wait_until(
            pilot,
            lambda: form.collect()["customer_code"] == "2900000000888",
            "the scanned code in the code field",
        )
        await settle(pilot)
        assert app.screen is form
        assert first.value == "Ana" and first.has_focus
        await typed(pilot, "ïs")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
    with session_scope(engine) as s:
        row = s.execute(
            select(Customer).where(Customer.customer_code == "2900000000888")
        ).scalar_one()
        assert row.first_name == "Anaïs"


# --- a second card -----------------------------------------------------------------------


async def test_a_second_card_asks_before_replacing_the_customer(
    engine: Engine, store: Store, device: FakeDevice, drive: Drive
) -> None:
    async with running(drive, scanner=True) as (app, pilot):
        await wait_until(pilot, lambda: device.grabbed, "the scanner to be grabbed")
        device.push(scan(MARIE))
        await wait_until(
            pilot, lambda: customer_on_sale(engine) == store.marie, "Marie on the sale"
        )
        device.push(scan(PAUL))
        await wait_until(pilot, lambda: "Ctrl+Y" in status(app), "the Ctrl+Y question")
        assert "Paul Martin" in status(app) and "Marie Dubois" in status(app)
        assert customer_on_sale(engine) == store.marie
        await burst(pilot, f"{PAUL}\n")  # the same card typed fast: asks again, no answer
        await wait_until(pilot, lambda: "Ctrl+Y" in status(app), "the Ctrl+Y question")
        assert customer_on_sale(engine) == store.marie
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: customer_on_sale(engine) == store.paul, "Paul on the sale")
        await settle(pilot)
        assert "Paul Martin" in str(app.screen.query_one("#customer-panel").render())


# --- amounts ----------------------------------------------------------------------------


@pytest.mark.parametrize("entry_text", ["=1e3 sci", "=NaN x", "=inf x", "=1_000 x", "=١٢ x"])
async def test_open_price_amounts_are_plain_decimals(
    engine: Engine, store: Store, entry_text: str, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        await typed(pilot, entry_text + "\n")
        await wait_until(
            pilot, lambda: "not an amount" in status(app), '"not an amount" in the status line'
        )
        await settle(pilot)
        assert lines(engine) == []


async def test_open_price_zero_negative_and_huge(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        await typed(pilot, "=-0 x\n")
        await wait_until(
            pilot, lambda: "above zero" in status(app), '"above zero" in the status line'
        )
        await typed(pilot, "=99999999999 x\n")
        await wait_until(
            pilot, lambda: "too large" in status(app), '"too large" in the status line'
        )
        await typed(pilot, "=1000,50 x\n")
        await wait_until(
            pilot, lambda: lines(engine) == [("x", 1)], "the open-price line on the sale"
        )
    view = sale(engine)
    assert view is not None and view.lines[0].unit_price == D("1000.50")


async def test_a_scan_while_typing_notes_leaves_the_notes_alone(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        app.push_screen(CustomerForm())
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        await pilot.press("f7")  # the Details tab
        await settle(pilot)
        notes = form.query_one("#field-notes", TextArea)
        notes.focus()
        await typed(pilot, "Nut allergy")
        await pilot.pause(STALL_WINDOW_MS / 1000 + 0.1)  # see the test above
        await burst(pilot, "2900000000777\n")
        code = form.query_one("#field-customer_code", Input)
        await wait_until(
            pilot, lambda: code.value == "2900000000777", "the scanned code in the code field"
        )
        await settle(pilot)
        assert notes.text == "Nut allergy" and notes.has_focus


def test_scan_code_keeps_the_customer_on_the_sale_when_asked(any_engine: Engine) -> None:
    """The domain half of "a second card asks first", on both engines."""
    built = build_store(any_engine)
    with session_scope(any_engine) as s:
        assert sales.scan_code(s, REGISTER, MARIE, replace_customer=False).kind == "customer"
    with session_scope(any_engine) as s:
        again = sales.scan_code(s, REGISTER, MARIE, replace_customer=False)
        other = sales.scan_code(s, REGISTER, PAUL, replace_customer=False)
        typed_code = sales.enter_text(s, REGISTER, PAUL.lower(), replace_customer=False)
    assert again.kind == "customer"  # the same card again is no question
    assert (other.kind, other.customer_id, other.view) == ("other customer", built.paul, None)
    assert other.message == "Card of Paul Martin; Marie Dubois is on this sale."
    assert typed_code.kind == "other customer"
    assert customer_on_sale(any_engine) == built.marie
    with session_scope(any_engine) as s:
        assert sales.scan_code(s, REGISTER, PAUL).kind == "customer"  # the default replaces
    assert customer_on_sale(any_engine) == built.paul


async def test_a_scan_on_a_screen_without_use_for_it_says_where_to_scan(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with running(drive) as (app, pilot):
        await pilot.press("f4")  # the groups
        await wait_until(
            pilot, lambda: not isinstance(app.screen, RegisterScreen), "the groups screen"
        )
        await settle(pilot)
        await burst(pilot, f"{PEN}\n")
        await wait_until(
            pilot,
            lambda: any(PEN in n and "register (F2)" in n for n in notices(app)),
            'a "scan on the register" notice',
        )
    assert lines(engine) == []


# --- a burst that begins with a dialog's answer letter ---------------------------------
#
# Issue 12 §4: a wedge scan's first characters reach the app before its Enter shows it
# was a scan. In a question a letter is an answer, so each test scans a code that starts
# with the question's own letter, waits for the app's word that the scan was not used
# (the positive sign it was handled), then checks that the question is still asked and
# that the database or file is untouched. A person's single key still answers.


def scan_not_used(app: TilltermApp, code: str) -> bool:
    return any(code in n and "not used" in n for n in notices(app))


async def scanned_in_question(pilot: Pilot[int], code: str, question: type) -> None:
    """Scan ``code`` at scanner speed while ``question`` is up; it must still be up."""
    app = pilot.app
    assert isinstance(app.screen, question)
    asked = app.screen
    await burst(pilot, f"{code}\n")
    await wait_until(pilot, lambda: scan_not_used(app, code), f"the scan {code} to be refused")  # type: ignore[arg-type]
    await settle(pilot)
    assert app.screen is asked, f"{code} answered {type(asked).__name__}"


def group_names(engine: Engine) -> set[str]:
    with session_scope(engine) as s:
        return set(s.execute(select(CustomerGroup.name)).scalars())


@pytest.mark.parametrize("letter", ["y", "n"])
async def test_a_scan_beginning_with_y_or_n_does_not_answer_a_group_delete(
    drive: Drive, engine: Engine, store: Store, letter: str
) -> None:
    async with running(drive) as (app, pilot):
        await pilot.press("f4")
        await on_screen(pilot, GroupsScreen)
        await pilot.press("delete")  # the first group (VIP)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the Confirm screen")
        await scanned_in_question(pilot, f"{letter}123456", ConfirmScreen)
        await pilot.press("y")  # the cashier's own key still answers
        await wait_until(pilot, lambda: group_names(engine) == {"Wholesale"}, "the group deleted")
        assert isinstance(app.screen, GroupsScreen)


async def test_a_scan_beginning_with_y_does_not_archive_a_customer(
    drive: Drive, engine: Engine, store: Store
) -> None:
    async with running(drive) as (app, pilot):
        await pilot.press("f3")
        await on_screen(pilot, CustomersScreen)
        app.screen.open_customer(store.paul)
        await on_screen(pilot, CustomerView)
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the Confirm screen")
        await scanned_in_question(pilot, "y2900000000017", ConfirmScreen)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the answer")
    with session_scope(engine) as s:
        paul = s.get(Customer, store.paul)
        assert paul is not None and paul.archived_at is None


async def test_a_scan_beginning_with_y_does_not_discard_the_customer_form(
    drive: Drive, engine: Engine, store: Store
) -> None:
    async with running(drive) as (app, pilot):
        await pilot.press("f3")
        await on_screen(pilot, CustomersScreen)
        await pilot.press("ctrl+n")
        await on_screen(pilot, CustomerForm)
        form = app.screen
        assert isinstance(form, CustomerForm)
        await typed(pilot, "Hugo")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the Confirm screen")
        await scanned_in_question(pilot, "y123456", ConfirmScreen)
        await pilot.press("n")  # keep editing
        await wait_until(pilot, lambda: app.screen is form, "the answer")
        assert form.query_one("#field-first_name", Input).value == "Hugo"


async def test_a_scan_beginning_with_s_does_not_save_a_duplicate(
    drive: Drive, engine: Engine, store: Store
) -> None:
    with session_scope(engine) as s:
        create_customer(s, {"first_name": "Zoé", "last_name": "Roux", "email": "zoe@example.org"})
    async with running(drive) as (app, pilot):
        await pilot.press("f3")
        await on_screen(pilot, CustomersScreen)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        # Zoé's email: the form asks before saving a possible duplicate
        customers.action_add_customer({"last_name": "Roux", "email": "zoe@example.org"})
        await on_screen(pilot, CustomerForm)
        form = app.screen
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the Choice screen")
        await scanned_in_question(pilot, "s123456", ChoiceScreen)  # "Save anyway (S)"
        await scanned_in_question(pilot, "o123456", ChoiceScreen)  # "Open … (O)"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is form, "the answer")
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(Customer)).scalar_one() == 5


async def test_a_scan_beginning_with_y_does_not_replace_an_export(
    drive: Drive, engine: Engine, store: Store, tmp_path: Path
) -> None:
    target = tmp_path / "customers.csv"
    target.write_text("last month's list")
    async with running(drive) as (app, pilot):
        await pilot.press("f3")
        await on_screen(pilot, CustomersScreen)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the Prompt screen")
        app.screen.query_one("#prompt-input", Input).value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the Confirm screen")
        await scanned_in_question(pilot, "y123456", ConfirmScreen)
        await pilot.press("n")
        await wait_until(pilot, lambda: any("was kept" in n for n in notices(app)), "the answer")
        await settle(pilot)
    assert target.read_text() == "last month's list"


async def test_a_scan_beginning_with_y_does_not_refund(
    drive: Drive, engine: Engine, store: Store
) -> None:
    with session_scope(engine) as s:
        sales.scan_code(s, "till-9", PEN)
        view = sales.scan_code(s, "till-9", PAUL).view
        assert view is not None
        sales.add_payment(s, view.id, "cash", tendered=D(30))
        sales.complete_sale(s, view.id)
    async with running(drive) as (app, pilot):
        await pilot.press("ctrl+t")
        await on_screen(pilot, RecentSalesScreen)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the Confirm screen")
        await scanned_in_question(pilot, "y3000000000024", ConfirmScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, RecentSalesScreen), "the answer")
    with session_scope(engine) as s:
        refunds = s.execute(select(func.count()).where(Sale.kind == "refund")).scalar_one()
    assert refunds == 0


async def test_a_scan_beginning_with_n_does_not_answer_the_void_question(
    drive: Drive, engine: Engine, store: Store
) -> None:
    async with running(drive) as (app, pilot):
        await burst(pilot, f"{PEN}\n")
        await wait_until(
            pilot, lambda: lines(engine) == [("Stylo plume", 1)], "the scanned pen on the sale"
        )
        await settle(pilot)
        await pilot.press("f12")
        await wait_until(
            pilot, lambda: isinstance(app.screen, KeyConfirmScreen), "the KeyConfirm screen"
        )
        await scanned_in_question(pilot, "n123456", KeyConfirmScreen)
        await pilot.press("f12")  # only the function key voids
        await wait_until(pilot, lambda: lines(engine) == [], "the sale voided")
    with session_scope(engine) as s:
        assert s.execute(select(Sale.state)).scalars().all() == ["voided"]


async def test_a_burst_without_enter_in_a_question_is_ignored_and_said(
    drive: Drive, engine: Engine, store: Store
) -> None:
    answers: list[bool | None] = []
    async with running(drive) as (app, pilot):
        app.push_screen(ConfirmScreen("Void the sale?", "Really?"), answers.append)
        await settle(pilot)
        await burst(pilot, "yy")  # two keys at scanner speed, no Enter: not a person
        await wait_until(
            pilot,
            lambda: any("scanner speed" in n for n in notices(app)),
            "the scanner-speed notice",
        )
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and answers == []
        await pilot.press("y")
        await wait_until(pilot, lambda: answers == [True], "the answer")


# --- an unknown card on the Customers screen -----------------------------------------------


def customer_status(app: TilltermApp) -> str:
    return str(app.screen.query_one("#customer-status", Static).render())


async def test_an_unknown_card_on_the_customers_screen_is_said_in_the_status_line(
    drive: Drive, engine: Engine, store: Store
) -> None:
    async with running(drive) as (app, pilot):
        await pilot.press("f3")
        await on_screen(pilot, CustomersScreen)
        customers = app.screen
        await burst(pilot, f"{UNKNOWN_CARD}\n")
        await wait_until(
            pilot,
            lambda: UNKNOWN_CARD in customer_status(app),
            "the unknown card in the status line",
        )
        await settle(pilot)
        assert app.screen is customers  # no dialog
        assert "Ctrl+N: new customer with this card" in customer_status(app)
        assert app.focused is not None and app.focused.id == "customer-search"
        assert customers.query_one("#customer-search", Input).value == ""
        await burst(pilot, f"{MARIE}\n")  # the next scan is just the next scan
        await wait_until(
            pilot, lambda: isinstance(app.screen, CustomerView), "the CustomerView screen"
        )
        assert app.screen.customer_id == store.marie
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is customers, "the Customers screen again")
        await settle(pilot)
        assert UNKNOWN_CARD not in customer_status(app)
        await pilot.press("ctrl+n")  # the offer went with the next scan: a blank form
        await wait_until(
            pilot, lambda: isinstance(app.screen, CustomerForm), "the CustomerForm screen"
        )
        assert app.screen.collect()["customer_code"] == ""
    assert customer_codes(engine) == {MARIE, PAUL, "TRADE-1", "PLAIN-1"}


async def test_a_scan_beginning_with_a_does_not_attach_the_profile_shown(
    drive: Drive, engine: Engine, store: Store
) -> None:
    """Not a question, but a letter that acts: "A" on a profile attaches the customer."""
    async with running(drive) as (app, pilot):
        await pilot.press("f3")
        await on_screen(pilot, CustomersScreen)
        app.screen.open_customer(store.paul)
        await on_screen(pilot, CustomerView)
        await scanned_slowly(pilot, "a3000000000024\n")  # looked up as a card below
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, CustomersScreen) and "a3000000000024" in customer_status(app)
            ),
            "the scan looked up as a card on the Customers screen",
        )
        await settle(pilot)
        assert customer_on_sale(engine) is None and lines(engine) == []
        app.screen.open_customer(store.paul)
        await on_screen(pilot, CustomerView)
        await pilot.press("a")  # the cashier's key still attaches
        await wait_until(
            pilot, lambda: customer_on_sale(engine) == store.paul, "the customer attached"
        )
