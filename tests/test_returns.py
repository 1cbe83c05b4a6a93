"""Returns by line and returns without a receipt (issue 17): amounts, money back,
ledgers, limits, and two registers returning the same line at once."""

from __future__ import annotations

import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from sales_store import Store, build_store
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.core.errors import DatabaseBusy
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import AccountEntry, LoyaltyEntry, Payment, Sale, SaleLine


@pytest.fixture
def store(engine: Engine) -> Store:
    return build_store(engine)


def _sale(engine: Engine, *, account: D | None = D(50), card: D | None = D(20)) -> sales.SaleView:
    """Paul (5 % off) buys 3 pens (24.90) and 2 coffees (4.50): 79.51, earning 79 points.

    Pens: 74.70 - 3.74 = 70.96; coffees: 9.00 - 0.45 = 8.55. Paid 50.00 on account,
    20.00 by card, the rest (9.51) in cash.
    """
    with session_scope(engine) as s:
        for _ in range(3):
            sales.scan_code(s, "till-1", "3000000000024")
        sales.scan_code(s, "till-1", "3000000000017")
        view = sales.scan_code(s, "till-1", "3000000000017").view
        assert view is not None
        sales.scan_code(s, "till-1", "CARD-PAUL")
        if account:
            sales.add_payment(s, view.id, "account", account)
        if card:
            sales.add_payment(s, view.id, "card", card)
        sales.add_payment(s, view.id, "cash")
        done = sales.complete_sale(s, view.id)
    assert done.total == D("79.51") and done.loyalty_earned == 79
    return done


def _ledgers(engine: Engine, customer_id: int) -> tuple[int, int]:
    """(loyalty points, account cents) as the sums of the ledger rows."""
    with session_scope(engine) as s:
        points = s.execute(
            select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                LoyaltyEntry.customer_id == customer_id
            )
        ).scalar_one()
        account = s.execute(
            select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
                AccountEntry.customer_id == customer_id
            )
        ).scalar_one()
    return int(points), int(account)


def _line(view: sales.SaleView, description: str) -> int:
    return next(line.id for line in view.lines if line.description == description)


def _return(engine: Engine, sale_id: int, quantities: dict[int, int]) -> sales.SaleView:
    with session_scope(engine) as s:
        return sales.return_lines(s, "till-2", sale_id, quantities)


def test_one_pen_back_goes_to_the_account_first(engine: Engine, store: Store) -> None:
    done = _sale(engine)
    pen = _line(done, "Stylo plume")
    assert _ledgers(engine, store.paul) == (79, 5000)
    refund = _return(engine, done.id, {pen: 1})
    # a third of the pens' line: 24.90 - 1.25 discount (3.74 / 3, rounded) = 23.65
    assert [(line.quantity, line.discount, line.total) for line in refund.lines] == [
        (-1, D("-1.25"), D("-23.65"))
    ]
    assert refund.total == D("-23.65") and refund.kind == sales.REFUND
    assert [(p.method, p.amount) for p in refund.payments] == [("account", D("-23.65"))]
    # 79 points × 23.65 / 79.51 = 23.498 → 23 taken back; the account credited
    assert refund.loyalty_earned == -23
    assert _ledgers(engine, store.paul) == (56, 5000 - 2365)
    assert "Return of sale " + (done.receipt_no or "?") in (refund.receipt_text or "")
    assert "Stylo plume" in (refund.receipt_text or "")
    assert "Café" not in (refund.receipt_text or "")
    with session_scope(engine) as s:
        links = s.execute(
            select(SaleLine.returned_line_id).where(SaleLine.sale_id == refund.id)
        ).all()
    assert [row[0] for row in links] == [pen]


