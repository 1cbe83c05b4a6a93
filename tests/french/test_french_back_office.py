"""The back office, receipts, reports and the printer in French (issue 18).

F11 at 80×24 key by key: a tax rate created, a product refused for its barcode's check
digit (in French, under the field) then saved; checked on screen and in the database. A
French receipt and Z report as kept when made (TVA table, amounts written the French way)
and printed again byte for byte; their accents reach the printer in CP858. SVG snapshots
of the back office's screens in French at 80×24.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import screen_text, seed_store, settle, snapshot_keys
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from tillterm import printing, sales
from tillterm.catalog.settings import load_settings, update_settings
from tillterm.catalog.tax_rates import TaxRateRecord, describe_use
from tillterm.i18n import ngettext
from tillterm.printing import PrinterConfig
from tillterm.sales import drawer
from tillterm.sales.receipts import receipt_as_shown
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import Product, TaxRate
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.back_office import BackOfficeScreen
from tillterm.ui.screens.product_form import ProductForm
from tillterm.ui.screens.products import ProductsScreen
from tillterm.ui.screens.tax_rate_form import TaxRateForm
from tillterm.ui.screens.tax_rates import TaxRatesScreen

NBSP = "\u00a0"
REG = "till-1"
COFFEE = "3000000000017"  # Café moulu, 4.50 at 5.5 %
LEGAL = {
    "address_line1": "12 rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "country": "France",
    "phone": "01 23 45 67 89",
    "company_reg_no": "123 456 789 00012",
    "vat_number": "FR12345678901",
    "receipt_footer": "Merci et à bientôt",
}
#: ESC @ then ESC t 19: the printer set to CP858
INIT_CP858 = b"\x1b@\x1bt\x13"


def _row(left: str, right: str) -> str:
    """A line of the 40-column till roll: a label, and its amount flush right."""
    return left + right.rjust(40 - len(left))


async def _keys(pilot: Pilot[int], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def _entry(pilot: Pilot[int], key: str, screen: type[object]) -> None:
    """Open a hub entry by its number: a digit is held a moment (a scan starts alike)."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen), screen.__name__)
    await settle(pilot)


def _rows(app: TilltermApp, table_id: str) -> list[tuple[str, ...]]:
    table = app.screen.query_one(table_id, DataTable)
    return [
        tuple(str(cell).strip() for cell in table.get_row_at(n)) for n in range(table.row_count)
    ]


async def test_back_office_in_french_rate_and_product(engine: Engine, drive: Drive) -> None:
    async with drive() as (app, pilot):
        await settle(pilot)
        await _keys(pilot, "f11")
        assert isinstance(app.screen, BackOfficeScreen)
        assert "Gestion : paramétrage du magasin" in screen_text(app)
        hub = app.screen.query_one("#back-office-list")
        assert "Taux de TVA" in str(hub.render_line(1))

        # -- a tax rate typed the French way (5,5) ----------------------------------------
        await _entry(pilot, "2", TaxRatesScreen)
        assert "Gestion > Taux de TVA : aucun (Ctrl+N en ajoute un)" in screen_text(app)
        await _keys(pilot, "ctrl+n")
        assert isinstance(app.screen, TaxRateForm)
        assert "Nouveau taux de TVA" in screen_text(app)
        await _keys(pilot, *"Réduit", "tab", *"5,5", "ctrl+s")
        assert isinstance(app.screen, TaxRatesScreen)
        # a store's first rate is its default tax (its products are sold under it)
        assert _rows(app, "#tax-table") == [("Réduit", "5,5", "TVA par défaut", "défaut")]
        assert "Gestion > Taux de TVA (1)" in screen_text(app)
        with session_scope(engine) as s:
            rates = [(t.name, t.rate) for t in s.exec(select(TaxRate))]
        assert rates == [("Réduit", D("5.5"))]

        # -- a product refused for its barcode, in French, under the field -------------
        await _keys(pilot, "escape")
        assert isinstance(app.screen, BackOfficeScreen)
        await _entry(pilot, "3", ProductsScreen)
        assert "Produits : aucun (Ctrl+N : nouveau, Ctrl+O : importer)" in screen_text(app)
        await _keys(pilot, "ctrl+n")
        form = app.screen
        assert isinstance(form, ProductForm)
        form.query_one("#product-name", Input).value = "Café moulu"
        form.query_one("#product-barcode", Input).value = "3017620422004"
        form.query_one("#product-price", Input).value = "4,50"
        await _keys(pilot, "ctrl+s")
        assert app.screen is form, "refused: the form stays as typed"
        shown = screen_text(app)
        assert (
            "↑ EAN-13 non valide : la clé de contrôle devrait être 3, pas 4 "
            "(ressaisissez ou scannez)"
        ) in shown
        with session_scope(engine) as s:
            assert s.exec(select(Product)).all() == []
        form.query_one("#product-barcode", Input).value = "3017620422003"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProductsScreen), "the list")
        await settle(pilot)
        table = app.screen.query_one("#product-table")
        assert "4,50" in str(table.render_line(1))  # the price as French writes it
    with session_scope(engine) as s:
        saved = s.exec(select(Product)).one()
    assert (saved.name, saved.barcode, saved.price_cents, saved.active) == (
        "Café moulu",
        "3017620422003",
        450,
        True,
    )


