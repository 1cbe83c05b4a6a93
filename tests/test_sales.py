"""The sales domain on real databases: lines, customers, payments, completion, refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from sales_store import Store, build_store
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.catalog.settings import load_settings
from tillterm.core.errors import DatabaseBusy
from tillterm.sales import render_receipt, write_receipt
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import AccountEntry, Customer, LoyaltyEntry, Sale, SaleLine, utcnow

REG = "till-1"


@pytest.fixture
def store(any_engine: Engine) -> Store:
    return build_store(any_engine)


def _scan(engine: Engine, code: str, register: str = REG) -> sales.ScanOutcome:
    with session_scope(engine) as s:
        return sales.scan_code(s, register, code)


def _do(engine: Engine, fn, *args, **kw):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return fn(s, *args, **kw)


def test_scan_product_then_customer_prices_with_group_discount(
    any_engine: Engine, store: Store
) -> None:
    out = _scan(any_engine, "3000000000017")
    assert out.kind == "product" and out.view is not None
    assert out.view.total == D("4.50") and out.view.tax == D("0.23")  # 5.5 % inside 4.50
    out = _scan(any_engine, "3000000000017")  # same product again: one line, qty 2
    assert out.view is not None and [ln.quantity for ln in out.view.lines] == [2]
    out = _scan(any_engine, "pen-1")  # SKU, any case
    assert out.kind == "product"
    out = _scan(any_engine, " 2900000000017 ")  # Marie's card: VIP 10 %
    assert out.kind == "customer" and out.view is not None
    view = out.view
    assert view.customer is not None and view.customer.display_name == "Marie Dubois"
    assert view.customer.group_name == "VIP" and view.customer.discount_percent == D(10)
    assert view.customer.discount_from_group
    assert view.subtotal == D("33.90")
    assert view.discount == D("0.90") + D("2.49")
    assert view.total == D("30.51")
    assert view.total == view.subtotal - view.discount


def test_unknown_code_changes_nothing(any_engine: Engine, store: Store) -> None:
    out = _scan(any_engine, "999")
    assert out.kind == "unknown" and "No customer or product with code “999”" in out.message
    with session_scope(any_engine) as s:
        assert sales.find_open_sale(s, REG) is None


def test_customer_tax_and_detach_reprice(any_engine: Engine, store: Store) -> None:
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "TRADE-1").view  # wholesale: 15 % off, tax exempt
    assert view is not None and view.tax == 0 and view.total == D("21.16")
    view = _do(any_engine, sales.detach_customer, view.id)
    assert view.customer is None and view.total == D("24.90") and view.tax == D("4.15")


def test_tax_exclusive_store(tmp_path: Path) -> None:
    engine = open_db(tmp_path / "x.db")
    build_store(engine, inclusive=False)
    view = _scan(engine, "3000000000024").view
    assert view is not None and view.tax == D("4.98") and view.total == D("29.88")
    view = _scan(engine, "CARD-PAUL").view  # own 5 %: 24.90 - 1.25 = 23.65, + 4.73
    assert view is not None and (view.discount, view.tax, view.total) == (
        D("1.25"),
        D("4.73"),
        D("28.38"),
    )
    engine.dispose()


def test_lines_quantity_discount_misc_remove(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s:
        sale_id = sales.ensure_open_sale(s, REG)
        view = sales.add_product(s, sale_id, store.coffee, 3)
        line = view.lines[0].id
        view = sales.change_quantity(s, sale_id, line, -1)
        assert view.lines[0].quantity == 2
        with pytest.raises(sales.SaleError, match="at least 1"):
            sales.change_quantity(s, sale_id, line, -2)
        with pytest.raises(sales.SaleError, match="at least 1"):
            sales.set_quantity(s, sale_id, line, 0)
        view = sales.set_line_discount(s, sale_id, line, D(50))
        assert view.total == D("4.50")
        with pytest.raises(sales.SaleError, match="between 0 and 100"):
            sales.set_line_discount(s, sale_id, line, D(120))
        view = sales.add_misc_item(s, sale_id, D("2.35"), "  gift   wrap ")
        assert view.lines[-1].description == "gift wrap" and view.total == D("6.85")
        with pytest.raises(sales.SaleError, match="above zero"):
            sales.add_misc_item(s, sale_id, D("-1"))
        view = sales.remove_line(s, sale_id, line)
        assert [ln.description for ln in view.lines] == ["gift wrap"]
        assert view.lines[0].tax == D("0.39")  # store default 20 % inside 2.35


def test_name_search_prefix_any_case(any_engine: Engine, store: Store) -> None:
    from tillterm.catalog.products import search_products

    with session_scope(any_engine) as s:
        assert [p.name for p in search_products(s, "caf")] == ["Café moulu"]
        assert [p.name for p in search_products(s, "STYLO")] == ["Stylo plume"]
        assert [p.name for p in search_products(s, "plume")] == ["Stylo plume"]  # contains
        assert search_products(s, "zzz") == []
        out = sales.enter_text(s, REG, "stylo")
        assert out.kind == "product" and out.view is not None


def test_every_change_is_on_disk_and_reopens(tmp_path: Path) -> None:
    """A crash after any step: a fresh engine finds the register's open sale intact."""
    path = tmp_path / "crash.db"
    engine = open_db(path)
    store = build_store(engine)
    _scan(engine, "3000000000017")
    _scan(engine, "2900000000017")
    _scan(engine, "3000000000017", register="till-2")
    engine.dispose()  # the process dies here
    engine = open_db(path)
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, REG)
        other = sales.find_open_sale(s, "till-2")
    assert view is not None and view.customer is not None and view.customer.id == store.marie
    assert [ln.quantity for ln in view.lines] == [1]
    assert other is not None and other.id != view.id and other.customer is None
    engine.dispose()


