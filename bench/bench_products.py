"""Product figures at 100,000 products (issue 17), on SQLite and, with
``TILLTERM_TEST_PG_URL`` set, on PostgreSQL (a database of its own, dropped after).

* products screen, first page: ``ProductCare.page`` (what the screen's worker runs) for
  the empty list (first 50 by name) and typed text from one letter to no match.
  Budget: ≤ 50 ms each.
* the same first page on screen (SQLite): the screen pushed in a headless 80×24 app and
  the clock stopped when its table holds the page; the Groups and Customers screens
  (200 customers) are timed the same way, in turn with it, for comparison.
* product scan → line: ``scan_code`` of a barcode in its own committed transaction, as
  the register's worker runs it (the sale's line written and the sale read back).
  Budget: median ≤ 30 ms.
* import of a 100,000-row product CSV into a store without products (all new), then the
  same file again (all updated): check + apply, from the file to the commit. Budget ≤ 5 s.

The 100,000-product store is seeded once and cached in ``bench/products_100k.db``.

``--pg-only`` runs only the PostgreSQL figures (``TILLTERM_TEST_PG_URL`` set);
``--pg-database NAME`` names their databases (``NAME`` and ``NAME_import``) instead of
``tillterm_bench_products`` (several people sharing a server); ``--import-only`` times
only the imports.
"""

from __future__ import annotations

import asyncio
import csv
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

PRODUCTS = 100_000
DB = HERE / "products_100k.db"
PG_DATABASE = "tillterm_bench_products"
TYPED = ("", "c", "caf", "café moulu", "sku-0999", "3000000050", "zzz")


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, int(len(values) * 0.95) - 1)]
    return f"median {statistics.median(values) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def _time(job: Callable[[], object]) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


def _seeded(url_or_path: str | Path) -> Any:
    from sqlalchemy import func, select

    from tillterm.demo.seeding import seed_demo
    from tillterm.store.engine import open_db, session_scope
    from tillterm.store.models import Product

    engine = open_db(url_or_path)
    with session_scope(engine) as s:
        have = s.exec(select(func.count()).select_from(Product)).one()[0]
    if have < PRODUCTS:
        print(f"seeding {PRODUCTS:,} products…", flush=True)
        started = time.perf_counter()
        seed_demo(engine, customers=200, products=PRODUCTS)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    return engine


def _pages(engine: Any, label: str) -> None:
    from tillterm.services.context import Services

    care = Services(lambda: engine).products
    for typed in TYPED:
        care.page(typed)  # warm
        times = [_time(lambda t=typed: care.page(t)) for _ in range(15)]
        found = len(care.page(typed))
        print(f"{label} first page {typed!r:>14} ({found:2} shown)  {_ms(times)}   budget ≤ 50 ms")


