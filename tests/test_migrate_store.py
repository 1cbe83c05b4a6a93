"""``tillterm migrate-store``: a real SQLite store (demo data, sales, ledgers) moved into
a fresh PostgreSQL schema, read back equal; refusals and a failure half-way."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from tests.conftest import needs_pg, run_cli
from tillterm import sales
from tillterm.customers.reading import search_customers
from tillterm.demo.seeding import seed_demo
from tillterm.services.store_move import TransferRefused, move_store
from tillterm.services.till import Till
from tillterm.store.engine import build_engine, open_db, read_schema_state, session_scope, upgrade
from tillterm.store.models import Customer, CustomFieldValue, Product, metadata

pytestmark = needs_pg


def _customers(engine: Engine, *, account: bool) -> list[int]:
    with session_scope(engine) as s:
        stmt = select(Customer.id).where(col(Customer.loyalty_enabled)).order_by(col(Customer.id))
        if account:
            stmt = stmt.where(
                col(Customer.on_account_allowed), col(Customer.balance_limit_cents).is_(None)
            )
        return [int(i) for i in s.exec(stmt).all()[:3] if i is not None]


def _products(engine: Engine) -> list[int]:
    with session_scope(engine) as s:
        return [int(i) for i in s.exec(select(Product.id).order_by(col(Product.id)).limit(3)).all()]


def build_store(path: Path, receipts: Path) -> list[str]:
    """A demo store with custom values, sales on account, with loyalty earned and redeemed,
    and a refund; answers the receipt numbers printed."""
    engine = open_db(path)
    try:
        seed_demo(engine, customers=300, products=40, seed=7)
        with session_scope(engine) as s:
            s.add(CustomFieldValue(customer_id=1, field_id=1, value="42"))
        loyal = _customers(engine, account=False)
        on_account = _customers(engine, account=True)
        products = _products(engine)
        till = Till(lambda: engine, "front", receipts)
        printed = []
        for customer in [*on_account, *loyal, *loyal]:
            for product in products:
                till.add_product(product)
            till.attach_customer(customer)
            view = till._read(lambda s, c=customer: sales.loyalty_balance(s, c))
            if view > 0:
                till.pay(sales.LOYALTY, None)
            if customer in on_account:
                till.pay(sales.ACCOUNT, Decimal("5.00"))
            till.pay(sales.CARD, None)
            printed.append(till.finish().sale.receipt_no or "")
        refund = till.finish(refund_of=1)
        printed.append(refund.sale.receipt_no or "")
        till.add_product(products[0])
        till.park()
        return printed
    finally:
        engine.dispose()


def _snapshot(engine: Engine, receipts: list[str]) -> dict[str, object]:
    with session_scope(engine) as s:
        counts = {
            t.name: s.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar()
            for t in metadata.sorted_tables
        }
        ids = [int(i) for i in s.exec(select(Customer.id).order_by(col(Customer.id))).all() if i]
        return {
            "counts": counts,
            "loyalty": {i: sales.loyalty_balance(s, i) for i in ids},
            "account": {i: sales.account_balance_cents(s, i) for i in ids},
            "search": [c.id for c in search_customers(s, "mar", limit=20)],
            "receipts": [sales.find_sale_by_receipt(s, no).receipt_text for no in receipts],
        }


def test_a_store_moves_whole_and_reads_back_equal(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.db"
    printed = build_store(store, tmp_path / "receipts")
    source = open_db(store)
    before = _snapshot(source, printed)
    source.dispose()
    assert before["counts"]["loyalty_entry"] and before["counts"]["account_entry"]  # type: ignore[index]

    assert run_cli(["migrate-store", "--from", str(store), "--to", pg_url]) == 0
    out = capsys.readouterr()
    assert "counts equal on both sides" in out.out
    assert "customer: 300 / 300 rows" in out.err

    target = open_db(pg_url)
    try:
        assert _snapshot(target, printed) == before
        # the sequences were moved past the copied ids: the next sale gets new ids and
        # the next receipt number follows the store's
        till = Till(lambda: target, "back", tmp_path / "receipts-pg")
        till.add_product(_products(target)[0])
        till.pay(sales.CASH, None)
        done = till.finish()
        last = max(printed)
        assert done.sale.receipt_no == sales.receipt_number(int(last[1:]) + 1)
    finally:
        target.dispose()


def test_a_target_with_data_is_refused(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.db"
    build_store(store, tmp_path / "receipts")
    move_store(str(store), pg_url)
    target = open_db(pg_url)
    with session_scope(target) as s:
        before = s.execute(text("SELECT count(*) FROM sale")).scalar()
    target.dispose()

    assert run_cli(["migrate-store", "--from", str(store), "--to", pg_url]) == 1
    assert "is not empty" in capsys.readouterr().err
    target = open_db(pg_url)
    with session_scope(target) as s:
        assert s.execute(text("SELECT count(*) FROM sale")).scalar() == before
    target.dispose()


def _customer_count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.execute(text("SELECT count(*) FROM customer")).scalar() or 0)


def _wait_for_lock_wait(engine: Engine) -> None:
    """Until some session of the server waits for a lock (the reader, on the copy's)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the reader never waited for the copy")


def test_a_target_that_tillterm_only_created_is_filled(tmp_path: Path, pg_url: str) -> None:
    """A register opened once on the new server made the schema and its two seeded rows."""

    def indexes() -> set[tuple[str, str]]:
        engine = build_engine(pg_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE schemaname = current_schema()"
                    )
                ).all()
            return {(str(name), str(ddl)) for name, ddl in rows}
        finally:
            engine.dispose()

    open_db(pg_url).dispose()
    made = indexes()
    store = tmp_path / "store.db"
    printed = build_store(store, tmp_path / "receipts")

    # a register that reads the new server during the move waits for the whole store
    register = open_db(pg_url)
    seen: list[int] = []

    def read() -> None:
        with session_scope(register) as s:
            seen.append(int(s.execute(text("SELECT last_no FROM receipt_counter")).scalar_one()))
        seen.append(_customer_count(register))

    reader = threading.Thread(target=read)

    def progress(step: str, _table: str, _done: int, _total: int) -> None:
        if step == "index":
            reader.start()
            _wait_for_lock_wait(register)

    summary = move_store(str(store), pg_url, progress)
    reader.join(10)
    register.dispose()
    assert seen == [len(printed), 300]
    assert summary.counts["store_settings"] == 1 and summary.counts["receipt_counter"] == 1
    # the indexes set aside for the copy (the search index among them) are all back
    assert indexes() == made
    assert {"search_customer_name", "uq_sale_open_register"} <= {name for name, _ in made}


