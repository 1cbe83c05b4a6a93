"""Type-ahead (issue 16 §1): keys typed back to back reach the screen they were meant for.

Each test types the key that opens something and what follows it with no pause, two
ways: ``press`` (Pilot's ``press`` with every key in one call) and ``burst`` (every key
posted to the app at once, as one read of the terminal hands them over after an SSH
stall or a paste: nothing is processed between them). Each checks the database or the
file written, not only the screen. The real app in a pseudo-terminal gets the same bytes
in one write in ``test_typeahead_pty.py``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy import select
from sqlalchemy.engine import Engine
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.widgets import Input, Static

from tillterm import sales
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, Payment, Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.spreadsheet_import import ImportScreen
from tillterm.ui.typeahead import EscapeFirstParser
from tillterm.ui.widgets.suggestions import Suggestions

Typer = Callable[[Any, list[str]], Awaitable[None]]


def keys_of(text: str) -> list[str]:
    """The key names that type ``text``."""
    return [ch if ch.isalnum() else _character_to_key(ch) for ch in text]


def key_event(name: str) -> events.Key:
    """The Key event the terminal driver would post for ``name`` (as Pilot builds it)."""
    original = REPLACED_KEYS.get(name, name)
    try:
        character: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        character = name if len(name) == 1 else None
    return events.Key(name, character)


async def press(pilot: Any, keys: list[str]) -> None:
    await pilot.press(*keys)


async def burst(pilot: Any, keys: list[str]) -> None:
    """All keys in the app's queue before it handles the first: one terminal read.

    ``wait:N`` (as for ``press``) stamps the keys after it N ms later, as typed by a
    person whose keys were held up on the way: still all queued at once.
    """
    stamp = time.monotonic()
    for name in keys:
        if name.startswith("wait:"):
            stamp += float(name.split(":")[1]) / 1000
            continue
        event = key_event(name)
        event.time = stamp
        pilot.app.post_message(event)
    await pilot.pause()


@pytest.fixture(params=["press", "burst"])
def typer(request: pytest.FixtureRequest) -> Typer:
    return press if request.param == "press" else burst


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _field(app: TilltermApp, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


async def _sale_with_pen(app: TilltermApp, pilot: Any) -> None:
    await settle(pilot)
    app.post_message(ScanReceived("3000000000024"))  # Stylo plume, 24.90
    await settle(pilot)


def _sales(engine: Engine) -> list[tuple[str, list[tuple[int, int | None, int]]]]:
    with session_scope(engine) as s:
        rows = s.execute(select(Sale).order_by(Sale.id)).scalars().all()
        out = []
        for sale in rows:
            pays = s.execute(select(Payment).where(Payment.sale_id == sale.id)).scalars().all()
            out.append(
                (sale.state, [(p.amount_cents, p.tendered_cents, p.change_cents) for p in pays])
            )
        return out


async def test_f9_amount_enter_f10_takes_the_cash_tendered_and_completes(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    """F9 30 Enter F10: 30 tendered, 5.10 change, sale completed (was: the exact amount
    due, no tendered amount, ``30`` hidden in the scan field)."""
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await typer(pilot, ["f9", "3", "0", "enter", "f10"])
        await settle(pilot)
        assert not isinstance(app.screen, RegisterScreen) or _field(app, "#scan-input") == ""
    assert _sales(engine) == [("completed", [(2490, 3000, 510)])]


def _click_events(x: int, y: int) -> list[events.MouseDown | events.MouseUp]:
    """A left click at screen cell (x, y), as the terminal driver posts it."""
    return [
        cls(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)
        for cls in (events.MouseDown, events.MouseUp)
    ]


async def _footer_key_cell(app: TilltermApp, pilot: Any, key: str) -> tuple[int, int]:
    """Where the footer of the screen on top draws ``key``."""
    from textual.widgets._footer import FooterKey

    await wait_until(
        pilot,
        lambda: any(k.key == key and k.region.width for k in app.screen.query(FooterKey)),
        f"{key} in the footer",
    )
    found = next(k for k in app.screen.query(FooterKey) if k.key == key)
    return found.region.x + 1, found.region.y


async def test_a_click_behind_keys_lands_on_what_they_opened(
    engine: Engine, store: Store, drive: Drive
) -> None:
    """F9 30 then a click on the footer's "F2 Cash", read together: the click waits
    behind the keys like a key, so it lands on the payment window they opened and pays
    the 30 typed (was: the click went at once to the register under it)."""
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await press(pilot, ["f9"])
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        x, y = await _footer_key_cell(app, pilot, "f2")
        await press(pilot, ["escape"])
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        stamp = time.monotonic()
        for event in [*(key_event(name) for name in ("f9", "3", "0")), *_click_events(x, y)]:
            event.time = stamp
            app.post_message(event)
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
    assert _sales(engine) == [("open", [(2490, 3000, 510)])]


async def test_a_click_goes_on_a_screen_that_never_stops_redrawing(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A click waits for the screen to be drawn, but not for ever: on a screen that
    always has something left to draw (a spinner), it goes after a few refreshes."""
    from tillterm.ui import typeahead

    monkeypatch.setattr(typeahead.TypeAhead, "_drawn", lambda self, screen: False)
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await press(pilot, ["f9", "3", "0"])
        await settle(pilot)
        x, y = await _footer_key_cell(app, pilot, "f2")
        for event in _click_events(x, y):
            app.post_message(event)
        await wait_until(pilot, lambda: _sales(engine)[0][1], "the click's payment")
    assert _sales(engine) == [("open", [(2490, 3000, 510)])]


