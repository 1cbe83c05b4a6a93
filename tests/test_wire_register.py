"""Bytes on the wire at the register, asserted without a clock: what a scan, a key, a
focus change and a new list of matches repaint.

Every repainted cell is sent to the terminal, which over SSH or a serial line is what
a scan costs. These tests record the regions each widget marks for repainting (empty:
the whole widget) and check that a scan repaints the rows that changed and not the
whole sale, that a key or a scan repaints a field's text row and not its border, that a
new sale's title repaints the top border alone and its totals keep their height, that
a focus change does not repaint the screen, and that matches replaced by as many
others repaint only the lines that differ. The figures (bytes per scan, per sale) are
printed by ``bench/bench_wire.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy.engine import Engine
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets.option_list import OptionDoesNotExist

from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.widgets.register_input import RegisterInput
from tillterm.ui.widgets.sale_lines import SaleLines
from tillterm.ui.widgets.sale_totals import SaleTotals
from tillterm.ui.widgets.steady_frame import SteadyInput
from tillterm.ui.widgets.suggestions import Suggestions

COFFEE, PEN = "3000000000017", "3000000000024"


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


@contextmanager
def dirtied(widget: Widget) -> Iterator[list[tuple[Region, ...]]]:
    """What ``widget`` marks for repainting meanwhile: the regions of each call, in
    its content's coordinates (``()``: the whole widget, border included)."""
    seen: list[tuple[Region, ...]] = []
    real = widget._set_dirty

    def spy(*regions: Region) -> None:
        seen.append(regions)
        real(*regions)

    widget._set_dirty = spy  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del widget._set_dirty


async def register(app: TilltermApp, pilot: object) -> RegisterScreen:
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, RegisterScreen)
    return app.screen


async def scan(app: TilltermApp, pilot: object, code: str) -> None:
    app.post_message(ScanReceived(code))
    await settle(pilot)  # type: ignore[arg-type]


