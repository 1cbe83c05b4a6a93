"""Issue 11 §4–§6: one open sale per register, history that never rewrites itself,
gap-free receipt numbers, receipts repaired after a crash, voids that keep the money.

Races run as two processes on one SQLite file and as two connections on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import sales_worker
from sales_store import Store, build_store
from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.core.errors import TilltermError
from tillterm.customers.groups import delete_group
from tillterm.sales import (
    claim_register,
    database_folder,
    lock_file,
    mark_receipt_filed,
    receipt_as_shown,
    receipts_folder,
    sales_by_group,
    write_receipt,
)
from tillterm.store.engine import build_engine, open_db, session_scope, upgrade
from tillterm.store.models import (
    Customer,
    Payment,
    Product,
    ReceiptCounter,
    Sale,
    SaleLine,
    TaxRate,
    utcnow,
)

HERE = Path(__file__).resolve().parent
COFFEE, PEN, MARIE, PAUL = "3000000000017", "PEN-1", "2900000000017", "CARD-PAUL"


@pytest.fixture
def store(any_engine: Engine) -> Store:
    return build_store(any_engine)


def _do(engine: Engine, fn, *args, **kw):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return fn(s, *args, **kw)


def _sell(engine: Engine, register: str, *codes: str, method: str = "card") -> sales.SaleView:
    for code in codes:
        _do(engine, sales.scan_code, register, code)
    sale_id = _do(engine, sales.ensure_open_sale, register)
    _do(engine, sales.add_payment, sale_id, method)
    return _do(engine, sales.complete_sale, sale_id)


# --------------------------------------------------------------------------- §4


def _processes(db: Path, mode: str, rounds: int, per_round: bool) -> list[int]:
    """``sales_worker.py`` as two registers, released together (each round, if asked)."""
    go = db.with_suffix(".go")
    mode_args = (str(go), mode)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE)])}
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "sales_worker.py"), str(db), name, str(rounds), *mode_args],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in ("till-a", "till-b")
    ]
    for i in range(rounds if per_round else 1):
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        (go.with_name(f"{go.name}.{i}") if per_round else go).touch()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        results.append(int(out.strip()))
    return results


def _connections(pg_url: str, work: Callable[[Engine, str], int]) -> list[int]:
    engines = [open_db(pg_url), open_db(pg_url)]
    barrier = threading.Barrier(2)
    sales_worker.ready = lambda _name: barrier.wait(timeout=30)  # type: ignore[assignment]
    results: list[int] = []
    errors: list[BaseException] = []

    def run(engine: Engine, name: str) -> None:
        try:
            results.append(work(engine, name))
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=run, args=(e, n))
        for e, n in zip(engines, ("till-a", "till-b"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for e in engines:
        e.dispose()
    assert not errors, errors
    return results


ROUNDS = 20


def _one_sale_per_round(engine: Engine) -> None:
    """Every round's two scans are on one open sale: coffee × 2, no other sale."""
    with session_scope(engine) as s:
        rows = s.execute(select(Sale.register_name, Sale.state, Sale.id)).all()
        quantities = dict(s.execute(select(SaleLine.sale_id, SaleLine.quantity)).all())
    by_register: dict[str, list[tuple[str, int]]] = {}
    for name, state, sale_id in rows:
        by_register.setdefault(name, []).append((state, sale_id))
    assert sorted(by_register) == sorted(f"shared-{i}" for i in range(ROUNDS))
    for found in by_register.values():
        assert len(found) == 1 and found[0][0] == "open"
        assert quantities[found[0][1]] == 2


def test_two_processes_scanning_at_once_share_one_open_sale(tmp_path: Path) -> None:
    db = tmp_path / "scan.db"
    engine = open_db(db)
    build_store(engine)
    assert _processes(db, "scan", ROUNDS, per_round=True) == [ROUNDS, ROUNDS]
    _one_sale_per_round(engine)
    engine.dispose()


def test_two_connections_scanning_at_once_share_one_open_sale(pg_url: str) -> None:
    setup = open_db(pg_url)
    build_store(setup)
    _connections(pg_url, lambda e, name: sales_worker.scan_together(e, name, ROUNDS))
    _one_sale_per_round(setup)
    setup.dispose()


