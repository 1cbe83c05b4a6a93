"""Many registers at once: N register processes selling against one database while a
further process imports customers (issue 15).

Each register is a process of its own running the register's own code (a
:class:`tillterm.services.till.Till`, as the screens use it): it rings up one to three
products, attaches a customer from a small shared pool (so registers meet on the same
customers), redeems loyalty points now and then, puts what it can on the customer's
account up to the room the register shows (so accounts sit near their limit), pays the
rest by card or cash and completes; now and then it refunds one of its own sales, which
gives credit back. A completion refused because another register used the room (or the
points) first is what a cashier would see: the account or loyalty payment is taken off,
the rest paid by card, and the sale completed. Meanwhile one more process imports
``--import-rows`` new customers with the real import (check, then apply in one
transaction).

Figures: completed sales per second, p50 / p99 of the completion (``Till.finish``: the
checks, ledgers, receipt number, receipt text and file), refusals and retries. Checks
afterwards, each printed with its count; any failure exits non-zero:

- no lost ledger movement: every completed sale's account and loyalty entries equal
  its payments (and every refund's, the reversal of its original), and every customer's
  account balance and loyalty points equal the sum of what the registers were told
  (charges on account, points earned and redeemed, refunds);
- no balance over its limit, no negative loyalty balance;
- receipt numbers: no duplicate, none missing (R0000001 … the counter, one per
  completed sale or refund), and every receipt a register printed is on file for the
  same sale.

``make bench`` runs it on SQLite with 4 registers (one store machine) and, when
``TILLTERM_TEST_PG_URL`` is set, on PostgreSQL with 8, in a database of its own
(``tillterm_load_<pid>``, dropped after). ``--seconds`` shortens the run; ``--url``
runs it on a given (empty) database instead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

#: customers the registers sell to (few, so registers meet on them)
POOL = 24
#: their account limit, in cents
LIMIT_CENTS = 150_00
SEED_CUSTOMERS = 2000
PRODUCTS = 200
#: one sale in this many is followed by a refund of an earlier one of the register's
REFUND_EVERY = 8
#: how long a register waits, then tries again, when the database is busy
BUSY_PAUSE_S = 0.05


# --------------------------------------------------------------------------- set-up


def prepare(url: str, pool_size: int = POOL) -> tuple[list[int], list[int]]:
    """A demo store, with a pool of customers allowed on account up to a limit, with
    loyalty; answers the pool's ids and the products' ids."""
    from sqlmodel import col, select

    from tillterm.catalog.settings import update_settings
    from tillterm.demo.seeding import seed_demo
    from tillterm.store.engine import open_db, session_scope
    from tillterm.store.models import Customer, Product

    engine = open_db(url)
    try:
        seed_demo(engine, customers=SEED_CUSTOMERS, products=PRODUCTS, seed=15)
        with session_scope(engine) as s:
            update_settings(s, loyalty_points_per_unit=Decimal(1), loyalty_point_value_cents=1)
            pool = [
                c
                for c in s.exec(select(Customer).order_by(col(Customer.id)).limit(pool_size)).all()
            ]
            for customer in pool:
                customer.on_account_allowed = True
                customer.balance_limit_cents = LIMIT_CENTS
                customer.loyalty_enabled = True
                customer.archived_at = None
                s.add(customer)
            products = [
                int(i)
                for i in s.exec(
                    select(Product.id).where(col(Product.active)).order_by(col(Product.id))
                ).all()
                if i is not None
            ]
        return [int(c.id or 0) for c in pool], products
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- workers


def _wait_for_go(work: Path, name: str) -> float:
    (work / f"ready-{name}").touch()
    go = work / "go"
    while not go.exists():
        time.sleep(0.01)
    return float(go.read_text())


def _retrying(call: Any, counts: dict[str, int], deadline: float) -> Any:
    """Run a till action, again after a pause while another register holds the database
    (what a cashier does when told so); gives up at the deadline."""
    from tillterm.core.errors import DatabaseBusy

    while True:
        try:
            return call()
        except DatabaseBusy:
            counts["busy_retries"] += 1
            if time.time() > deadline + 30:
                raise
            time.sleep(BUSY_PAUSE_S)


def register_worker(url: str, name: str, seconds: float, seed: int, work: Path) -> None:
    """One register selling until the time is up; its receipts and latencies to a file."""
    from tillterm import sales
    from tillterm.services.context import Services
    from tillterm.store.engine import open_db

    pool = json.loads((work / "pool.json").read_text())
    customers, products = pool["customers"], pool["products"]
    rng = random.Random(seed)
    engine = open_db(url)
    till = Services(lambda: engine, register=name, receipts_dir=work / "receipts").till
    claim = till.claim(name)  # as the register does: one live session per name
    if claim is None:
        raise SystemExit(f"register {name} is open elsewhere")
    till.start_up(name)
    counts: dict[str, int] = defaultdict(int)
    finished: list[dict[str, Any]] = []
    latencies: list[float] = []
    mine: list[int] = []  # this register's completed sales not refunded yet
    start = _wait_for_go(work, name)
    deadline = start + seconds
    while time.time() < deadline:
        for _ in range(rng.randint(1, 3)):
            _retrying(lambda: till.add_product(rng.choice(products)), counts, deadline)
        view = _retrying(lambda: till.attach_customer(rng.choice(customers)), counts, deadline)
        who = view.customer
        assert who is not None
        if who.loyalty_balance > 0 and rng.random() < 0.3:
            try:
                view = _retrying(lambda: till.pay(sales.LOYALTY, None), counts, deadline)
                counts["loyalty_payments"] += 1
            except sales.PaymentRefused:
                counts["loyalty_refused_at_payment"] += 1
        due = view.total - view.paid
        room = (who.balance_limit or Decimal(0)) - who.account_balance
        if due > 0 and room > 0 and rng.random() < 0.8:
            amount = min(due, room)
            try:
                view = _retrying(lambda a=amount: till.pay(sales.ACCOUNT, a), counts, deadline)
                counts["account_payments"] += 1
            except sales.PaymentRefused:
                counts["account_refused_at_payment"] += 1
        if view.total - view.paid > 0:
            method = sales.CARD if rng.random() < 0.7 else sales.CASH
            view = _retrying(lambda m=method: till.pay(m, None), counts, deadline)
        began = time.perf_counter()
        try:
            done = _retrying(till.finish, counts, deadline)
        except sales.PaymentRefused:
            # another register spent the room or the points first: card instead
            counts["refused_at_completion"] += 1
            for payment in view.payments:
                if payment.method in (sales.ACCOUNT, sales.LOYALTY):
                    _retrying(lambda p=payment.id: till.remove_payment(p), counts, deadline)
            _retrying(lambda: till.pay(sales.CARD, None), counts, deadline)
            began = time.perf_counter()
            done = _retrying(till.finish, counts, deadline)
        latencies.append(time.perf_counter() - began)
        finished.append(_told(done.sale))
        mine.append(done.sale.id)
        if len(mine) > 2 and rng.randrange(REFUND_EVERY) == 0:
            original = mine.pop(rng.randrange(len(mine) - 1))
            refund = _retrying(lambda o=original: till.finish(refund_of=o), counts, deadline)
            finished.append(_told(refund.sale))
    claim.release()
    engine.dispose()
    out = {"finished": finished, "latencies": latencies, "counts": dict(counts)}
    (work / f"result-{name}.json").write_text(json.dumps(out))


def _told(view: Any) -> dict[str, Any]:
    """What the register was told about a completed sale or refund."""
    on_account = sum((p.amount for p in view.payments if p.method == "account"), start=Decimal(0))
    if str(view.kind) == "refund":
        points = view.loyalty_earned  # what the refund moved, net
    else:
        points = view.loyalty_earned - sum(
            p.loyalty_points for p in view.payments if p.method == "loyalty"
        )
    return {
        "points": points,
        "id": view.id,
        "receipt_no": view.receipt_no,
        "kind": str(view.kind),
        "customer_id": view.customer.id if view.customer else None,
        "account_cents": int(on_account * 100),
    }


def import_worker(url: str, rows: int, work: Path) -> None:
    """Import ``rows`` new customers from a CSV file with the real import."""
    from tillterm.services.context import Services
    from tillterm.store.engine import open_db

    path = work / "customers.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("customer_code,first_name,last_name,email,city\n")
        for n in range(rows):
            fh.write(f"LOAD-{n:07d},Anne{n % 97},Martin{n},load{n}@example.com,Lyon\n")
    engine = open_db(url)
    imports = Services(lambda: engine).imports
    start = _wait_for_go(work, "import")
    began = max(time.time(), start)
    report = imports.check(path)
    result = imports.apply(report, allow_warnings=True)
    took = time.time() - began
    engine.dispose()
    (work / "result-import.json").write_text(
        json.dumps({"created": result.created, "seconds": took})
    )


# --------------------------------------------------------------------------- checks


def check_store(url: str, finished: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Each invariant and the number of rows that break it (0 everywhere: all hold)."""
    from sqlalchemy import text

    from tillterm.store.engine import build_engine

    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
            # per completed sale: its ledger rows against its payments (a refund's
            # payments are the original's, negated, and so are its ledger rows)
            account_lost = q(
                "SELECT s.id FROM sale s WHERE s.state = 'completed' AND s.customer_id IS NOT "
                "NULL AND coalesce((SELECT sum(amount_cents) FROM payment p WHERE p.sale_id = "
                "s.id AND p.method = 'account'), 0) <> coalesce((SELECT sum(amount_cents) FROM "
                "account_entry a WHERE a.sale_id = s.id), 0)"
            )
            redeemed_lost = q(
                "SELECT s.id FROM sale s WHERE s.state = 'completed' AND s.kind = 'sale' AND "
                "coalesce((SELECT sum(loyalty_points) FROM payment p WHERE p.sale_id = s.id "
                "AND p.method = 'loyalty'), 0) <> -coalesce((SELECT sum(points) FROM "
                "loyalty_entry l WHERE l.sale_id = s.id AND l.points < 0), 0)"
            )
            not_completed = q(
                "SELECT a.id FROM account_entry a JOIN sale s ON s.id = a.sale_id "
                "WHERE s.state <> 'completed' UNION ALL SELECT l.id FROM loyalty_entry l "
                "JOIN sale s ON s.id = l.sale_id WHERE s.state <> 'completed'"
            )
            balances = {
                int(cid): int(total)
                for cid, total in q(
                    "SELECT customer_id, sum(amount_cents) FROM account_entry GROUP BY customer_id"
                )
            }
            points = {
                int(cid): int(total)
                for cid, total in q(
                    "SELECT customer_id, sum(points) FROM loyalty_entry GROUP BY customer_id"
                )
            }
            over_limit = q(
                "SELECT c.id FROM customer c JOIN (SELECT customer_id, sum(amount_cents) AS b "
                "FROM account_entry GROUP BY customer_id) a ON a.customer_id = c.id "
                "WHERE c.balance_limit_cents IS NOT NULL AND a.b > c.balance_limit_cents"
            )
            negative_points = q(
                "SELECT customer_id FROM loyalty_entry GROUP BY customer_id HAVING sum(points) < 0"
            )
            receipts = q(
                "SELECT receipt_no, id FROM sale WHERE receipt_no IS NOT NULL ORDER BY receipt_no"
            )
            completed = conn.execute(
                text("SELECT count(*) FROM sale WHERE state = 'completed'")
            ).scalar()
            last_no = conn.execute(text("SELECT last_no FROM receipt_counter")).scalar()
    finally:
        engine.dispose()

    told: dict[int, int] = defaultdict(int)
    told_points: dict[int, int] = defaultdict(int)
    for sale in finished:
        if sale["customer_id"] is not None:
            told[sale["customer_id"]] += sale["account_cents"]
            told_points[sale["customer_id"]] += sale["points"]
    told_wrong = [
        cid for cid in told.keys() | balances.keys() if told.get(cid, 0) != balances.get(cid, 0)
    ]
    points_wrong = [
        cid
        for cid in told_points.keys() | points.keys()
        if told_points.get(cid, 0) != points.get(cid, 0)
    ]
    numbers = [no for no, _id in receipts]
    expected = [f"R{n:07d}" for n in range(1, int(last_no or 0) + 1)]
    on_file = dict(receipts)
    printed_wrong = [s for s in finished if on_file.get(s["receipt_no"]) != s["id"]]
    return [
        ("sales whose account entries differ from their payments", len(account_lost)),
        ("sales whose redeemed points differ from their payments", len(redeemed_lost)),
        ("ledger rows of sales not completed", len(not_completed)),
        ("customers whose balance differs from what the registers were told", len(told_wrong)),
        (
            "customers whose loyalty points differ from what the registers were told",
            len(points_wrong),
        ),
        ("balances over their limit", len(over_limit)),
        ("negative loyalty balances", len(negative_points)),
        ("duplicate receipt numbers", len(numbers) - len(set(numbers))),
        ("missing receipt numbers", len(set(expected) - set(numbers))),
        ("receipt numbers beyond the counter", len(set(numbers) - set(expected))),
        ("completed sales without a receipt number", int(completed or 0) - len(numbers)),
        ("printed receipts not on file for their sale", len(printed_wrong)),
    ]


