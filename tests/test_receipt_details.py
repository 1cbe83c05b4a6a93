"""Issue 17, receipts on paper: the seller's legal details at the top of every receipt
and the VAT breakdown per rate, whose sums are the sale's tax and total to the cent."""

from __future__ import annotations

import itertools
from decimal import Decimal as D
from pathlib import Path

import pytest
from sales_store import Store, build_store
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.catalog.settings import load_settings, update_settings
from tillterm.sales.receipts import VatRow, render_receipt, vat_breakdown
from tillterm.store.engine import open_db, session_scope

REG = "till-1"
COFFEE, PEN = "3000000000017", "3000000000024"  # 4.50 at 5.5 %, 24.90 at 20 %

LEGAL = {
    "address_line1": "12 rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "country": "France",
    "phone": "01 23 45 67 89",
    "company_reg_no": "RCS Paris 123 456 789",
    "vat_number": "FR12345678901",
}


@pytest.fixture
def store(any_engine: Engine) -> Store:
    built = build_store(any_engine)
    with session_scope(any_engine) as s:
        update_settings(s, **LEGAL)
    return built


def _sell(engine: Engine, codes: list[str], *, customer: str = "") -> sales.SaleView:
    with session_scope(engine) as s:
        for code in codes:
            view = sales.scan_code(s, REG, code).view
        if customer:
            view = sales.scan_code(s, REG, customer).view
        assert view is not None
        sales.add_payment(s, view.id, "cash", tendered=None)
        return sales.complete_sale(s, view.id)


def _check_sums(sale: sales.SaleView, rows: list[VatRow]) -> None:
    assert sum((r.tax for r in rows), D(0)) == sale.tax
    assert sum((r.gross for r in rows), D(0)) == sale.total
    assert all(r.net + r.tax == r.gross for r in rows)


def test_receipt_names_the_seller(any_engine: Engine, store: Store) -> None:
    done = _sell(any_engine, [PEN])
    lines = (done.receipt_text or "").splitlines()
    top = [line.strip() for line in lines[:8]]
    assert top == [
        "Test shop",
        "12 rue des Lilas",
        "75011 Paris",
        "France",
        "Tel. 01 23 45 67 89",
        "Reg. no. RCS Paris 123 456 789",
        "VAT no. FR12345678901",
        f"RECEIPT {done.receipt_no}",
    ]
    assert all(len(line) <= 40 for line in lines)


def test_vat_breakdown_per_rate_adds_up(any_engine: Engine, store: Store) -> None:
    done = _sell(any_engine, [PEN, COFFEE, COFFEE, PEN, PEN])  # 3 x 24.90 + 2 x 4.50
    rows = vat_breakdown(done)
    # inclusive prices: 74.70 holds 12.45 of 20 %; 9.00 holds 0.47 of 5.5 %
    assert rows == [
        VatRow(D("5.5"), D("8.53"), D("0.47"), D("9.00")),
        VatRow(D("20"), D("62.25"), D("12.45"), D("74.70")),
    ]
    _check_sums(done, rows)
    text = done.receipt_text or ""
    assert "VAT            Net        VAT      Gross" in text
    assert "5.5%          8.53       0.47       9.00" in text
    assert "20%          62.25      12.45      74.70" in text


def test_vat_breakdown_with_discounts_adds_up_to_the_cent(any_engine: Engine, store: Store) -> None:
    """A customer's discount rounds each line on its own: the breakdown adds the rounded
    lines, so its sums never drift from the sale's by a cent."""
    done = _sell(any_engine, [PEN, COFFEE, COFFEE, COFFEE], customer="CARD-PAUL")
    assert done.discount > 0
    _check_sums(done, vat_breakdown(done))


def test_tax_exclusive_and_odd_quantities_add_up(tmp_path: Path) -> None:
    engine = open_db(tmp_path / "excl.db")
    try:
        build_store(engine, inclusive=False)
        for pens, coffees in itertools.product((1, 3, 7), (1, 2, 9)):
            done = _sell(engine, [PEN] * pens + [COFFEE] * coffees, customer="CARD-PAUL")
            rows = vat_breakdown(done)
            assert [r.rate for r in rows] == [D("5.5"), D(20)]
            _check_sums(done, rows)
    finally:
        engine.dispose()


def test_tax_exempt_sale_shows_zero_rate(any_engine: Engine, store: Store) -> None:
    done = _sell(any_engine, [PEN, COFFEE], customer="TRADE-1")  # wholesale: exempt
    rows = vat_breakdown(done)
    assert [(r.rate, r.tax) for r in rows] == [(D(0), D(0))]
    _check_sums(done, rows)
    assert "0%" in (done.receipt_text or "")


def test_refund_breakdown_is_negative_and_adds_up(any_engine: Engine, store: Store) -> None:
    done = _sell(any_engine, [PEN, COFFEE])
    with session_scope(any_engine) as s:
        refund = sales.refund_sale(s, REG, done.id)
    rows = vat_breakdown(refund)
    assert all(r.gross < 0 for r in rows)
    _check_sums(refund, rows)
    assert "-20.75" in (refund.receipt_text or "")  # 24.90 at 20 %: net 20.75


def test_kept_receipt_is_not_rendered_again(any_engine: Engine, store: Store) -> None:
    """The seller moving, or its VAT number changing, rewrites no past receipt."""
    done = _sell(any_engine, [PEN])
    with session_scope(any_engine) as s:
        update_settings(s, name="New name", vat_number="FR999", address_line1="1 place Neuve")
        again = sales.get_sale(s, done.id)
        shown = sales.receipt_as_shown(again, load_settings(s))
    assert again.receipt_text == done.receipt_text == shown
    assert "FR12345678901" in shown and "FR999" not in shown


def test_a_store_without_details_prints_its_name_only(tmp_path: Path) -> None:
    engine = open_db(tmp_path / "bare.db")
    try:
        build_store(engine)
        done = _sell(engine, [COFFEE])
        with session_scope(engine) as s:
            text = render_receipt(done, load_settings(s))
        assert text.splitlines()[0].strip() == "Test shop"
        assert text.splitlines()[1].strip().startswith("RECEIPT")
        assert "Tel." not in text and "VAT no." not in text
    finally:
        engine.dispose()