async def test_a_click_waits_for_a_key_held_in_a_question(
    engine: Engine, store: Store, drive: Drive
) -> None:
    """In a question a letter is held for the scan gap (it might begin a scan); a click
    read right behind it comes after it, never before: "Void this sale?", then "n" and
    a click where the "Void" button is, together: "n" keeps the sale and closes the
    question, and the click lands on the register (was: the click went first and
    pressed "Void")."""
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await press(pilot, ["f12"])
        await settle(pilot)
        void = app.screen.query_one("#confirm-yes").region
        x, y = void.x + 1, void.y
        await press(pilot, ["escape"])
        await settle(pilot)
        await press(pilot, ["f12"])
        await settle(pilot)
        assert app.screen.query_one("#confirm-yes").region == void
        stamp = time.monotonic()
        for event in [key_event("n"), *_click_events(x, y)]:
            event.time = stamp
            app.post_message(event)
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    assert _sales(engine) == [("open", [])]


def _hold_database(db_path: Path) -> sqlite3.Connection:
    """Another register holds the write lock: a change to the sale waits on it (up to
    the busy timeout, 5 s) until :func:`_let_go`."""
    blocker = sqlite3.connect(db_path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


def _let_go(blocker: sqlite3.Connection) -> None:
    blocker.rollback()
    blocker.close()


def _payment_note(app: TilltermApp) -> str:
    return str(app.screen.query_one("#payment-note", Static).render())


async def test_f9_behind_a_hanging_scan_opens_the_payment_at_once(
    engine: Engine, db_path: Path, store: Store, drive: Drive, typer: Typer
) -> None:
    """A scan waits on a database another register holds; F9 30 Enter typed behind it.
    The payment window opens at once saying the sale is being read, and 30 goes into
    it (was: the keys waited 3 s for the scan, then "30" landed in the scan field
    behind, and the payment was never the 30 tendered). Once the database answers,
    the sale has the coffee and the cash payment is the 30 typed."""
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        blocker = _hold_database(db_path)
        try:
            app.post_message(ScanReceived("3000000000017"))  # Café moulu 4.50: it waits
            await wait_until(
                pilot,
                lambda: _register(app).jobs_running("sale"),
                "the coffee's scan waiting on the database",
            )
            await typer(pilot, ["f9", "3", "0", "enter"])
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, PaymentScreen) and app.screen.jobs_running("payment")
                ),
                "the 30 typed taken as a payment while the database is held",
            )
            assert "reading…" in str(app.screen.query_one("#payment-summary", Static).render())
            assert "Cash 30.00: taken once the sale is read" in _payment_note(app)
            assert _register(app).query_one("#scan-input", Input).value == ""
        finally:
            _let_go(blocker)
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        summary = str(app.screen.query_one("#payment-summary", Static).render())
        assert "29.40" in summary and "CHANGE" in summary and "0.60" in summary
        await pilot.press("f10")
        await settle(pilot)
    assert _sales(engine) == [("completed", [(2940, 3000, 60)])]


