"""The back office's screens' first read (budget: 50 ms each, issue 17).

A temporary SQLite store with 100,000 products (a quarter at each of four rates) and
200,000 completed sale lines, one rate never sold: the Tax rates list (products counted,
"ever sold?" for each rate), the Store form (settings and the rates to offer) and the
Custom fields list, each read ``RUNS`` times through the service the screens use.
Customers are not read by any of them, so their number does not matter here.

``python bench/bench_back_office.py``
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from tillterm.services.back_office import BackOffice
from tillterm.store.engine import open_db

PRODUCTS = 100_000
SALE_LINES = 200_000
RUNS = 15
BUDGET_MS = 50.0


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_db(Path(folder) / "store.db")
        try:
            with engine.begin() as conn:
                for rate_id, (name, thousandths) in enumerate(
                    [("Standard", 20_000), ("Reduced", 5_500), ("Exempt", 0), ("Never", 7_000)],
                    start=1,
                ):
                    conn.execute(
                        text(
                            "INSERT INTO tax_rate (id, name, name_key, rate) "
                            "VALUES (:i, :n, :k, :r)"
                        ),
                        {"i": rate_id, "n": name, "k": name.lower(), "r": thousandths},
                    )
                conn.execute(
                    text(
                        "INSERT INTO product (sku, name, price_cents, tax_rate_id, active) "
                        "VALUES (:s, :n, 100, :t, 1)"
                    ),
                    [{"s": f"P{i}", "n": f"Product {i}", "t": i % 4 + 1} for i in range(PRODUCTS)],
                )
                conn.execute(
                    text(
                        "INSERT INTO sale (id, register_name, state, kind, subtotal_cents, "
                        "discount_cents, tax_cents, total_cents, note, created_at, updated_at) "
                        "VALUES (1, 'till', 'completed', 'sale', 0, 0, 0, 0, '', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO sale_line (sale_id, position, description, quantity, "
                        "unit_price_cents, discount_cents, tax_rate, tax_cents, total_cents) "
                        "VALUES (1, :p, 'x', 1, 100, 0, :r, 0, 100)"
                    ),
                    [{"p": i, "r": (20_000, 5_500, 0)[i % 3]} for i in range(SALE_LINES)],
                )
            office = BackOffice(lambda: engine)
            failed = False
            for what, read in [
                ("tax rates list", office.tax_rates),
                ("store form", office.store_form),
                ("custom fields list", office.custom_fields),
            ]:
                read()  # statements compiled once, as on a register that opened it before
                times = []
                for _ in range(RUNS):
                    start = time.perf_counter()
                    read()
                    times.append((time.perf_counter() - start) * 1000)
                median = statistics.median(times)
                failed |= median > BUDGET_MS
                print(
                    f"{what:<20} median {median:6.1f} ms, worst {max(times):6.1f} ms "
                    f"(budget {BUDGET_MS:.0f} ms; {PRODUCTS:,} products, "
                    f"{SALE_LINES:,} sale lines)",
                    flush=True,
                )
            return 1 if failed else 0
        finally:
            engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
