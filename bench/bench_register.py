"""Register figures on a 1,000,000-customer / 50,000-product SQLite store.

* scan → sale updated on screen: a ``ScanReceived`` is posted to the running app (80×24,
  headless Pilot) and the clock stops when the register has redrawn with the new sale
  (``call_after_refresh`` from the screen's update). Customer codes (loyalty cards) and
  product barcodes separately. Budget: median ≤ 30 ms.
* completing a 20-line sale with a customer: the transaction (checks, ledgers, receipt
  number) plus rendering and writing the receipt file. Budget: median ≤ 50 ms.

The store is seeded once and cached in ``bench/register_1m.db``. "On screen" includes
Textual's frame pacing (60 fps: a change waits up to one or two frames, 17–33 ms, for
the compositor), which is most of the figure; the database part of a scan is ~5–10 ms.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

CUSTOMERS = 1_000_000
PRODUCTS = 50_000
DB = HERE / "register_1m.db"
SCANS = 60
SALES = 25


def _engine():  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from tillterm.db import open_db, session_scope
    from tillterm.demo import seed_demo
    from tillterm.models import Customer, Product

    engine = open_db(DB)
    with session_scope(engine) as s:
        have = s.exec(select(func.count()).select_from(Customer)).one()[0]
        products = s.exec(select(func.count()).select_from(Product)).one()[0]
    if have < CUSTOMERS or products < PRODUCTS:
        if have:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{DB}{suffix}").unlink(missing_ok=True)
            engine = open_db(DB)
        print(f"seeding {CUSTOMERS:,} customers and {PRODUCTS:,} products (once)…", flush=True)
        started = time.perf_counter()
        seed_demo(engine, customers=CUSTOMERS, products=PRODUCTS)
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return engine


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(len(values) * 0.95) - 1]
    return f"median {statistics.median(values) * 1000:5.1f} ms  p95 {p95 * 1000:5.1f} ms"


async def _scans(engine, customer_codes: list[str], barcodes: list[str]) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    from tillterm.db import session_scope
    from tillterm.sales import find_open_sale, void_sale
    from tillterm.ui.app import TilltermApp
    from tillterm.ui.messages import ScanReceived
    from tillterm.ui.screens.register import RegisterScreen

    register = f"bench-{random.randrange(10**6)}"
    app = TilltermApp(engine, register=register, scanner=False)
    painted: list[float] = []
    drawn = asyncio.Event()
    original = RegisterScreen._show

    def mark() -> None:
        painted.append(time.perf_counter())
        drawn.set()

    def timed_show(self, sale):  # type: ignore[no-untyped-def]
        original(self, sale)
        self.call_after_refresh(mark)

    RegisterScreen._show = timed_show  # type: ignore[method-assign]
    out: dict[str, list[float]] = {"product barcode": [], "customer code (loyalty card)": []}
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

            async def one(code: str) -> float:
                painted.clear()
                drawn.clear()
                started = time.perf_counter()
                app.post_message(ScanReceived(code))
                await asyncio.wait_for(drawn.wait(), timeout=10)
                return painted[0] - started

            for i, code in enumerate(barcodes):
                out["product barcode"].append(await one(code))
                if i % 20 == 19:  # a realistic sale size: start a new one
                    with session_scope(engine) as s:
                        view = find_open_sale(s, register)
                        if view:
                            void_sale(s, view.id)
                    await one(barcodes[0])  # first line of the next sale (not counted)
            for code in customer_codes:
                out["customer code (loyalty card)"].append(await one(code))
            with session_scope(engine) as s:
                view = find_open_sale(s, register)
                if view:
                    void_sale(s, view.id)
    finally:
        RegisterScreen._show = original  # type: ignore[method-assign]
    return out


def _complete(engine, customer_codes: list[str], barcodes: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    from tillterm import sales
    from tillterm.db import session_scope
    from tillterm.receipts import render_receipt, write_receipt
    from tillterm.settings import load_settings

    register = f"bench-c-{random.randrange(10**6)}"
    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(SALES):
            with session_scope(engine) as s:
                for code in random.sample(barcodes, 20):
                    sales.scan_code(s, register, code)
                out = sales.scan_code(s, register, customer_codes[n])
                assert out.view is not None
                sale_id = out.view.id
                sales.add_payment(s, sale_id, "card")
            started = time.perf_counter()
            with session_scope(engine) as s:
                view = sales.complete_sale(s, sale_id)
                store = load_settings(s)
            write_receipt(render_receipt(view, store), Path(tmp), view.receipt_no or "x")
            timings.append(time.perf_counter() - started)
            assert len(view.lines) == 20
    return timings


def _search(engine) -> list[float]:  # type: ignore[no-untyped-def]
    from tillterm.db import session_scope
    from tillterm.products import search_products

    timings = []
    for text in ["caf", "Thé", "bou", "SAVON", "stylo plume", "miel de", "zzz", "moulu"] * 5:
        started = time.perf_counter()
        with session_scope(engine) as s:
            search_products(s, text)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    from tillterm.demo import ean13, loyalty_card_code

    engine = _engine()
    rng = random.Random(5)
    customer_codes = [loyalty_card_code(rng.randrange(1, CUSTOMERS + 1)) for _ in range(SCANS)]
    barcodes = [ean13(f"3{rng.randrange(1, PRODUCTS + 1):011d}") for _ in range(SCANS)]
    print(f"store: {CUSTOMERS:,} customers, {PRODUCTS:,} products (SQLite, {DB.name})")
    results = asyncio.run(_scans(engine, customer_codes, barcodes))
    for label, values in results.items():
        print(f"scan → sale on screen, {label:<28} {_ms(values)}  (budget ≤ 30 ms)")
    completing = _ms(_complete(engine, customer_codes, barcodes))
    print(f"complete a 20-line sale + receipt file       {completing}  (budget ≤ 50 ms)")
    print(f"product name search (prefix, 50k)            {_ms(_search(engine))}")
    engine.dispose()


if __name__ == "__main__":
    main()
