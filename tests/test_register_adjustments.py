"""The register's typed conveniences at 80×24: ``3*`` before a code, a name or a scan,
``%%`` off the whole sale, ``@`` a changed price, and the customer's notes in the panel —
checked on screen and in the database."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy import select
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, Product, Sale, SaleLine
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.widgets.customer_panel import CustomerPanel
from tillterm.ui.widgets.sale_lines import SaleLines
from tillterm.ui.widgets.sale_totals import SaleTotals


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _status(app: TilltermApp) -> str:
    return str(app.screen.query_one("#register-status", Static).render())


def _rows(app: TilltermApp) -> list[list[str]]:
    table = app.screen.query_one("#sale-lines", SaleLines)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text], "enter")
    await settle(pilot)


def _lines(engine: Engine) -> list[tuple[str, int, int, int | None, str]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(
                SaleLine.description,
                SaleLine.quantity,
                SaleLine.unit_price_cents,
                SaleLine.list_price_cents,
                SaleLine.price_reason,
            ).order_by(SaleLine.position)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_quantity_before_a_code_a_scan_or_a_name(
    engine: Engine, store: Store, drive: Drive
) -> None:
    with session_scope(engine) as s:
        s.add(Product(sku="COF-2", name="Café en grains", price_cents=700))
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await _type(pilot, "3*3000000000017")
        assert _rows(app)[0][:3] == ["Café moulu", "3", "4.50"]
        # 2* typed, then a scan read through the scanner device: two of the scanned item
        await pilot.press("2", "asterisk")
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        assert _rows(app)[1][:2] == ["Stylo plume", "2"]
        assert app.screen.query_one("#scan-input").value == ""  # type: ignore[attr-defined]
        # the same from a keyboard-wedge scanner (its keys arrive as a burst)
        await pilot.press("4", "asterisk")
        app.post_message(ScanReceived("3000000000024", "terminal"))
        await settle(pilot)
        assert _rows(app)[1][:2] == ["Stylo plume", "6"]
        # before a name with two matches: the one picked comes with the quantity
        await _type(pilot, "5*caf")
        assert "2 products match" in _status(app)
        await pilot.press("é")  # typed on: it goes after what was typed
        await settle(pilot)
        assert app.screen.query_one("#scan-input").value == "5*café"  # type: ignore[attr-defined]
        await pilot.press("enter")  # the match list again
        await settle(pilot)
        assert "2 products match" in _status(app)
        await pilot.press("enter")  # the first: "Café en grains" (by name)
        await settle(pilot)
        assert [r[:2] for r in _rows(app)] == [
            ["Café moulu", "3"],
            ["Stylo plume", "6"],
            ["Café en grains", "5"],
        ]
        await _type(pilot, "0*3000000000017")
        assert "at least 1" in _status(app)
    assert [(d, q) for d, q, *_ in _lines(engine)] == [
        ("Café moulu", 3),
        ("Stylo plume", 6),
        ("Café en grains", 5),
    ]


async def test_a_sale_discount_and_a_changed_price_with_their_reasons(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await _type(pilot, "%%10 regular")
        assert "Scan an item first" in _status(app)
        await _type(pilot, "3000000000024")
        await _type(pilot, "@20")
        assert "Say why the price changes" in _status(app)
        await _type(pilot, "@20 damaged box")
        assert _rows(app) == [["Stylo plume", "1", "20.00*", "", "20.00"]]
        await _type(pilot, "%%10 regular customer")
        assert "10 % off the sale" in _status(app)
        totals = str(app.screen.query_one(SaleTotals).render())
        assert "Disc 10%" in totals and "-2.00" in totals and "18.00 EUR" in totals
        await _type(pilot, "%%abc")
        assert "%%10 regular" in _status(app)  # the rule, not a traceback
    with session_scope(engine) as s:
        sale = s.execute(select(Sale.sale_discount_percent, Sale.discount_reason)).one()
        assert tuple(sale) == (D(10), "regular customer")
    assert _lines(engine) == [("Stylo plume", 1, 2000, 2490, "damaged box")]


async def test_notes_in_the_customer_panel_and_typed_commands_in_help(
    engine: Engine, store: Store, drive: Drive
) -> None:
    with session_scope(engine) as s:
        marie = s.get(Customer, store.marie)
        assert marie is not None
        marie.notes = "Allergic to nuts.\nPrefers paper receipts; call before delivering."
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("2900000000017"))
        await settle(pilot)
        panel = str(app.screen.query_one(CustomerPanel).render())
        assert "Note: Allergic to nuts. / Prefers paper…" in panel
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
        assert "Typed in the scan field, then Enter" in shown
        for typed in ("3*code", "%%10 why", "@8.00 why", "=12.50 text"):
            assert typed in shown