def test_the_database_refuses_a_second_open_sale(any_engine: Engine, store: Store) -> None:
    _do(any_engine, sales.scan_code, "till", COFFEE)
    with pytest.raises(TilltermError), session_scope(any_engine) as s:
        s.add(Sale(register_name="till", state="open"))
    parked = Sale(register_name="till", state="parked")
    with session_scope(any_engine) as s:
        s.add(parked)  # any number of parked, completed, voided sales
    with pytest.raises(sales.SaleError):
        # resuming parks the sale in progress first; here it has a payment: refused
        sale_id = _do(any_engine, sales.ensure_open_sale, "till")
        _do(any_engine, sales.add_payment, sale_id, "card", Decimal("1.00"))
        _do(any_engine, sales.resume_sale, "till", parked.id)


def test_resume_swaps_the_open_sale(any_engine: Engine, store: Store) -> None:
    first = _do(any_engine, sales.scan_code, "till", COFFEE).view
    _do(any_engine, sales.park_sale, first.id)
    second = _do(any_engine, sales.scan_code, "till", PEN).view
    resumed = _do(any_engine, sales.resume_sale, "till", first.id)
    assert resumed.state == "open"
    assert _do(any_engine, sales.get_sale, second.id).state == "parked"


def _old_database(engine: Engine) -> None:
    """A database left by 0003 with three open sales on one register and receipts
    numbered by sale id (R0000004 completed, its neighbours voided)."""
    upgrade(engine, "0003_store_settings_row")
    now = "2026-11-01 10:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customer_group (id, name, name_key, description, created_at) "
                "VALUES (1, 'VIP', 'vip', '', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO customer (id, customer_code, code_key, first_name, last_name, email,"
                " phone, group_id, marketing_opt_in, address1, address2, city, state,"
                " postal_code, country, title, company, company_reg_no, vat_number, website,"
                " phone_home, phone_work, phone_mobile, phone_pager, phone_fax, email2,"
                " on_account_allowed, loyalty_enabled, consent_email, consent_mail,"
                " consent_phone, notes, phone_digits, created_at, updated_at) VALUES"
                " (1, 'C1', 'c1', 'Zoé', 'Noël', '', '', 1, false, '', '', '', '', '', '', '',"
                " '', '', '', '', '', '', '', '', '', '', false, false, false, false, false,"
                " '', '', :now, :now)"
            ),
            {"now": now},
        )
        for sale_id, register, state, receipt in [
            (1, "till", "open", None),
            (2, "till", "open", None),
            (3, "till", "voided", None),
            (4, "other", "completed", "R0000004"),
            (5, "till", "open", None),
            (6, "other", "open", None),
        ]:
            conn.execute(
                text(
                    "INSERT INTO sale (id, register_name, state, kind, customer_id, group_id,"
                    " receipt_no, subtotal_cents, discount_cents, tax_cents, total_cents, note,"
                    " created_at, updated_at, completed_at) VALUES (:id, :reg, :state, 'sale',"
                    " :cust, :grp, :receipt, 450, 0, 0, 450, '', :now, :now, :done)"
                ),
                {
                    "id": sale_id,
                    "reg": register,
                    "state": state,
                    "cust": 1 if state == "completed" else None,
                    "grp": 1 if state == "completed" else None,
                    "receipt": receipt,
                    "now": now,
                    "done": now if state == "completed" else None,
                },
            )
            conn.execute(
                text(
                    "INSERT INTO sale_line (sale_id, position, description, quantity,"
                    " unit_price_cents, discount_cents, tax_cents, total_cents)"
                    " VALUES (:id, 1, 'Coffee', 1, 450, 0, 0, 450)"
                ),
                {"id": sale_id},
            )
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('sale_id_seq', 6)"))


def _check_upgraded(engine: Engine) -> None:
    with session_scope(engine) as s:
        states = dict(s.execute(select(Sale.id, Sale.state)).all())
        assert states == {
            1: "parked",
            2: "parked",
            3: "voided",
            4: "completed",
            5: "open",
            6: "open",
        }
        parked = {p.id for p in sales.list_parked(s)}
        assert parked == {1, 2}  # still there, resumable from F6
        old = s.get(Sale, 4)
        assert old is not None and old.receipt_no == "R0000004"
        assert (old.customer_name, old.customer_code, old.group_name) == ("Zoé Noël", "C1", "VIP")
        assert old.receipt_filed_at is not None  # not written again at the next start
        counter = s.get(ReceiptCounter, 1)
        assert counter is not None and counter.last_no == 4
    # the next receipt follows the last one printed: never R0000004 again, no gap
    sale_id = _do(engine, sales.ensure_open_sale, "till")
    _do(engine, sales.add_payment, sale_id, "card")
    assert _do(engine, sales.complete_sale, sale_id).receipt_no == "R0000005"


