"""Tax-exempt customers: the flag, what it does to a sale, and where it comes from.

A tax-exempt customer attached to an open sale makes its lines carry no tax: on
tax-exclusive prices none is added, on tax-inclusive prices the tax part is taken off
the price; the receipt says "Tax exempt". A completed sale is never re-priced. The old
system's column (Shopify "Tax Exempt" yes/no, OSPOS "Taxable" y/n, the other way round)
lands in the flag; the export writes it.
"""

from __future__ import annotations

import csv
from decimal import Decimal as D
from pathlib import Path

import pytest
from sales_store import Store, build_store
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tillterm import customers, sales
from tillterm.catalog.settings import load_settings
from tillterm.core.pricing import LineInput, price_line
from tillterm.services.imports import Imports
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.store.engine import session_scope

REG = "till-1"
SOURCES = Path(__file__).parent / "fixtures" / "sources"


@pytest.mark.parametrize(
    ("price", "qty", "line_pct", "rate", "inclusive", "expected"),
    [
        # tax-exclusive: no tax added
        (1000, 1, None, D(20), False, (1000, 0, 0, 1000, 0)),
        # tax-inclusive: 12.00 holds 2.00 of tax at 20 %: the exempt buyer pays 10.00
        (1200, 1, None, D(20), True, (1200, 0, 0, 1000, 200)),
        # the tax part is the one "incl. tax" would print: of the net after discount
        (2490, 2, D(10), D(20), True, (4980, 498, 0, 3735, 747)),
        (450, 3, None, D("5.5"), True, (1350, 0, 0, 1280, 70)),
        # a 0 % item: nothing to take off
        (999, 1, None, D(0), True, (999, 0, 0, 999, 0)),
        # a refund line is the exact negation
        (1200, -1, None, D(20), True, (-1200, 0, 0, -1000, -200)),
    ],
)
def test_an_exempt_line_carries_no_tax(
    price: int,
    qty: int,
    line_pct: D | None,
    rate: D,
    inclusive: bool,
    expected: tuple[int, int, int, int, int],
) -> None:
    line = price_line(LineInput(price, qty, line_pct, rate), None, inclusive, tax_exempt=True)
    got = (line.gross_cents, line.discount_cents, line.tax_cents, line.total_cents)
    assert (*got, line.exempted_cents) == expected
    taxed = price_line(LineInput(price, qty, line_pct, rate), None, inclusive)
    if inclusive:  # what is taken off is exactly what the taxed line says it holds
        assert line.exempted_cents == taxed.tax_cents
        assert line.total_cents == taxed.total_cents - taxed.tax_cents
    else:
        assert line.total_cents == taxed.total_cents - taxed.tax_cents


def _exempt(engine: Engine, customer_id: int, value: bool) -> None:
    with session_scope(engine) as s:
        customers.update_customer(s, customer_id, {"tax_exempt": value})


def _scan(engine: Engine, code: str) -> sales.SaleView:
    with session_scope(engine) as s:
        view = sales.scan_code(s, REG, code).view
    assert view is not None
    return view


@pytest.mark.parametrize("inclusive", [True, False])
def test_an_exempt_customer_buys_without_tax_and_the_receipt_says_so(
    any_engine: Engine, inclusive: bool
) -> None:
    store: Store = build_store(any_engine, inclusive=inclusive)
    _exempt(any_engine, store.plain, True)
    with session_scope(any_engine) as s:
        assert customers.get_customer(s, store.plain).tax_exempt is True
    taxed = _scan(any_engine, "3000000000024")  # 24.90 at the store's 20 %
    assert taxed.tax > 0
    view = _scan(any_engine, "PLAIN-1")
    assert view.customer is not None and view.customer.tax_exempt
    assert view.tax == 0 and all(line.tax == 0 for line in view.lines)
    assert all(line.tax_rate == 0 for line in view.lines)
    # inclusive: 24.90 holds 4.15 of tax; exclusive: 24.90 plus no tax
    assert view.total == (D("20.75") if inclusive else D("24.90"))
    with session_scope(any_engine) as s:
        sales.add_payment(s, view.id, "card")
        done = sales.complete_sale(s, view.id)
        receipt = sales.render_receipt(done, load_settings(s))
    assert done.total == view.total and done.tax == 0
    assert "Tax exempt" in receipt
    assert ("-4.15" in receipt) if inclusive else ("incl. tax" not in receipt)
    # stored as sold: the customer's flag changing later re-prices nothing
    _exempt(any_engine, store.plain, False)
    with session_scope(any_engine) as s:
        again = sales.get_sale(s, done.id)
    assert (again.total, again.tax) == (done.total, D(0))
    with any_engine.connect() as conn:
        row = conn.execute(
            text("SELECT total_cents, tax_cents FROM sale WHERE id = :id"), {"id": done.id}
        ).one()
    assert tuple(row) == (int(done.total * 100), 0)


def test_detaching_the_exempt_customer_puts_the_tax_back(any_engine: Engine) -> None:
    store = build_store(any_engine)
    _exempt(any_engine, store.plain, True)
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "PLAIN-1")
    assert view.total == D("20.75")
    with session_scope(any_engine) as s:
        back = sales.detach_customer(s, view.id)
    assert back.total == D("24.90") and back.tax == D("4.15")


def _import(engine: Engine, path: Path) -> None:
    report = check_import(engine, path)
    assert report.errors == 0, report.problems
    apply_import(engine, report, allow_warnings=True)


def _flags(engine: Engine) -> dict[str, bool]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT email, tax_exempt FROM customer")).all()
    return {email: bool(flag) for email, flag in rows}


def test_shopify_tax_exempt_column_lands_in_the_flag(engine: Engine) -> None:
    report = check_import(engine, SOURCES / "shopify_customers_export.csv")
    assert "tax_exempt" in report.fields
    _import(engine, SOURCES / "shopify_customers_export.csv")
    flags = _flags(engine)
    assert flags["amelie.fontaine@example.org"] is False
    assert flags["bruno.keller@example.org"] is True


def test_ospos_taxable_is_read_the_other_way_round(engine: Engine, tmp_path: Path) -> None:
    lines = (SOURCES / "ospos_customers.csv").read_text("utf-8").splitlines()
    header, ana = lines[0], lines[1]
    assert header.endswith(",Taxable") and ana.endswith(",1")
    # a second customer, not taxable (OSPOS writes 0)
    bea = ana.replace("Ana", "Bea").replace("ana@", "bea@").replace("ACC-0042", "ACC-0043")
    path = tmp_path / "ospos.csv"
    path.write_text("\n".join([header, ana, bea[:-1] + "0"]) + "\n", encoding="utf-8")
    report = check_import(engine, path)
    row = next(r for r in report.columns if r.header == "Taxable")
    assert row.field == "tax_exempt"
    _import(engine, path)
    assert _flags(engine) == {"ana@example.org": False, "bea@example.org": True}


def test_export_writes_the_flag(engine: Engine, tmp_path: Path) -> None:
    _import(engine, SOURCES / "shopify_customers_export.csv")
    out = tmp_path / "out.csv"
    Imports(lambda: engine).export(out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = {r["email"]: r["tax_exempt"] for r in csv.DictReader(f)}
    assert rows["bruno.keller@example.org"] == "yes"
    assert rows["amelie.fontaine@example.org"] == "no"
    # and the file comes back as it went out
    with session_scope(engine) as s:
        s.execute(text("UPDATE customer SET tax_exempt = :f"), {"f": False})
    _import(engine, out)
    assert _flags(engine)["bruno.keller@example.org"] is True
