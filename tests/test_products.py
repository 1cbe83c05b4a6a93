"""Products (issue 17): folded search, the product checks and save, import/export (CLI
and domain) on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from conftest import run_cli
from sales_store import build_store
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from tillterm.catalog.products import (
    ProductDraft,
    check_barcode,
    find_product,
    parse_price,
    save_product,
    search_products,
)
from tillterm.core.errors import ValidationFailed
from tillterm.services.context import Services
from tillterm.services.products import ProductInvalid, ProductSaved
from tillterm.spreadsheet.import_report import ImportBlocked
from tillterm.store import product_index
from tillterm.store.engine import build_engine, open_db, session_scope, upgrade
from tillterm.store.migrations import MIGRATIONS_DIR
from tillterm.store.models import Product, TaxRate

FIXTURES = Path(__file__).parent / "fixtures" / "products"


def names(found: list) -> list[str]:  # type: ignore[type-arg]
    return [p.name for p in found]


def add(engine: Engine, **values: object) -> int:
    with session_scope(engine) as s:
        row = Product(**values)  # type: ignore[arg-type]
        s.add(row)
        s.flush()
        return int(row.id or 0)


def products(engine: Engine) -> dict[str, Product]:
    with session_scope(engine) as s:
        return {p.name: p for p in s.exec(select(Product)).all()}


# -- search ---------------------------------------------------------------------------


def test_search_ignores_accents_and_case_on_both_engines(any_engine: Engine) -> None:
    add(any_engine, name="Café crème", sku="CAF-CR", barcode="3017620422003", price_cents=280)
    add(any_engine, name="CAFE NOIR", sku="cro-250", price_cents=150)
    add(any_engine, name="Thé vert", price_cents=620)
    add(any_engine, name="Cafetière ancienne", price_cents=3000, active=False)
    with session_scope(any_engine) as s:
        assert names(search_products(s, "cafe")) == ["Café crème", "CAFE NOIR"]
        assert names(search_products(s, "CAFÉ")) == ["Café crème", "CAFE NOIR"]
        assert names(search_products(s, "creme")) == ["Café crème"]  # any word of the name
        assert names(search_products(s, "THE")) == ["Thé vert"]
        assert names(search_products(s, "cro 250")) == ["CAFE NOIR"]  # the SKU's words
        assert names(search_products(s, "3017")) == ["Café crème"]  # barcode prefix
        assert names(search_products(s, "caf noir")) == ["CAFE NOIR"]
        assert search_products(s, "zzz") == []
        # the back office sees inactive products too; the till does not
        assert "Cafetière ancienne" in names(search_products(s, "cafe", active_only=False))
        # a rename is searchable at once (trigger / generated column)
        row = s.exec(select(Product).where(Product.name == "Thé vert")).one()
        row.name = "Tisane"
        s.add(row)
        s.flush()
        assert names(search_products(s, "tisane")) == ["Tisane"]
        assert search_products(s, "vert") == []


def test_names_starting_with_the_text_come_first(engine: Engine) -> None:
    add(engine, name="Pain au chocolat", price_cents=110)
    add(engine, name="Chocolat noir", price_cents=250)
    with session_scope(engine) as s:
        assert names(search_products(s, "choc")) == ["Chocolat noir", "Pain au chocolat"]


def test_register_finds_a_typed_name_with_accents_ignored(engine: Engine) -> None:
    """What the cashier types at the till goes through the same folded search."""
    from tillterm.sales.basket import enter_text

    build_store(engine)
    with session_scope(engine) as s:
        outcome = enter_text(s, "till-1", "cafe moul")
    assert outcome.kind == "product"
    assert outcome.message == "Added Café moulu."


# -- checks and save ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("3017620422003", None),  # EAN-13
        ("96385074", None),  # EAN-8
        ("036000291452", None),  # UPC-A
        ("3017620422004", "not a valid EAN-13: its check digit should be 3, not 4"),
        ("96385075", "not a valid EAN-8: its check digit should be 4, not 5"),
        ("036000291453", "not a valid UPC-A: its check digit should be 2, not 3"),
        ("INT-0042", None),  # an internal code
        ("12345678901234", None),  # 14 digits: not checked, an internal code
        ("ab cd", "letters, digits, . _ / - only, no spaces (an internal code)"),
    ],
)
def test_barcode_check_digits(code: str, problem: str | None) -> None:
    found = check_barcode(code)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_prices_are_typed_with_a_point_or_a_comma() -> None:
    assert parse_price("12.50") == 1250
    assert parse_price("12,50") == 1250
    assert parse_price("€ 3") == 300
    for bad, why in (
        ("-1", "negative"),
        ("1.234", "more than two decimals"),
        ("abc", "not an amount"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_price(bad)


def test_save_refuses_every_wrong_field_at_once(engine: Engine) -> None:
    store = build_store(engine)
    with session_scope(engine) as s:
        retired = s.get(TaxRate, store.exempt)
        assert retired is not None
        retired.retired_at = dt.datetime.now(dt.UTC)
        s.add(retired)
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as caught:
        save_product(
            s,
            ProductDraft(
                name=" ",
                sku="PEN-1",
                barcode="3000000000018",
                price="12,555",
                tax_rate_id=store.exempt,
            ),
        )
    errors = caught.value.errors
    assert errors["name"] == "a product needs a name"
    assert errors["sku"] == "“PEN-1” is already the SKU of “Stylo plume”"
    assert errors["barcode"].startswith("not a valid EAN-13: its check digit should be 4, not 8")
    assert "more than two decimals" in errors["price"]
    assert errors["tax_rate"] == "“Tax exempt” is retired; choose another rate"
    care = Services(lambda: engine).products
    outcome = care.save(ProductDraft("Stylo bille", "PEN-2", "3000000000024", "1.50"))
    assert isinstance(outcome, ProductInvalid)
    assert outcome.errors == {"barcode": "3000000000024 is already the barcode of “Stylo plume”"}
    saved = care.save(ProductDraft("Stylo bille", "PEN-2", "96385074", "1,50", store.reduced))
    assert isinstance(saved, ProductSaved) and saved.created
    with session_scope(engine) as s:
        found = find_product(s, "96385074")
    assert (
        found is not None
        and found.name == "Stylo bille"
        and found.price == parse_price("1.5") / 100
    )
    # editing keeps its own barcode without calling it taken
    again = care.save(
        ProductDraft("Stylo bille bleu", "PEN-2", "96385074", "1.60"), saved.product.id
    )
    assert isinstance(again, ProductSaved) and again.product.name == "Stylo bille bleu"


# -- migration ------------------------------------------------------------------------


def test_migration_indexes_existing_products_and_matches_the_store_module(db_path: Path) -> None:
    engine = build_engine(db_path)
    upgrade(engine, "0008_store_details")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO product (sku, barcode, name, price_cents, active) "
                "VALUES ('OLD-1', '3017620422003', 'Crème brûlée', 390, 1)"
            )
        )
    engine.dispose()
    engine = open_db(db_path)
    try:
        with session_scope(engine) as s:
            assert names(search_products(s, "creme brul")) == ["Crème brûlée"]
    finally:
        engine.dispose()
    path = MIGRATIONS_DIR / "versions" / "0015_products.py"
    spec = importlib.util.spec_from_file_location("m0009", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.SQLITE_TABLE == product_index.SQLITE_TABLE
    assert list(product_index.SQLITE_TRIGGERS.values()) == migration.SQLITE_TRIGGERS
    assert migration.SQLITE_SETTING == product_index.SQLITE_SETTING
    assert migration.PG_COLUMN == product_index.PG_COLUMN
    assert migration.PG_INDEX == product_index.PG_INDEX


# -- import and export ----------------------------------------------------------------


def test_shopify_export_imports_with_variants_named(any_engine: Engine) -> None:
    build_store(any_engine)
    care = Services(lambda: any_engine).products
    checked = care.check_import(FIXTURES / "shopify_products.csv")
    report = checked.report
    assert report.detected.endswith("· Shopify products export")
    assert (report.new, report.updated, report.errors, report.warnings) == (4, 0, 0, 0)
    result = care.apply_import(checked)
    assert (result.created, result.updated) == (4, 0)
    rows = products(any_engine)
    assert rows["Café crème"].price_cents == 280
    assert rows["Café crème"].barcode == "3017620422003"
    assert rows["Tee-shirt coton – Red / L"].sku == "TEE-R-L"
    # the variant row names only its options: the handle's first row names it
    assert rows["Tee-shirt coton – Blue / M"].barcode == "12345670"
    assert rows["Mug émaillé"].price_cents == 950 and rows["Mug émaillé"].active is False
    with session_scope(any_engine) as s:
        assert names(search_products(s, "tee blue")) == ["Tee-shirt coton – Blue / M"]


def test_square_and_lightspeed_exports_import(engine: Engine) -> None:
    build_store(engine)
    care = Services(lambda: engine).products
    square = care.check_import(FIXTURES / "square_item_library.csv")
    assert square.report.detected.endswith("· Square item library export")
    assert square.report.errors == 0, square.report.problems
    care.apply_import(square)
    light = care.check_import(FIXTURES / "lightspeed_products.csv")
    assert light.report.detected.endswith("· Lightspeed X-Series products export")
    assert light.report.errors == 0, light.report.problems
    care.apply_import(light)
    rows = products(engine)
    assert rows["Croissant au beurre"].barcode == "4006381333931"  # "Regular" adds nothing
    assert rows["Candle – Small"].price_cents == 1200
    assert rows["Candle – Large"].active is False  # Archived = Y
    store_rates = {"Reduced 5.5 %", "Standard 20 %"}
    with session_scope(engine) as s:
        rates = {t.id: t.name for t in s.exec(select(TaxRate)).all()}
    assert rates[rows["Thé noir Assam"].tax_rate_id] in store_rates  # type: ignore[index]
    assert rates[rows["Sac cabas – Green"].tax_rate_id] == "Standard 20 %"  # type: ignore[index]
    assert rows["Sac cabas – Green"].active is False and rows["Thé noir Assam"].price_cents == 540


def write(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def test_rows_update_by_sku_then_barcode_else_create(any_engine: Engine, tmp_path: Path) -> None:
    engine = any_engine
    store = build_store(engine)
    path = write(
        tmp_path / "prix.csv",
        [
            ["Nom", "Référence", "EAN", "Prix", "TVA"],
            ["Café moulu 250 g", "COF-1", "", "4,80", "Reduced 5.5 %"],  # by SKU, barcode kept
            ["Stylo plume", "", "3000000000024", "25.90", ""],  # by barcode
            ["Gomme", "GOM-1", "96385074", "0.60", "20 %"],  # new, rate by its value
        ],
        delimiter=";",
        encoding="cp1252",
    )
    care = Services(lambda: engine).products
    checked = care.check_import(path)
    assert "Windows-1252" in checked.report.detected and "semicolon" in checked.report.detected
    assert (checked.report.new, checked.report.updated, checked.report.errors) == (1, 2, 0)
    care.apply_import(checked)
    with session_scope(engine) as s:
        coffee = s.get(Product, store.coffee)
        pen = s.get(Product, store.pen)
        assert coffee is not None and pen is not None
        assert (coffee.name, coffee.price_cents) == ("Café moulu 250 g", 480)
        assert coffee.barcode == "3000000000017"  # a blank code cell keeps the code
        assert (pen.price_cents, pen.tax_rate_id, pen.sku) == (2590, None, "PEN-1")
        gomme = s.exec(select(Product).where(Product.sku == "GOM-1")).one()
        assert gomme.tax_rate_id == store.standard
        # the index followed the bulk update and insert
        assert names(search_products(s, "cafe 250")) == ["Café moulu 250 g"]
        assert names(search_products(s, "gomme")) == ["Gomme"]
        assert names(search_products(s, "stylo")) == ["Stylo plume"]  # repriced only


def test_errors_block_everything_and_the_cli_writes_the_annotated_copy(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    build_store(engine)
    path = write(
        tmp_path / "bad.csv",
        [
            ["name", "sku", "barcode", "price", "tax_rate", "active"],
            ["Bon produit", "OK-1", "", "1.00", "", "yes"],
            ["Mauvais code", "KO-1", "3017620422004", "1.00", "", "yes"],
            ["", "KO-2", "", "abc", "Luxe 33 %", "peut-être"],
            ["Doublon", "OK-1", "", "0", "", ""],
        ],
    )
    before = products(engine)
    out = tmp_path / "bad-annotated.csv"
    status = run_cli(
        ["products", "import", "--db", str(db_path), str(path), "--annotated", str(out)]
    )
    printed = capsys.readouterr()
    assert status == 1
    assert "row 3, barcode: error: not a valid EAN-13: its check digit should be 3" in printed.out
    assert "row 4, name: error: a product needs a name" in printed.out
    assert "row 4, tax_rate: error: no tax rate “Luxe 33 %”: create it first" in printed.out
    assert "row 4, active: error: “peut-être” is not yes or no" in printed.out
    assert "row 5, sku: error: SKU OK-1 is also on row 2" in printed.out
    assert "Blocked by errors: nothing was imported." in printed.err
    assert products(engine).keys() == before.keys()
    annotated = out.read_text(encoding="utf-8").splitlines()
    assert annotated[0].endswith(",import_problems")
    assert "ERROR barcode: not a valid EAN-13" in annotated[2]
    assert annotated[1].endswith(',""')  # the good row has nothing to fix
    with pytest.raises(ImportBlocked):
        care = Services(lambda: engine).products
        care.apply_import(care.check_import(path))


def test_export_then_import_round_trips_xlsx_and_csv(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    build_store(engine)
    add(engine, name="=SUM(A1)", sku="EVIL", price_cents=100)
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"products.{suffix}"
        assert run_cli(["products", "export", "--db", str(db_path), str(out)]) == 0
        assert "Exported 3 products" in capsys.readouterr().out
        assert run_cli(["products", "export", "--db", str(db_path), str(out)]) == 2
        assert "already exists" in capsys.readouterr().err
        care = Services(lambda: engine).products
        checked = care.check_import(out)
        # the file names every product as it is: nothing to write
        report = checked.report
        assert (report.new, report.updated, report.unchanged, report.errors) == (0, 0, 3, 0)
        assert run_cli(["products", "import", "--db", str(db_path), str(out)]) == 0
        assert "0 new products, 0 updated, 3 unchanged" in capsys.readouterr().out
    text_out = (tmp_path / "products.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text_out[0] == "name,sku,barcode,price,tax_rate,active"
    assert any(line.startswith("'=SUM(A1),EVIL,") for line in text_out)  # made inert
    assert "=SUM(A1)" in products(engine)  # the quote comes off again on import


def test_a_file_changed_since_the_check_is_refused(engine: Engine, tmp_path: Path) -> None:
    build_store(engine)
    path = write(tmp_path / "p.csv", [["name", "price"], ["Gomme", "0.60"]])
    care = Services(lambda: engine).products
    checked = care.check_import(path)
    add(engine, name="Autre", sku="GOM-9", price_cents=1)  # another register adds one
    with pytest.raises(Exception, match="changed since"):
        care.apply_import(checked)
    assert "Gomme" not in products(engine)


def test_a_common_prefix_pages_the_first_products(any_engine: Engine) -> None:
    """More matches than are ranked: the page comes from the first products by id (on
    PostgreSQL read in id order, not through the word index), names starting with the
    text first."""
    with session_scope(any_engine) as s:
        for n in range(260):
            name = f"Café n°{n:03d}" if n % 2 else f"Thé au café {n:03d}"
            s.add(Product(name=name, sku=f"C-{n:03d}", price_cents=100 + n))
    with session_scope(any_engine) as s:
        found = names(search_products(s, "caf", limit=5))
        assert found == ["Café n°001", "Café n°003", "Café n°005", "Café n°007", "Café n°009"]
        assert names(search_products(s, "the caf 258")) == ["Thé au café 258"]
