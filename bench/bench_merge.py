"""Merging two customers with 10,000 sales each, undoing it, erasing (issue 18 budgets).

Each customer has 10,000 completed sales, each with a loyalty and an account entry
(60,000 rows to move and move back). Timed: ``Merges.merge`` of the two (≤ 1 s) and
``Merges.undo`` of that merge (≤ 1 s), each a whole committed transaction as the screen
or the CLI runs it, over a few rounds (merge, undo, merge...). Then ``erase`` (≤ 1 s)
of one of them after the last undo: its 10,000 sales keep their books, the name masked
in each and in each receipt's kept text. On SQLite in a temporary
file, then, with ``TILLTERM_TEST_PG_URL`` set, on PostgreSQL in a schema of its own
(``bench_merge``, dropped after). With the PostgreSQL server on this machine, the CPU
its processes spent is printed too (a figure the machine's load sways less).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

SALES = 10_000
ROUNDS = 5
BUDGET = 1.0
PG_SCHEMA = "bench_merge"
RECEIPT = (
    "              Bench store\n              RECEIPT {number}\n"
    "Register bench              2026-01-01 10:00\n" + "-" * 40 + "\n"
    "Coffee beans\n  1 x 10.00                          10.00\n" + "-" * 40 + "\n"
    "TOTAL EUR                          10.00\n  incl. VAT                           1.67\n"
    "Card                               10.00\n" + "-" * 40 + "\n"
    "Customer: Paul Martin ({code})\n"
)


def _fill(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Two customers of 10,000 sales each, every sale with its two ledger entries."""
    from sqlalchemy import insert

    from tillterm.customers.profiles import create_customer
    from tillterm.store.engine import session_scope
    from tillterm.store.models import AccountEntry, LoyaltyEntry, Sale, table_of

    with session_scope(engine) as s:
        ids = [
            create_customer(
                s,
                {
                    "customer_code": code,
                    "first_name": "Paul",
                    "last_name": "Martin",
                    "email": "paul@martin.fr",
                    "on_account_allowed": True,
                    "loyalty_enabled": True,
                },
            ).id
            for code in ("BENCH-KEEP", "BENCH-OTHER")
        ]
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    sale, loyalty, account = table_of(Sale), table_of(LoyaltyEntry), table_of(AccountEntry)
    for n, customer in enumerate(ids):
        with session_scope(engine) as s:
            rows = [
                {
                    "register_name": "bench",
                    "state": "completed",
                    "kind": "sale",
                    "customer_id": customer,
                    "receipt_no": f"B{n}-{i:06d}",
                    "subtotal_cents": 1000,
                    "discount_cents": 0,
                    "tax_cents": 167,
                    "total_cents": 1000,
                    "note": "",
                    "created_at": when,
                    "updated_at": when,
                    "completed_at": when,
                    "customer_name": "Paul Martin",
                    "customer_code": "BENCH-KEEP" if n == 0 else "BENCH-OTHER",
                    # what erasure masks in the copy of the receipt (a 40-column receipt)
                    "receipt_text": RECEIPT.format(
                        number=f"B{n}-{i:06d}",
                        code="BENCH-KEEP" if n == 0 else "BENCH-OTHER",
                    ),
                }
                for i in range(SALES)
            ]
            s.execute(insert(sale), rows)
            sale_ids = [
                r[0]
                for r in s.execute(
                    sale.select().with_only_columns(sale.c.id).where(sale.c.customer_id == customer)
                )
            ]
            s.execute(
                insert(loyalty),
                [
                    {
                        "customer_id": customer,
                        "sale_id": i,
                        "points": 10,
                        "reason": "sale",
                        "created_at": when,
                    }
                    for i in sale_ids
                ],
            )
            s.execute(
                insert(account),
                [
                    {
                        "customer_id": customer,
                        "sale_id": i,
                        "amount_cents": 1000,
                        "reason": "sale",
                        "created_at": when,
                    }
                    for i in sale_ids
                ],
            )
    return ids[0], ids[1]


