"""The back office's domain: store details, tax rates (never rewritten once sold),
custom fields (yes/no, retire, reorder), and what the pickers and the import offer."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import run_cli
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tillterm.catalog.settings import TaxInfo, list_tax_rates, load_settings
from tillterm.catalog.store_details import check_store, save_store
from tillterm.catalog.tax_rates import (
    PRODUCTS_SHOWN,
    RateKept,
    TaxRateRecord,
    create_rate,
    delete_rate,
    describe_use,
    list_rates,
    parse_rate,
    restore_rate,
    retire_rate,
    update_rate,
)
from tillterm.core.errors import ValidationFailed
from tillterm.customers.custom_fields import (
    clean_value,
    customer_values,
    define_field,
    list_fields,
    move_field,
    retire_field,
    set_customer_values,
)
from tillterm.customers.profiles import create_customer
from tillterm.services.back_office import BackOffice, Refused
from tillterm.services.customer_care import CustomerCare
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import Customer, Product, Sale, SaleLine, StoreSettings, TaxRate


def _sell_at(session: Session, rate: D, *, state: str = "completed") -> None:
    """A sale with one line taxed at ``rate`` %, as completing a sale leaves it."""
    sale = Sale(register_name="till", state=state, receipt_no=None)
    session.add(sale)
    session.flush()
    session.add(
        SaleLine(sale_id=sale.id or 0, description="Pen", unit_price_cents=100, tax_rate=rate)
    )
    session.flush()


def test_store_details_are_checked_all_at_once_and_saved(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        standard = create_rate(s, "Standard", "20")
        with pytest.raises(ValidationFailed) as caught:
            save_store(
                s,
                {
                    "name": "  ",
                    "currency": "EUE",
                    "loyalty_points_per_unit": "-1",
                    "loyalty_point_value_cents": "1.5",
                    "vat_number": "FR\x1b12",
                    "default_tax_rate_id": 999,
                },
            )
        assert set(caught.value.errors) == {
            "name",
            "currency",
            "loyalty_points_per_unit",
            "loyalty_point_value_cents",
            "vat_number",
            "default_tax_rate_id",
        }
        assert "ISO 4217" in caught.value.errors["currency"]
        assert load_settings(s).name == "My store"  # nothing written
        info = save_store(
            s,
            {
                "name": " Épicerie  du Port ",
                "currency": "gbp",
                "vat_number": "GB123456789",
                "city": "Brest",
                "default_tax_rate_id": standard.id,
                "prices_include_tax": False,
                "loyalty_points_per_unit": "1,5",
                "loyalty_point_value_cents": "2",
            },
        )
    assert (info.name, info.currency, info.vat_number, info.city) == (
        "Épicerie du Port",
        "GBP",
        "GB123456789",
        "Brest",
    )
    assert info.default_tax is not None and info.default_tax.rate == D(20)
    assert not info.prices_include_tax
    assert (info.loyalty_points_per_unit, info.loyalty_point_value_cents) == (D("1.5"), 2)
    with session_scope(any_engine) as s:
        assert load_settings(s) == info
        with pytest.raises(TypeError):
            check_store(s, {"colour": "red"})


def test_rates_are_parsed_as_decimals_between_0_and_100() -> None:
    assert parse_rate("5,5") == D("5.5")
    assert parse_rate("7.125 %") == D("7.125")
    assert parse_rate("0") == D(0)
    for typed, said in [
        ("", "0 for no tax"),
        ("101", "between 0 and 100"),
        ("-1", "between 0 and 100"),
        ("1.2345", "3 decimals"),
        ("1e2", "not a percentage"),
    ]:
        with pytest.raises(ValueError, match=said):
            parse_rate(typed)


def test_a_sold_rate_is_never_rewritten_and_is_retired_instead(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        standard = create_rate(s, "Standard", "20")
        typo = create_rate(s, "Reducd", "5")
        with pytest.raises(ValidationFailed) as caught:
            create_rate(s, "standard", "101")
        assert set(caught.value.errors) == {"name", "rate"}
        # unused: edited freely (name and rate)
        fixed = update_rate(s, typo.id, "Reduced", "5.5")
        assert (fixed.name, fixed.rate, fixed.in_use) == ("Reduced", D("5.5"), False)
        _sell_at(s, D(20))
        _sell_at(s, D("5.5"), state="open")  # an open sale is not history yet
        s.add(Product(name="Pen", price_cents=100, tax_rate_id=standard.id))
        s.flush()
        listed = {r.name: r for r in list_rates(s)}
        assert listed["Standard"].sold and listed["Standard"].products == 1
        assert not listed["Reduced"].sold
        # sold: the percentage is refused, with what to do instead; a rename is fine
        with pytest.raises(ValidationFailed) as caught:
            update_rate(s, standard.id, "Standard", "21")
        assert "create a new rate and retire this one" in caught.value.errors["rate"]
        assert update_rate(s, standard.id, "Standard rate", "20").name == "Standard rate"
        assert s.get(TaxRate, standard.id).rate == D(20)  # type: ignore[union-attr]
        with pytest.raises(RateKept, match="charged on past sales"):
            delete_rate(s, standard.id)
        # the first rate became the store's default: another one is, first
        save_store(s, {"default_tax_rate_id": fixed.id})
        retired = retire_rate(s, standard.id)
        assert retired.retired and retired.products == 1
        assert s.get(TaxRate, standard.id) is not None  # kept: the pen still points at it
        # pickers no longer offer it, unless it is the record's own rate
        assert [t.name for t in list_tax_rates(s)] == ["Reduced"]
        kept = list_tax_rates(s, keep=standard.id)
        assert [t.name for t in kept] == ["Reduced", "Standard rate (retired)"]
        assert restore_rate(s, standard.id).retired is False
        # unused: deleted
        save_store(s, {"default_tax_rate_id": standard.id})
        delete_rate(s, fixed.id)
        assert s.get(TaxRate, fixed.id) is None


def test_the_default_tax_cannot_be_retired_nor_a_retired_rate_chosen(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        standard = create_rate(s, "Standard", "20")
        old = create_rate(s, "Old", "19.6")
        save_store(s, {"default_tax_rate_id": standard.id})
        with pytest.raises(RateKept, match="default tax"):
            retire_rate(s, standard.id)
        with pytest.raises(RateKept, match="in use"):
            delete_rate(s, standard.id)
        create_customer(s, {"first_name": "Ana", "tax_rate_id": old.id})
        with pytest.raises(RateKept, match="the tax of 1 customer"):
            delete_rate(s, old.id)
        retire_rate(s, old.id)
        with pytest.raises(ValidationFailed) as caught:
            save_store(s, {"default_tax_rate_id": old.id})
        assert "retired" in caught.value.errors["default_tax_rate_id"]
        assert s.get(StoreSettings, 1).default_tax_rate_id == standard.id  # type: ignore[union-attr]


def test_a_store_without_a_default_tax_takes_its_first_rate(any_engine: Engine) -> None:
    """A new store's owner enters a rate, then products, and sells: the products
    without a rate of their own are sold under the store's default. Nobody had chosen
    one, and they were sold at 0 %. The first rate is the default; the next ones are
    not, and a store whose default was deleted takes the next rate made."""
    with session_scope(any_engine) as s:
        assert s.get(StoreSettings, 1).default_tax_rate_id is None  # type: ignore[union-attr]
        standard = create_rate(s, "Standard", "20")
        assert standard.is_default
        reduced = create_rate(s, "Reduced", "5.5")
        assert not reduced.is_default
        assert s.get(StoreSettings, 1).default_tax_rate_id == standard.id  # type: ignore[union-attr]
        assert load_settings(s).default_tax == TaxInfo(standard.id, "Standard", D("20"))
        save_store(s, {"default_tax_rate_id": None})
        delete_rate(s, standard.id)
        assert create_rate(s, "Standard 2027", "21").is_default


def test_yes_no_fields_retire_and_reorder(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        vegan = define_field(s, "Vegan", "bool")
        size = define_field(s, "Shoe size", "number")
        shop = define_field(s, "Shop", "choice", "Centre\nGare")
        assert vegan.offered == ("yes", "no") and size.offered == ()
        assert clean_value(vegan, " Yes ") == "yes"
        assert clean_value(vegan, "0") == "no"
        assert clean_value(vegan, "") == ""
        with pytest.raises(ValueError, match="not yes or no"):
            clean_value(vegan, "maybe")
        customer = create_customer(s, {"first_name": "Ana"})
        set_customer_values(s, customer.id, {"Vegan": "oui", "Shoe size": "38"})
        order = [f.name for f in move_field(s, shop.id, -1)]
        assert order == ["Vegan", "Shop", "Shoe size"]
        assert [f.name for f in move_field(s, vegan.id, -1)] == order  # already first
        assert retire_field(s, vegan.id).retired
        with pytest.raises(ValidationFailed, match=r"restore it with R"):
            define_field(s, "vegan", "text")
        assert [f.name for f in list_fields(s)] == ["Shop", "Shoe size"]
        assert list_fields(s, retired_too=True)[0].name == "Vegan"
        # the value stays (profile, export); the form no longer asks for it
        assert customer_values(s, customer.id) == {"Vegan": "yes", "Shoe size": "38"}
        with pytest.raises(ValidationFailed):
            set_customer_values(s, customer.id, {"Vegan": "no"})
        assert not retire_field(s, vegan.id, retired=False).retired


def test_services_answer_refusals_per_field_and_pickers_skip_retired(engine: Engine) -> None:
    office = BackOffice(lambda: engine)
    refused = office.save_tax_rate(None, "", "abc")
    assert isinstance(refused, Refused) and set(refused.errors) == {"name", "rate"}
    standard = office.save_tax_rate(None, "Standard", "20")
    old = office.save_tax_rate(None, "Old", "19.6")
    assert not isinstance(standard, Refused) and not isinstance(old, Refused)
    info = office.make_default_tax(standard.id)
    assert not isinstance(info, Refused) and info.default_tax is not None
    office.retire_tax_rate(old.id)
    form = office.store_form()
    assert form.taxes == (("Standard", standard.id),)
    assert form.values["default_tax_rate_id"] == standard.id
    care = CustomerCare(lambda: engine)
    assert care.tax_choices() == (("Standard", standard.id),)
    assert care.tax_choices(old.id) == (("Old (retired)", old.id), ("Standard", standard.id))
    field = office.save_custom_field(None, "Vegan", "bool", "")
    assert not isinstance(field, Refused)
    assert [c.choices for c in care.choices(custom_fields_too=True).custom_fields] == [
        ("yes", "no")
    ]
    office.retire_custom_field(field.id)
    assert care.choices(custom_fields_too=True).custom_fields == ()
    assert [f.retired for f in office.custom_fields()] == [True]


def test_the_import_reads_yes_no_fields_skips_retired_ones_and_says_where_rates_are_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    engine = open_db(db)
    try:
        with session_scope(engine) as s:
            define_field(s, "Vegan", "bool")
            retire_field(s, define_field(s, "Old field", "text").id)
    finally:
        engine.dispose()
    sheet = tmp_path / "customers.csv"
    sheet.write_text(
        "First name,Email,Vegan,Old field,Sales tax\n"
        "Ana,ana@example.com,oui,kept,\n"
        "Ben,ben@example.com,maybe,x,Nope\n",
        encoding="utf-8",
    )
    assert run_cli(["import", "--db", str(db), str(sheet)]) == 1
    out = capsys.readouterr().out
    assert "“Old field” → not imported" in out
    assert "Vegan: error: “maybe” is not yes or no" in out
    assert "create it first in Back office (F11) > Tax rates" in out
    sheet.write_text(
        "First name,Email,Vegan,Old field\nAna,ana@example.com,oui,kept\n", encoding="utf-8"
    )
    assert run_cli(["import", "--db", str(db), str(sheet)]) == 0
    engine = open_db(db)
    try:
        with session_scope(engine) as s:
            (customer_id,) = s.exec(select(Customer.id)).all()
            assert customer_values(s, customer_id or 0) == {"Vegan": "yes"}
    finally:
        engine.dispose()


def test_what_a_rate_is_used_by_is_said_in_words() -> None:
    def used(products: int, groups: int = 0, *, sold: bool = False) -> str:
        record = TaxRateRecord(1, "Standard", D(20), products, groups, sold, False, False)
        return describe_use(record)

    assert used(0) == "unused"
    assert used(1, 2, sold=True) == "1 product, 2 groups, sold"
    assert used(PRODUCTS_SHOWN + 1) == "1,000+ products"
