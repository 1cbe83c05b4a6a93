"""X and Z reports on a register with years of history: the day's figures stay quick.

A temporary SQLite store holds ``HISTORY`` completed sales from before the register's
first day (an upgraded store: no Z has ever counted them) and ``TODAY`` sales of the
open day, each with a line and a cash payment. Printed: the X report's time (median of
a few reads) and the Z's (taken once), with the number of sales each counted. The day's
sales are found through ``ix_sale_register_day_completed`` (register, no Z yet, since
the first day), so the history is skipped, never scanned.

``python bench/bench_drawer.py [HISTORY]`` (default 200,000).
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from tillterm.sales import drawer
from tillterm.store.engine import open_db, session_scope

HISTORY = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200_000
TODAY = 400
READS = 7


def _seed(engine, history: int, today: int) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    old = now - dt.timedelta(days=400)
    with engine.begin() as conn:
        sale_rows = []
        for i in range(history + today):
            when = old + dt.timedelta(seconds=i * 60) if i < history else now
            sale_rows.append(
                {
                    "id": i + 1,
                    "r": f"R{i + 1:07d}",
                    "t": when.isoformat(sep=" "),
                }
            )
        conn.execute(
            text(
                "INSERT INTO sale (id, register_name, state, kind, receipt_no, subtotal_cents,"
                " discount_cents, tax_cents, total_cents, note, created_at, updated_at,"
                " completed_at) VALUES (:id, 'front', 'completed', 'sale', :r, 1200, 0, 200,"
                " 1200, '', :t, :t, :t)"
            ),
            sale_rows,
        )
        conn.execute(
            text(
                "INSERT INTO sale_line (sale_id, position, description, quantity,"
                " unit_price_cents, discount_cents, tax_rate, tax_cents, total_cents)"
                " VALUES (:id, 0, 'thing', 1, 1200, 0, 20000, 200, 1200)"
            ),
            sale_rows,
        )
        conn.execute(
            text(
                "INSERT INTO payment (sale_id, method, amount_cents, change_cents,"
                " loyalty_points, created_at) VALUES (:id, 'cash', 1200, 0, 0, :t)"
            ),
            sale_rows,
        )
        conn.execute(text("UPDATE receipt_counter SET last_no = :n"), {"n": history + today})


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_db(Path(folder) / "drawer.db")
        started = time.perf_counter()
        _seed(engine, HISTORY, TODAY)
        seeded = time.perf_counter() - started
        print(f"seeded {HISTORY:,} past sales + {TODAY} today in {seeded:.1f} s")
        with session_scope(engine) as s:
            drawer.open_drawer(s, "front", 10000)
        times = []
        for _ in range(READS):
            t0 = time.perf_counter()
            with session_scope(engine) as s:
                state = drawer.drawer_state(s, "front")
                drawer.x_report(s, "front")
            times.append(time.perf_counter() - t0)
        print(
            f"X report (state + text): median {statistics.median(times) * 1000:.1f} ms,"
            f" {state.x.sales_count} sales counted"
        )
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            z = drawer.take_z(s, "front", 0, after=0)
        took = time.perf_counter() - t0
        print(f"Z report taken: {took * 1000:.1f} ms, {z.figures.sales_count} sales counted")
        engine.dispose()


if __name__ == "__main__":
    main()