def test_park_and_resume(any_engine: Engine, store: Store) -> None:
    first = _scan(any_engine, "3000000000017").view
    assert first is not None
    with pytest.raises(sales.SaleError, match="nothing to park"):
        _do(any_engine, sales.park_sale, _do(any_engine, sales.ensure_open_sale, "till-9"))
    _do(any_engine, sales.park_sale, first.id)
    with session_scope(any_engine) as s:
        assert sales.find_open_sale(s, REG) is None
        parked = sales.list_parked(s)
    assert [(p.id, p.line_count, p.total) for p in parked] == [(first.id, 1, D("4.50"))]
    second = _scan(any_engine, "3000000000024").view  # a new sale meanwhile
    assert second is not None and second.id != first.id
    resumed = _do(any_engine, sales.resume_sale, "till-2", first.id)  # on another register
    assert resumed.state == "open" and resumed.register_name == "till-2"
    with session_scope(any_engine) as s:
        assert [p.id for p in sales.list_parked(s)] == []
        # resuming on till-1 parks till-1's sale in progress
        _ = sales.park_sale(s, resumed.id)
        back = sales.resume_sale(s, REG, first.id)
        assert back.register_name == REG
        assert [p.id for p in sales.list_parked(s)] == [second.id]
    with pytest.raises(sales.SaleError, match="no longer parked"):
        _do(any_engine, sales.resume_sale, REG, first.id)


def test_cash_with_change_completes_and_earns_loyalty(
    any_engine: Engine, store: Store, tmp_path: Path
) -> None:
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "2900000000017").view  # 24.90 - 10 % = 22.41
    assert view is not None and view.total == D("22.41")
    with pytest.raises(sales.SaleError, match=r"22\.41 EUR is still due"):
        _do(any_engine, sales.complete_sale, view.id)
    view = _do(any_engine, sales.add_payment, view.id, "cash", tendered=D(50))
    assert view.paid == D("22.41") and view.change == D("27.59") and view.due == 0
    done = _do(any_engine, sales.complete_sale, view.id)
    assert done.state == "completed" and done.receipt_no and done.loyalty_earned == 22
    assert done.customer is not None and done.customer.loyalty_balance == 22
    assert done.customer.year_to_date_spend == D("22.41")
    with session_scope(any_engine) as s:
        text = render_receipt(done, load_settings(s))
    assert "Marie Dubois" in text and "Loyalty balance" in text and "22 pts" in text
    assert "27.59" in text and "Test shop" in text
    path = write_receipt(text, tmp_path / "receipts", done.receipt_no or "")
    assert path.read_text(encoding="utf-8") == text
    with pytest.raises(sales.SaleError, match="completed"):
        _do(any_engine, sales.add_product, done.id, store.pen)