def _scans(engine: Any, label: str) -> None:
    from tillterm.demo.seeding import ean13
    from tillterm.sales import find_open_sale, void_sale
    from tillterm.sales.basket import scan_code
    from tillterm.store.engine import session_scope

    register = f"bench-products-{os.getpid()}"
    codes = [ean13(f"3{n:011d}") for n in range(1, PRODUCTS, PRODUCTS // 60)]
    times = []
    for code in codes:

        def scan(c: str = code) -> None:
            with session_scope(engine) as s:
                outcome = scan_code(s, register, c)
                assert outcome.kind == "product", (c, outcome.message)

        times.append(_time(scan))
    with session_scope(engine) as s:
        sale = find_open_sale(s, register)
        if sale is not None:
            void_sale(s, sale.id)
    print(f"{label} product scan → line (committed)  {_ms(times)}   budget: median ≤ 30 ms")


async def _on_screen(engine: Any) -> None:
    """The products screen pushed → its first page in the table, beside the Groups and
    Customers screens pushed the same way in the same app (taken in turn, so the
    machine's load falls on all three alike; the load average is printed with them)."""
    from textual.screen import Screen
    from textual.widgets import DataTable

    from tillterm.ui.app import TilltermApp
    from tillterm.ui.screens.customers import CustomersScreen
    from tillterm.ui.screens.groups import GroupsScreen
    from tillterm.ui.screens.products import ProductsScreen

    def rows(selector: str, count: int) -> Callable[[Screen[Any]], bool]:
        return lambda screen: screen.query_one(selector, DataTable).row_count >= count

    screens: dict[str, tuple[Callable[[], Screen[Any]], Callable[[Screen[Any]], bool]]] = {
        "products": (ProductsScreen, rows("#product-table", 50)),
        "groups": (GroupsScreen, rows("#group-table", 1)),
        "customers": (CustomersScreen, lambda screen: screen._shown is not None),  # type: ignore[attr-defined]
    }
    times: dict[str, list[float]] = {name: [] for name in screens}
    #: the process's CPU time over the same span (both threads): less swayed by the load
    cpu: dict[str, list[float]] = {name: [] for name in screens}
    app = TilltermApp(engine, register="bench-products-screen", scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        for _ in range(15):
            for name, (make, shown) in screens.items():
                screen = make()
                started, cpu_started = time.perf_counter(), time.process_time()
                await app.push_screen(screen)
                while not shown(screen):
                    await asyncio.sleep(0.001)
                times[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - cpu_started)
                await app.pop_screen()
                await pilot.pause()
                await app.workers.wait_for_complete()
    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(f"SQLite screen pushed → first page shown (load average {load}):")
    for name, figures in times.items():
        budget = "   budget ≤ 50 ms" if name == "products" else ""
        spent = statistics.median(cpu[name]) * 1000
        print(f"  {name:9}  {_ms(figures)}  (CPU median {spent:5.1f} ms){budget}")


def _import(make_engine: Callable[[], Any], label: str) -> None:
    from tillterm.demo.seeding import ean13
    from tillterm.services.context import Services

    with tempfile.TemporaryDirectory(prefix="bench-products-") as folder:
        files = []
        for version in (0, 1):
            path = Path(folder) / f"products-{version}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(["name", "sku", "barcode", "price", "tax_rate", "active"])
                for n in range(PRODUCTS):
                    price = f"{1 + n % 50 + version},{n % 100:02d}"
                    tax = "Standard 20 %" if n % 3 else ""
                    out.writerow(
                        [
                            f"Article importé {n}",
                            f"IMP-{n:06d}",
                            ean13(f"4{n:011d}"),
                            price,
                            tax,
                            "yes",
                        ]
                    )
            files.append(path)
        engine = make_engine()
        try:
            care = Services(lambda: engine).products
            for what, path in (
                ("all new", files[0]),
                ("all repriced", files[1]),
                ("the same file again", files[1]),
            ):
                started = time.perf_counter()
                checked = care.check_import(path)
                checked_at = time.perf_counter()
                result = care.apply_import(checked)
                done = time.perf_counter()
                print(
                    f"{label} import {PRODUCTS:,} rows ({what}: {result.created:,} new, "
                    f"{result.updated:,} updated, {result.unchanged:,} unchanged): check "
                    f"{checked_at - started:.2f} s + apply {done - checked_at:.2f} s = "
                    f"{done - started:.2f} s   budget ≤ 5 s"
                )
        finally:
            engine.dispose()


def _flag_value(flag: str) -> str:
    """The word after ``flag`` on the command line, or ``""``."""
    args = sys.argv[1:]
    return args[args.index(flag) + 1] if flag in args[:-1] else ""


def pg_main() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tillterm.store.engine import open_db

    server = make_url(os.environ["TILLTERM_TEST_PG_URL"])
    database = _flag_value("--pg-database") or PG_DATABASE
    url = server.set(database=database).render_as_string(hide_password=False)
    imports = server.set(database=database + "_import").render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    names = (database, database + "_import")
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        if "--import-only" not in sys.argv:
            engine = _seeded(url)
            try:
                _pages(engine, "PostgreSQL")
                _scans(engine, "PostgreSQL")
            finally:
                engine.dispose()
        _import(lambda: _reference_only(open_db(imports)), "PostgreSQL")
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _reference_only(engine: Any) -> Any:
    """A store with its tax rates and no product (what an import starts from)."""
    from tillterm.demo.seeding import seed_demo

    seed_demo(engine, customers=1, products=0)
    return engine


def main() -> None:
    from tillterm.store.engine import open_db

    if "--pg-only" in sys.argv:
        if not os.environ.get("TILLTERM_TEST_PG_URL"):
            sys.exit("--pg-only: set TILLTERM_TEST_PG_URL to the PostgreSQL server")
        pg_main()
        return
    if "--import-only" not in sys.argv:
        engine = _seeded(DB)
        try:
            _pages(engine, "SQLite")
            asyncio.run(_on_screen(engine))
            _scans(engine, "SQLite")
        finally:
            engine.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-products-db-") as folder:
        _import(lambda: _reference_only(open_db(Path(folder) / "import.db")), "SQLite")
    if os.environ.get("TILLTERM_TEST_PG_URL"):
        pg_main()
    else:
        print("PostgreSQL figures: set TILLTERM_TEST_PG_URL to measure them too")


if __name__ == "__main__":
    main()
