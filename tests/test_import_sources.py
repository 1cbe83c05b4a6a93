"""Files from other systems: recognised by their headers, their conventions applied,
consent read in their words, addresses and ids landing where they belong.

Each fixture (``tests/fixtures/sources``, written by ``make_sources.py``) has the header,
encoding and line ends the system writes; each is checked and applied end to end into a
fresh SQLite store, and the values that landed are compared with the file's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import select

from tillterm.customers.groups import create_group
from tillterm.customers.reading import get_customer
from tillterm.customers.records import CustomerRecord
from tillterm.spreadsheet.checking import Context, check_batch
from tillterm.spreadsheet.columns import map_headers
from tillterm.spreadsheet.consent import CONSENT_NO, CONSENT_YES, NO_WORDS, YES_WORDS
from tillterm.spreadsheet.importing import ImportReport, apply_import, check_import
from tillterm.spreadsheet.reading import ROW, open_sheet
from tillterm.spreadsheet.sources import SOURCES, detect_source
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, StoreSettings

SOURCES_DIR = Path(__file__).parent / "fixtures" / "sources"


def _import(engine: Engine, name: str, *, warnings: int = 0, country: str = "") -> ImportReport:
    """Check and import a source's file into a store in ``country`` (its phones are read
    as that country's numbers: a French store would warn about them)."""
    if country:
        with session_scope(engine) as session:
            session.execute(update(StoreSettings).values(country=country))
    report = check_import(engine, SOURCES_DIR / name)
    assert report.errors == 0, report.problems
    assert report.warnings == warnings, report.problems
    apply_import(engine, report, allow_warnings=bool(warnings))
    return report


def _landed(engine: Engine) -> dict[str, CustomerRecord]:
    """Every customer on file, by email."""
    with session_scope(engine) as session:
        ids = session.exec(select(Customer.id)).all()
        records = [get_customer(session, int(i)) for i in ids if i is not None]
    return {r.email: r for r in records}


def _headers(name: str) -> tuple[str, ...]:
    return open_sheet(SOURCES_DIR / name).headers


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("shopify_customers_export.csv", "shopify"),
        ("shopify_legacy_customers_export.csv", "shopify-legacy"),
        ("square_customers.csv", "square"),
        ("xseries_customers.csv", "lightspeed-x"),
        ("rseries_customers.csv", "lightspeed-r"),
        ("ospos_customers.csv", "ospos"),
        ("odoo_contacts.csv", "odoo"),
        ("google_contacts.csv", "google"),
        ("google_contacts_old.csv", "google"),
        ("outlook_contacts.csv", "outlook"),
        ("french_newsletter.csv", None),
        ("german_customers.csv", None),
    ],
)
def test_each_system_is_recognised_by_its_headers(name: str, key: str | None) -> None:
    cmap = map_headers(_headers(name))
    assert (cmap.source.key if cmap.source else None) == key
    if key:
        assert cmap.source_name == next(s.name for s in SOURCES if s.key == key)


def test_a_template_file_is_no_source_and_keeps_its_plain_reading() -> None:
    cmap = map_headers(["customer_code", "first_name", "email", "tags", "marketing_opt_in"])
    assert cmap.source is None and cmap.source_id is None and not cmap.inverted
    assert cmap.date_order is None


def test_the_source_date_order_is_exposed_for_the_date_reader() -> None:
    assert map_headers(_headers("outlook_contacts.csv")).date_order == "mdy"
    assert map_headers(_headers("google_contacts.csv")).date_order == "ymd"
    french = ["Prénom", "Nom", "Adresse de messagerie", "Rue (domicile)", "Anniversaire"]
    cmap = map_headers(french)
    assert cmap.source is not None and cmap.source.key == "outlook-fr"
    assert cmap.date_order == "dmy"
    assert cmap.fields == {
        0: "first_name",
        1: "last_name",
        2: "email",
        3: "address1",
        4: "birth_date",
    }


