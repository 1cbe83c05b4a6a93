"""Bytes on the wire, asserted without a clock: what the screens redraw, and what not.

Over SSH or a serial line every redrawn cell costs bytes. These tests count the
refreshes of the customer list (each is a repaint sent to the terminal) and check the
causes of idle output and of needless repaints: the same results again redraw nothing,
new results redraw only the lines of the list (never its scrollbars), a mouse move over
the list redraws nothing, the list has no horizontal scrollbar at 80 columns, a fast
typist's keys make two searches, not one each (spaced further over a slow link), and no
text cursor blinks anywhere. The
figures themselves (bytes per key, per scan, per second idle) are in
``bench/bench_wire.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import Drive
from screens_data import Store, seed_store, settle
from sqlalchemy.engine import Engine
from textual.geometry import Region
from textual.widgets import Input, TextArea

from tillterm.customers.profiles import create_customer
from tillterm.services.customer_care import CustomerCare
from tillterm.store.engine import session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.customers import COLUMNS, PAGE, SEARCH_EVERY, CustomersScreen
from tillterm.ui.slow_link import slow_link
from tillterm.ui.widgets.results_table import ResultsTable


@pytest.fixture
def store(engine: Engine) -> Store:
    return seed_store(engine)


async def open_customers(app: TilltermApp, pilot: Any) -> CustomersScreen:
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)
    return app.screen


@contextmanager
def refreshes(table: ResultsTable) -> Iterator[list[tuple[Region, ...]]]:
    """The table's refreshes meanwhile, as the regions asked for (``()``: all of it)."""
    seen: list[tuple[Region, ...]] = []
    real = table.refresh

    def counted(*regions: Region, **options: Any) -> ResultsTable:
        seen.append(regions)
        return real(*regions, **options)

    table.refresh = counted  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del table.refresh


def listed(table: ResultsTable) -> list[str]:
    return [str(table.get_row_at(n)[0]) for n in range(table.row_count)]