# --------------------------------------------------------------------------- the run


@dataclass
class LoadRun:
    engine: str
    registers: int
    seconds: float
    sales: int = 0
    refunds: int = 0
    latencies: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    imported: int = 0
    import_seconds: float = 0.0
    checks: list[tuple[str, int]] = field(default_factory=list)
    #: every sale and refund as the registers were told of it
    finished: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(n == 0 for _what, n in self.checks)

    def report(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
        lines = [
            f"{self.engine}, {self.registers} registers + 1 import, {self.seconds:g} s: "
            f"{self.sales / self.seconds:.1f} sales/s ({self.sales:,} sales, "
            f"{self.refunds:,} refunds); completion p50 {p50:.1f} ms, p99 {p99:.1f} ms",
            f"  import: {self.imported:,} customers in {self.import_seconds:.1f} s (while selling)",
            "  " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(self.counts.items()))
            if self.counts
            else "  no refusals, no retries",
        ]
        for what, n in self.checks:
            lines.append(f"  check: {n} {what}: {'ok' if n == 0 else 'FAILED'}")
        return "\n".join(lines)


def run_load(
    url: str,
    engine_name: str,
    registers: int,
    seconds: float,
    import_rows: int,
    pool: int = POOL,
) -> LoadRun:
    """Seed the (empty) database at ``url``, run the registers and the import, check."""
    customers, products = prepare(url, pool)
    run = LoadRun(engine_name, registers, seconds)
    with tempfile.TemporaryDirectory(prefix="tillterm-load-") as tmp:
        work = Path(tmp)
        (work / "pool.json").write_text(json.dumps({"customers": customers, "products": products}))
        me = str(Path(__file__).resolve())
        env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
        names = [f"load-{i + 1}" for i in range(registers)]
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    me,
                    "--worker",
                    "register",
                    "--url",
                    url,
                    "--name",
                    name,
                    "--seconds",
                    str(seconds),
                    "--seed",
                    str(i),
                    "--work",
                    str(work),
                ],
                env=env,
            )
            for i, name in enumerate(names)
        ]
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    me,
                    "--worker",
                    "import",
                    "--url",
                    url,
                    "--import-rows",
                    str(import_rows),
                    "--work",
                    str(work),
                ],
                env=env,
            )
        )
        waiting = [*names, "import"]
        while not all((work / f"ready-{n}").exists() for n in waiting):
            if any(p.poll() not in (None, 0) for p in procs):
                break
            time.sleep(0.02)
        # written whole, then renamed: a worker polling for it never reads it half-written
        (work / "go.part").write_text(str(time.time()))
        (work / "go.part").replace(work / "go")
        failed = [p.args for p in procs if p.wait() != 0]
        finished: list[dict[str, Any]] = []
        for name in names:
            result = work / f"result-{name}.json"
            if not result.exists():
                continue
            data = json.loads(result.read_text())
            finished += data["finished"]
            run.latencies += data["latencies"]
            for key, value in data["counts"].items():
                run.counts[key] += value
        run.finished = finished
        run.sales = sum(1 for s in finished if s["kind"] == "sale")
        run.refunds = len(finished) - run.sales
        imported = work / "result-import.json"
        if imported.exists():
            data = json.loads(imported.read_text())
            run.imported, run.import_seconds = data["created"], data["seconds"]
        run.checks = check_store(url, finished)
        if failed:
            run.checks.append(("processes that failed", len(failed)))
        if run.imported != import_rows:
            run.checks.append(("customers the import did not write", import_rows - run.imported))
    return run