def test_the_most_specific_source_wins() -> None:
    # "Customer ID" alone is both Shopify's and R-Series': the other headers decide
    shopify = ["Customer ID", "First Name", "Email", "Accepts Email Marketing"]
    rseries = ["Customer ID", "First Name", "Email", "Customer Type"]
    assert detect_source(shopify).key == "shopify"  # type: ignore[union-attr]
    assert detect_source(rseries).key == "lightspeed-r"  # type: ignore[union-attr]
    assert detect_source(["Customer ID", "First Name", "Email"]) is None


@pytest.mark.parametrize(
    ("headers", "fields"),
    [
        (
            ["Kundennummer", "Vorname", "Nachname", "E-Mail-Adresse", "Straße", "PLZ", "Ort"],
            [
                "customer_code",
                "first_name",
                "last_name",
                "email",
                "address1",
                "postal_code",
                "city",
            ],
        ),
        (
            ["Klantnummer", "Voornaam", "Achternaam", "E-mailadres", "Woonplaats", "Geboortedatum"],
            ["customer_code", "first_name", "last_name", "email", "city", "birth_date"],
        ),
        (
            ["Nombre", "Apellidos", "Correo electrónico", "Código postal", "País", "Móvil"],
            ["first_name", "last_name", "email", "postal_code", "country", "phone_mobile"],
        ),
        (
            ["Prénom", "Nom", "Courriel", "Newsletter", "Ne pas appeler"],
            ["first_name", "last_name", "email", "marketing_opt_in", "consent_phone"],
        ),
    ],
)
def test_header_words_in_german_dutch_spanish_and_french(
    headers: list[str], fields: list[str]
) -> None:
    cmap = map_headers(headers)
    assert [cmap.fields.get(i) for i in range(len(headers))] == fields


def test_shopify_export_lands_whole(engine: Engine) -> None:
    report = _import(engine, "shopify_customers_export.csv")
    assert report.new == 2
    got = _landed(engine)
    amelie = got["amelie.fontaine@example.org"]
    # the leading ' is Shopify's keep-as-text mark, not data
    assert amelie.customer_code == "7213190283453"
    assert amelie.phone == "+33612345678"
    assert amelie.phone_home == "+33478000001"
    assert amelie.postal_code == "01000"
    assert (amelie.address1, amelie.address2, amelie.city) == (
        "12 rue des Lilas",
        "Bâtiment B",
        "Lyon",
    )
    assert (amelie.state, amelie.country, amelie.company) == ("ARA", "FR", "Atelier Fontaine")
    assert amelie.marketing_opt_in is True and amelie.consent_phone is False
    assert sorted(amelie.tags) == ["VIP", "wholesale"]
    assert amelie.notes == "Prefers pick-up"
    bruno = got["bruno.keller@example.org"]
    assert bruno.marketing_opt_in is False and bruno.consent_phone is True
    assert (bruno.customer_code, bruno.postal_code) == ("7213190283454", "8001")


def test_shopify_reimport_updates_the_same_customers(engine: Engine) -> None:
    _import(engine, "shopify_customers_export.csv")
    again = check_import(engine, SOURCES_DIR / "shopify_customers_export.csv")
    assert (again.new, again.updated + again.unchanged) == (0, 2)


def test_shopify_legacy_export_lands_whole(engine: Engine) -> None:
    _import(engine, "shopify_legacy_customers_export.csv")
    chloe = _landed(engine)["chloe.martin@example.org"]
    assert chloe.marketing_opt_in is True
    assert (chloe.address1, chloe.city, chloe.state, chloe.country) == (
        "8 avenue Foch",
        "Paris",
        "IDF",
        "FR",
    )
    assert (chloe.postal_code, chloe.phone) == ("75016", "+33611223344")
    assert chloe.tags == ("newsletter",)


def test_square_export_street_consent_and_reference_ids(engine: Engine) -> None:
    report = _import(engine, "square_customers.csv", warnings=1)
    (problem,) = report.problems
    assert (problem.row, problem.column) == (4, "Reference ID")
    assert "R-001" in problem.message and "row 2" in problem.message
    got = _landed(engine)
    linh, minh, thao = got["linh@example.org"], got["minh@example.org"], got["thao@example.org"]
    assert linh.customer_code == "R-001"
    # a blank id and an id given again: generated codes, none repeated
    assert minh.customer_code and thao.customer_code
    assert len({linh.customer_code, minh.customer_code, thao.customer_code}) == 3
    assert (linh.address1, linh.address2, linh.city, linh.state, linh.postal_code) == (
        "500 Mission St",
        "Apt 4",
        "San Francisco",
        "CA",
        "94107",
    )
    assert [c.marketing_opt_in for c in (linh, minh, thao)] == [True, False, False]
    assert linh.phone == "+1 415-555-0101" and linh.notes == "Likes oat milk"