# -- receipts and reports ----------------------------------------------------------------


@pytest.fixture
def store(engine: Engine) -> Store:
    built = build_store(engine)
    with session_scope(engine) as s:
        update_settings(s, **LEGAL)
    return built


def _sell_two_coffees(engine: Engine) -> sales.SaleView:
    with session_scope(engine) as s:
        sales.scan_code(s, REG, COFFEE)
        view = sales.scan_code(s, REG, COFFEE).view
        assert view is not None
        sales.add_payment(s, view.id, "cash", tendered=D(10))
        return sales.complete_sale(s, view.id)


def test_a_french_receipt_as_kept(engine: Engine, store: Store) -> None:
    done = _sell_two_coffees(engine)
    text = done.receipt_text or ""
    lines = text.splitlines()
    assert [line.strip() for line in lines[:8]] == [
        "Test shop",
        "12 rue des Lilas",
        "75011 Paris",
        "France",
        "Tél. 01 23 45 67 89",
        "SIRET 123 456 789 00012",
        "N° TVA FR12345678901",
        f"TICKET {done.receipt_no}",
    ]
    when = (done.completed_at or done.created_at).astimezone()
    assert lines[8] == _row(f"Caisse {REG}", when.strftime("%d/%m/%Y %H:%M"))
    assert _row("  2 x 4,50", "9,00") in lines
    assert _row("Sous-total", "9,00") in lines
    assert _row("TOTAL", f"9,00{NBSP}€") in lines
    assert _row("  dont TVA", "0,47") in lines
    assert _row("Rendu", "1,00") in lines
    assert "TVA             HT        TVA        TTC" in lines
    assert "5,5%          8,53       0,47       9,00" in lines
    assert lines[-1].strip() == "Merci et à bientôt"
    assert all(len(line) <= 40 for line in lines)
    # shown again and kept for a copy: the text as it was made, never rendered again
    with session_scope(engine) as s:
        update_settings(s, phone="09 99 99 99 99")
        settings = load_settings(s)
        kept = printing.kept_receipt(s, REG)
    assert receipt_as_shown(done, settings) == text
    assert kept.text == text


def test_a_french_receipt_prints_with_its_accents(engine: Engine, store: Store) -> None:
    text = _sell_two_coffees(engine).receipt_text or ""
    config = PrinterConfig(connection="file", device="/dev/null", code_page="CP858")
    paper = printing.receipt_bytes(text, config, kick=True)
    assert paper.startswith(INIT_CP858)
    # é, à, € and the no-break space are in CP858: printed as themselves, not folded
    assert "Tél. 01 23 45 67 89".encode("cp858") in paper
    assert "Merci et à bientôt".encode("cp858") in paper
    assert f"9,00{NBSP}€".encode("cp858") == b"9,00\xff\xd5"
    assert b"9,00\xff\xd5\n" in paper
    assert "N° TVA".encode("cp858") in paper
    assert b"?" not in paper.replace(b"\x1d", b"")  # nothing was lost
    copy = printing.receipt_bytes(printing.mark_copy(text), config, kick=False)
    assert copy.count(b"*** DUPLICATA ***") == 2
    assert text.encode("cp858") in copy.replace(b"*** DUPLICATA ***\n", b"")