def test_piece_by_piece_gives_back_exactly_what_was_paid(engine: Engine, store: Store) -> None:
    done = _sale(engine)
    pen, coffee = _line(done, "Stylo plume"), _line(done, "Café moulu")
    first = _return(engine, done.id, {pen: 2, coffee: 1})
    # pens 2/3: 49.80 - 2.49 = 47.31; coffee 1/2: 4.50 - 0.23 = 4.27 (half of 0.45, up)
    assert first.total == D("-51.58")
    # the account took 50.00; the card the 1.58 left
    assert [(p.method, p.amount) for p in first.payments] == [
        ("account", D("-50.00")),
        ("card", D("-1.58")),
    ]
    second = _return(engine, done.id, {pen: 1, coffee: 1})
    # what is left: pens 70.96 - 47.31 = 23.65; coffee 8.55 - 4.27 = 4.28
    assert second.total == D("-27.93")
    assert [(p.method, p.amount) for p in second.payments] == [
        ("card", D("-18.42")),
        ("cash", D("-9.51")),
    ]
    assert first.total + second.total == -done.total
    assert first.tax + second.tax == -done.tax
    assert first.discount + second.discount == -done.discount
    # every point earned taken back, the whole account credited
    assert _ledgers(engine, store.paul) == (0, 0)
    with pytest.raises(sales.SaleError, match="Only 0 of “Stylo plume”"):
        _return(engine, done.id, {pen: 1})
    with session_scope(engine) as s, pytest.raises(sales.SaleError, match="already returned"):
        sales.refund_sale(s, "till-1", done.id)
    with session_scope(engine) as s:
        back = s.execute(
            select(Payment.method, func.sum(Payment.amount_cents))
            .join(Sale, Sale.id == Payment.sale_id)
            .where(Sale.original_sale_id == done.id)
            .group_by(Payment.method)
        ).all()
    assert dict(back) == {"account": -5000, "card": -2000, "cash": -951}


def test_a_line_is_never_returned_beyond_its_quantity(engine: Engine, store: Store) -> None:
    done = _sale(engine)
    pen = _line(done, "Stylo plume")
    _return(engine, done.id, {pen: 2})
    with pytest.raises(sales.SaleError, match=r"Only 1 of “Stylo plume” .*2 of 3 already"):
        _return(engine, done.id, {pen: 2})
    with pytest.raises(sales.SaleError, match="at least one"):
        _return(engine, done.id, {pen: 0})
    with session_scope(engine) as s:
        left = sales.returnable_sale(s, done.id)
    assert [(line.description, line.sold, line.returned, line.left) for line in left.lines] == [
        ("Stylo plume", 3, 2, 1),
        ("Café moulu", 2, 0, 2),
    ]


def test_no_return_after_a_whole_refund(engine: Engine, store: Store) -> None:
    done = _sale(engine)
    with session_scope(engine) as s:
        sales.refund_sale(s, "till-1", done.id)
    with pytest.raises(sales.SaleError, match="Only 0 of"):
        _return(engine, done.id, {_line(done, "Café moulu"): 1})
    assert _ledgers(engine, store.paul) == (0, 0)


def test_a_refund_from_before_returns_blocks_them(engine: Engine, store: Store) -> None:
    """A whole-sale refund taken before lines were linked (none of its lines points at
    the original's) means nothing is left to return."""
    done = _sale(engine)
    with session_scope(engine) as s:
        refund = sales.refund_sale(s, "till-1", done.id)
        s.execute(
            update(SaleLine).where(SaleLine.sale_id == refund.id).values(returned_line_id=None)
        )
    with session_scope(engine) as s:
        assert sales.returnable_sale(s, done.id).legacy_refund
    with pytest.raises(sales.SaleError, match="already refunded in full"):
        _return(engine, done.id, {_line(done, "Café moulu"): 1})


