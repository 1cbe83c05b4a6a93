"""Every screen's opening: pushed → its first page painted (issue 17: ≤ 50 ms each).

One SQLite store of 100,000 products and 1,000,000 customers (the demo generator, kept
as ``bench/screens-1m.db``, ignored by git; about a minute to build), with
``SALES`` completed sales added (for Recent sales and the drawer's X report). The app
runs headless under Pilot at 80×24 on the register; each screen is pushed as its key
would push it (Products, Groups, Customers, Drawer (Ctrl+G), Tax rates, Store, Custom
fields, Recent sales), and the clock stops at the first frame handed to the terminal
that shows its first page, every widget of the screen mounted (Groups and Customers,
app modes, by switching to their mode as F4 and F3 do, the mode removed after each:
each time its first opening). The screens are taken in turn, ``ROUNDS`` times, so the
machine's load falls on all of them alike.

Printed for each: the median and worst wall time, and the median CPU time of the process
(both threads) over the same span: less swayed by the other processes on a busy machine.
The load average is printed with them. A first round (modules imported, each screen's
stylesheet read: once per process) is not counted.

``python bench/bench_screens.py [ROUNDS]`` (default 15).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

DB = HERE / "screens-1m.db"
PRODUCTS = 100_000
CUSTOMERS = 1_000_000
SALES = 2_000
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 15
BUDGET_MS = 50.0


def _database() -> Any:
    from sqlalchemy import text

    from tillterm.demo.seeding import seed_demo
    from tillterm.store.engine import open_db

    engine = open_db(DB)
    started = time.perf_counter()
    summary = seed_demo(engine, customers=CUSTOMERS, products=PRODUCTS)
    if not summary.skipped:
        print(f"seeded {summary.customers:,} customers, {summary.products:,} products")
    with engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM sale")).scalar_one():
            return engine
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        {"id": i, "r": f"R{i:07d}", "t": (now - dt.timedelta(minutes=SALES - i)).isoformat(" ")}
        for i in range(1, SALES + 1)
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sale (id, register_name, state, kind, receipt_no, subtotal_cents,"
                " discount_cents, tax_cents, total_cents, note, created_at, updated_at,"
                " completed_at) VALUES (:id, 'bench', 'completed', 'sale', :r, 1200, 0, 200,"
                " 1200, '', :t, :t, :t)"
            ),
            rows,
        )
        conn.execute(
            text(
                "INSERT INTO sale_line (sale_id, position, description, quantity,"
                " unit_price_cents, discount_cents, tax_rate, tax_cents, total_cents)"
                " VALUES (:id, 0, 'thing', 1, 1200, 0, 20000, 200, 1200)"
            ),
            rows,
        )
        conn.execute(
            text(
                "INSERT INTO payment (sale_id, method, amount_cents, change_cents,"
                " loyalty_points, created_at) VALUES (:id, 'cash', 1200, 0, 0, :t)"
            ),
            rows,
        )
        conn.execute(text("UPDATE receipt_counter SET last_no = :n"), {"n": SALES})
    print(f"{SALES:,} sales added; {time.perf_counter() - started:.0f} s")
    return engine


class Painted:
    """The first frame handed to the terminal once a condition holds (checked as the
    frame is drawn, so a frame painted in the same turn as the update counts)."""

    def __init__(self, app: Any) -> None:
        self.condition: Callable[[], bool] | None = None
        self.hit: tuple[float, float] | None = None
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if (
                renderable is not None
                and self.condition is not None
                and self.hit is None
                and self.condition()
            ):
                self.hit = (time.perf_counter(), time.process_time())

        app._display = display

    def watch(self, condition: Callable[[], bool]) -> None:
        self.condition, self.hit = condition, None

    async def wait(self, timeout: float = 10.0) -> tuple[float, float]:
        deadline = time.perf_counter() + timeout
        while self.hit is None:
            if time.perf_counter() > deadline:
                raise TimeoutError("the screen did not show its first page")
            await asyncio.sleep(0.0005)
        self.condition = None
        return self.hit


async def _drain(app: Any) -> None:
    from textual.worker import WorkerCancelled

    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


#: screens that are app modes (F3, F4): opened by switching to their mode, as the key
#: does, the mode removed after each opening so that each is a first opening
MODES = {"groups": "groups", "customers": "customers"}


def _all_mounted(screen: Any) -> bool:
    """Every widget of the screen mounted: a frame drawn while some are still being
    mounted does not show the whole page (it is laid out without them)."""
    return all(widget.is_mounted for widget in screen.walk_children())


def _screens() -> dict[str, tuple[Callable[[], Any], Callable[[Any], bool]]]:
    """Each screen as its key makes it, and what says its first page is in."""
    from tillterm.ui.screens.custom_fields import CustomFieldsScreen
    from tillterm.ui.screens.customers import CustomersScreen
    from tillterm.ui.screens.drawer import DrawerScreen
    from tillterm.ui.screens.groups import GroupsScreen
    from tillterm.ui.screens.products import ProductsScreen
    from tillterm.ui.screens.recent_sales import RecentSalesScreen
    from tillterm.ui.screens.store import StoreScreen
    from tillterm.ui.screens.tax_rates import TaxRatesScreen

    return {
        "products": (ProductsScreen, lambda s: len(s.products) == 50),
        "groups": (GroupsScreen, lambda s: bool(s.groups)),
        "customers": (CustomersScreen, lambda s: s._shown is not None),
        "drawer": (DrawerScreen, lambda s: s.state is not None),
        "tax rates": (TaxRatesScreen, lambda s: bool(s.rates)),
        # the form's rows are filled once the settings are read: the page is in when
        # they are (issue 17)
        "store": (StoreScreen, lambda s: s._initial is not None and bool(s.sheet.fields)),
        "custom fields": (CustomFieldsScreen, lambda s: bool(s.fields)),
        "recent sales": (
            lambda: RecentSalesScreen("bench"),
            lambda s: s.query_one("#recent-list").option_count > 0,
        ),
    }


async def _measure(engine: Any) -> dict[str, list[tuple[float, float]]]:
    from tillterm.ui.app import TilltermApp
    from tillterm.ui.memory import freeze_start_up

    screens = _screens()
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in screens}
    app = TilltermApp(engine, register="bench", scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        painted = Painted(app)
        await pilot.pause()
        await _drain(app)
        await pilot.pause()
        # as the app does once started in a terminal (not headless, where tests run)
        freeze_start_up()
        for round_no in range(ROUNDS + 1):
            for name, (make, shown) in screens.items():
                mode = MODES.get(name)
                if mode is None:
                    screen = make()
                    painted.watch(
                        lambda screen=screen, shown=shown: shown(screen) and _all_mounted(screen)
                    )
                    started, cpu_started = time.perf_counter(), time.process_time()
                    app.push_screen(screen)
                else:
                    painted.watch(
                        lambda make=make, shown=shown: (
                            isinstance(app.screen, make)
                            and shown(app.screen)
                            and _all_mounted(app.screen)
                        )
                    )
                    started, cpu_started = time.perf_counter(), time.process_time()
                    app.switch_mode(mode)
                hit, cpu_hit = await painted.wait()
                if round_no:  # the first: modules imported, the screen's CSS read
                    figures[name].append((hit - started, cpu_hit - cpu_started))
                await _drain(app)
                await pilot.pause()
                if mode is None:
                    app.pop_screen()
                else:
                    await app.switch_mode("register")
                    await pilot.pause()
                    factory = app._modes[mode]
                    await app.remove_mode(mode)
                    app.add_mode(mode, factory)
                await pilot.pause()
                await _drain(app)
                await pilot.pause()
    return figures


def main() -> int:
    engine = _database()
    try:
        figures = asyncio.run(_measure(engine))
    finally:
        engine.dispose()
    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(
        f"screen pushed → first page painted, 80×24, {PRODUCTS:,} products, "
        f"{CUSTOMERS:,} customers, {ROUNDS} rounds (load average {load}):"
    )
    over = False
    for name, runs in figures.items():
        wall = statistics.median(t for t, _ in runs) * 1000
        cpu = statistics.median(c for _, c in runs) * 1000
        worst = max(t for t, _ in runs) * 1000
        over |= wall > BUDGET_MS
        print(
            f"  {name:<14} wall median {wall:6.1f} ms  worst {worst:6.1f} ms   "
            f"CPU median {cpu:6.1f} ms   budget ≤ {BUDGET_MS:.0f} ms"
        )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
