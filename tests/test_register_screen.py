"""The register screen at 80×24, driven by keys and scans, checked on screen and on disk."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy import select
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm import sales
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.new_customer import prefill_from_text
from tillterm.ui.screens.parked_sales import ParkedSalesScreen
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.widgets.customer_panel import CustomerPanel
from tillterm.ui.widgets.sale_lines import SaleLines
from tillterm.ui.widgets.sale_totals import SaleTotals
from tillterm.ui.widgets.suggestions import Suggestions


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _status(app: TilltermApp) -> str:
    return str(app.screen.query_one("#register-status", Static).render())


def _rows(app: TilltermApp) -> list[list[str]]:
    table = app.screen.query_one("#sale-lines", SaleLines)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _open_sale(engine: Engine, register: str = "till-1") -> sales.SaleView | None:
    with session_scope(engine) as s:
        return sales.find_open_sale(s, register)


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def test_scan_product_customer_and_unknown(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert app.focused is not None and app.focused.id == "scan-input"
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        assert _rows(app) == [["Stylo plume", "1", "24.90", "", "24.90"]]
        app.post_message(ScanReceived("2900000000017"))
        await settle(pilot)
        panel = str(app.screen.query_one(CustomerPanel).render())
        assert "Marie Dubois" in panel and "VIP" in panel and "10 %" in panel
        assert "22.41" in str(app.screen.query_one(SaleTotals).render())
        app.post_message(ScanReceived("NOPE-42"))
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)  # no dialog: the status line says so
        assert "No product or card “NOPE-42”" in _status(app)
        assert "Ctrl+N: new customer" in _status(app)
        assert app.focused is not None and app.focused.id == "scan-input"
    view = _open_sale(engine)
    assert view is not None and view.customer is not None and view.customer.id == store.marie
    assert view.total == D("22.41")


async def test_typed_code_name_pick_quantity_and_remove(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await _type(pilot, "3000000000017")
        await pilot.press("enter")
        await settle(pilot)
        assert _rows(app)[0][:2] == ["Café moulu", "1"]
        await _type(pilot, "s")  # "s..." matches Stylo only -> added at once
        await pilot.press("enter")
        await settle(pilot)
        assert [r[0] for r in _rows(app)] == ["Café moulu", "Stylo plume"]
        await pilot.press("+", "+")  # on the empty field: the selected (last) line
        await settle(pilot)
        assert _rows(app)[1][1] == "3"
        await pilot.press("-")
        await settle(pilot)
        assert _rows(app)[1][1] == "2"
        await pilot.press("up", "ctrl+d")  # remove the coffee
        await settle(pilot)
        assert [r[0] for r in _rows(app)] == ["Stylo plume"]
        await pilot.press("-", "-")  # below 1 is refused with a message
        await settle(pilot)
        assert "at least 1" in _status(app) and _rows(app)[0][1] == "1"
        await _type(pilot, "=3,20 gift wrap")
        await pilot.press("enter")
        await settle(pilot)
        assert _rows(app)[-1][0] == "gift wrap"
    view = _open_sale(engine)
    assert view is not None and [(ln.description, ln.quantity) for ln in view.lines] == [
        ("Stylo plume", 1),
        ("gift wrap", 1),
    ]


async def test_name_search_shows_matches_to_pick(
    engine: Engine, store: Store, drive: Drive
) -> None:
    with session_scope(engine) as s:
        from tillterm.store.models import Product

        s.add(Product(sku="COF-2", barcode="3000000000031", name="Café en grains", price_cents=990))
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await _type(pilot, "caf")
        await pilot.press("enter")
        await settle(pilot)
        suggestions = app.screen.query_one(Suggestions)
        assert suggestions.shown and suggestions.option_count == 2
        await pilot.press("down", "enter")  # the second: "Café moulu"
        await settle(pilot)
        assert not suggestions.shown
        assert [r[0] for r in _rows(app)] == ["Café moulu"]


async def test_attach_customer_by_search_and_detach(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f7")
        assert app.focused is not None and app.focused.id == "customer-input"
        await _type(pilot, "dubois")
        await settle(pilot)
        suggestions = app.screen.query_one(Suggestions)
        labels = [
            str(suggestions.get_option_at_index(i).prompt) for i in range(suggestions.option_count)
        ]
        assert (
            labels[0].startswith("Marie Dubois") and labels[-1] == "Add “dubois” as a new customer"
        )
        await pilot.press("enter")
        await settle(pilot)
        assert "Marie Dubois" in str(app.screen.query_one(CustomerPanel).render())
        assert app.focused is not None and app.focused.id == "scan-input"
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert "No customer" in str(app.screen.query_one(CustomerPanel).render())
    view = _open_sale(engine)
    assert view is not None and view.customer is None


async def test_add_new_customer_from_the_register(
    engine: Engine, store: Store, drive: Drive
) -> None:
    """ "Add X" opens the real customer form pre-filled; Create attaches the new customer."""
    from tillterm.ui.screens.customer_form import CustomerForm

    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f7")
        await _type(pilot, "Zoé Nouvelle")
        await settle(pilot)
        suggestions = app.screen.query_one(Suggestions)
        assert suggestions.option_count == 1  # nobody matches: only "Add …"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert "Zoé Nouvelle" in str(app.screen.query_one(CustomerPanel).render())
    view = _open_sale(engine)
    assert view is not None and view.customer is not None
    with session_scope(engine) as s:
        row = s.execute(select(Customer).where(Customer.id == view.customer.id)).scalar_one()
        assert (row.first_name, row.last_name) == ("Zoé", "Nouvelle")


async def test_unknown_card_creates_a_customer_with_that_code(
    engine: Engine, store: Store, drive: Drive
) -> None:
    from tillterm.ui.screens.customer_form import CustomerForm

    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("2911112222333"))
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        await pilot.press("ctrl+n")  # the key the status line offers
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        await _type(pilot, "Inès")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    view = _open_sale(engine)
    assert view is not None and view.customer is not None
    assert view.customer.customer_code == "2911112222333"


def test_prefill_from_text() -> None:
    assert prefill_from_text("Zoé  Nouvelle") == {"first_name": "Zoé", "last_name": "Nouvelle"}
    assert prefill_from_text("dubois") == {"last_name": "dubois"}
    assert prefill_from_text("06 12 34 56 78") == {"phone": "06 12 34 56 78"}
    assert prefill_from_text("jean@example.org") == {"email": "jean@example.org"}


async def test_pay_cash_with_change_and_complete(
    engine: Engine, store: Store, tmp_path: Path, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000024"))
        app.post_message(ScanReceived("2900000000017"))
        await settle(pilot)
        await pilot.press("f10")  # nothing paid yet
        await settle(pilot)
        assert "still due" in _status(app)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        await _type(pilot, "50")
        await pilot.press("enter")
        await settle(pilot)
        summary = str(app.screen.query_one("#payment-summary", Static).render())
        assert "CHANGE" in summary and "27.59" in summary
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        receipt = shown_text(app, "#receipt-text")
        assert "Marie Dubois" in receipt and "Change" in receipt and "22 pts" in receipt
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen) and _rows(app) == []
    with session_scope(engine) as s:
        sale = s.exec(select(Sale)).scalars().one()
        assert sale.state == "completed" and sale.total_cents == 2241
    # in the database's own folder, for its owner only
    files = list((tmp_path / "receipts").glob("till-*/*.txt"))
    assert [f.stem for f in files] == [sale.receipt_no] == ["R0000001"]
    assert files[0].stat().st_mode & 0o777 == 0o600
    assert files[0].read_text(encoding="utf-8") == sale.receipt_text


async def test_refused_payment_keeps_the_modal_open(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("f4")  # on account without a customer
        await settle(pilot)
        assert "Attach a customer" in str(app.screen.query_one("#payment-note", Static).render())
        await pilot.press("f3", "ctrl+d")  # card for the due, then take it back
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
    view = _open_sale(engine)
    assert view is not None and view.payments == ()


async def test_park_and_resume(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert _rows(app) == [] and "parked" in _status(app)
        app.post_message(ScanReceived("3000000000017"))
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ParkedSalesScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert [r[0] for r in _rows(app)] == ["Stylo plume"]
    with session_scope(engine) as s:
        parked = sales.list_parked(s)
    assert [p.line_count for p in parked] == [1]  # the coffee sale, put aside


async def test_reopens_the_open_sale_on_start(engine: Engine, store: Store, drive: Drive) -> None:
    with session_scope(engine) as s:
        sales.scan_code(s, "till-1", "3000000000024")
        sales.scan_code(s, "till-2", "3000000000017")
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        assert [r[0] for r in _rows(app)] == ["Stylo plume"]


def _prepared_app(engine: Engine) -> TilltermApp:
    with session_scope(engine) as s:
        for code in ("3000000000024", "3000000000017", "3000000000017", "2900000000017"):
            sales.scan_code(s, "till-1", code)
    app = TilltermApp(engine, register="till-1", scanner=False)
    return app


def test_snapshot_register_with_sale(engine: Engine, store: Store, snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = _prepared_app(engine)

    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.sub_title = "till-1 · till.db"

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_snapshot_payment(engine: Engine, store: Store, snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = _prepared_app(engine)

    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.sub_title = "till-1 · till.db"
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("2", "0", "f3")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


async def test_database_locked_says_so_and_keeps_the_sale(
    db_path: Path, engine: Engine, store: Store, drive: Drive
) -> None:
    """Another register holds the write lock past the busy timeout: a message, no loss."""
    import sqlite3

    from sqlalchemy import event

    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)

        @event.listens_for(engine, "connect")
        def _short_wait(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.execute("PRAGMA busy_timeout = 50")

        engine.dispose()  # new connections wait 50 ms instead of 5 s
        blocker = sqlite3.connect(db_path, timeout=0)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            app.post_message(ScanReceived("3000000000017"))
            await settle(pilot)
            assert "another register is holding the database" in _status(app)
            assert _rows(app) == [["Stylo plume", "1", "24.90", "", "24.90"]]
        finally:
            blocker.rollback()
            blocker.close()
        app.post_message(ScanReceived("3000000000017"))  # the lock is gone: it works again
        await settle(pilot)
        assert [r[0] for r in _rows(app)] == ["Stylo plume", "Café moulu"]
    view = _open_sale(engine)
    assert view is not None and [ln.quantity for ln in view.lines] == [1, 1]


async def test_customer_archived_mid_sale(engine: Engine, store: Store, drive: Drive) -> None:
    from tillterm.store.models import utcnow

    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000024"))
        app.post_message(ScanReceived("2900000000017"))
        await settle(pilot)
        with session_scope(engine) as s:  # the back office archives Marie meanwhile
            marie = s.get(Customer, store.marie)
            assert marie is not None
            marie.archived_at = utcnow()
        await pilot.press("f9", "f3")  # card for what is due
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert "was archived while this sale was open" in _status(app)
        assert "Ctrl+U" in _status(app)
        await pilot.press("ctrl+u")  # detach: the sale is re-priced without her discount
        await settle(pilot)
        assert "No customer" in str(app.screen.query_one(CustomerPanel).render())
    view = _open_sale(engine)
    assert view is not None and view.state == "open" and view.customer is None
    assert [ln.description for ln in view.lines] == ["Stylo plume"]
    assert view.total == D("24.90") and view.paid == D("22.41")


async def test_on_account_more_than_due_is_refused(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000017"))
        app.post_message(ScanReceived("TRADE-1"))
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await _type(pilot, "50")
        await pilot.press("f4")
        await settle(pilot)
        note = str(app.screen.query_one("#payment-note", Static).render())
        assert "On account cannot pay more than the 3.82 EUR due" in note
        assert isinstance(app.screen, PaymentScreen)
    view = _open_sale(engine)
    assert view is not None and view.payments == ()


async def test_long_sale_keeps_the_selected_line_in_view(
    engine: Engine, store: Store, drive: Drive
) -> None:
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, "till-1")
        for n in range(1, 26):
            sales.add_misc_item(s, sale_id, D(n), f"item {n:02d}")
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        lines = app.screen.query_one(SaleLines)

        def visible() -> str:
            return "\n".join(lines.render_line(y).text for y in range(lines.size.height))

        assert lines.row_count == 25 and lines.size.height < 26
        assert "item 25" in visible() and "item 01" not in visible()
        assert visible().splitlines()[0].split() == ["Item", "Qty", "Price", "Disc", "Total"]
        await pilot.press(*["up"] * 24)
        await settle(pilot)
        assert "item 01" in visible() and "item 25" not in visible()
        await pilot.press("+")  # the selected (first) line
        await settle(pilot)
        assert _rows(app)[0][:2] == ["item 01", "2"]
    view = _open_sale(engine)
    assert view is not None and view.lines[0].quantity == 2