def test_upgrade_parks_extra_open_sales_and_keeps_receipt_numbers(db_path: Path) -> None:
    engine = build_engine(db_path)
    _old_database(engine)
    engine.dispose()
    engine = open_db(db_path)
    _check_upgraded(engine)
    engine.dispose()


def test_upgrade_parks_extra_open_sales_on_postgresql(pg_url: str) -> None:
    engine = build_engine(pg_url)
    _old_database(engine)
    upgrade(engine)
    _check_upgraded(engine)
    engine.dispose()


def test_one_live_session_per_register_name(any_engine: Engine) -> None:
    first = claim_register(any_engine, "till 1")
    assert first is not None
    assert claim_register(any_engine, "till 1") is None  # a second session: told so
    other = claim_register(any_engine, "till 2")
    assert other is not None
    first.release()
    again = claim_register(any_engine, "till 1")  # the name is free once released
    assert again is not None
    again.release()
    other.release()
    if any_engine.dialect.name == "sqlite":
        assert lock_file(any_engine.url.database or "", "till 1").stat().st_mode & 0o777 == 0o600


def test_a_crashed_session_frees_its_register_name(tmp_path: Path) -> None:
    """The lock dies with the process, whatever way it ends."""
    db = tmp_path / "crash.db"
    engine = open_db(db)
    code = (
        "import os, sys; from tillterm.store.engine import open_db; "
        "from tillterm.sales.registers import claim_register; "
        f"c = claim_register(open_db({str(db)!r}), 'till'); print(c is not None, flush=True); "
        "sys.stdin.readline(); os._exit(9)"
    )
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "True"
    assert claim_register(engine, "till") is None
    proc.communicate("\n", timeout=30)
    claim = claim_register(engine, "till")
    assert claim is not None
    claim.release()
    engine.dispose()


# --------------------------------------------------------------------------- §5


def test_receipt_numbers_skip_voids_and_parks(any_engine: Engine, store: Store) -> None:
    voided = _do(any_engine, sales.scan_code, "till", COFFEE).view
    _do(any_engine, sales.void_sale, voided.id)
    parked = _do(any_engine, sales.scan_code, "till", PEN).view
    _do(any_engine, sales.park_sale, parked.id)
    first = _sell(any_engine, "till", COFFEE)
    second = _sell(any_engine, "till-2", PEN)
    refund = _do(any_engine, sales.refund_sale, "till", first.id)
    assert [first.receipt_no, second.receipt_no, refund.receipt_no] == [
        "R0000001",
        "R0000002",
        "R0000003",
    ]
    assert first.id > 2  # the sale ids are not the numbers


def test_a_refused_completion_gives_its_number_back(any_engine: Engine, store: Store) -> None:
    sale_id = _do(any_engine, sales.scan_code, "till", PEN).view.id
    _do(any_engine, sales.scan_code, "till", PAUL)
    _do(any_engine, sales.add_payment, sale_id, "account", Decimal("20.00"))
    _do(any_engine, sales.add_payment, sale_id, "card")
    with session_scope(any_engine) as s:  # Paul's limit shrinks meanwhile
        s.execute(update(Customer).where(Customer.id == store.paul).values(balance_limit_cents=1))
    with pytest.raises(sales.PaymentRefused):
        _do(any_engine, sales.complete_sale, sale_id)
    assert _sell(any_engine, "till-2", COFFEE).receipt_no == "R0000001"


