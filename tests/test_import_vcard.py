"""vCard (``.vcf``) files imported like a spreadsheet: one card, one row.

The fixtures (``tests/fixtures/vcard``, written by ``make_vcards.py``) are written as an
iPhone (3.0), an Android phone (2.1 with quoted-printable), Outlook (2.1, Windows code
page) and a 4.0 exporter write them; each is checked and applied end to end into a fresh
SQLite store and the values that landed are compared with the cards'.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from tillterm.customers.reading import get_customer
from tillterm.customers.records import CustomerRecord
from tillterm.spreadsheet.annotate import write_annotated
from tillterm.spreadsheet.importing import ImportReport, apply_import, check_import
from tillterm.spreadsheet.reading import ROW, SUFFIXES, SpreadsheetError, open_sheet
from tillterm.spreadsheet.vcard import (
    apple_label,
    components,
    file_bytes,
    parse_line,
    read_birthday,
    read_cards,
    unfold,
)
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import Customer
from tillterm.ui.screens.spreadsheet_import import SUFFIXES as SCREEN_SUFFIXES

VCARD_DIR = Path(__file__).parent / "fixtures" / "vcard"


def _import(engine: Engine, file: Path, lost: list[str] | None = None) -> ImportReport:
    """Check and import ``file``; ``lost`` is every warning the check gives: what the
    cards hold that no column keeps, summed up per kind (nothing is lost silently)."""
    report = check_import(engine, file)
    assert report.errors == 0, report.problems
    assert sorted(p.message for p in report.problems if p.level == "warning") == sorted(lost or [])
    apply_import(engine, report, allow_warnings=bool(lost))
    return report


def _landed(engine: Engine) -> dict[str, CustomerRecord]:
    """Every customer on file, by email (by company when there is none)."""
    with session_scope(engine) as session:
        ids = session.exec(select(Customer.id)).all()
        records = [get_customer(session, int(i)) for i in ids if i is not None]
    return {r.email or r.company: r for r in records}


IPHONE_LOST = [
    "1 card (1) has a photo: not imported",
    "1 card (1) has a job title (“Gérante”): not imported; choose a field for the column "
    "to keep it",
    "1 card (1) has a NICKNAME (“Mimi”): not imported; choose a field for the column to keep it",
    "1 card (1) has more than two emails: not imported",
    "1 card (1) has a second mobile phone: not imported",
    "1 card (1) has a second address: not imported",
    "2 cards (2, 3) have a birthday without a year: not imported",
]


def test_an_iphone_export_lands_card_by_card(engine: Engine) -> None:
    report = _import(engine, VCARD_DIR / "iphone_contacts.vcf", IPHONE_LOST)
    assert report.detected.startswith("vCard 3.0 (.vcf), UTF-8, 3 cards")
    assert (report.rows, report.new) == (3, 3)
    landed = _landed(engine)
    amelie = landed["amelie.dubois@example.fr"]
    assert (amelie.title, amelie.first_name, amelie.last_name) == ("Mme", "Amélie", "Dubois")
    assert amelie.company == "Fleurs & Co"
    # the preferred email first, the second one in email2
    assert amelie.email2 == "amelie@fleurs-co.example"
    assert (amelie.phone_mobile, amelie.phone_home) == ("06 12 34 56 78", "01 42 00 00 01")
    assert (amelie.address1, amelie.address2) == ("12 rue des Lilas", "Bâtiment B")
    assert (amelie.city, amelie.postal_code, amelie.country) == ("Paris", "75011", "France")
    assert amelie.birth_date == dt.date(1980, 12, 25)
    assert amelie.website == "https://fleurs-co.example"
    assert set(amelie.tags) == {"VIP", "Newsletter"}
    # escaped comma and line break, and the note folded over three lines of the file
    assert amelie.notes.startswith("Prefers roses, not lilies.\nCalls before noon; delivery")
    assert amelie.notes.endswith("folds over several lines of the file.")
    sean = landed["sean.oneil@example.ie"]
    assert (sean.first_name, sean.last_name, sean.phone_mobile) == (
        "Seán",
        "O'Neil",
        "+353 87 123 4567",
    )
    assert sean.birth_date is None  # Apple's 1604: no year
    shop = landed["contact@boulangerie-martin.example"]
    assert (shop.company, shop.first_name, shop.last_name) == ("Boulangerie Martin", "", "")
    assert shop.phone_work == "04 78 00 00 03"
    notices = "\n".join(report.notices)
    # nothing left out without a word: each extra named with its card
    assert "Card 1: email “amelie.old@example.net” (“Other”) not imported" in notices
    assert "Card 1: phone “07 00 00 00 02” not imported (only one phone_mobile is kept)" in notices
    assert "Card 1: address “1 place du Marché, Lyon, 69002, France” not imported" in notices
    assert "Card 2: birthday “1604-03-17” has no year: left blank." in notices
    assert "Card 3: birthday “--06-21” has no year: left blank." in notices
    assert "Photos skipped (tillterm keeps no photo): card 1." in notices
    # the job title and nickname have no field: listed as ignored columns
    assert "Unknown columns, ignored: “job title”, “NICKNAME”." in notices


def test_an_android_export_in_quoted_printable_lands_decoded(engine: Engine) -> None:
    report = _import(
        engine,
        VCARD_DIR / "android_contacts.vcf",
        [
            "1 card (1) has an X-ANDROID-CUSTOM (“vnd.android.cursor.item/nickn…”): not "
            "imported; choose a field for the column to keep it",
            "1 card (1) has a second mobile phone: not imported",
            "1 card (2) has more than two emails: not imported",
            # German and British national numbers, read in a French store
            "“089 123456” is too short for a French number: kept as written",
            "“089 654321” is too short for a French number: kept as written",
            "“07700 900123” is too long for a French number: kept as written",
        ],
    )
    assert report.detected.startswith("vCard 2.1 (.vcf)")
    landed = _landed(engine)
    jurgen = landed["juergen.mueller@example.de"]
    assert (jurgen.first_name, jurgen.last_name) == ("Jürgen", "Müller-Lüdenscheidt")
    assert (jurgen.phone_mobile, jurgen.phone_home, jurgen.phone_work) == (
        "+49 151 2345678",
        "089 123456",
        "089 654321",
    )
    # a quoted-printable address cut by a soft line break (=) in the middle of a word
    assert (jurgen.address1, jurgen.city, jurgen.state) == ("Königstraße 5", "München", "Bayern")
    assert (jurgen.postal_code, jurgen.country) == ("80331", "Deutschland")
    assert jurgen.notes == "Stammkunde seit 2015. Bevorzugt Vollkornbrot, keine Nüsse – Allergie!"
    assert jurgen.birth_date == dt.date(1975, 4, 3)
    anna = landed["anna.smith@example.co.uk"]
    assert anna.email2 == "anna@smith-bakery.example"
    notices = "\n".join(report.notices)
    assert "Card 1: phone “+49 160 9999999” not imported" in notices
    assert "Card 2: email “anna.smith.third@example.com” not imported" in notices
    assert "“X-ANDROID-CUSTOM”" in notices


def test_an_outlook_export_in_the_windows_code_page_lands(engine: Engine) -> None:
    report = _import(
        engine,
        VCARD_DIR / "outlook_contacts.vcf",
        [
            "1 card (1) has a job title (“Owner”): not imported; choose a field for the "
            "column to keep it",
            "1 card (2) has a photo: not imported",
            # US national numbers, read in a French store
            "“(555) 010-4000” is too long for a French number: kept as written",
            "“(555) 010-3000” is too long for a French number: kept as written",
            "“(555) 010-2000” is too long for a French number: kept as written",
            "“(555) 010-2001” is too long for a French number: kept as written",
        ],
    )
    assert report.detected.startswith("vCard 2.1 (.vcf), Windows-1252 where not UTF-8, 2 cards")
    landed = _landed(engine)
    rob = landed["rob@taylorhardware.example"]
    assert (rob.title, rob.first_name, rob.last_name) == ("Mr.", "Robert J.", "Taylor")
    assert rob.company == "Taylor Hardware, Sales"
    assert (rob.phone_work, rob.phone_home, rob.phone_mobile, rob.phone_fax) == (
        "(555) 010-2000",
        "(555) 010-3000",
        "(555) 010-4000",
        "(555) 010-2001",
    )
    assert (rob.address1, rob.city, rob.state, rob.postal_code) == (
        "100 Main Street",
        "Springfield",
        "IL",
        "62701",
    )
    assert rob.birth_date == dt.date(1979, 2, 11)  # 19790211, never read day-first
    assert rob.notes == "Account since 1998.\nPays by cheque."
    assert set(rob.tags) == {"Trade", "Key Customer"}
    helene = landed["helene.lefevre@example.fr"]
    assert (helene.first_name, helene.last_name) == ("Hélène", "Lefèvre")
    assert helene.birth_date == dt.date(1985, 7, 2)
    assert "Photos skipped (tillterm keeps no photo): card 2." in report.notices
    # LABEL repeats ADR and X-MS-OL-DESIGN is Outlook's card layout: neither is a column
    columns = [c.header for c in report.columns]
    assert not any(h in columns for h in ("LABEL", "X-MS-OL-DESIGN", "REV"))


def test_a_vcard_4_file_with_a_bom_and_lf_lands(engine: Engine) -> None:
    report = _import(
        engine,
        VCARD_DIR / "vcard4_contacts.vcf",
        [
            "1 card (1) has a birthday without a year: not imported",
            "1 card (1) has a GENDER (“M”): not imported; choose a field for the column to keep it",
        ],
    )
    assert report.detected.startswith("vCard 4.0 (.vcf), UTF-8 with BOM, 2 cards")
    landed = _landed(engine)
    simon = landed["simon.perreault@viagenie.example"]
    assert (simon.first_name, simon.phone_work, simon.phone_mobile) == (
        "Simon",
        "+1-418-656-9254 ext. 102",
        "+1-418-262-6501",
    )
    assert (simon.address1, simon.address2, simon.postal_code) == (
        "2875 Laurier",
        "Suite D2-630",
        "G1V 2M2",
    )
    assert simon.notes == "Line one\nLine two with a backslash \\ and a semicolon ;"
    assert simon.birth_date is None
    assert landed["zoe@nakamura.example"].birth_date == dt.date(1992, 2, 29)
    assert "Card 1: birthday “--0203” has no year: left blank." in report.notices
    assert set(simon.tags) == {"Kunden", "VIP", "Stammkunde"}
    assert (
        "Card 1: category “Kunden,VIP” holds a comma: imported as the tags “Kunden”, “VIP”."
    ) in report.notices


def test_importing_the_same_cards_again_warns_of_each_duplicate(engine: Engine) -> None:
    _import(engine, VCARD_DIR / "iphone_contacts.vcf", IPHONE_LOST)
    again = check_import(engine, VCARD_DIR / "iphone_contacts.vcf")
    duplicates = [p for p in again.problems if "likely a duplicate" in p.message]
    assert sorted(p.row for p in duplicates) == [1, 2, 3]
    assert {p.column for p in duplicates} == {"email"}


def test_problems_name_the_card_number(engine: Engine, tmp_path: Path) -> None:
    file = tmp_path / "contacts.vcf"
    file.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nN:Good;Ann\nEMAIL:ann@example.com\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Bad;Bob\nEMAIL:bob-at-example\nEND:VCARD\n",
        encoding="utf-8",
    )
    report = check_import(engine, file)
    assert "row numbers are card numbers" in report.detected
    assert [(p.row, p.column) for p in report.problems if p.level == "error"] == [(2, "email")]


def test_a_file_without_cards_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "contacts.vcf"
    file.write_text("First Name,Email\nAnn,ann@example.com\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="no BEGIN:VCARD line"):
        open_sheet(file)


def test_rows_are_card_numbers_and_cr_only_files_read(tmp_path: Path) -> None:
    file = tmp_path / "old.vcf"
    file.write_bytes(
        b"BEGIN:VCARD\rVERSION:2.1\rN:A;Ann\rEND:VCARD\r"
        b"BEGIN:VCARD\rVERSION:2.1\rN:B;Bea\rTEL:123\rEND:VCARD\r"
    )
    source = open_sheet(file)
    frame = next(source.batches())
    assert frame.get_column(ROW).to_list() == [1, 2]
    assert source.headers == ("first_name", "last_name", "phone")


def test_unfolding_by_version() -> None:
    # 3.0 and 4.0: the fold is CRLF plus one space, both go
    assert list(unfold(["NOTE:abc", " def", "\tghi"], "3.0")) == ["NOTE:abcdefghi"]
    # 2.1: the fold was put before a space of the value, which stays
    assert list(unfold(["NOTE:one", " two"], "2.1")) == ["NOTE:one two"]
    # a quoted-printable soft line break continues on a line not starting with a space
    lines = ["NOTE;ENCODING=QUOTED-PRINTABLE:K=C3=B6n=", "igstra=C3=9Fe", "TEL:1"]
    assert list(unfold(lines, "2.1")) == [
        "NOTE;ENCODING=QUOTED-PRINTABLE:K=C3=B6nigstra=C3=9Fe",
        "TEL:1",
    ]


def test_escapes_and_components() -> None:
    assert components(r"Doe;John\, Jr.;;;") == ["Doe", "John, Jr.", "", "", ""]
    assert components(r"a\nb\\c\;d;e") == ["a\nb\\c;d", "e"]
    assert components("VIP,Trade", ",") == ["VIP", "Trade"]


def test_parameters_in_each_spelling() -> None:
    prop = parse_line("item1.TEL;type=CELL;type=VOICE;type=pref:06 12")
    assert prop is not None
    assert (prop.name, prop.types, prop.preferred, prop.value) == (
        "TEL",
        {"CELL", "VOICE", "PREF"},
        True,
        "06 12",
    )
    bare = parse_line("TEL;HOME;VOICE:089")
    assert bare is not None and bare.types == {"HOME", "VOICE"}
    quoted = parse_line('TEL;VALUE=uri;TYPE="work,cell":tel:+1-418')
    assert quoted is not None
    assert (quoted.types, quoted.value) == ({"WORK", "CELL"}, "tel:+1-418")
    qp = parse_line("N;QUOTED-PRINTABLE:x")
    assert qp is not None and qp.params["ENCODING"] == ["QUOTED-PRINTABLE"]
    assert parse_line("no colon here") is None


@pytest.mark.parametrize(
    ("value", "date", "noted"),
    [
        ("1980-12-25", "1980-12-25", False),
        ("19801225", "1980-12-25", False),
        ("1980-12-25T00:00:00Z", "1980-12-25", False),
        ("--12-25", "", True),
        ("--1225", "", True),
        ("25/12/1980", "25/12/1980", False),  # another form: for the date check to read
        ("12345", "", True),  # digits that are no date (never an Excel day number)
    ],
)
def test_birthday_forms(value: str, date: str, noted: bool) -> None:
    read, note = read_birthday(value)
    assert read == date
    assert (note is not None) == noted


def test_encodings() -> None:
    assert file_bytes("N:Zoë".encode()) == ("N:Zoë".encode(), "utf-8")
    assert file_bytes(b"\xef\xbb\xbfN:Zo\xc3\xab") == (b"N:Zo\xc3\xab", "utf-8-sig")
    assert file_bytes(b"N:Zo\xeb") == (b"N:Zo\xeb", "cp1252")
    assert file_bytes("N:Zoë".encode("utf-16")) == ("N:Zoë".encode(), "utf-16")
    card = "BEGIN:VCARD\r\nN:Zoë\r\nEND:VCARD\r\n"
    for bare in ("utf-16-le", "utf-16-be"):  # without a BOM, either byte order
        assert file_bytes(card.encode(bare)) == (card.encode(), "utf-16")


def test_each_value_is_read_in_its_own_charset(tmp_path: Path) -> None:
    """Cards from several phones in one file: UTF-8, a 2.1 CHARSET on 8-bit text, a
    Japanese phone's Shift JIS, a Windows code page value without CHARSET."""
    file = tmp_path / "merged.vcf"
    file.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Nakamura;Zo\xc3\xab\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1:M\xfcller;J\xfcrgen\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=SHIFT_JIS:"
        + "山田;太郎".encode("shift_jis")
        + b"\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Lef\xe8vre;H\xe9l\xe8ne\r\nEND:VCARD\r\n"
    )
    source = open_sheet(file)
    assert source.detected.describe().startswith(
        "vCard 2.1/3.0 (.vcf), Windows-1252 where not UTF-8, 4 cards"
    )
    frame = next(source.batches())
    assert frame.select("c0", "c1").rows() == [
        ("Zoë", "Nakamura"),
        ("Jürgen", "Müller"),
        ("太郎", "山田"),
        ("Hélène", "Lefèvre"),
    ]


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(st.lists(_TEXT, min_size=1, max_size=6))
def test_escaped_components_come_back_as_written(parts: list[str]) -> None:
    def escape(text: str) -> str:
        return (
            text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        )

    assert components(";".join(escape(p) for p in parts)) == parts


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300))
def test_folded_lines_unfold_to_the_line(value: str) -> None:
    line = "NOTE:" + value
    folded = [line[:75]] + [" " + line[i : i + 74] for i in range(75, len(line), 74)]
    assert list(unfold(folded, "3.0")) == [line]