async def test_enter_alone_while_the_sale_is_read_pays_nothing(
    engine: Engine, db_path: Path, store: Store, drive: Drive, typer: Typer
) -> None:
    """F9 Enter behind a scan the database holds up: Enter alone means "the amount
    due", which nobody has seen yet: refused, said so, nothing paid; once the sale is
    read the window shows what is due and Enter pays it."""
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        blocker = _hold_database(db_path)
        try:
            app.post_message(ScanReceived("3000000000017"))
            await typer(pilot, ["f9", "enter"])
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, PaymentScreen)
                    and "still being read" in _payment_note(app)
                ),
                "Enter refused while the sale is read",
            )
        finally:
            _let_go(blocker)
        await settle(pilot)
        assert _sales(engine) == [("open", [])]
        # failed once in CI with 24.90 (the sale without the coffee): the register's
        # line says whether the scan itself failed (a hold past the busy timeout on a
        # slow machine) or the window was handed the sale before the scan's line
        status = _register(app).query_one("#register-status", Static).render()
        assert "29.40" in shown_text(app, "#payment-summary"), status
        await pilot.press("enter")
        await settle(pilot)
    assert _sales(engine) == [("open", [(2940, 2940, 0)])]


async def test_f9_read_with_a_scan_pays_for_the_line_the_scan_adds(
    engine: Engine, store: Store, drive: Drive
) -> None:
    """A scan and F9 read by the app together (the scanner's thread and the keyboard
    in one tick): the app hands the scan on to the register's queue, and F9's binding
    runs from the app's; the window must still open on the sale with the scanned line
    (29.40, not the 24.90 before it), and Enter pay that."""
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        app.post_message(ScanReceived("3000000000017"))
        app.post_message(events.Key("f9", None))
        await wait_until(
            pilot, lambda: isinstance(app.screen, PaymentScreen), "the payment window opens"
        )
        await settle(pilot)
        assert "29.40" in shown_text(app, "#payment-summary")
        await pilot.press("enter")
        await settle(pilot)
    assert _sales(engine) == [("open", [(2940, 2940, 0)])]


def _register(app: TilltermApp) -> RegisterScreen:
    """The register, on top or under a window."""
    return next(s for s in app.screen_stack if isinstance(s, RegisterScreen))


async def test_scan_at_once_after_f9_is_not_an_amount(
    engine: Engine, store: Store, drive: Drive
) -> None:
    """The payment box is a dialog: a scanner's burst typed into it is refused, never
    taken as an amount (the standing rule), even right behind F9."""
    async with drive(register="till-1", notifications=True) as (app, pilot):
        await _sale_with_pen(app, pilot)
        await burst(pilot, ["f9"])
        await settle(pilot)
        await burst(pilot, [*keys_of("3000000000024"), "enter"])
        await settle(pilot)
        assert _field(app, "#payment-amount") == ""
    assert _sales(engine) == [("open", [])]