class _ServerClock:
    """The CPU time of the PostgreSQL server processes this engine's connections talk
    to, when the server runs on this machine (``/proc/PID/stat`` is readable by all):
    what a merge costs the server, whatever else the machine is doing meanwhile."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        from sqlalchemy import event

        self.pids: set[int] = set()
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        if engine.dialect.name == "postgresql":
            event.listen(engine, "checkout", self._checked_out)

    def _checked_out(self, dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        self.pids.add(int(dbapi_connection.info.backend_pid))

    def seconds(self) -> float | None:
        total = 0.0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / self.tick
        return total if self.pids else None


def _run(label: str, engine) -> bool:  # type: ignore[no-untyped-def]
    from tillterm.services.context import Services

    keep, other = _fill(engine)
    merges = Services(lambda: engine).merges
    server = _ServerClock(engine)
    merged: list[tuple[float, float, float | None]] = []
    undone: list[tuple[float, float, float | None]] = []

    def timed(job, into) -> object:  # type: ignore[no-untyped-def]
        wall, cpu, served = time.perf_counter(), time.process_time(), server.seconds()
        outcome = job()
        after = server.seconds()
        spent = None if served is None or after is None else after - served
        into.append((time.perf_counter() - wall, time.process_time() - cpu, spent))
        return outcome

    for _ in range(ROUNDS):
        done = timed(lambda: merges.merge(keep, [other]), merged)
        assert done.moved["sale"] == SALES, done.moved
        back = timed(lambda d=done: merges.undo(d.id), undone)
        assert back.moved_back["sale"] == SALES, back.moved_back

    def figures(times: list[tuple[float, float, float | None]]) -> str:
        walls = [w for w, _c, _s in times]
        served = [s for _w, _c, s in times if s is not None]
        on_server = (
            f", the server's CPU: median {statistics.median(served) * 1000:.0f} ms"
            if served
            else ""
        )
        return (
            f"median {statistics.median(walls) * 1000:5.0f} ms, max {max(walls) * 1000:5.0f} ms "
            f"(this process's CPU: median {statistics.median(c for _w, c, _s in times) * 1000:.0f}"
            f" ms{on_server})"
        )

    erased: list[tuple[float, float, float | None]] = []
    care = Services(lambda: engine).customers
    gone = timed(lambda: care.erase(other, via="cli", actor="bench"), erased)
    assert gone.sales == SALES, gone
    print(
        f"{label}, 2 customers x {SALES:,} sales + {2 * SALES:,} ledger entries each "
        f"({ROUNDS} rounds, budget {BUDGET * 1000:.0f} ms, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):\n"
        f"  merge {figures(merged)}\n  undo  {figures(undone)}\n"
        f"  erase a customer with {SALES:,} sales: {erased[0][0] * 1000:.0f} ms",
        flush=True,
    )
    return max(w for w, _c, _s in merged + undone + erased) <= BUDGET


def main() -> int:
    from sqlalchemy import create_engine, text

    from tillterm.store.engine import open_db

    ok = True
    with tempfile.TemporaryDirectory() as folder:
        engine = open_db(Path(folder) / "merge.db")
        try:
            ok &= _run("SQLite", engine)
        finally:
            engine.dispose()
    url = os.environ.get("TILLTERM_TEST_PG_URL")
    if url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
        sep = "&" if "?" in url else "?"
        engine = open_db(f"{url}{sep}options={quote(f'-csearch_path={PG_SCHEMA},public')}")
        try:
            ok &= _run("PostgreSQL", engine)
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{PG_SCHEMA}" CASCADE'))
            admin.dispose()
    else:
        print("PostgreSQL: skipped (set TILLTERM_TEST_PG_URL)")
    if not ok:
        print(f"over budget: a merge, an undo or an erasure took more than {BUDGET:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
