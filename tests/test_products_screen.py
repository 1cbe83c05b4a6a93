"""The Products screen (back office) at 80×24: search as you type, create and edit with
per-field errors, import and export, asserting on the screen and on the database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import screen_text, settle
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label

from tillterm.store.engine import session_scope
from tillterm.store.models import Product
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ChoiceScreen, PromptScreen
from tillterm.ui.screens.product_form import ProductForm
from tillterm.ui.screens.products import ProductsScreen


@pytest.fixture
def store(engine: Engine) -> Store:
    return build_store(engine)


def rows(app: TilltermApp) -> list[str]:
    table = app.screen.query_one("#product-table", DataTable)
    return [str(table.get_row_at(n)[0]) for n in range(table.row_count)]


async def open_products(app: TilltermApp, pilot: Pilot[int]) -> ProductsScreen:
    await settle(pilot)
    screen = ProductsScreen()
    await app.push_screen(screen)
    await settle(pilot)
    return screen


async def test_search_as_you_type_ignores_accents_and_case(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive() as (app, pilot):
        await open_products(app, pilot)
        assert rows(app) == ["Café moulu", "Stylo plume"]
        await pilot.press(*"CAFE")
        await settle(pilot)
        assert rows(app) == ["Café moulu"]
        assert "Products matching “CAFE”: 1" in screen_text(app)
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"pen-1")
        await settle(pilot)
        assert rows(app) == ["Stylo plume"]  # by its SKU
        await pilot.press(*"x")
        await settle(pilot)
        assert rows(app) == [] and "No product matches “pen-1x”" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert rows(app) == ["Café moulu", "Stylo plume"]


async def test_create_with_errors_under_each_field_then_save(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive() as (app, pilot):
        await open_products(app, pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ProductForm)
        # a new product is on sale, and says so in words (no colour needed)
        assert str(form.query_one("#row-active .switch-state", Label).content) == "yes"
        form.query_one("#product-name", Input).value = "Gomme"
        form.query_one("#product-sku", Input).value = "PEN-1"
        form.query_one("#product-barcode", Input).value = "3017620422004"
        form.query_one("#product-price", Input).value = "0,6O"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "nothing saved: the form stays as typed"
        shown = screen_text(app)
        assert "↑ “PEN-1” is already the SKU of “Stylo plume”" in shown
        assert "↑ not a valid EAN-13: its check digit should be 3, not 4" in shown
        assert "↑ “0,6O” is not an amount" in shown
        assert form.query_one("#product-name", Input).value == "Gomme"
        form.query_one("#product-sku", Input).value = "GOM-1"
        form.query_one("#product-barcode", Input).value = "3017620422003"
        form.query_one("#product-price", Input).value = "0,60"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProductsScreen), "the list")
        await settle(pilot)
        assert "Gomme" in rows(app)
    with session_scope(engine) as s:
        gomme = s.exec(select(Product).where(Product.sku == "GOM-1")).one()
    assert (gomme.name, gomme.barcode, gomme.price_cents, gomme.active) == (
        "Gomme",
        "3017620422003",
        60,
        True,
    )


async def test_enter_edits_the_highlighted_product(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive() as (app, pilot):
        await open_products(app, pilot)
        await pilot.press(*"stylo", "enter")  # Enter in the search box: the first match
        await wait_until(pilot, lambda: isinstance(app.screen, ProductForm), "the form")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ProductForm)
        assert form.query_one("#product-price", Input).value == "24.90"
        form.query_one("#product-price", Input).value = "26.50"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProductsScreen), "the list")
        await settle(pilot)
        await pilot.press("down")  # into the list
        assert app.screen.focused is app.screen.query_one("#product-table")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ProductForm), "the form again")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProductsScreen)
    with session_scope(engine) as s:
        pen = s.get(Product, store.pen)
    assert pen is not None and pen.price_cents == 2650


async def test_import_is_checked_then_confirmed_and_export_writes_the_file(
    engine: Engine, store: Store, drive: Drive, tmp_path: Path
) -> None:
    path = tmp_path / "new.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["name", "sku", "price"], ["Règle 30 cm", "REG-30", "1.90"]])
    async with drive() as (app, pilot):
        await open_products(app, pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one("#prompt-input", Input).value = str(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the check")
        assert "1 row: 1 new, 0 updated, 0 errors, 0 warnings" in screen_text(app)
        with session_scope(engine) as s:
            assert s.exec(select(Product).where(Product.sku == "REG-30")).first() is None
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ProductsScreen)
        assert "Règle 30 cm" in rows(app)
        out = tmp_path / "all.csv"
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one("#prompt-input", Input).value = str(out)
        await pilot.press("enter")
        await wait_until(pilot, out.exists, "the export file")
        await settle(pilot)
    with session_scope(engine) as s:
        regle = s.exec(select(Product).where(Product.sku == "REG-30")).one()
    assert regle.price_cents == 190
    assert "Règle 30 cm,REG-30" in out.read_text(encoding="utf-8-sig")


async def test_down_enters_the_list_and_up_from_its_first_row_goes_back(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive() as (app, pilot):
        screen = await open_products(app, pilot)
        search = screen.query_one("#product-search", Input)
        table = screen.query_one("#product-table", DataTable)
        assert screen.focused is search
        await pilot.press("down")
        assert screen.focused is table and table.cursor_row == 0
        await pilot.press("down")
        assert table.cursor_row == 1 and screen.current is not None
        assert screen.current.name == "Stylo plume"
        await pilot.press("up")
        assert screen.focused is table and table.cursor_row == 0
        await pilot.press("up")  # past the top: back in the search box, which takes keys
        assert screen.focused is search
        await pilot.press(*"caf")
        await settle(pilot)
        assert search.value == "caf" and rows(app) == ["Café moulu"]


async def test_opening_reads_the_first_page_once(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is read while the screen is built; its first resume must not read it again."""
    from tillterm.services.products import ProductCare

    read: list[str] = []
    page = ProductCare.page

    def counted(self: ProductCare, text: str = "", **kwargs: int) -> object:
        read.append(text)
        return page(self, text, **kwargs)

    monkeypatch.setattr(ProductCare, "page", counted)
    async with drive() as (app, pilot):
        await open_products(app, pilot)
        assert rows(app) == ["Café moulu", "Stylo plume"]
        assert read == [""]
        await pilot.press("ctrl+n")  # a form over the list, then back: read again
        await wait_until(pilot, lambda: isinstance(app.screen, ProductForm), "the form")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ProductsScreen), "the list")
        await settle(pilot)
        assert read == ["", ""]


async def test_a_resize_lays_out_the_list_and_the_screens_under_it(
    engine: Engine, store: Store, drive: Drive
) -> None:
    """The first layout's own Resize is skipped (same size): a real one still goes through."""
    async with drive() as (app, pilot):
        screen = await open_products(app, pilot)
        below = app.screen_stack[-2]
        table = screen.query_one("#product-table", DataTable)
        width, height = table.size
        assert screen.size == below.size == (80, 24)
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert table.size == (width + 20, height + 6)
        assert rows(app) == ["Café moulu", "Stylo plume"]
        assert below.size == (100, 30)  # laid out again under the list
        app.pop_screen()
        await settle(pilot)
        assert app.screen is below and below.size == (100, 30)
