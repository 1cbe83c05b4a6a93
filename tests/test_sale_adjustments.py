"""The register's conveniences in the sales domain: ``3*code``, a whole-sale discount, a
price changed with a reason — priced, kept, printed and refunded on real databases."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sales_store import Store, build_store
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.catalog.settings import load_settings
from tillterm.sales.views import SaleError
from tillterm.store.engine import session_scope
from tillterm.store.models import Sale, SaleLine

REG = "till-1"


@pytest.fixture
def store(any_engine: Engine) -> Store:
    return build_store(any_engine)


def _enter(engine: Engine, text: str) -> sales.ScanOutcome:
    with session_scope(engine) as s:
        return sales.enter_text(s, REG, text)


def _do(engine: Engine, fn, *args, **kw):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return fn(s, *args, **kw)


def test_quantity_in_front_of_a_barcode_a_sku_or_a_name(any_engine: Engine, store: Store) -> None:
    out = _enter(any_engine, "3*3000000000017")
    assert out.kind == "product" and out.message == "Added 3 x Café moulu."
    assert out.view is not None and [ln.quantity for ln in out.view.lines] == [3]
    out = _enter(any_engine, " 2 * pen-1")
    assert out.view is not None and [ln.quantity for ln in out.view.lines] == [3, 2]
    out = _enter(any_engine, "4*stylo")  # one product by name: added, four of them
    assert out.view is not None and [ln.quantity for ln in out.view.lines] == [3, 6]
    assert out.view.total == D("4.50") * 3 + D("24.90") * 6


def test_a_quantity_is_refused_with_the_rule_and_changes_nothing(
    any_engine: Engine, store: Store
) -> None:
    for text, says in (
        ("0*3000000000017", "at least 1"),
        ("10000*3000000000017", "more than 9999"),
        ("3*", "Scan or type the item after 3*"),
        ("2*2900000000017", "quantity for a product"),  # Marie's loyalty card
    ):
        with pytest.raises(SaleError, match=says):
            _enter(any_engine, text)
    with session_scope(any_engine) as s:
        open_sale = sales.find_open_sale(s, REG)
        assert open_sale is None or open_sale.lines == ()


def test_a_quantity_scanned_after_the_star_reaches_the_product(
    any_engine: Engine, store: Store
) -> None:
    out = _do(any_engine, sales.scan_code, REG, "3000000000024", quantity=5)
    assert out.view is not None and out.view.lines[0].quantity == 5


def test_matches_carry_the_quantity_typed_before_the_name(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s:
        from tillterm.store.models import Product

        s.add(Product(sku="COF-2", name="Café en grains", price_cents=700))
    out = _enter(any_engine, "2*café")
    assert out.kind == "matches" and out.quantity == 2 and len(out.matches) == 2


def test_whole_sale_discount_reaches_lines_added_after_and_compounds(
    any_engine: Engine, store: Store
) -> None:
    view = _enter(any_engine, "3000000000024").view  # 24.90
    assert view is not None
    view = _do(any_engine, sales.set_sale_discount, view.id, D(10), "  loyal   customer ")
    assert view.sale_discount_percent == D(10) and view.discount_reason == "loyal customer"
    assert view.discount == D("2.49") and view.total == D("22.41")
    view = _enter(any_engine, "3000000000017").view  # 4.50 added after: 10 % off too
    assert view is not None and view.discount == D("2.49") + D("0.45")
    line = view.lines[0]
    view = _do(any_engine, sales.set_line_discount, view.id, line.id, D(10))
    assert view.lines[0].discount == D("4.73")  # 10 % then 10 %: 19 % of 24.90
    assert view.total == view.subtotal - view.discount
    view = _do(any_engine, sales.set_sale_discount, view.id, D(0), "ignored")
    assert view.sale_discount_percent is None and view.discount_reason == ""
    assert view.discount == D("2.49")
    with pytest.raises(SaleError, match="between 0 and 100"):
        _do(any_engine, sales.set_sale_discount, view.id, D(101), "")


def test_price_override_keeps_the_listed_price_and_needs_a_reason(
    any_engine: Engine, store: Store
) -> None:
    view = _enter(any_engine, "3000000000024").view
    assert view is not None
    line_id = view.lines[0].id
    with pytest.raises(SaleError, match="Say why"):
        _do(any_engine, sales.override_price, view.id, line_id, D("20"), " ")
    view = _do(any_engine, sales.override_price, view.id, line_id, D("20"), "damaged box")
    line = view.lines[0]
    assert (line.unit_price, line.list_price, line.price_reason) == (
        D("20.00"),
        D("24.90"),
        "damaged box",
    )
    assert view.total == D("20.00")
    # changed again: the listed price stays the first one
    view = _do(any_engine, sales.override_price, view.id, line_id, D("18"), "manager ok")
    assert view.lines[0].list_price == D("24.90") and view.lines[0].price_reason == "manager ok"
    # a scan of the same product is a new line at the listed price, not merged
    view = _enter(any_engine, "3000000000024").view
    assert view is not None and [ln.unit_price for ln in view.lines] == [D("18.00"), D("24.90")]
    # back to the listed price: no override left
    view = _do(any_engine, sales.override_price, view.id, line_id, D("24.90"), "")
    assert view.lines[0].list_price is None and view.lines[0].price_reason == ""
    with pytest.raises(SaleError, match="negative"):
        _do(any_engine, sales.override_price, view.id, line_id, D("-1"), "x")


def test_receipt_and_refund_carry_the_override_and_the_sale_discount(
    any_engine: Engine, store: Store
) -> None:
    view = _enter(any_engine, "3000000000024").view
    assert view is not None
    view = _do(any_engine, sales.override_price, view.id, view.lines[0].id, D(20), "damaged box")
    view = _do(any_engine, sales.set_sale_discount, view.id, D(5), "regular")
    view = _do(any_engine, sales.add_payment, view.id, "card")
    done = _do(any_engine, sales.complete_sale, view.id)
    with session_scope(any_engine) as s:
        text = sales.render_receipt(done, load_settings(s))
    assert "  listed 24.90: damaged box" in text
    assert "  incl. 5 % off the sale: regular" in text
    assert done.total == D("19.00")
    refund = _do(any_engine, sales.refund_sale, REG, done.id)
    assert refund.total == D("-19.00")
    with session_scope(any_engine) as s:
        rows = s.execute(
            select(SaleLine.list_price_cents, SaleLine.price_reason).where(
                SaleLine.sale_id == refund.id
            )
        ).all()
        assert [tuple(r) for r in rows] == [(2490, "damaged box")]
        kept = s.execute(select(Sale.sale_discount_percent).where(Sale.id == done.id)).scalar()
        assert kept == D(5)


def test_customer_notes_reach_the_register_panel(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s:
        from tillterm.store.models import Customer

        marie = s.get(Customer, store.marie)
        assert marie is not None
        marie.notes = "Allergic to nuts.\n" + "x" * 1000
    view = _enter(any_engine, "2900000000017").view
    assert view is not None and view.customer is not None
    assert view.customer.notes.startswith("Allergic to nuts.\nxxx")
    assert len(view.customer.notes) == 400  # a scan reads the start only