async def test_a_scan_repaints_the_new_row_and_the_old_highlight_only(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        lines = screen.query_one("#sale-lines", SaleLines)
        await scan(app, pilot, COFFEE)
        width = lines.size.width
        with dirtied(lines) as seen:
            await scan(app, pilot, PEN)
        assert lines.row_count == 2
        # row 1 (the coffee) loses the highlight, row 2 (the pen) is new: nothing else
        assert () not in seen
        assert {region for regions in seen for region in regions} == {
            Region(0, 1, width, 1),
            Region(0, 2, width, 1),
        }
        with dirtied(lines) as seen:
            await scan(app, pilot, PEN)  # the pen again: its quantity, nothing else
        assert lines.get_row_at(1)[1] == "2"
        assert {region for regions in seen for region in regions} == {Region(0, 2, width, 1)}


async def test_a_new_sale_s_title_repaints_the_top_border_and_the_totals_keep_their_height(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        lines = screen.query_one("#sale-lines", SaleLines)
        totals = screen.query_one(SaleTotals)
        assert lines.border_title == "New sale"
        height = totals.outer_size.height
        with dirtied(lines) as seen:
            await scan(app, pilot, COFFEE)
        assert lines.border_title is not None and lines.border_title.startswith("Sale ")
        assert () not in seen
        outer = lines.outer_size.width
        assert {region for regions in seen for region in regions} == {
            Region(-1, -1, outer, 1),  # the top border, where the title is
            Region(0, 1, lines.size.width, 1),  # the coffee
        }
        assert totals.outer_size.height == height  # the screen was not laid out again
        assert "4.50" in str(totals.render())


async def test_a_key_and_a_scan_repaint_a_field_s_text_row_not_its_border(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        field = screen.query_one("#scan-input", RegisterInput)
        await pilot.press("3")  # the first repaint after a restyle draws the frame
        await settle(pilot)
        row = Region(-field.content_offset.x, 0, field.outer_size.width, 1)
        with dirtied(field) as seen:
            await pilot.press("0")
            await settle(pilot)
        assert seen and all(regions == (row,) for regions in seen)
        with dirtied(field) as seen:
            await pilot.press("backspace", "backspace")
            await scan(app, pilot, COFFEE)
        assert seen and all(regions == (row,) for regions in seen)
        assert field.value == ""
        customer = screen.query_one("#customer-input", SteadyInput)
        await pilot.press("f7", "x")  # the focus moved: the frame is drawn once
        await settle(pilot)
        row = Region(-customer.content_offset.x, 0, customer.outer_size.width, 1)
        with dirtied(customer) as seen:
            await pilot.press("y")
            await settle(pilot)
        assert customer.value == "xy"
        assert seen and all(regions == (row,) for regions in seen)


async def test_a_focus_change_repaints_the_fields_not_the_screen(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        field = screen.query_one("#scan-input", RegisterInput)
        with dirtied(screen) as seen_screen, dirtied(field) as seen_field:
            await pilot.press("f7")
            await settle(pilot)
            assert app.focused is not None and app.focused.id == "customer-input"
            await pilot.press("escape")
            await settle(pilot)
        assert app.focused is field
        assert () not in seen_screen
        assert () in seen_field  # its border changed colour: repainted whole


async def test_matches_replaced_by_as_many_repaint_only_the_lines_that_differ(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        suggestions = screen.query_one(Suggestions)
        first = [("customer:1", "Marie Dubois"), ("new", "Add “Du” as a new customer")]
        suggestions.show("customers", first)
        await settle(pilot)
        width = suggestions.scrollable_content_region.width
        with dirtied(suggestions) as seen:
            suggestions.show("customers", first)
            await settle(pilot)
        assert seen == []  # the same again: nothing
        with dirtied(suggestions) as seen:
            suggestions.show("customers", [first[0], ("new", "Add “Dub” as a new customer")])
            await settle(pilot)
        assert seen == [(Region(0, 1, width, 1),)]
        with dirtied(suggestions) as seen:
            suggestions.show(
                "customers",
                [("customer:2", "Jean Dupont"), ("new", "Add “Dup” as a new customer")],
            )
            await settle(pilot)
        assert () not in seen
        # replaced, not only redrawn: the new ids and labels are what is picked and shown
        assert suggestions.get_option_at_index(0).id == "customer:2"
        assert suggestions.get_option("customer:2") is suggestions.get_option_at_index(0)
        with pytest.raises(OptionDoesNotExist):
            suggestions.get_option("customer:1")
        assert suggestions.highlighted == 0
        assert "Jean Dupont" in suggestions.render_line(0).text
        assert "“Dup”" in suggestions.render_line(1).text


async def test_more_matches_than_the_list_holds_replaced_without_laying_it_out(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        suggestions = screen.query_one(Suggestions)
        nine = [(f"customer:{n}", f"Customer {n}") for n in range(1, 9)]
        suggestions.show("customers", [*nine, ("new", "Add “cu” as a new customer")])
        await settle(pilot)
        window = suggestions.scrollable_content_region
        assert window.height < 8  # the list is full: fewer matches keep its height
        seven = [(f"customer:{n}", f"Customer {n}") for n in (1, 2, 3, 4, 5, 6, 9)]
        with dirtied(suggestions) as seen:
            suggestions.show("customers", [*seven, ("new", "Add “cus” as a new customer")])
            await settle(pilot)
        assert () not in seen  # neither its border nor the screen's layout
        # from the first line that changed (the seventh) to the bottom of the list
        assert (Region(0, 6, window.width, window.height - 6),) in seen
        assert suggestions.option_count == 8
        assert suggestions.get_option_at_index(7).id == "new"
        assert "Customer 9" in suggestions.render_line(6).text
        with pytest.raises(OptionDoesNotExist):
            suggestions.get_option("customer:8")


async def test_showing_and_hiding_the_matches_lays_out_and_repaints_no_sale_line(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        lines = screen.query_one("#sale-lines", SaleLines)
        suggestions = screen.query_one(Suggestions)
        await scan(app, pilot, COFFEE)
        await scan(app, pilot, PEN)
        region = lines.region
        with dirtied(lines) as seen:
            suggestions.show("customers", [("customer:1", "Marie Dubois")])
            await settle(pilot)
            # a dropdown over the top of the sale lines: they keep their place
            assert suggestions.region.height > 0
            assert suggestions.region.y == region.y
            assert lines.region == region
            suggestions.hide()
            await settle(pilot)
        assert lines.region == region
        assert seen == []  # the screen redraws what the list covered, not the lines
        assert "Café" in str(lines.render_line(1).text)


async def test_the_register_under_the_payment_window_owes_no_repaint(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        screen = await register(app, pilot)
        await scan(app, pilot, COFFEE)
        await pilot.press("f9")
        await settle(pilot)
        payment = app.screen
        assert isinstance(payment, PaymentScreen)
        with dirtied(payment) as seen:
            # the register handles a message (its name check, every 5 s): it used to
            # send its whole pending repaint through the window, the whole screen again
            screen.post_message(RegisterScreen.ClaimChecked())
            await settle(pilot)
        assert Region(0, 0, 80, 24) not in {region for regions in seen for region in regions}
        assert () not in seen


async def test_the_payment_window_is_drawn_whole_once(
    store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await register(app, pilot)
        await scan(app, pilot, COFFEE)
        frames: list[str] = []
        real = app._display

        def display(screen: object, update: object) -> None:
            if update is not None:
                frames.append(type(update).__name__)
            real(screen, update)  # type: ignore[arg-type]

        monkeypatch.setattr(app, "_display", display)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        # the whole screen once (it was twice: 6 KB more over SSH); the rest in parts
        assert frames.count("LayoutUpdate") == 1
        assert "Total" in str(app.screen.query_one("#payment-summary").render())
        await pilot.press("f1")  # the help over it, then closed: the window drawn whole
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert frames.count("LayoutUpdate") >= 2


async def test_a_payment_taken_repaints_the_summary_not_the_window(
    store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await register(app, pilot)
        await scan(app, pilot, COFFEE)
        await pilot.press("f9")
        await settle(pilot)
        payment = app.screen
        assert isinstance(payment, PaymentScreen)
        box = payment.query_one("#payment-box")
        region = box.region
        with dirtied(box) as seen:
            await pilot.press("enter")  # cash, the amount due
            await settle(pilot)
        assert payment.sale.due <= 0
        assert "Cash" in str(payment.query_one("#payment-summary").render())
        # the window keeps its height and place: it was one row taller, moved up by
        # its centring, and every cell of it sent again (7 KB over SSH)
        assert box.region == region
        assert () not in seen