async def test_the_same_results_again_redraw_nothing(drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        await pilot.press(*"dub")
        await settle(pilot)
        table = screen.query_one(ResultsTable)
        shown = listed(table)
        assert shown == ["Marie Dubois"]
        with refreshes(table) as seen:
            screen.on_screen_resume()  # searches again: the same rows come back
            await settle(pilot)
        assert seen == []
        assert listed(table) == shown


async def test_new_results_redraw_only_the_lines_of_the_list(
    engine: Engine, drive: Drive, store: Store
) -> None:
    with session_scope(engine) as session:
        for n in range(PAGE + 5):
            create_customer(session, {"first_name": "Many", "last_name": f"Row {n:02d}"})
            create_customer(session, {"first_name": "Many", "last_name": f"Rex {n:02d}"})
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        await pilot.press(*"many row")
        await settle(pilot)
        table = screen.query_one(ResultsTable)
        before = listed(table)
        assert table.row_count == PAGE
        inside = table.scrollable_content_region.size.region  # within the scrollbars
        with refreshes(table) as seen:
            await pilot.press("backspace", "backspace", "e", "x")  # as many rows, others
            await settle(pilot)
        assert listed(table) != before
        assert seen, "the new rows were not drawn"
        for regions in seen:
            assert regions, "the whole list was redrawn (its scrollbars too)"
            for region in regions:
                assert inside.contains_region(region), (region, inside)


async def test_a_fast_typists_keys_make_two_searches(
    drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    searched: list[str] = []
    typed = threading.Event()
    real = CustomerCare.page

    def page(care: CustomerCare, text: str, *args: Any, **kwargs: Any) -> Any:
        searched.append(text)
        typed.wait(10)  # the first search lasts until every key is in: a slow store
        return real(care, text, *args, **kwargs)

    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        monkeypatch.setattr(CustomerCare, "page", page)
        await pilot.press(*"dubois")
        assert screen.query_one("#customer-search", Input).value == "dubois"  # echoed
        typed.set()
        await settle(pilot)
        # the first key(s) at once; the others wait for it, and the newest text is searched
        assert len(searched) == 2 and searched[0] in ("d", "du"), searched
        assert searched[1] == "dubois"
        assert listed(screen.query_one(ResultsTable)) == ["Marie Dubois"]


async def test_a_mouse_moving_over_the_list_redraws_nothing(drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        table = screen.query_one(ResultsTable)
        assert table.row_count == 5
        await pilot.hover(ResultsTable, offset=(10, 1))
        await settle(pilot)
        with refreshes(table) as seen:
            for row in (2, 3, 4, 3):
                await pilot.hover(ResultsTable, offset=(10 + row, row))
            await settle(pilot)
        assert seen == []
        await pilot.click(ResultsTable, offset=(10, 3))  # a click still picks a row
        await settle(pilot)
        assert table.cursor_row == 2


async def test_no_horizontal_scrollbar_at_80_columns_and_every_column_when_wide(
    drive: Drive, store: Store
) -> None:
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        table = screen.query_one(ResultsTable)
        assert [c.label.plain for c in table.ordered_columns] == [
            "Name",
            "Company",
            "Email",
            "Phone",
        ]
        assert not table.show_horizontal_scrollbar
        assert table.virtual_size.width <= table.scrollable_content_region.width
        rows = listed(table)
        await pilot.resize_terminal(130, 30)
        await settle(pilot)
        assert [c.key.value for c in table.ordered_columns] == [key for key, _, _ in COLUMNS]
        assert not table.show_horizontal_scrollbar
        assert listed(table) == rows


def _fields(app: TilltermApp) -> list[Input | TextArea]:
    return [w for w in app.screen.query("*") if isinstance(w, Input | TextArea) and w.display]


async def test_no_text_cursor_blinks_on_any_screen(drive: Drive, store: Store) -> None:
    """Each screen's fields, focused in turn: none blinks (a blink is a redraw)."""
    async with drive() as (app, pilot):
        checked: list[str] = []

        async def check_fields(where: str) -> None:
            fields = _fields(app)
            assert fields, f"no field on {where}"
            for field in fields:
                if field.disabled or not field.focusable:
                    continue
                field.focus()
                await pilot.pause()
                assert app.screen.focused is field, (where, field)
                assert field.cursor_blink is False, (where, field)
                checked.append(f"{where}: {field.id}")

        await settle(pilot)
        await check_fields("register")
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("ctrl+f")  # the filter panel, mounted when first asked for
        await settle(pilot)
        await check_fields("customers")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await check_fields("customer form")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await check_fields("group form")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await check_fields("import")
        assert len(checked) >= 8, checked


@pytest.mark.parametrize(
    ("environ", "terminal", "slow"),
    [
        ({}, "/dev/pts/3", False),
        ({}, None, False),
        ({"SSH_CONNECTION": "10.0.0.2 50522 10.0.0.9 22"}, "/dev/pts/3", True),
        ({"SSH_TTY": "/dev/pts/3"}, "/dev/pts/3", True),
        ({}, "/dev/ttyS0", True),
        ({}, "/dev/ttyUSB1", True),
        ({"SSH_TTY": "/dev/pts/3", "TILLTERM_SLOW_LINK": "0"}, "/dev/pts/3", False),
        ({"TILLTERM_SLOW_LINK": "1"}, "/dev/tty1", True),
    ],
)
def test_a_slow_link_is_ssh_or_a_serial_line_unless_told(
    environ: dict[str, str], terminal: str | None, slow: bool
) -> None:
    assert slow_link(environ, terminal) is slow


async def test_searches_are_spaced_over_a_slow_link_only(
    drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLTERM_SLOW_LINK", "0")
    async with drive() as (app, pilot):
        assert (await open_customers(app, pilot))._search_every == 0
    monkeypatch.setenv("TILLTERM_SLOW_LINK", "1")
    async with drive() as (app, pilot):
        assert (await open_customers(app, pilot))._search_every == SEARCH_EVERY > 0