def test_tax_exclusive_parts_add_up(tmp_path: Path) -> None:
    """On tax-exclusive prices a part's total is its net plus its tax, and the parts of a
    line add up to the line as sold."""
    engine = open_db(tmp_path / "excl.db")
    build_store(engine, inclusive=False)
    with session_scope(engine) as s:
        for _ in range(3):
            view = sales.scan_code(s, "till-1", "3000000000024").view
        assert view is not None
        sales.scan_code(s, "till-1", "CARD-PAUL")
        sales.add_payment(s, view.id, "card")
        done = sales.complete_sale(s, view.id)
    # 74.70 - 3.74 = 70.96 net, + 20 % = 14.19 tax: 85.15
    assert (done.total, done.tax) == (D("85.15"), D("14.19"))
    pen = _line(done, "Stylo plume")
    one = _return(engine, done.id, {pen: 1})
    rest = _return(engine, done.id, {pen: 2})
    for part in (one, rest):
        (line,) = part.lines
        assert line.total == line.gross - line.discount + line.tax
    # one: 24.90 - 1.25 = 23.65, + 4.73 tax (14.19 / 3) = 28.38
    assert (one.total, one.tax) == (D("-28.38"), D("-4.73"))
    assert one.total + rest.total == -done.total and one.tax + rest.tax == -done.tax
    engine.dispose()


def test_points_taken_back_never_below_zero(engine: Engine, store: Store) -> None:
    done = _sale(engine)
    with session_scope(engine) as s:
        s.add(LoyaltyEntry(customer_id=store.paul, points=-70, reason="spent elsewhere"))
    refund = _return(engine, done.id, {_line(done, "Stylo plume"): 1})
    assert refund.loyalty_earned == -9
    assert _ledgers(engine, store.paul)[0] == 0


def test_loyalty_payment_points_given_back(engine: Engine, store: Store) -> None:
    with session_scope(engine) as s:
        s.add(LoyaltyEntry(customer_id=store.marie, points=500, reason="welcome"))
    with session_scope(engine) as s:
        view = sales.scan_code(s, "till-1", "3000000000024").view
        assert view is not None
        sales.scan_code(s, "till-1", "2900000000017")
        sales.add_payment(s, view.id, "loyalty", D(5))  # 500 points
        sales.add_payment(s, view.id, "cash")
        done = sales.complete_sale(s, view.id)
    # 24.90 - 10 % = 22.41; 17.41 not paid in points earns 17
    assert done.total == D("22.41") and done.loyalty_earned == 17
    assert _ledgers(engine, store.marie)[0] == 17
    refund = _return(engine, done.id, {_line(done, "Stylo plume"): 1})
    assert [(p.method, p.amount, p.loyalty_points) for p in refund.payments] == [
        ("loyalty", D("-5.00"), -500),
        ("cash", D("-17.41"), 0),
    ]
    assert refund.loyalty_earned == 500 - 17
    assert _ledgers(engine, store.marie)[0] == 500


def test_without_receipt_in_cash(engine: Engine, store: Store) -> None:
    item = sales.NoReceiptItem("Parapluie", D("12.00"), 2, D(20))
    with session_scope(engine) as s:
        with pytest.raises(sales.SaleError, match="needs a reason"):
            sales.return_without_receipt(s, "till-1", item, "  ", "cash")
        with pytest.raises(sales.SaleError, match="cash or as store credit"):
            sales.return_without_receipt(s, "till-1", item, "gift", "card")
        with pytest.raises(sales.SaleError, match="give their card"):
            sales.return_without_receipt(s, "till-1", item, "gift", "account")
    with session_scope(engine) as s:
        refund = sales.return_without_receipt(s, "till-1", item, "gift, no receipt", "cash")
    assert refund.total == D("-24.00") and refund.tax == D("-4.00")
    assert refund.original_sale_id is None and refund.customer is None
    assert [(p.method, p.amount) for p in refund.payments] == [("cash", D("-24.00"))]
    text = refund.receipt_text or ""
    assert "Return without receipt" in text and "Reason: gift, no receipt" in text
    with session_scope(engine) as s:
        row = s.get(Sale, refund.id)
        assert row is not None and row.note == "gift, no receipt" and row.kind == "refund"
        assert s.execute(select(func.count()).select_from(AccountEntry)).scalar_one() == 0


