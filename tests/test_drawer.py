"""The cash drawer and its day (issue 17): float, cash in/out, X report, stored Z report.

A day with sales at two tax rates, a customer discount, a refund, a void, cash, card
and on-account payments and cash moved in and out: every figure of the Z is checked
against the sales themselves, the Z is printed again byte for byte after more sales and
a renamed store, two registers keep their own days, and two sessions taking the same
register's Z at once make one Z. SQLite and PostgreSQL (``any_engine``).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import run_cli
from sales_store import build_store
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import select

from tillterm import sales
from tillterm.catalog.settings import update_settings
from tillterm.sales import drawer
from tillterm.sales.drawer import DrawerError
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import DrawerDay, Sale

COFFEE, PEN = "3000000000017", "3000000000024"  # 4.50 at 5.5 %, 24.90 at 20 %


def _ring(
    engine: Engine,
    register: str,
    codes: list[str],
    method: str,
    *,
    tendered: D | None = None,
) -> sales.SaleView:
    with session_scope(engine) as s:
        for code in codes:
            out = sales.scan_code(s, register, code)
            assert out.view is not None
        sale_id = out.view.id
        sales.add_payment(s, sale_id, method, tendered=tendered)
        return sales.complete_sale(s, sale_id)


def _cents(value: D) -> int:
    return int(value * 100)


def _day(engine: Engine, register: str = "r") -> dict[str, sales.SaleView]:
    """A full day on ``register``; the sales it rang, by name."""
    with session_scope(engine) as s:
        drawer.open_drawer(s, register, 10000)
    rung = {
        # Marie is VIP (10 %): a discount, both tax rates, paid cash with change
        "cash": _ring(engine, register, [PEN, COFFEE, "2900000000017"], "cash", tendered=D(50)),
        "card": _ring(engine, register, [COFFEE], "card"),
        # Paul pays on account (his own 5 %)
        "account": _ring(engine, register, [PEN, "CARD-PAUL"], "account"),
        "refunded": _ring(engine, register, [PEN], "cash"),
    }
    with session_scope(engine) as s:
        rung["refund"] = sales.refund_sale(s, register, rung["refunded"].id)
        out = sales.scan_code(s, register, COFFEE)
        assert out.view is not None
        rung["void"] = sales.void_sale(s, out.view.id)
        drawer.move_cash(s, register, "in", 2000, "change from the bank")
        drawer.move_cash(s, register, "out", 500, "window cleaner")
    return rung


def test_a_days_figures_add_up(any_engine: Engine) -> None:
    build_store(any_engine)
    rung = _day(any_engine)
    sold = [rung[k] for k in ("cash", "card", "account", "refunded")]
    refund = rung["refund"]
    with session_scope(any_engine) as s:
        x = drawer.drawer_state(s, "r").x
    assert (x.sales_count, x.sales_cents) == (4, sum(_cents(v.total) for v in sold))
    assert (x.refunds_count, x.refunds_cents) == (1, -2490)
    assert (x.voids_count, x.voids_cents) == (1, 450)
    assert x.discount_cents == sum(_cents(v.discount) for v in (*sold, refund)) > 0
    rates = {t.rate: (t.net_cents, t.tax_cents) for t in x.taxes}
    assert set(rates) == {"20", "5.5"}
    # the rates share out the day's net sales exactly, and its tax
    assert sum(n + t for n, t in rates.values()) == x.net_sales_cents
    assert sum(t for _n, t in rates.values()) == sum(_cents(v.tax) for v in (*sold, refund))
    paid = {p.method: (p.count, p.amount_cents) for p in x.payments}
    cash_sales = _cents(rung["cash"].total) + 2490 - 2490  # the refunded sale, paid back
    assert paid == {
        "cash": (3, cash_sales),
        "card": (1, _cents(rung["card"].total)),
        "account": (1, _cents(rung["account"].total)),
    }
    assert rung["cash"].change > 0  # change given is not in the drawer
    assert x.expected_cash_cents == 10000 + cash_sales + 2000 - 500
    assert (x.first_receipt, x.last_receipt) == ("R0000001", "R0000005")

    with session_scope(any_engine) as s:
        z = drawer.take_z(s, "r", x.expected_cash_cents - 200, after=0)
    assert z.label == "Z0001" and z.taken_now
    assert z.figures.over_short_cents == -200
    assert z.figures.sales_cents == x.sales_cents and z.figures.taxes == x.taxes
    assert "Z REPORT Z0001" in z.text and "2.00 short" in z.text
    assert "window cleaner" in z.text and "Test shop" in z.text
    assert all(len(line) <= 40 for line in z.text.splitlines())
    with session_scope(any_engine) as s:
        stamped = s.exec(select(func.count()).where(Sale.drawer_day_id.is_not(None))).one()
        after = drawer.drawer_state(s, "r")
    assert stamped == 6  # four sales, the refund, the void
    assert after.opened_at is None and after.last_z == 1 and after.x.sales_count == 0


def test_z_is_printed_again_byte_for_byte(any_engine: Engine) -> None:
    build_store(any_engine)
    _day(any_engine)
    with session_scope(any_engine) as s:
        z = drawer.take_z(s, "r", 12345, after=0)
    # later: the store is renamed, another sale completes (the next day's)
    with session_scope(any_engine) as s:
        update_settings(s, name="Renamed shop")
    late = _ring(any_engine, "r", [PEN], "cash")
    with session_scope(any_engine) as s:
        again = drawer.z_report(s, "r", 1)
        listed = drawer.list_z_reports(s, "r")
        x = drawer.drawer_state(s, "r").x
    assert again.text == z.text and again.figures == z.figures
    assert "Renamed shop" not in again.text
    assert [(z.label, z.over_short_cents) for z in listed] == [
        ("Z0001", z.figures.over_short_cents)
    ]
    assert (x.sales_count, x.sales_cents, x.first_receipt) == (1, 2490, late.receipt_no)
    with session_scope(any_engine) as s:
        z2 = drawer.take_z(s, "r", None, after=1)
    assert z2.label == "Z0002" and z2.figures.sales_count == 1
    assert z2.figures.started_at == z.taken_at and "not counted" in z2.text
    assert "Drawer                        not opened" in z2.text


def test_two_registers_keep_their_own_drawer_and_days(any_engine: Engine) -> None:
    build_store(any_engine)
    with session_scope(any_engine) as s:
        drawer.open_drawer(s, "a", 5000)
    _ring(any_engine, "a", [PEN], "cash")
    _ring(any_engine, "b", [COFFEE], "cash")
    with session_scope(any_engine) as s:
        za = drawer.take_z(s, "a", 7490, after=0)
        b = drawer.drawer_state(s, "b")
        zb = drawer.take_z(s, "b", 450, after=0)
    assert (za.label, za.figures.sales_cents, za.figures.over_short_cents) == ("Z0001", 2490, 0)
    assert b.opened_at is None and b.x.sales_cents == 450
    assert (zb.label, zb.figures.sales_cents, zb.figures.over_short_cents) == ("Z0001", 450, 0)


def test_two_sessions_taking_the_same_z_at_once_make_one(any_engine: Engine) -> None:
    build_store(any_engine)
    _day(any_engine)
    start = threading.Barrier(2)
    taken: list[drawer.ZReport] = []
    failed: list[BaseException] = []

    def close() -> None:
        try:
            start.wait()
            with session_scope(any_engine) as s:
                taken.append(drawer.take_z(s, "r", 11000, after=0))
        except BaseException as exc:  # handed to the test's thread
            failed.append(exc)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    assert sorted(z.taken_now for z in taken) == [False, True]
    assert taken[0].text == taken[1].text and taken[0].z_no == taken[1].z_no == 1
    with session_scope(any_engine) as s:
        days = s.exec(select(DrawerDay).where(DrawerDay.register_name == "r")).all()
    assert [d.z_no for d in days] == [1]


def test_drawer_mistakes_are_refused_and_change_nothing(engine: Engine) -> None:
    build_store(engine)
    with session_scope(engine) as s, pytest.raises(DrawerError, match="not open"):
        drawer.move_cash(s, "r", "in", 100, "float top-up")
    with session_scope(engine) as s, pytest.raises(DrawerError, match="more than zero"):
        drawer.open_drawer(s, "r", -1)
    with session_scope(engine) as s:
        drawer.open_drawer(s, "r", 0)
    with session_scope(engine) as s, pytest.raises(DrawerError, match="already open"):
        drawer.open_drawer(s, "r", 100)
    with session_scope(engine) as s, pytest.raises(DrawerError, match="Say why"):
        drawer.move_cash(s, "r", "out", 100, "   ")
    with session_scope(engine) as s, pytest.raises(DrawerError, match="more than zero"):
        drawer.move_cash(s, "r", "out", 0, "nothing")
    with session_scope(engine) as s:
        with pytest.raises(DrawerError, match="no Z report Z0001"):
            drawer.z_report(s, "r", 1)
        state = drawer.drawer_state(s, "r")
    assert state.opened_at is not None and state.x.moves == ()


def test_sales_from_before_the_first_day_are_history(engine: Engine) -> None:
    """A store upgraded with years of sales: its first Z counts from that local midnight."""
    build_store(engine)
    old = _ring(engine, "r", [PEN], "card")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE sale SET completed_at = :t WHERE id = :i"),
            {"t": dt.datetime(2020, 1, 2, 10, 0), "i": old.id},
        )
    today = _ring(engine, "r", [COFFEE], "card")
    with session_scope(engine) as s:
        z = drawer.take_z(s, "r", None, after=0)
    assert (z.figures.sales_count, z.figures.first_receipt) == (1, today.receipt_no)


def test_report_z_and_x_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "z.db"
    engine = open_db(db)
    build_store(engine)
    _day(engine, "front")
    engine.dispose()
    today = dt.date.today()
    base = ["report", "--db", str(db)]
    assert run_cli(["report", "x", "--db", str(db), "--register", "front"]) == 0
    x = capsys.readouterr().out
    assert "X REPORT" in x and "Sales (4)" in x
    z_args = ["report", "z", "--db", str(db), "--register", "front", "--date", today.isoformat()]
    assert run_cli(z_args) == 0
    first = capsys.readouterr().out
    assert "Z REPORT Z0001" in first and "not counted" in first
    later = open_db(db)
    _ring(later, "front", [PEN], "cash")  # the next day's sale
    assert run_cli(z_args) == 0
    assert capsys.readouterr().out == first  # printed again, not taken again
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert run_cli([*base[:1], "z", *base[1:], "--register", "front", "--date", yesterday]) == 1
    assert "took no Z report on" in capsys.readouterr().err
    with session_scope(later) as s:
        assert drawer.drawer_state(s, "front").last_z == 1
    later.dispose()