def test_the_annotated_copy_of_cards_is_a_workbook_of_them(engine: Engine, tmp_path: Path) -> None:
    file = tmp_path / "contacts.vcf"
    file.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nN:Good;Ann\nEMAIL:ann@example.com\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Bad;Bob\nEMAIL:bob-at-example\nEND:VCARD\n",
        encoding="utf-8",
    )
    report = check_import(engine, file)
    written = write_annotated(report)
    assert written == tmp_path / "contacts-annotated.xlsx"
    copy = open_sheet(written)
    assert copy.headers == ("first_name", "last_name", "email", "import_problems")
    rows = next(copy.batches()).drop(ROW).rows()
    assert rows[0] == ("Ann", "Good", "ann@example.com", "")
    assert rows[1][:3] == ("Bob", "Bad", "bob-at-example")
    assert "email" in rows[1][3]


def test_the_command_imports_a_vcf_and_says_what_it_read(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = VCARD_DIR / "android_contacts.vcf"
    # what the cards hold beyond the columns is a warning: the import asks to confirm
    assert run_cli(["--db", str(db_path), "import", str(file), "--dry-run"]) == 3
    out = capsys.readouterr().out
    assert "vCard 2.1 (.vcf)" in out
    assert "“phone_mobile” → phone_mobile (+49 151 2345678, 07700 900123)" in out
    assert "Card 1: phone “+49 160 9999999” not imported" in out
    assert "1 card (1) has a second mobile phone: not imported" in out
    assert run_cli(["--db", str(db_path), "import", str(file), "--continue-anyway"]) == 0
    engine = open_db(db_path)
    try:
        landed = _landed(engine)
    finally:
        engine.dispose()
    assert landed["juergen.mueller@example.de"].city == "München"


def test_apple_labels_route_phones_and_what_has_no_field_is_a_warning(engine: Engine) -> None:
    """Apple Contacts' itemN. groups: the X-ABLabel (Apple's own or typed by the person)
    decides the phone's column; related names, dates and social profiles are warned."""
    report = _import(
        engine,
        VCARD_DIR / "apple_labels.vcf",
        [
            "1 card (2) has a second mobile phone: not imported",
            "1 card (1) has an X-ABDATE (“2015-06-20”): not imported; choose a field for "
            "the column to keep it",
            "2 cards (1, 2) have an X-ABRELATEDNAMES (“Paul Martin”): not imported; choose "
            "a field for the column to keep it",
            "1 card (1) has an X-SOCIALPROFILE (“x-apple:chloe.atelier”): not imported; "
            "choose a field for the column to keep it",
        ],
    )
    landed = _landed(engine)
    chloe = landed["chloe.martin@example.fr"]  # the preferred email first
    assert chloe.email2 == "chloe@atelier.example"
    assert (chloe.phone_mobile, chloe.phone_work, chloe.phone_home) == (
        "06 11 22 33 44",  # _$!<Mobile>!$_
        "04 72 00 00 10",  # "Boutique", typed by the person
        "01 40 00 00 20",  # _$!<Home>!$_
    )
    assert chloe.website == "https://atelier.example"
    lucas = landed["lucas.roux@example.fr"]
    assert (lucas.phone_mobile, lucas.phone_fax) == ("+33 6 98 76 54 32", "+33 4 78 00 00 11")
    assert "Card 2: phone “+33 6 00 00 00 99” (“Portable pro”) not imported" in "\n".join(
        report.notices
    )


def test_a_field_chosen_for_an_extra_property_silences_its_warning(engine: Engine) -> None:
    from tillterm.spreadsheet.mapping import parse_override

    report = check_import(
        engine,
        VCARD_DIR / "apple_labels.vcf",
        overrides=[parse_override("X-SOCIALPROFILE=notes")],
    )
    said = [p.message for p in report.problems if p.level == "warning"]
    assert not any("X-SOCIALPROFILE" in m for m in said)
    assert any("X-ABRELATEDNAMES" in m for m in said)
    # left out by choice ("-"): the person decided, nothing is lost unawares
    report = check_import(
        engine,
        VCARD_DIR / "apple_labels.vcf",
        overrides=[parse_override("X-ABRELATEDNAMES=-")],
    )
    said = [p.message for p in report.problems if p.level == "warning"]
    assert not any("X-ABRELATEDNAMES" in m for m in said)
    assert any("X-ABDATE" in m for m in said)


def test_apple_labels_in_the_stores_languages() -> None:
    assert apple_label("_$!<HomeFAX>!$_") == "HomeFAX"
    assert apple_label(" Portable ") == "Portable"
    cards = read_cards(
        "\r\n".join(
            [
                "BEGIN:VCARD",
                "VERSION:3.0",
                "N:Ek;Dan",
                "item1.TEL:1",
                "item1.X-ABLabel:_$!<HomeFAX>!$_",
                "item2.TEL:2",
                "item2.X-ABLabel:Handy",
                "item3.TEL:3",
                "item3.X-ABLabel:Geschäftlich",
                "item4.TEL:4",
                "item4.X-ABLabel:_$!<Main>!$_",
                "item5.TEL;type=HOME:5",
                "item5.X-ABLabel:Chez les parents",
                "END:VCARD",
            ]
        ).encode(),
        "c.vcf",
        10,
    )
    row = dict(zip(cards.headers, cards.rows[0], strict=True))
    assert (row["phone_fax"], row["phone_mobile"], row["phone_work"], row["phone"]) == (
        "1",
        "2",
        "3",
        "4",
    )
    assert row["phone_home"] == "5"  # a label that says nothing: its TYPE decides


def test_the_import_screen_offers_vcf_files() -> None:
    assert ".vcf" in SCREEN_SUFFIXES
    assert ".vcf" in SUFFIXES


def test_a_line_that_is_no_property_is_named(tmp_path: Path) -> None:
    file = tmp_path / "contacts.vcf"
    file.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nN:A;Ann\nthis line has no colon\nEND:VCARD\n",
        encoding="utf-8",
    )
    source = open_sheet(file)
    assert source.notes == (
        "Card 1: line “this line has no colon” is not a vCard property: skipped.",
    )
