"""One register selling to one customer on account, for the concurrency tests.

Run as a script (``python sales_worker.py DB REGISTER ATTEMPTS GO_FILE [loyalty]``) it is
a register process of its own; imported, :func:`run_register` is one connection's loop
and :func:`redeem_all_points` the loyalty race.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.core.errors import DatabaseBusy
from tillterm.store.engine import open_db, session_scope


def run_register(engine: Engine, register: str, attempts: int, code: str = "CARD-PAUL") -> int:
    """Ring up ``attempts`` sales of 10.00 to the customer, all on account; count successes.

    Every sale gets its on-account payment first (each alone fits the limit), then all
    are completed: only the check made under the lock at completion can refuse them.
    """
    opened = []
    for i in range(attempts):
        with session_scope(engine) as s:
            sale_id = sales.ensure_open_sale(s, f"{register}-{i}")
            sales.add_misc_item(s, sale_id, Decimal(10), "race")
            sales.scan_code(s, f"{register}-{i}", code)
            sales.add_payment(s, sale_id, "account")
        opened.append(sale_id)
    ready(register)
    done = 0
    for sale_id in opened:
        try:
            with session_scope(engine) as s:
                sales.complete_sale(s, sale_id)
            done += 1
        except (sales.PaymentRefused, DatabaseBusy):
            with session_scope(engine) as s:
                sales.void_sale(s, sale_id)
    return done


def redeem_all_points(engine: Engine, register: str, code: str = "2900000000017") -> int:
    """One sale to Marie paid with every point she has (the rest by card); 1 if completed.

    Both registers see the same points when the payment is taken; only the check under
    the lock at completion decides, so one of them must be refused.
    """
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, register)
        sales.scan_code(s, register, "3000000000024")
        sales.scan_code(s, register, code)
        sales.add_payment(s, sale_id, "loyalty")
        sales.add_payment(s, sale_id, "card")
    ready(register)
    try:
        with session_scope(engine) as s:
            sales.complete_sale(s, sale_id)
    except (sales.PaymentRefused, DatabaseBusy):
        with session_scope(engine) as s:
            sales.void_sale(s, sale_id)
        return 0
    return 1


def scan_together(engine: Engine, register: str, rounds: int, code: str = "3000000000017") -> int:
    """Scan ``code`` once per round on the shared register ``<register>-<round>``, which has
    no open sale yet: the other process or connection scans at the same moment."""
    for i in range(rounds):
        ready(f"{register}:{i}")
        with session_scope(engine) as s:
            sales.scan_code(s, f"shared-{i}", code)
    return rounds


def complete_together(engine: Engine, register: str, attempts: int) -> int:
    """Open ``attempts`` paid sales on this register, then complete them all as fast as
    possible while the other register does the same: receipt numbers are taken at once."""
    opened = []
    for i in range(attempts):
        with session_scope(engine) as s:
            sale_id = sales.ensure_open_sale(s, f"{register}-{i}")
            sales.add_misc_item(s, sale_id, Decimal(5), "race")
            sales.add_payment(s, sale_id, "card")
        opened.append(sale_id)
    ready(register)
    done = 0
    for sale_id in opened:
        with session_scope(engine) as s:
            sales.complete_sale(s, sale_id)
        done += 1
    return done


def ready(register: str) -> None:
    """Overridden by the caller to line both registers up before completing."""


def main() -> int:
    db, register, attempts, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    engine = open_db(db)

    def wait_for_go(name: str) -> None:
        # one go file per round in "scan" mode (``till-a:3`` waits for ``GO.3``)
        _, _, round_no = name.partition(":")
        flag = go.with_name(f"{go.name}.{round_no}") if round_no else go
        print("ready", flush=True)
        while not flag.exists():
            time.sleep(0.001)

    global ready
    ready = wait_for_go
    if sys.argv[5:] == ["loyalty"]:
        print(redeem_all_points(engine, register), flush=True)
    elif sys.argv[5:] == ["scan"]:
        print(scan_together(engine, register, attempts), flush=True)
    elif sys.argv[5:] == ["complete"]:
        print(complete_together(engine, register, attempts), flush=True)
    else:
        print(run_register(engine, register, attempts), flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