def test_xseries_do_not_email_is_inverted_and_its_codes_kept(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_group(session, "Retail")
    _import(engine, "xseries_customers.csv", country="New Zealand")
    got = _landed(engine)
    olivia, noah = got["olivia@example.org"], got["noah@example.org"]
    assert (olivia.marketing_opt_in, noah.marketing_opt_in) == (True, False)
    assert (olivia.customer_code, noah.customer_code) == ("OLIVIA-7K2P", "NOAH-3J9Q")
    assert olivia.group_name == "Retail" and olivia.loyalty_enabled is True
    assert (olivia.address1, olivia.address2, olivia.city, olivia.postal_code) == (
        "14 Queen Street",
        "Level 2",
        "Auckland",
        "1011",
    )
    assert (olivia.phone, olivia.phone_mobile, olivia.country) == (
        "09 555 0100",
        "021 555 0101",
        "NZ",
    )
    assert str(olivia.balance_limit) == "500.00"
    assert str(olivia.birth_date) == "1990-07-21"


def test_xseries_activity_and_suburb_columns_are_named_not_dropped() -> None:
    cmap = map_headers(_headers("xseries_customers.csv"))
    named = {cmap.headers[i] for i in (*cmap.unknown, *cmap.read_only, *cmap.ignored)}
    assert {"physical_suburb", "loyalty_balance", "year_to_date", "balance"} <= named
    assert cmap.headers.index("physical_suburb") in cmap.ignored


def test_rseries_contact_preferences_are_inverted(engine: Engine) -> None:
    _import(engine, "rseries_customers.csv", country="Canada")
    ethan = _landed(engine)["ethan@example.org"]
    # No Email = false, No Mail = true, No Phone = false
    assert (ethan.consent_email, ethan.consent_mail, ethan.consent_phone) == (True, False, True)
    assert ethan.customer_code == "1042" and ethan.email2 == "ethan.work@example.org"
    assert (ethan.phone_home, ethan.phone_work, ethan.phone_mobile) == (
        "514-555-0100",
        "514-555-0101",
        "514-555-0102",
    )
    assert (ethan.address1, ethan.address2, ethan.city, ethan.postal_code) == (
        "900 Rue Sherbrooke",
        "Suite 10",
        "Montréal",
        "H3A 1G3",
    )


def test_ospos_account_number_becomes_the_code(engine: Engine) -> None:
    _import(engine, "ospos_customers.csv", country="Brasil")
    ana = _landed(engine)["ana@example.org"]
    assert ana.customer_code == "ACC-0042"
    assert (ana.phone, ana.address1, ana.city, ana.postal_code, ana.country) == (
        "11 5555-0100",
        "Rua Augusta 100",
        "São Paulo",
        "01304-000",
        "Brasil",
    )
    assert ana.notes == "Regular since 2019" and ana.discount_percent == Decimal("10")


def test_odoo_contact_lands_with_its_reference(engine: Engine) -> None:
    report = _import(engine, "odoo_contacts.csv")
    jan = _landed(engine)["jan@example.org"]
    # Odoo's one "Name", split as Odoo writes a person's: given name first
    assert (jan.first_name, jan.last_name, jan.customer_code, jan.company) == (
        "Jan",
        "de Vries",
        "ODOO-17",
        "De Vries BV",
    )
    assert any(n.startswith("“Name” holds one name per contact") for n in report.notices)
    assert (jan.address1, jan.address2, jan.postal_code, jan.city) == (
        "Keizersgracht 1",
        "2e verdieping",
        "1015 CJ",
        "Amsterdam",
    )
    assert jan.phone_mobile == "+31 6 5555 0101" and jan.vat_number == "NL123456789B01"
    assert sorted(jan.tags) == ["VIP", "Wholesale"]


def test_odoo_companies_and_people_under_one_name_column(engine: Engine) -> None:
    report = _import(engine, "odoo_companies.csv")
    shown = {c.header: c.field for c in report.columns}
    assert shown["Name (first name)"] == "first_name"
    assert shown["Name (last name)"] == "last_name"
    assert shown["Related Company"] == "company"
    names = next(n for n in report.notices if n.startswith("Names as read"))
    assert "“Anna Martin”" in names and "“Jan de Vries”" in names
    assert (
        "“Name” holds one name per contact: a person's is split into the first name (its "
        "first word) and the last name (the rest); a company's (“Is a Company”) goes to the "
        "company field."
    ) in report.notices
    landed = _landed(engine)
    people = {email: (r.first_name, r.last_name, r.company) for email, r in landed.items()}
    assert people == {
        "contact@martin-fils.example": ("", "", "Martin & Fils"),
        "anna@martin-fils.example": ("Anna", "Martin", "Martin & Fils"),
        "jan.devries@example.org": ("Jan", "de Vries", ""),
        "cher@example.org": ("", "Cher", ""),
    }


def test_odoos_import_template_is_split_too(engine: Engine, tmp_path: Path) -> None:
    # Odoo's "Import your contacts" template: technical names, is_company as 1 / 0
    path = tmp_path / "odoo_template.csv"
    path.write_text(
        "name,is_company,company_name,zip,city,street,street2,email\n"
        "Boulangerie Roux,1,,69002,Lyon,1 place du Marché,,shop@roux.example\n"
        "Léa Roux,0,Boulangerie Roux,69002,Lyon,1 place du Marché,,lea@roux.example\n",
        encoding="utf-8",
    )
    source = open_sheet(path)
    assert source.headers[0] == "Name (first name)" and source.headers[-1] == "Name (last name)"
    report = check_import(engine, path)
    assert report.errors == 0, report.problems
    apply_import(engine, report, allow_warnings=True)
    landed = _landed(engine)
    assert (landed["shop@roux.example"].company, landed["shop@roux.example"].last_name) == (
        "Boulangerie Roux",
        "",
    )
    lea = landed["lea@roux.example"]
    assert (lea.first_name, lea.last_name, lea.company) == ("Léa", "Roux", "Boulangerie Roux")


def test_an_odoo_file_without_a_company_column_gets_one(tmp_path: Path) -> None:
    path = tmp_path / "odoo.csv"
    path.write_text(
        '"Name","Is a Company","Street","Street2","Zip","Email"\n'
        '"Acme","True","1 Main St","","1000","a@acme.example"\n'
        '"Bo Ek","False","2 Main St","","1000","bo@ek.example"\n',
        encoding="utf-8",
    )
    source = open_sheet(path)
    assert source.headers[-2:] == ("Name (last name)", "Name (company)")
    rows = [r for b in source.batches() for r in b.rows()]
    assert [(r[0], r[-2], r[-1]) for r in rows] == [("", "", "Acme"), ("Bo", "Ek", "")]
    cmap = map_headers(source.headers)
    assert [cmap.fields[i] for i in (0, 6, 7)] == ["first_name", "last_name", "company"]


def test_a_file_with_its_own_first_names_is_not_split(tmp_path: Path) -> None:
    path = tmp_path / "odoo.csv"
    path.write_text(
        "First Name,Name,Street,Street2,Zip\nAnna,Martin,1 rue,,1000\n", encoding="utf-8"
    )
    source = open_sheet(path)
    assert source.headers == ("First Name", "Name", "Street", "Street2", "Zip")
    assert source.notes == ()


def test_google_contacts_labels_emails_phones_and_address(engine: Engine) -> None:
    _import(engine, "google_contacts.csv")
    sophie = _landed(engine)["sophie@example.org"]
    # " ::: " separates labels; "* myContacts" is Google's, not the store's
    assert sorted(sophie.tags) == ["VIP", "newsletter"]
    assert sophie.email2 == "s.lambert@work.example.org"
    # Phone 1 is labelled Mobile, Phone 2 Home: each goes by its label, not its place
    assert (sophie.phone_mobile, sophie.phone) == ("+33 6 11 22 33 44", "+33 1 44 55 66 77")
    assert (sophie.address1, sophie.city, sophie.postal_code, sophie.country) == (
        "5 place du Marché",
        "Lyon",
        "69002",
        "FR",
    )
    assert str(sophie.birth_date) == "1979-02-11"


def test_google_old_layout_in_utf16_keeps_the_first_of_several_emails(engine: Engine) -> None:
    report = _import(engine, "google_contacts_old.csv", warnings=1)
    (problem,) = report.problems
    assert problem.column == "E-mail 1 - Value" and "lukas.becker@" in problem.message
    lukas = _landed(engine)["lukas@example.org"]
    assert (lukas.first_name, lukas.last_name, lukas.title) == ("Lukas", "Becker", "Dr.")
    assert lukas.tags == ("Kunden",)
    assert (lukas.address1, lukas.city, lukas.postal_code) == ("Hauptstraße 5", "Berlin", "10115")
    assert lukas.company == "Becker GmbH" and lukas.phone == "+49 151 5550100"


def test_outlook_home_address_else_business_address_never_a_mix(engine: Engine) -> None:
    report = check_import(engine, SOURCES_DIR / "outlook_contacts.csv")
    assert report.errors == 0
    apply_import(engine, report, allow_warnings=True)
    got = _landed(engine)
    grace, henry = got["grace@example.org"], got["henry@example.org"]
    # Grace has a home address: her business street does not leak into it
    assert (grace.address1, grace.city, grace.postal_code, grace.country) == (
        "22 Elm Road",
        "Cork",
        "T12 X2Y3",
        "Ireland",
    )
    # Henry has only a business address: it is his address
    assert (henry.address1, henry.city, henry.postal_code, henry.country) == (
        "7 Quay Street",
        "Galway",
        "H91 A0B1",
        "Ireland",
    )
    assert (grace.phone_mobile, grace.phone_home, henry.phone_work) == (
        "087 555 0100",
        "021 555 0101",
        "091 555 0102",
    )
    assert sorted(grace.tags) == ["Café club", "Regulars"]
    assert henry.company == "Walsh Ltd"


def test_outlook_account_column_is_not_taken_for_a_balance() -> None:
    cmap = map_headers(_headers("outlook_contacts.csv"))
    account = cmap.headers.index("Account")
    assert account in (*cmap.unknown, *cmap.ignored) and account not in cmap.read_only
    assert account not in cmap.fields


def test_outlook_business_address_alone_is_the_address() -> None:
    headers = ["First Name", "E-mail Address", "Business Street", "Business City"]
    cmap = map_headers(headers)
    assert cmap.fields == {0: "first_name", 1: "email", 2: "address1", 3: "city"}
    assert not cmap.backups


@pytest.mark.parametrize(
    ("name", "code", "opt_in"),
    [
        ("french_newsletter.csv", "CL-001", True),
        ("german_customers.csv", "K-100", True),
        ("dutch_customers.csv", "N-200", False),
    ],
)
def test_local_spreadsheets_consent_in_their_language(
    engine: Engine, name: str, code: str, opt_in: bool
) -> None:
    _import(engine, name)
    (first,) = [c for c in _landed(engine).values() if c.customer_code == code]
    assert first.marketing_opt_in is opt_in
    assert first.address1 and first.postal_code and first.city and first.phone


def test_french_newsletter_non_is_no(engine: Engine) -> None:
    _import(engine, "french_newsletter.csv")
    assert _landed(engine)["remi@example.org"].marketing_opt_in is False


def test_spanish_spreadsheet_lands(engine: Engine) -> None:
    _import(engine, "spanish_customers.csv")
    lucia = _landed(engine)["lucia@example.org"]
    assert (lucia.first_name, lucia.last_name, lucia.customer_code) == (
        "Lucía",
        "García López",
        "E-300",
    )
    assert (lucia.address1, lucia.postal_code, lucia.city, lucia.state, lucia.country) == (
        "Calle Mayor 1",
        "28013",
        "Madrid",
        "Madrid",
        "España",
    )


# -- vocabularies, a column at a time ---------------------------------------------------


def _check(header: str, cells: list[str]) -> tuple[list[object], list[str]]:
    """(values, messages) of one column checked as the importer checks it."""
    cmap = map_headers([header])
    frame = pl.DataFrame({"c0": cells, ROW: list(range(2, len(cells) + 2))})
    checked = check_batch(frame, cmap, Context())
    (name,) = cmap.fields.values()
    return checked.values.get_column(name).to_list(), checked.problems.get_column(
        "message"
    ).to_list()


def test_consent_words_of_mailing_lists_and_shops() -> None:
    values, messages = _check(
        "Email Subscription Status",
        ["Subscribed", "unsubscribed", "Not Subscribed", "Unknown", "yes", "0", ""],
    )
    assert values == [True, False, False, False, True, False, False]
    assert messages == []


def test_do_not_columns_are_inverted_and_a_blank_is_no_consent() -> None:
    values, _ = _check("do_not_email", ["1", "0", "true", "false", ""])
    assert values == [False, True, False, True, False]
    values, _ = _check("No Phone", ["yes", "no"])
    assert values == [False, True]
    # Square's older export: "Email Unsubscribed" True means no
    values, _ = _check("Email Unsubscribed", ["True", "False"])
    assert values == [False, True]


def test_an_unknown_consent_word_is_an_error_naming_it() -> None:
    _, messages = _check("Newsletter", ["peut-être"])
    assert messages == ["“peut-être”: write yes or no"]


@given(
    word=st.sampled_from(sorted(YES_WORDS | NO_WORDS | CONSENT_YES | CONSENT_NO)),
    upper=st.lists(st.booleans(), min_size=20, max_size=20),
    inverted=st.booleans(),
)
def test_any_consent_word_in_any_case_reads_the_same(
    word: str, upper: list[bool], inverted: bool
) -> None:
    cased = "".join(c.upper() if u else c for c, u in zip(word, upper, strict=False))
    header = "Do not email" if inverted else "Email Subscription Status"
    values, messages = _check(header, [cased])
    yes = word in YES_WORDS or word in CONSENT_YES
    assert messages == []
    assert values == [(not yes) if word.strip() else False] if inverted else [yes]


@given(st.lists(st.text("abcXYZ-1", min_size=1, max_size=4), min_size=1, max_size=30))
def test_source_ids_become_codes_once_and_repeats_are_warned(ids: list[str]) -> None:
    cmap = map_headers(["Reference ID", "Email Subscription Status", "First Name"])
    assert cmap.source_id == 0
    frame = pl.DataFrame(
        {
            "c0": ids,
            "c1": ["Subscribed"] * len(ids),
            "c2": ["A"] * len(ids),
            ROW: list(range(2, len(ids) + 2)),
        }
    )
    ctx = Context()
    half = len(ids) // 2
    parts = [
        check_batch(frame.slice(0, half), cmap, ctx),
        check_batch(frame.slice(half), cmap, ctx),
    ]
    codes = [c for p in parts for c in p.values.get_column("customer_code").to_list()]
    warned = sum(p.problems.height for p in parts)
    kept = [c for c in codes if c]
    # across batches: every id kept once (case-insensitively), every repeat warned
    assert len({c.casefold() for c in kept}) == len(kept)
    assert len(kept) == len({i.casefold() for i in ids})
    assert warned == len(ids) - len(kept)


def test_shopify_quote_is_dropped_only_where_it_marks_a_number() -> None:
    headers = ["Customer ID", "Accepts Email Marketing", "Phone", "Note", "Default Address Zip"]
    cmap = map_headers(headers)
    frame = pl.DataFrame(
        {
            "c0": ["'7213"],
            "c1": ["yes"],
            "c2": ["'+3361"],
            "c3": ["'tis the season"],
            "c4": ["'01000"],
            ROW: [2],
        }
    )
    values = check_batch(frame, cmap, Context()).values.row(0, named=True)
    assert values["customer_code"] == "7213" and values["phone"] == "+3361"
    assert values["postal_code"] == "01000" and values["notes"] == "'tis the season"


def test_google_labels_without_a_source_are_plain_comma_tags() -> None:
    values, _ = _check("tags", ["a, b ::: c"])
    assert values == [["a", "b ::: c"]]


def test_a_tag_too_long_is_named_with_its_length() -> None:
    long_tag = "Fidélité " + "x" * 65  # 74 characters
    _, messages = _check("tags", [f"vip, {long_tag}", "vip, short"])
    assert messages == [f"tag “{long_tag[:37]}...” is 74 characters (at most 60)"]
    from tillterm.customers.tags import tag_problem

    assert tag_problem(["vip", long_tag]) == messages[0]
    assert tag_problem(["a" * 61]) == f"tag “{'a' * 37}...” is 61 characters (at most 60)"
    assert tag_problem(["vip", "a" * 60]) is None


def _google_phones(rows: list[list[str]]) -> tuple[list[dict[str, object]], list[str]]:
    headers = [
        "E-mail 1 - Value",
        "Phone 1 - Label",
        "Phone 1 - Value",
        "Phone 2 - Label",
        "Phone 2 - Value",
        "Phone 3 - Label",
        "Phone 3 - Value",
    ]
    cmap = map_headers(headers)
    assert cmap.phone_pairs == ((2, 1), (4, 3), (6, 5))
    columns = {f"c{i}": [r[i] for r in rows] for i in range(len(headers))}
    frame = pl.DataFrame({**columns, ROW: list(range(2, len(rows) + 2))})
    checked = check_batch(frame, cmap, Context())
    phones = checked.values.select("phone", "phone_mobile", "phone_home").to_dicts()
    return phones, checked.problems.get_column("message").to_list()


def test_google_phones_go_by_their_label_and_a_number_without_room_is_named() -> None:
    phones, messages = _google_phones(
        [
            ["a@x.org", "Home", "111", "* Mobile", "222", "Work", "333"],
            ["b@x.org", "", "444", "", "", "", ""],
            ["c@x.org", "Mobile", "555", "Mobile", "666", "Main", "777"],
        ]
    )
    assert phones == [
        # Home and Mobile to their fields; Work has no column here: it takes "phone"
        {"phone": "333", "phone_mobile": "222", "phone_home": "111"},
        {"phone": "444", "phone_mobile": "", "phone_home": ""},
        # "Main" is the phone; the second mobile has nowhere to go: a warning names it
        {"phone": "777", "phone_mobile": "555", "phone_home": ""},
    ]
    assert messages == ["“666” (Mobile): no phone column of this file is left for it; not imported"]


def test_another_systems_customer_id_is_a_lenient_code_in_any_file() -> None:
    cmap = map_headers(["Account Number", "Name", "E-mail"])
    assert cmap.source is None
    assert (cmap.fields[0], cmap.source_id) == ("customer_code", 0)
    # the export template's own code column stays strict (a repeat is an error there)
    assert map_headers(["customer_code", "email"]).source_id is None


def test_outlook_dates_the_values_do_not_settle_are_month_first(
    engine: Engine, tmp_path: Path
) -> None:
    """Outlook writes month-first: 11/2/1979 is 2 November, said in the summary; its
    "no birthday" (0/0/00) is a blank, not a warning."""
    text = (SOURCES_DIR / "outlook_contacts.csv").read_text(encoding="cp1252")
    path = tmp_path / "outlook.csv"
    path.write_text(text.replace("11/25/1979", "11/2/1979"), encoding="cp1252", newline="")
    report = check_import(engine, path)
    assert report.errors == 0
    assert not [p for p in report.problems if p.column == "Birthday"]
    assert any("month/day" in n and "Birthday" in n for n in report.notices)
    apply_import(engine, report, allow_warnings=True)
    got = _landed(engine)
    assert got["grace@example.org"].birth_date == dt.date(1979, 11, 2)
    assert got["henry@example.org"].birth_date is None


def test_the_names_shown_are_the_mapped_name_columns(engine: Engine) -> None:
    """Google writes the whole name in "Name" as well: the summary's decoded names come
    from the columns mapped to the name fields, not every header holding "name"."""
    report = check_import(engine, SOURCES_DIR / "google_contacts.csv")
    shown = next(n for n in report.notices if n.startswith("Names as read: "))
    first = shown.removeprefix("Names as read: ").split("”")[0].lstrip("“")
    assert len(first.split()) == 2, shown