async def test_match_list_enter_then_f9_pays_for_the_picked_product(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    """With the product matches open, Enter picks; the F9 right after it sees the sale
    with that product (was: lost, the sale looked empty)."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        # two products (their SKUs COF-1 and PEN-1 both have a word "1"): the list opens
        await press(pilot, ["1", "enter"])
        await settle(pilot)
        assert app.screen.query_one(Suggestions).shown
        await typer(pilot, ["down", "enter", "f9", "enter"])
        await settle(pilot)
    assert _sales(engine) == [("open", [(2490, 2490, 0)])]


async def test_f7_then_a_name_searches_customers_and_enter_attaches(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await typer(pilot, ["f7", *keys_of("Dubois"), "enter"])
        await settle(pilot)
        assert _field(app, "#scan-input") == ""
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, "till-1")
        assert view is not None and view.customer is not None
        assert view.customer.id == store.marie


async def test_f8_f6_enter_parks_and_resumes(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    """F8 waits for the scan on its way; F6's list is read before Enter picks in it."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000024"))
        await typer(pilot, ["f8", "f6", "enter"])
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    assert _lines(engine) == ["Stylo plume"]


async def test_f6_right_after_f8_lists_the_sale_being_parked(
    engine: Engine, store: Store, drive: Drive, typer: Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F6 typed while F8's park is still on its way to the database opens the list once
    the park is done: the list read before it missed the sale, and the Enter typed after
    F6 then picked nothing (a slow machine in CI)."""
    from tillterm.services.till import Till

    real_park = Till.park

    def slow_park(self: Till) -> None:
        time.sleep(0.3)  # a busy database: the park takes a while to commit
        real_park(self)

    monkeypatch.setattr(Till, "park", slow_park)
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await typer(pilot, ["f8", "f6", "enter"])
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    assert _lines(engine) == ["Stylo plume"]


async def test_f12_twice_voids_the_sale(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await typer(pilot, ["f12", "f12"])
        await settle(pilot)
    assert _sales(engine) == [("voided", [])]


async def test_help_then_escape_then_a_code_goes_to_the_scan_field(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await typer(pilot, ["f1", "escape", *keys_of("PEN-1"), "enter"])
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    assert _lines(engine) == ["Stylo plume"]


async def test_f3_then_a_name_searches_and_escape_starts_a_new_search(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    """F3 then "chev" Esc "mar": the search holds "mar" (was: "chevmar", or the name in
    the register's scan field)."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await typer(pilot, ["f3", *keys_of("chev"), "escape", *keys_of("mar")])
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert _field(app, "#customer-search") == "mar"
        await typer(pilot, ["f2", *keys_of("PEN-1"), "enter"])
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    assert _lines(engine) == ["Stylo plume"]


async def test_ctrl_n_then_a_name_tab_last_name_saves_them_whole(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    """Ctrl+N Zoe Tab Martin Ctrl+S: "Zoe Martin" saved (was: "oe", the last name in the
    wrong field)."""
    async with drive(register="till-1") as (_app, pilot):
        await settle(pilot)
        await typer(pilot, ["f3", "ctrl+n", *keys_of("Zoe"), "tab", *keys_of("Martin"), "ctrl+s"])
        await settle(pilot)
    with session_scope(engine) as s:
        names = s.execute(
            select(Customer.first_name, Customer.last_name).where(Customer.last_name == "Martin")
        ).all()
    assert sorted(tuple(n) for n in names) == [("Paul", "Martin"), ("Zoe", "Martin")]


async def test_enter_on_a_match_then_e_then_a_name_edits_that_customer(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    """F3 Dubois Enter E Zoe Ctrl+S: the profile opens once the search answered, E edits,
    the form takes the keys once the customer is in (first name selected: replaced).

    The profile's letters are commands, held for the scan gap (80 ms) so that no
    scanner burst acts there: a person's E is followed by a pause longer than that.
    """
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        person = [*keys_of("Dubois"), "enter", "e", "wait:100", *keys_of("Zoe"), "ctrl+s"]
        await typer(pilot, ["f3", *person])
        await settle(pilot)
        assert isinstance(app.screen, CustomerView | CustomersScreen)
    with session_scope(engine) as s:
        marie = s.get(Customer, store.marie)
        assert marie is not None and (marie.first_name, marie.last_name) == ("Zoe", "Dubois")


async def test_e_and_a_name_bunched_on_a_profile_edit_the_customer(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    """E Zoe Ctrl+S arriving as one bunch (an SSH stall) on a profile: no Enter, so no
    scan; the burst is a person typing ahead — E edits, the name goes into the form."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await typer(pilot, ["f3", *keys_of("Dubois"), "enter"])
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        await typer(pilot, ["e", *keys_of("Zoe"), "ctrl+s"])
        await settle(pilot)
    with session_scope(engine) as s:
        marie = s.get(Customer, store.marie)
        assert marie is not None and (marie.first_name, marie.last_name) == ("Zoe", "Dubois")


@pytest.mark.parametrize(
    "keys",
    [
        # the held "E Zo" released by a late "e": it goes after them, not first ("eZo")
        ["e", "wait:30", "Z", "wait:30", "o", "wait:120", "e", "wait:120", "ctrl+s"],
        # the held "E Zoe" released by a late Ctrl+S: it saves after the name is in
        ["e", "wait:30", "Z", "wait:30", "o", "wait:30", "e", "wait:120", "ctrl+s"],
    ],
    ids=["late-letter", "late-save"],
)
async def test_a_key_after_the_scan_gap_goes_after_the_held_keys_it_releases(
    engine: Engine, store: Store, drive: Drive, keys: list[str]
) -> None:
    """A profile holds its letters for the scan gap (80 ms). A key that comes after the
    gap releases them (a person typing, not a scanner) and is itself handed on last.
    CI caught it through Pilot's key timing: "eZo" saved, or "Marie" kept."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await press(pilot, ["f3", *keys_of("Dubois"), "enter"])
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        await burst(pilot, keys)
        await settle(pilot)
    with session_scope(engine) as s:
        marie = s.get(Customer, store.marie)
        assert marie is not None and (marie.first_name, marie.last_name) == ("Zoe", "Dubois")


async def test_ctrl_f_then_escape_and_ctrl_e_then_a_file_name(
    engine: Engine, store: Store, drive: Drive, typer: Typer, tmp_path: Path
) -> None:
    """Ctrl+F shows the filters and Esc leaves them; Ctrl+E's file name typed right
    behind it lands in the export prompt and the file is written."""
    target = tmp_path / "out.csv"
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await typer(pilot, ["f3", "ctrl+f"])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        assert app.focused is not None and app.focused.id == "filter-group"
        await typer(pilot, ["ctrl+e", "ctrl+u", *keys_of(str(target)), "enter"])
        await wait_until(pilot, target.exists, f"{target} written")
        await settle(pilot)
    assert "Dubois" in target.read_text(encoding="utf-8-sig")


async def test_f4_then_ctrl_n_then_a_group_name_saves_it(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await typer(pilot, ["f4", "ctrl+n", *keys_of("Staff"), "ctrl+s"])
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
    with session_scope(engine) as s:
        from tillterm.store.models import CustomerGroup

        names = s.execute(select(CustomerGroup.name)).scalars().all()
    assert "Staff" in names


async def test_f5_then_a_path_at_machine_speed_is_typing_not_a_scan(
    engine: Engine, store: Store, drive: Drive, typer: Typer, tmp_path: Path
) -> None:
    """F5 then a path and Enter in one burst: the path is checked, not refused as a
    wedge scan (a scanner never types right behind a function key)."""
    sheet = tmp_path / "new.csv"
    sheet.write_text("first_name,last_name,email\nZoe,Martin,zoe@example.com\n")
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await typer(pilot, ["f5", *keys_of(str(sheet)), "enter"])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        assert screen.query_one("#import-path", Input).value == str(sheet)
        await wait_until(pilot, lambda: screen.report is not None, "the file checked")


async def test_ctrl_t_then_enter_shows_the_last_sale(
    engine: Engine, store: Store, drive: Drive, typer: Typer
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await _sale_with_pen(app, pilot)
        await press(pilot, ["f9", "enter"])
        await settle(pilot)
        await press(pilot, ["f10"])
        await settle(pilot)
        await press(pilot, ["escape"])  # the receipt
        await settle(pilot)
        await typer(pilot, ["ctrl+t", "enter"])
        await settle(pilot)
        assert "Stylo plume" in shown_text(app, "#recent-receipt-text")


async def test_a_scanner_burst_in_the_scan_field_is_still_a_scan(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await burst(pilot, [*keys_of("3000000000024"), "enter"])
        await settle(pilot)
        assert _field(app, "#scan-input") == ""
        assert app.scan_detector.burst.times == []
    assert _lines(engine) == ["Stylo plume"]


def test_escape_then_a_letter_is_two_keys_not_alt() -> None:
    """ESC m within ESCDELAY is Esc then m; arrows and function keys still parse."""
    parser = EscapeFirstParser()
    got = [e.key for e in [*parser.feed("chev\x1bmar\x1b\r\x1b.\x1b[A\x1b[20~"), *parser.feed("")]]
    assert got == [
        "c",
        "h",
        "e",
        "v",
        "escape",
        "m",
        "a",
        "r",
        "escape",
        "enter",
        "escape",
        "full_stop",
        "up",
        "f9",
    ]
    oliver = EscapeFirstParser()  # ESC O starts SS3: nothing follows in time, so Esc, O
    assert [e.key for e in [*oliver.feed("\x1bOli"), *oliver.feed("")]] == [
        "escape",
        "O",
        "l",
        "i",
    ]
    lone = EscapeFirstParser()
    assert [e.key for e in [*lone.feed("\x1b"), *lone.feed("")]] == ["escape"]


@pytest.mark.parametrize(
    "after",
    [
        "marchand dupont de la fontaine et compagnie",  # long, after a letter
        "Pierre-Marchand de la Fontaine et Compagnie",  # P: a DCS reply's introducer
        "Olivier Marchand de la Fontaine et Compagnie",  # O: SS3
        "]ordan Marchand de la Fontaine et Compagnie",  # ]: an OSC reply's
        "_Marchand",  # _: APC
        "Paul",  # short, nothing after it: no wait for ESCDELAY either
        "P1" + "x" * 40,  # a DCS reply's head, then too long to be one
    ],
)
def test_escape_then_a_long_burst_is_escape_then_the_text(after: str) -> None:
    """Typed "chev", Esc, then more than 32 characters in one read (a paste, keys bunched by
    SSH) is "chev", Esc, then the text: was "^" and the text when the text began with
    a letter a terminal's reply may begin with (the Esc lost, the search "chev^Pierre…")."""
    parser = EscapeFirstParser()
    got = list(parser.feed("chev\x1b" + after))  # no end of input: nothing left waiting
    assert [e.key for e in got] == [*keys_of("chev"), "escape", *keys_of(after)]
    assert "".join(e.character or "" for e in got[5:]) == after


async def test_keys_go_on_when_the_settles_get_lost(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A settle that never comes back (a widget on its way stopped) must not stop the
    till: after a few tries the keys go on, in order."""
    from tillterm.ui import typeahead

    async def lose(self: TilltermApp, message: typeahead.TypeAhead.Settle) -> None:
        message.prevent_default()  # TypeAhead's own handler, next in the MRO, never runs

    monkeypatch.setattr(typeahead, "SETTLE_RETRY_S", 0.01)
    monkeypatch.setattr(TilltermApp, "on_type_ahead_settle", lose)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await burst(pilot, [*keys_of("PEN-1"), "enter"])
        await wait_until(
            pilot, lambda: _field(app, "#scan-input") == "" and _lines(engine), "the pen added"
        )
    assert _lines(engine) == ["Stylo plume"]


def _lines(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, "till-1")
        return [line.description for line in view.lines] if view is not None else []


async def test_settle_waits_for_keys_still_in_line(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests' ``settle`` waits for every key typed to take effect, not only for the
    app to look idle: a key behind a settle sent again waits a quarter of a second with
    nothing else to do. A CI run read the screen while Enter, pressed on a refund's
    receipt, was still in line (the receipt still up)."""
    from tillterm.ui import typeahead
    from tillterm.ui.screens.help import HelpScreen

    async def first_rounds_lost(self: TilltermApp, message: typeahead.TypeAhead.Settle) -> None:
        if message.round == 1:  # lost on its way: sent again after SETTLE_RETRY_S
            message.prevent_default()  # TypeAhead's own handler, next in the MRO, never runs

    monkeypatch.setattr(typeahead, "SETTLE_RETRY_S", 0.5)
    monkeypatch.setattr(TilltermApp, "on_type_ahead_settle", first_rounds_lost)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        for name in ("f1", "escape"):
            app.post_message(key_event(name))
        await asyncio.sleep(0.1)
        assert app.keys_in_line  # Esc waits for F1's settle, sent again in half a second
        await settle(pilot)
        assert not app.keys_in_line
        assert isinstance(app.screen, RegisterScreen)
        assert not any(isinstance(s, HelpScreen) for s in app.screen_stack)