def test_no_loyalty_for_customers_without_it(any_engine: Engine, store: Store) -> None:
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "PLAIN-1").view
    assert view is not None
    _do(any_engine, sales.add_payment, view.id, "card")
    done = _do(any_engine, sales.complete_sale, view.id)
    assert done.loyalty_earned == 0
    with session_scope(any_engine) as s:
        assert s.exec(select(func.count()).select_from(LoyaltyEntry)).one() == (0,)


def test_card_cannot_overpay_and_split_payment(any_engine: Engine, store: Store) -> None:
    view = _scan(any_engine, "3000000000024").view
    assert view is not None
    with pytest.raises(sales.PaymentRefused, match=r"cannot pay more than the 24\.90 EUR due"):
        _do(any_engine, sales.add_payment, view.id, "card", D(30))
    with pytest.raises(sales.PaymentRefused, match="more than zero"):
        _do(any_engine, sales.add_payment, view.id, "card", D(0))
    view = _do(any_engine, sales.add_payment, view.id, "card", D(10))
    view = _do(any_engine, sales.add_payment, view.id, "cash", tendered=D(20))
    assert view.due == 0 and view.change == D("5.10")
    assert [p.method for p in view.payments] == ["card", "cash"]
    with pytest.raises(sales.PaymentRefused, match="Nothing is due"):
        _do(any_engine, sales.add_payment, view.id, "card")
    view = _do(any_engine, sales.remove_payment, view.id, view.payments[1].id)
    assert view.due == D("14.90")


def test_on_account_rules(any_engine: Engine, store: Store) -> None:
    view = _scan(any_engine, "3000000000024").view
    assert view is not None
    with pytest.raises(sales.PaymentRefused, match="Attach a customer"):
        _do(any_engine, sales.add_payment, view.id, "account")
    _do(any_engine, sales.attach_customer, view.id, store.marie)
    with pytest.raises(sales.PaymentRefused, match="not allowed to buy on account"):
        _do(any_engine, sales.add_payment, view.id, "account")
    _do(any_engine, sales.attach_customer, view.id, store.paul)  # limit 100.00
    for _ in range(4):
        _scan(any_engine, "3000000000024")  # 5 x 24.90 - 5 % = 118.27
    with pytest.raises(sales.PaymentRefused, match=r"100\.00 EUR left .*limit 100\.00"):
        _do(any_engine, sales.add_payment, view.id, "account")
    view = _do(any_engine, sales.add_payment, view.id, "account", D(100))
    view = _do(any_engine, sales.add_payment, view.id, "cash", tendered=D("18.27"))
    done = _do(any_engine, sales.complete_sale, view.id)
    assert done.customer is not None and done.customer.account_balance == D(100)
    # nothing left: the next on-account sale is refused with the reason
    nxt = _scan(any_engine, "CARD-PAUL").view
    _scan(any_engine, "3000000000017")
    assert nxt is not None
    with pytest.raises(sales.PaymentRefused, match=r"0\.00 EUR left"):
        _do(any_engine, sales.add_payment, nxt.id, "account")
    # a wholesale customer with no limit may put anything on account
    _do(any_engine, sales.attach_customer, nxt.id, store.trade)
    assert _do(any_engine, sales.add_payment, nxt.id, "account").due == 0


def test_loyalty_redeem_never_below_zero(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s:
        s.add(LoyaltyEntry(customer_id=store.marie, points=300, reason="welcome"))
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "2900000000017").view
    assert view is not None
    view = _do(any_engine, sales.add_payment, view.id, "loyalty")  # 22.41 due, 300 pts
    assert view.payments[0].loyalty_points == 300 and view.payments[0].amount == D("3.00")
    with pytest.raises(sales.PaymentRefused, match="no loyalty points"):
        _do(any_engine, sales.add_payment, view.id, "loyalty")
    with pytest.raises(sales.SaleError, match="Remove the on-account or loyalty payment"):
        _do(any_engine, sales.detach_customer, view.id)
    _do(any_engine, sales.add_payment, view.id, "card")
    done = _do(any_engine, sales.complete_sale, view.id)
    # earned on the 19.41 not paid with points
    assert done.loyalty_earned == 19
    assert done.customer is not None and done.customer.loyalty_balance == 19


