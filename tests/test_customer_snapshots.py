"""SVG snapshots of the customer screens at 80×24, on the fixed store of screens_data.

Regenerate after a deliberate change with ``pytest --snapshot-update`` and look at the
result (``tests/__snapshots__``) before committing it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from conftest import wait_until
from screens_data import Store, seed_store, settle
from textual.pilot import Pilot
from textual.widgets import Input

from tillterm.store.engine import open_db
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customers import CustomersScreen

SnapCompare = Callable[..., bool]


def make_app(tmp_path: Path) -> tuple[TilltermApp, Store]:
    engine = open_db(tmp_path / "snap.db")
    store = seed_store(engine)
    return TilltermApp(engine, register="till-1", scanner=False), store


def prepare(
    keys: tuple[str, ...] = (), then: Callable[[Pilot[Any], Store], Awaitable[None]] | None = None
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    store_box: dict[str, Store] = {}

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.sub_title = "till-1 · snap.db"  # the real one names a temporary path
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if then is not None:
            await then(pilot, store_box["store"])
            await settle(pilot)
        for field in pilot.app.screen.query(Input):  # a blinking cursor makes flaky pictures
            field.cursor_blink = False
        await pilot.pause()

    run_before.store_box = store_box  # type: ignore[attr-defined]
    return run_before


def snap(snap_compare: SnapCompare, tmp_path: Path, run_before: Any) -> bool:
    app, store = make_app(tmp_path)
    run_before.store_box["store"] = store
    try:
        return snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    finally:
        app.engine.dispose()


async def _open_marie(pilot: Pilot[Any], store: Store) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, CustomersScreen)
    screen.open_customer(store.marie)


def test_customers_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap(snap_compare, tmp_path, prepare(("f3",)))


def test_customers_screen_with_filters(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap(snap_compare, tmp_path, prepare(("f3", "b", "ctrl+f")))


def test_customer_view(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap(snap_compare, tmp_path, prepare(("f3",), _open_marie))


async def _edit_marie(pilot: Pilot[Any], store: Store) -> None:
    await _open_marie(pilot, store)
    await settle(pilot)
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomerForm), "the form")
    await settle(pilot)


def test_customer_form_contact_tab(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap(snap_compare, tmp_path, prepare(("f3",), _edit_marie))


async def _edit_marie_details(pilot: Pilot[Any], store: Store) -> None:
    await _edit_marie(pilot, store)
    await settle(pilot)
    await pilot.press("f7")


def test_customer_form_details_tab(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap(snap_compare, tmp_path, prepare(("f3",), _edit_marie_details))


def test_groups_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap(snap_compare, tmp_path, prepare(("f4",)))