def _numbers(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        found = s.execute(select(Sale.receipt_no).where(Sale.receipt_no.is_not(None))).all()
    return sorted(r[0] for r in found)


PER_REGISTER = 15


def test_two_processes_completing_at_once_number_without_gap(tmp_path: Path) -> None:
    db = tmp_path / "numbers.db"
    engine = open_db(db)
    build_store(engine)
    assert _processes(db, "complete", PER_REGISTER, per_round=False) == [PER_REGISTER] * 2
    assert _numbers(engine) == [f"R{n:07d}" for n in range(1, 2 * PER_REGISTER + 1)]
    engine.dispose()


def test_two_connections_completing_at_once_number_without_gap(pg_url: str) -> None:
    setup = open_db(pg_url)
    build_store(setup)
    _connections(pg_url, lambda e, n: sales_worker.complete_together(e, n, PER_REGISTER))
    assert _numbers(setup) == [f"R{n:07d}" for n in range(1, 2 * PER_REGISTER + 1)]
    setup.dispose()


def test_completed_sales_keep_what_they_were_sold_under(
    any_engine: Engine, store: Store, tmp_path: Path
) -> None:
    sold = _sell(any_engine, "till", COFFEE, MARIE)  # Marie is VIP
    printed = sold.receipt_text or ""
    assert "Marie Dubois" in printed and "RECEIPT R0000001" in printed
    with session_scope(any_engine) as s:
        delete_group(s, store.vip)
        s.execute(
            update(Customer)
            .where(Customer.id == store.marie)
            .values(first_name="Erased", last_name="", archived_at=utcnow())
        )
        s.execute(update(Product).where(Product.id == store.coffee).values(name="Renamed"))
        s.execute(update(TaxRate).where(TaxRate.id == store.reduced).values(rate=Decimal(7)))
    with session_scope(any_engine) as s:
        today = utcnow().astimezone().date()
        report = sales_by_group(s, today, today)
        again = sales.find_sale_by_receipt(s, "r0000001")
        listed = sales.list_completed(s)
    assert [(r.group_name, r.sales_count) for r in report.rows] == [("VIP", 1)]
    assert again.receipt_text == printed  # as printed, word for word
    assert again.lines == sold.lines and again.total == sold.total
    assert listed[0].customer_name == "Marie Dubois"
    # a refund names its sale; the original, shown again, names its refund
    refund = _do(any_engine, sales.refund_sale, "till", sold.id)
    assert "Refund of sale R0000001" in (refund.receipt_text or "")
    with session_scope(any_engine) as s:
        original = sales.get_sale(s, sold.id)
        from tillterm.catalog.settings import load_settings

        shown = receipt_as_shown(original, load_settings(s))
    assert shown.startswith(printed) and "REFUNDED by R0000002" in shown


def test_voided_sale_keeps_its_payments(any_engine: Engine, store: Store) -> None:
    sale_id = _do(any_engine, sales.scan_code, "till", PEN).view.id
    _do(any_engine, sales.add_payment, sale_id, "cash", tendered=Decimal("10.00"))
    _do(any_engine, sales.add_payment, sale_id, "card", Decimal("5.00"))
    voided = _do(any_engine, sales.void_sale, sale_id)
    assert sales.describe_void(voided) == (
        "give back 10.00 EUR in cash; refund 5.00 EUR to the card"
    )
    with session_scope(any_engine) as s:
        kept = s.execute(select(Payment.amount_cents).where(Payment.sale_id == sale_id)).all()
    assert sorted(k[0] for k in kept) == [500, 1000]


def test_receipt_files_per_database_private_and_repaired(
    any_engine: Engine, store: Store, tmp_path: Path
) -> None:
    sold = _sell(any_engine, "till", COFFEE)  # committed; the file was never written
    pending = _do(any_engine, sales.receipts_to_file, "till")
    assert [(p.receipt_no, p.text) for p in pending] == [("R0000001", sold.receipt_text)]
    assert _do(any_engine, sales.receipts_to_file, "other") == []
    folder = receipts_folder(tmp_path / "receipts", any_engine)
    path = write_receipt(pending[0].text, folder, pending[0].receipt_no)
    _do(any_engine, mark_receipt_filed, sold.id)
    assert _do(any_engine, sales.receipts_to_file, "till") == []
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text(encoding="utf-8") == sold.receipt_text
    last = _do(any_engine, sales.last_completed, "till")
    assert last is not None and last.receipt_no == "R0000001"


def test_two_databases_never_share_a_receipts_folder(tmp_path: Path) -> None:
    a = open_db(tmp_path / "a" / "till.db", create_dirs=True)
    b = open_db(tmp_path / "b" / "till.db", create_dirs=True)
    a_again = open_db(tmp_path / "a" / "till.db")
    try:
        assert database_folder(a).startswith("till-") and database_folder(b).startswith("till-")
        assert database_folder(a) != database_folder(b)
        assert database_folder(a) == database_folder(a_again)
    finally:
        for engine in (a, b, a_again):
            engine.dispose()