def test_refund_reverses_loyalty_and_account(any_engine: Engine, store: Store) -> None:
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "CARD-PAUL").view  # 23.65 (5 % own discount: 1.245 -> 1.25)
    assert view is not None
    _do(any_engine, sales.add_payment, view.id, "account", D(20))
    _do(any_engine, sales.add_payment, view.id, "cash", tendered=D(10))
    done = _do(any_engine, sales.complete_sale, view.id)
    assert done.total == D("23.65") and done.loyalty_earned == 23
    refund = _do(any_engine, sales.refund_sale, REG, done.id)
    assert refund.kind == "refund" and refund.original_sale_id == done.id
    assert refund.total == -done.total and [ln.quantity for ln in refund.lines] == [-1]
    assert {p.method: p.amount for p in refund.payments} == {
        "account": D(-20),
        "cash": D("-3.65"),
    }
    assert refund.customer is not None
    assert refund.customer.loyalty_balance == 0 and refund.customer.account_balance == 0
    assert refund.customer.year_to_date_spend == 0
    with pytest.raises(sales.SaleError, match="already been refunded"):
        _do(any_engine, sales.refund_sale, REG, done.id)
    with pytest.raises(sales.SaleError, match="cannot itself be refunded"):
        _do(any_engine, sales.refund_sale, REG, refund.id)


def test_archived_mid_sale_keeps_the_sale(any_engine: Engine, store: Store) -> None:
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "2900000000017").view
    assert view is not None
    _do(any_engine, sales.add_payment, view.id, "card")
    with session_scope(any_engine) as s:
        marie = s.get(Customer, store.marie)
        assert marie is not None
        marie.archived_at = utcnow()
        s.add(marie)
    with pytest.raises(sales.SaleError, match="was archived while this sale was open"):
        _do(any_engine, sales.complete_sale, view.id)
    with session_scope(any_engine) as s:
        again = sales.find_open_sale(s, REG)
    assert again is not None and len(again.lines) == 1 and len(again.payments) == 1
    with pytest.raises(sales.SaleError, match="archived"):
        _scan(any_engine, "2900000000017")


def test_void(any_engine: Engine, store: Store) -> None:
    view = _scan(any_engine, "3000000000024").view
    assert view is not None
    assert _do(any_engine, sales.void_sale, view.id).state == "voided"
    with session_scope(any_engine) as s:
        assert sales.find_open_sale(s, REG) is None


