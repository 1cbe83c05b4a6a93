"""International phones (issue 18): read in the store's region with ``phonenumbers``,
stored as typed and as national + E.164 digits, found however they are typed, impossible
ones refused by the form and warned about by the import — checked in the domain on both
engines, on the form at 80×24, and through a real import."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import Drive
from screens_data import Store, screen_text, seed_store, settle
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from textual.widgets import Input

from tillterm.core.errors import ValidationFailed
from tillterm.customers.phones import (
    display_phone,
    phone_digits,
    phone_forms,
    phone_problem,
    region_for_country,
)
from tillterm.customers.profiles import create_customer, search_customers, update_customer
from tillterm.customers.validation import validate_customer
from tillterm.demo.seeding import _digits, _phone
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.spreadsheet.phones import phone_digits_series, phone_problems, plus_number
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, StoreSettings, table_of
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.widgets.form_row import FormRow


def _set_country(engine: Engine, country: str) -> None:
    table = table_of(StoreSettings)
    with session_scope(engine) as s:
        if s.execute(select(table.c.id)).first() is None:
            s.add(StoreSettings(id=1, country=country))
        else:
            s.execute(update(table).where(table.c.id == 1).values(country=country))


def _digits_of(engine: Engine, name: str) -> str:
    with session_scope(engine) as s:
        return str(
            s.execute(select(Customer.phone_digits).where(Customer.first_name == name)).scalar()
        )


def test_the_store_country_gives_the_region() -> None:
    assert region_for_country("France") == "FR"
    assert region_for_country("  belgique ") == "BE"
    assert region_for_country("Österreich") == "AT"
    assert region_for_country("United Kingdom") == "GB"
    assert region_for_country("ca") == "CA"
    assert region_for_country("") == "FR"
    assert region_for_country("Atlantis") == "FR"


def test_forms_and_formats() -> None:
    forms = phone_forms("+33 6 98 76 54 32", "FR")
    assert forms.main == ("33698765432", "0698765432", "33698765432")
    assert forms.extra == ("698765432",)
    assert phone_forms("06.98.76.54.32", "FR").main == ("0698765432", "0698765432", "33698765432")
    # national in the store's region, international elsewhere, as typed when unreadable
    assert display_phone("+33698765432", "FR") == "06 98 76 54 32"
    assert display_phone("+33698765432", "GB") == "+33 6 98 76 54 32"
    assert display_phone("0698765432", "GB") == "0698765432", "read as a British number"
    assert display_phone("+44 7911 123456", "FR") == "+44 7911 123456"
    assert display_phone("07911123456", "GB") == "07911 123456"
    assert display_phone("06 98 76 54 3", "FR") == "06 98 76 54 3"
    assert phone_digits(["+33 6 98 76 54 32", "", "06 98 76 54 32"], "FR") == (
        "33698765432 0698765432 698765432"
    )


def test_impossible_numbers_say_why() -> None:
    assert phone_problem("06 98 76 54 3", "FR") == (
        "“06 98 76 54 3” is too short for a French number"
    )
    assert phone_problem("06 98 76 54 32 1", "FR") == (
        "“06 98 76 54 32 1” is too long for a French number"
    )
    assert phone_problem("+44 7911 12", "FR") == "“+44 7911 12” is too short for a British number"
    assert "calling code" in (phone_problem("+999 1234 5678", "FR") or "")
    for fine in ("06 98 76 54 32", "+33 6 98 76 54 32", "+44 7911 123456", "0033698765432"):
        assert phone_problem(fine, "FR") is None, fine
    assert phone_problem("0470 12 34 56", "BE") is None
    assert phone_problem("0470 12 34 56 7", "BE") is not None


@pytest.mark.parametrize("typed", ["06 98 76 54 32", "0698765432", "+33698765432", "698765"])
def test_every_way_of_typing_finds_an_international_phone(any_engine: Engine, typed: str) -> None:
    with session_scope(any_engine) as s:
        create_customer(s, {"first_name": "Léa", "phone": "+33 6 98 76 54 32"})
        create_customer(s, {"first_name": "Marie", "phone_mobile": "06 12 34 56 78"})
        create_customer(s, {"first_name": "Paul", "phone_work": "06 98 70 00 00"})
    with session_scope(any_engine) as s:
        found = [c.display_name for c in search_customers(s, typed)]
    assert found == ["Léa"]


def test_a_national_number_is_found_by_its_international_form(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        create_customer(s, {"first_name": "Marie", "phone_mobile": "06 12 34 56 78"})
    with session_scope(any_engine) as s:
        assert [c.display_name for c in search_customers(s, "+33 6 12 34")] == ["Marie"]
        assert [c.display_name for c in search_customers(s, "0033612345678")] == []


def test_the_form_refuses_an_impossible_number_and_writes_nothing(engine: Engine) -> None:
    with session_scope(engine) as s:
        errors = validate_customer(s, {"first_name": "Ann", "phone_mobile": "06 98 76 54 3"})
        assert errors == {"phone_mobile": "“06 98 76 54 3” is too short for a French number"}
        with pytest.raises(ValidationFailed, match="too short for a French number"):
            create_customer(s, {"first_name": "Ann", "phone_mobile": "06 98 76 54 3"})
    with session_scope(engine) as s:
        assert search_customers(s, "Ann") == []


def test_the_store_country_decides_how_a_number_is_read(engine: Engine) -> None:
    _set_country(engine, "Belgique")
    with session_scope(engine) as s:
        create_customer(s, {"first_name": "Jan", "phone": "0470 12 34 56"})
        with pytest.raises(ValidationFailed, match="too long for a Belgian number"):
            create_customer(s, {"first_name": "Ann", "phone": "0470 12 34 56 78"})
    assert _digits_of(engine, "Jan") == "0470123456 32470123456 470123456"


def test_a_kept_number_does_not_block_other_changes(engine: Engine, tmp_path: Path) -> None:
    """An import may keep a number the form refuses (a warning): editing the customer's
    email with the form, which sends the phone back unchanged, still saves."""
    path = tmp_path / "c.csv"
    path.write_text("first_name,phone\nAnn,06 98 76 54 3\n")
    apply_import(engine, check_import(engine, path), allow_warnings=True)
    with session_scope(engine) as s:
        [ann] = search_customers(s, "Ann")
        record = update_customer(s, ann.id, {"phone": "06 98 76 54 3", "email": "ann@ex.fr"})
        assert record.email == "ann@ex.fr"
        with pytest.raises(ValidationFailed, match="too short"):
            update_customer(s, ann.id, {"phone": "06 98 76 54 2"})


def test_import_warns_on_impossible_numbers_and_normalises_all(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "phones.csv"
    path.write_text(
        "first_name,phone,mobile\n"
        "Léa,+33 6 98 76 54 32,\n"
        "Ann,06 98 76 54 3,0033 6 11 22 33 44\n"
        "Tom,+44 7911 123456,(514) 200-1234\n"
    )
    report = check_import(any_engine, path)
    assert report.errors == 0 and report.warnings == 2
    warned = sorted((p.row, p.column, p.message) for p in report.problems)
    assert warned == [
        (3, "phone", "“06 98 76 54 3” is too short for a French number: kept as written"),
        (4, "mobile", "“(514) 200-1234” is too long for a French number: kept as written"),
    ]
    apply_import(any_engine, report, allow_warnings=True)
    typed = {
        "Léa": ["+33 6 98 76 54 32"],
        "Ann": ["06 98 76 54 3", "0033 6 11 22 33 44"],
        "Tom": ["+44 7911 123456", "(514) 200-1234"],
    }
    for name, phones in typed.items():
        assert _digits_of(any_engine, name) == phone_digits(phones, "FR"), name
    with session_scope(any_engine) as s:
        for query in ("06 98 76 54 32", "0698765432", "+33698765432", "698765"):
            assert [c.display_name for c in search_customers(s, query)] == ["Léa"], query
        # kept as typed (and as the library reads it): still found by what was typed
        assert [c.display_name for c in search_customers(s, "33069876")] == ["Ann"]
        assert [c.display_name for c in search_customers(s, "+44 7911")] == ["Tom"]


@pytest.mark.parametrize("region", ["FR", "GB", "BE", "US"])
def test_the_import_reads_numbers_as_the_form_does(region: str) -> None:
    """The import's polars reading of the store's own numbers gives exactly the forms the
    library gives, for every shape a file holds."""
    rng = random.Random(18)
    shapes = [
        lambda d: "0" + d,
        lambda d: "+{cc} " + d,
        lambda d: "00{cc}" + d,
        lambda d: "+{cc} (0)" + d,
        lambda d: d,
        lambda d: "0" + d[:-1],
        lambda d: "0" + d + "9",
        lambda d: "+44 7911 " + d[:6],
        lambda d: "(514) " + d[:7],
    ]
    cc = {"FR": "33", "GB": "44", "BE": "32", "US": "1"}[region]
    cells = []
    for _ in range(300):
        nsn = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        cells.append(rng.choice(shapes)(nsn).replace("{cc}", cc))
    cells += ["", "06 98 76 54 32", "+33 6 98 76 54 32", "07911 123456", "0470 12 34 56"]
    frame = pl.DataFrame({"phone": cells, "phone_mobile": list(reversed(cells))})
    got = phone_digits_series(frame, ["phone", "phone_mobile", "phone_home"], region)
    expected = [phone_digits([a, b], region) for a, b in zip(cells, reversed(cells), strict=True)]
    assert got.to_list() == expected


def test_numbers_written_with_a_calling_code_read_as_the_library_reads_them() -> None:
    """The import's reading of "+code number" cells without the library's parse gives
    the library's forms and warnings, for every calling code, of possible lengths and
    not, with national prefixes and Italian zeros after the code."""
    import phonenumbers

    rng = random.Random(15)
    separators = [" ", "", "-", ".", " (", ") ", "/", "  "]
    cells = ["+1 (819) 953-2444", "+44 7961 947283", "+39 06 1234 5678", "+1 1 212 555 0100"]
    for _ in range(6000):
        cc = rng.choice(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE))
        meta = phonenumbers.PhoneMetadata.metadata_for_region(
            phonenumbers.region_code_for_country_code(cc)
        )
        lengths = meta.general_desc.possible_length if meta and meta.general_desc else ()
        size = rng.choice(lengths) if lengths and rng.random() < 0.8 else rng.randint(1, 19)
        digits = "".join(str(rng.randint(0, 9)) for _ in range(size))
        body, at = "", 0
        while at < len(digits):
            step = rng.randint(1, 4)
            body += digits[at : at + step] + rng.choice(separators)
            at += step
        cells.append(f"{rng.choice(['+', '+ ', '+('])}{cc}{rng.choice(separators)}{body}".strip())
    assert sum(plus_number(c) is not None for c in cells) > 1000, "the fast reading is used"
    frame = pl.DataFrame({"__row": list(range(len(cells))), "phone": cells})
    got = phone_digits_series(frame, ["phone"], "FR")
    assert got.to_list() == [phone_digits([c], "FR") for c in cells]
    warned = phone_problems(frame, [("phone", "Phone")], "FR")
    expected = {n: problem for n, c in enumerate(cells) if (problem := phone_problem(c, "FR"))}
    assert {
        r: m.removesuffix(": kept as written")
        for r, m in warned.select("row", "message").iter_rows()
    } == expected


def test_the_demo_writes_the_digits_the_form_would() -> None:
    rng = random.Random(2026)
    for country in ("France", "United Kingdom", "Canada") * 50:
        phones = [_phone(rng.random, country), _phone(rng.random, country)]
        assert _digits(*phones) == phone_digits(phones, "FR"), phones


@pytest.fixture
def store(engine: Engine) -> Store:
    return seed_store(engine)


async def test_the_form_says_why_a_number_is_impossible_then_shows_it_formatted(
    engine: Engine, drive: Drive, store: Store
) -> None:
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        await pilot.press(*"Lucie", "tab", *"Moreau")
        phone = form.query_one("#field-phone", Input)
        phone.value = "06 98 76 54 3"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "an impossible number keeps the form open"
        message = "“06 98 76 54 3” is too short for a French number"
        assert form.query_one("#row-phone", FormRow).error == message
        assert "too short for a French" in screen_text(app)
        with session_scope(engine) as s:
            assert search_customers(s, "Moreau") == []
        phone.value = "+33698765432"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert "06 98 76 54 32" in screen_text(app)
    with session_scope(engine) as s:
        [found] = search_customers(s, "698765")
        assert found.display_name == "Lucie Moreau"
        assert found.phone == "+33698765432", "stored as typed"


def _frozen_phone_rules() -> Any:
    """The copy of these rules that migration ``0017_ranking_phones`` carries."""
    import importlib.util

    from tillterm.store.migrations import MIGRATIONS_DIR

    path = MIGRATIONS_DIR / "versions" / "0017_ranking_phones.py"
    spec = importlib.util.spec_from_file_location("frozen_phones", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_frozen_rules_still_agree_with_the_app() -> None:
    """0017 recomputes old customers' digits with its own copy of the rules (and reads
    a French national number without the library): both must give what the app gives."""
    from tillterm.customers import phones

    frozen = _frozen_phone_rules()
    assert frozen.COUNTRY_NAMES == phones._COUNTRY_NAMES
    for country in ("France", "Belgique", "DE", "gb", "", "Atlantis", "Österreich"):
        assert frozen.region_for_country(country) == region_for_country(country)
    rng = random.Random(17)
    typed = [
        f"0{rng.randint(1, 9)} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d} "
        f"{rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        for _ in range(300)
    ]
    typed += [f"0{rng.randint(100000000, 999999999)}" for _ in range(100)]
    typed += [
        f"0{rng.randint(1, 9)}.{rng.randint(10, 99)}.{rng.randint(10, 99)}."
        f"{rng.randint(10, 99)}.{rng.randint(10, 99)}"
        for _ in range(100)
    ]
    typed += [
        "+33 6 98 76 54 32",
        "+44 7911 123456",
        "+1 (514) 555-0199",
        "0012 345",
        "12",
        "06 98 76 54 3",
        "00 33 6 98 76 54 32",
        "+882 1234 5678",
        "abc",
        "",
        "0 6 98 76",
    ]
    for region in ("FR", "BE", "GB"):
        for one in typed:
            assert frozen.digits_text([one], region) == phone_digits([one], region), (one, region)
        assert frozen.digits_text(typed[:40], region) == phone_digits(typed[:40], region)