def test_a_french_z_report(engine: Engine, store: Store) -> None:
    with session_scope(engine) as s:
        drawer.open_drawer(s, REG, 10000)
    done = _sell_two_coffees(engine)
    with session_scope(engine) as s:
        drawer.move_cash(s, REG, "in", 2000, "monnaie de la banque")
        x = drawer.drawer_state(s, REG).x
        z = drawer.take_z(s, REG, x.expected_cash_cents - 150, after=0)
    lines = z.text.splitlines()
    assert "RAPPORT Z Z0001" in [line.strip() for line in lines]
    assert _row("VENTES NETTES", "9,00") in lines
    assert _row("Ventes (1)", "9,00") in lines
    assert "Taux              HT       TVA       TTC" in lines
    assert "5,5 %           8,53      0,47      9,00" in lines
    assert _row("  Fond de caisse", "100,00") in lines
    assert _row("  Entrées d’espèces", "20,00") in lines
    assert _row("  ATTENDU EN CAISSE", "129,00") in lines
    assert _row("  Écart", "1,50 manquant") in lines
    assert _row("Premier ticket", done.receipt_no or "") in lines
    assert _row("Montants en", "EUR") in lines
    assert any(line.startswith("Clôturé") and "/" in line for line in lines)
    assert all(len(line) <= 40 for line in lines)
    with session_scope(engine) as s:
        update_settings(s, name="Renamed shop")
        again = drawer.z_report(s, REG, 1)
    assert again.text == z.text
    config = PrinterConfig(connection="file", device="/dev/null", code_page="CP858")
    paper = printing.receipt_bytes(z.text, config, kick=False)
    assert "Clôturé".encode("cp858") in paper and "Écart".encode("cp858") in paper


# -- snapshots ---------------------------------------------------------------------------

SnapCompare = Callable[..., bool]


def _snap(snap_compare: SnapCompare, tmp_path: Path, *keys: str) -> bool:
    engine = open_db(tmp_path / "snap.db")
    seed_store(engine)
    with session_scope(engine) as s:
        s.add(Product(sku="CAF-250", barcode="3017620422003", name="Café moulu", price_cents=450))
        s.add(Product(sku="STY-1", name="Stylo plume", price_cents=2490, active=False))
    app = TilltermApp(engine, register="till-1", scanner=False)
    try:
        return snap_compare(app, terminal_size=(80, 24), run_before=snapshot_keys(*keys))
    finally:
        engine.dispose()


def test_snapshot_back_office_menu(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11")


def test_snapshot_store_form(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "1")


def test_snapshot_tax_rates(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "2")


def test_snapshot_tax_rate_form(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "2", "e")


def test_snapshot_products_list(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "3")


def test_snapshot_product_form(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "3", "ctrl+n")


def test_snapshot_custom_fields(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "4")


def test_snapshot_custom_field_form(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "4", "ctrl+n")


def test_snapshot_product_form_refused(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """The French refusals fit under their fields (the longest: a barcode's check digit)."""
    typed = (*"Gomme", "tab", *"CAF-250", "tab", *"3017620422004", "tab", *"0,6O", "ctrl+s")
    assert _snap(snap_compare, tmp_path, "f11", "3", "ctrl+n", *typed)


def test_counts_take_the_french_plural() -> None:
    """French says one for 0 and 1, the plural from 2 (the catalogs' own rule)."""
    record = TaxRateRecord(1, "Normal", D(20), 0, 2, sold=True, retired=False, is_default=True)
    assert describe_use(record) == "2 groupes, TVA par défaut, vendu"
    one = TaxRateRecord(1, "Normal", D(20), 1, 0, sold=False, retired=False, is_default=False)
    assert describe_use(one) == "1 produit"
    said = [
        ngettext("Not saved: {count} thing to correct.", "Not saved: {count} things to correct.", n)
        for n in (0, 1, 2)
    ]
    assert said == [
        "Non enregistré : {count} point à corriger.",
        "Non enregistré : {count} point à corriger.",
        "Non enregistré : {count} points à corriger.",
    ]
