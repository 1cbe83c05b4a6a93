"""Product names on the register's sale lines: two different products never look alike.

At 80 columns the item column has 16 cells; names that differ only at their end (sizes,
weights, "#2") were cut to the same 16 characters. They are cut in the middle now, and
the column takes whatever width the panel has beyond the other columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive
from rich.cells import cell_len
from sales_store import build_store
from screens_data import settle
from sqlalchemy.engine import Engine

from tillterm.store.engine import session_scope
from tillterm.store.models import Product
from tillterm.ui.widgets.sale_lines import SaleLines, _row_text, item_width, shorten_name

VARIANTS = [
    ("Croissant aux amandes 250 g", "Croissant aux amandes 500 g"),
    ("Croissant 1 kg #1", "Croissant 1 kg #2"),
    ("Pain de campagne tranché bio 400 g", "Pain de campagne tranché bio 800 g"),
    ("Supercalifragilisticexpialidocious", "Supercalifragilisticexpialidociouz"),
    ("東京のお茶 抹茶 100 g", "東京のお茶 抹茶 200 g"),
]


@pytest.mark.parametrize(("one", "other"), VARIANTS)
@pytest.mark.parametrize("width", [12, 16, 20])
def test_names_that_differ_at_the_end_stay_different(one: str, other: str, width: int) -> None:
    short_one, short_other = shorten_name(one, width), shorten_name(other, width)
    assert short_one != short_other
    assert cell_len(short_one) <= width and cell_len(short_other) <= width
    assert ("…" in short_one) == (cell_len(one) > width)


def test_a_name_that_fits_is_left_alone() -> None:
    assert shorten_name("Café moulu", 16) == "Café moulu"
    assert shorten_name("Croissant 250 g", 15) == "Croissant 250 g"


def test_the_item_column_takes_the_panels_spare_width() -> None:
    assert item_width(50) == 16  # 80 columns: the register's sale panel
    assert item_width(70) == 36
    assert item_width(30) == 16  # never less than its heading's column
    row = _row_text(["Croissant aux amandes 250 g", "1", "1.10", "", "1.10"], 70)
    assert row.startswith(" Croissant aux amandes 250 g ") and cell_len(row) == 70
    row = _row_text(["Croissant aux amandes 250 g", "1", "1.10", "", "1.10"], 50)
    assert row.startswith(" Croissant… 250 g ") and cell_len(row) == 50



async def test_the_register_shows_a_long_name_cut_in_the_middle(
    engine: Engine, drive: Drive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The register handed the lines widget names already cut to 16 characters."""
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    build_store(engine)
    with session_scope(engine) as s:
        name = "Croissant aux amandes 250 g"
        s.add(Product(sku="CRO-250", barcode="3000000000901", name=name, price_cents=180))
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press(*"3000000000901", "enter")
        await settle(pilot)
        lines = app.screen.query_one(SaleLines)
        drawn = "".join(segment.text for segment in lines.render_line(1))
        assert drawn.startswith(" Croissant… 250 g "), drawn