def test_database_locked_gives_a_message_and_keeps_the_sale(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    engine = open_db(path)
    build_store(engine)
    view = _scan(engine, "3000000000024").view
    assert view is not None

    @event.listens_for(engine, "connect")
    def _short_wait(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.execute("PRAGMA busy_timeout = 50")

    engine.dispose()  # new connections get the short timeout
    import sqlite3

    blocker = sqlite3.connect(path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseBusy, match="another register is holding the database"):
        _scan(engine, "3000000000024")
    blocker.rollback()
    blocker.close()
    with session_scope(engine) as s:
        again = sales.find_open_sale(s, REG)
    assert again is not None and [ln.quantity for ln in again.lines] == [1]
    assert _scan(engine, "3000000000024").view.lines[0].quantity == 2  # type: ignore[union-attr]
    engine.dispose()


def test_completed_sale_rows(any_engine: Engine, store: Store) -> None:
    view = _scan(any_engine, "3000000000017").view
    assert view is not None
    _scan(any_engine, "TRADE-1")
    _do(any_engine, sales.add_payment, view.id, "account")
    done = _do(any_engine, sales.complete_sale, view.id)
    with session_scope(any_engine) as s:
        sale = s.get(Sale, done.id)
        assert sale is not None and sale.group_id == store.wholesale
        assert sale.completed_at is not None
        assert sale.completed_at <= utcnow() + dt.timedelta(seconds=1)
        line_sum = s.exec(
            select(func.sum(SaleLine.total_cents)).where(SaleLine.sale_id == done.id)
        ).one()[0]
        assert line_sum == sale.total_cents == 382  # 4.50 - 15 % (0.675 -> 0.68), exempt
        entries = s.exec(select(AccountEntry.amount_cents)).all()
        assert [e[0] for e in entries] == [382]


# --------------------------------------------------------------------------- bad input


def test_on_account_cannot_pay_more_than_due(any_engine: Engine, store: Store) -> None:
    _scan(any_engine, "3000000000017")
    view = _scan(any_engine, "TRADE-1").view  # no limit: only the amount due stops it
    assert view is not None and view.total == D("3.82")
    with pytest.raises(sales.PaymentRefused, match=r"On account cannot pay more than the 3\.82"):
        _do(any_engine, sales.add_payment, view.id, "account", D(50))
    with pytest.raises(sales.PaymentRefused, match="more than zero"):
        _do(any_engine, sales.add_payment, view.id, "account", D(-1))
    again = _do(any_engine, sales.get_sale, view.id)
    assert again.payments == () and again.due == D("3.82")
    with session_scope(any_engine) as s:
        assert sales.account_balance_cents(s, store.trade) == 0


def test_quantity_limits_keep_the_line(any_engine: Engine, store: Store) -> None:
    view = _scan(any_engine, "3000000000017").view
    assert view is not None
    line = view.lines[0].id
    for bad in (0, -3, sales.MAX_QUANTITY + 1):
        with pytest.raises(sales.SaleError, match=r"at least 1|more than 9999"):
            _do(any_engine, sales.set_quantity, view.id, line, bad)
    with pytest.raises(sales.SaleError, match="at least 1"):
        _do(any_engine, sales.add_product, view.id, store.pen, 0)
    with pytest.raises(sales.SaleError, match="no longer on the sale"):
        _do(any_engine, sales.change_quantity, view.id, line + 99, 1)
    again = _do(any_engine, sales.get_sale, view.id)
    assert [(ln.quantity, ln.total) for ln in again.lines] == [(1, D("4.50"))]


def test_refund_takes_back_only_the_points_left(any_engine: Engine, store: Store) -> None:
    _scan(any_engine, "3000000000024")
    view = _scan(any_engine, "2900000000017").view  # Marie earns 22
    assert view is not None
    _do(any_engine, sales.add_payment, view.id, "card")
    done = _do(any_engine, sales.complete_sale, view.id)
    with session_scope(any_engine) as s:  # she spends 15 of them elsewhere
        s.add(LoyaltyEntry(customer_id=store.marie, points=-15, reason="spent"))
    refund = _do(any_engine, sales.refund_sale, REG, done.id)
    assert refund.loyalty_earned == -7 and refund.customer is not None
    assert refund.customer.loyalty_balance == 0
    assert "7 loyalty points taken back" in sales.describe_refund(refund)
    assert "refund 22.41 EUR to the card" in sales.describe_refund(refund)


def test_list_completed_marks_refunds(any_engine: Engine, store: Store) -> None:
    first = _scan(any_engine, "3000000000017").view
    assert first is not None
    _do(any_engine, sales.add_payment, first.id, "cash")
    first_done = _do(any_engine, sales.complete_sale, first.id)
    second = _scan(any_engine, "3000000000024", register="till-2").view
    assert second is not None
    _scan(any_engine, "PLAIN-1", register="till-2")
    _do(any_engine, sales.add_payment, second.id, "card")
    _do(any_engine, sales.complete_sale, second.id)
    refund = _do(any_engine, sales.refund_sale, REG, first_done.id)
    _scan(any_engine, "3000000000017")  # an open sale is not listed
    with session_scope(any_engine) as s:
        listed = sales.list_completed(s)
    assert [(c.receipt_no, c.kind, c.refunded) for c in listed] == [
        (refund.receipt_no, "refund", False),
        (f"R{second.id:07d}", "sale", False),
        (first_done.receipt_no, "sale", True),
    ]
    assert listed[1].customer_name == "Jean Petit" and listed[1].register_name == "till-2"
    assert listed[0].total == D("-4.50")


def test_database_briefly_locked_waits_and_succeeds(tmp_path: Path) -> None:
    """A lock shorter than the busy timeout: the scan queues behind it, no error."""
    import sqlite3
    import threading

    path = tmp_path / "brief.db"
    engine = open_db(path)
    build_store(engine)
    locked, done = threading.Event(), threading.Event()

    def other_register() -> None:
        blocker = sqlite3.connect(path, timeout=0)
        blocker.execute("BEGIN IMMEDIATE")
        locked.set()
        done.wait(0.3)  # holds the write lock for 0.3 s (the scan waits meanwhile)
        blocker.rollback()
        blocker.close()

    holder = threading.Thread(target=other_register)
    holder.start()
    assert locked.wait(5)
    view = _scan(engine, "3000000000024").view
    done.set()
    holder.join()
    assert view is not None and [ln.quantity for ln in view.lines] == [1]
    with session_scope(engine) as s:
        assert sales.find_open_sale(s, REG) == view
    engine.dispose()