def test_a_failure_half_way_leaves_the_target_empty(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite keeps a payment method longer than its column allows; PostgreSQL refuses it
    when the payments are copied, long after the customers and sales went in."""
    store = tmp_path / "store.db"
    build_store(store, tmp_path / "receipts")
    with sqlite3.connect(store) as raw:
        raw.execute("UPDATE payment SET method = 'card-with-a-long-name' WHERE id = 1")
    raw.close()

    assert run_cli(["migrate-store", "--from", str(store), "--to", pg_url]) == 4
    err = capsys.readouterr().err
    assert "while copying payment" in err and "left as it was" in err
    target = build_engine(pg_url)
    try:
        with target.connect() as conn:
            state = read_schema_state(conn)
        assert (state.revision, state.other_objects) == (None, 0)
    finally:
        target.dispose()


def test_an_older_store_is_refused(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "old.db"
    old = build_engine(store)
    upgrade(old, "0003_store_settings_row")
    old.dispose()
    assert run_cli(["migrate-store", "--from", str(store), "--to", pg_url]) == 1
    assert "open it once with this version" in capsys.readouterr().err


def test_what_is_not_a_store_is_refused(tmp_path: Path, pg_url: str) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    raw.close()
    with pytest.raises(TransferRefused, match="not a tillterm store"):
        move_store(str(other), pg_url)
    with pytest.raises(TransferRefused, match="no store file"):
        move_store(str(tmp_path / "missing.db"), pg_url)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(TransferRefused, match="PostgreSQL URL"):
        move_store(str(other), str(tmp_path / "copy.db"))


def test_a_target_holding_another_programs_tables_is_refused(tmp_path: Path, pg_url: str) -> None:
    target = build_engine(pg_url)
    with target.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id integer PRIMARY KEY)"))
    store = tmp_path / "store.db"
    open_db(store).dispose()
    with pytest.raises(TransferRefused, match="not a tillterm database"):
        move_store(str(store), pg_url)
    with target.connect() as conn:
        assert read_schema_state(conn).other_objects == 1
    target.dispose()


def test_a_database_not_created_yet_is_named(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_URL

    store = tmp_path / "store.db"
    open_db(store).dispose()
    missing = make_url(PG_URL or "").set(database=f"tillterm_missing_{os.getpid()}")
    with pytest.raises(TransferRefused, match=r"database tillterm_missing_\d+ does not exist"):
        move_store(str(store), missing.render_as_string(hide_password=False))


def test_a_store_with_a_register_open_is_refused(tmp_path: Path, pg_url: str) -> None:
    """A register still selling on the file would leave its next sales behind."""
    store = tmp_path / "store.db"
    engine = open_db(store)
    claim = sales.claim_register(engine, "front")
    assert claim is not None
    try:
        with pytest.raises(TransferRefused, match="1 register is still open"):
            move_store(str(store), pg_url)
    finally:
        claim.release()
        engine.dispose()
    assert move_store(str(store), pg_url).counts["customer"] == 0