def _scratch_pg(admin_url: str) -> tuple[str, Any]:
    """A database of the benchmark's own on the server of ``admin_url``, and its dropper."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tillterm_load_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--engine", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--registers", type=int, help="default: 8 on PostgreSQL, 4 on SQLite")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--url", help="run on this empty database instead of a scratch one")
    parser.add_argument(
        "--pool", type=int, default=POOL, help=f"customers the registers share (default {POOL})"
    )
    parser.add_argument("--worker", choices=("register", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args([] if argv is None else argv)

    if args.worker == "register":
        register_worker(args.url, args.name, args.seconds, args.seed, args.work)
        return 0
    if args.worker == "import":
        import_worker(args.url, args.import_rows, args.work)
        return 0

    runs: list[LoadRun] = []

    def load(url: str, engine: str, registers: int) -> None:
        run = run_load(url, engine, registers, args.seconds, args.import_rows, args.pool)
        runs.append(run)
        print(run.report(), flush=True)

    if args.url:
        on_pg = "://" in args.url and not args.url.startswith("sqlite")
        load(args.url, "PostgreSQL" if on_pg else "SQLite", args.registers or (8 if on_pg else 4))
    else:
        if args.engine in ("both", "sqlite"):
            with tempfile.TemporaryDirectory(prefix="tillterm-load-db-") as tmp:
                load(str(Path(tmp) / "load.db"), "SQLite", args.registers or 4)
        pg = os.environ.get("TILLTERM_TEST_PG_URL")
        if args.engine in ("both", "postgresql"):
            if not pg:
                print("PostgreSQL: skipped (set TILLTERM_TEST_PG_URL)")
            else:
                url, drop = _scratch_pg(pg)
                try:
                    load(url, "PostgreSQL", args.registers or 8)
                finally:
                    drop()
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