def test_without_receipt_as_store_credit(engine: Engine, store: Store) -> None:
    item = sales.NoReceiptItem("Parapluie", D("12.00"), 1, D(20))
    refused = pytest.raises(sales.SaleError, match="no account for store credit")
    with session_scope(engine) as s, refused:
        sales.return_without_receipt(s, "till-1", item, "gift", "account", "PLAIN-1")
    with session_scope(engine) as s:
        refund = sales.return_without_receipt(s, "till-1", item, "gift", "account", "card-paul")
    assert refund.customer is not None and refund.customer.display_name == "Paul Martin"
    assert _ledgers(engine, store.paul) == (0, -1200)
    assert "Account balance" in (refund.receipt_text or "")


# --------------------------------------------------------------------------- two registers


def _race(urls: list[str], sale_id: int, line_id: int) -> list[str]:
    """Two registers, each on its own connection, return the same last pen at once."""
    engines = [open_db(url) for url in urls]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(engine: Engine, name: str) -> None:
        barrier.wait(timeout=30)
        try:
            with session_scope(engine) as s:
                sales.return_lines(s, name, sale_id, {line_id: 1})
            outcomes.append("returned")
        except sales.SaleError as exc:
            outcomes.append(str(exc))
        except DatabaseBusy:
            outcomes.append("busy")

    threads = [
        threading.Thread(target=register, args=(eng, f"till-{n}")) for n, eng in enumerate(engines)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for eng in engines:
        eng.dispose()
    return outcomes


def _check_race(engine: Engine, outcomes: list[str], sale_id: int, pen: int) -> None:
    assert sorted(outcomes)[1] == "returned", outcomes
    assert sorted(outcomes)[0].startswith("Only 0 of “Stylo plume”"), outcomes
    with session_scope(engine) as s:
        returned = s.execute(
            select(func.sum(SaleLine.quantity)).where(SaleLine.returned_line_id == pen)
        ).scalar_one()
    assert returned == -3


def test_two_registers_return_the_last_pen_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    engine = open_db(db)
    build_store(engine)
    done = _sale(engine)
    pen = _line(done, "Stylo plume")
    _return(engine, done.id, {pen: 2})
    _check_race(engine, _race([str(db), str(db)], done.id, pen), done.id, pen)
    engine.dispose()


def test_two_registers_return_the_last_pen_on_postgresql(pg_url: str) -> None:
    engine = open_db(pg_url)
    build_store(engine)
    done = _sale(engine)
    pen = _line(done, "Stylo plume")
    _return(engine, done.id, {pen: 2})
    _check_race(engine, _race([pg_url, pg_url], done.id, pen), done.id, pen)
    engine.dispose()


def test_the_plan_says_the_sum_once_when_it_all_goes_back_one_way() -> None:
    """What the cashier reads before confirming: "Refund 9.00 EUR to the card.", not
    "Refund 9.00 EUR: 9.00 EUR to the card."; split ways still list each part."""
    from tillterm.sales.returns import MoneyBack, ReturnPlan, describe_plan

    def plan(*money: MoneyBack, taken: int = 0) -> ReturnPlan:
        total = sum(back.amount_cents for back in money)
        return ReturnPlan(parts=(), money=money, earned_taken_back=taken, total_cents=total)

    assert describe_plan(plan(MoneyBack("card", 900)), "EUR") == "Refund 9.00 EUR to the card."
    assert describe_plan(plan(MoneyBack("cash", 450)), "EUR") == "Refund 4.50 EUR in cash."
    assert describe_plan(plan(MoneyBack("card", 900), taken=9), "EUR") == (
        "Refund 9.00 EUR: 9.00 EUR to the card; 9 points earned taken back."
    )
    assert describe_plan(plan(MoneyBack("account", 500), MoneyBack("card", 158)), "EUR") == (
        "Refund 6.58 EUR: 5.00 EUR credited to the account; 1.58 EUR to the card."
    )
