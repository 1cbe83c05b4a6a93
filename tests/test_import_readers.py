"""Reading files as other systems write them: encodings, line ends, Excel layout, dates.

The fixtures (tests/fixtures/readers, built by make_readers.py) are in the exact formats
of an old Mac Excel save, Excel's "Unicode Text", Outlook's contacts export and an .xlsx
laid out by hand (title row, totals row, ``00000`` postcodes).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from tillterm.spreadsheet.checking import Context, check_batch
from tillterm.spreadsheet.columns import map_headers
from tillterm.spreadsheet.date_order import (
    DMY,
    LOCALE,
    MDY,
    SOURCE,
    VALUES,
    decide_order,
    decide_order_of_series,
)
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.spreadsheet.layout import find_header, footer_rows
from tillterm.spreadsheet.lost_zeros import lost_zero_problems
from tillterm.spreadsheet.reading import ROW, SpreadsheetError, open_sheet
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer

READERS = Path(__file__).parent / "fixtures" / "readers"
SPREADSHEETS = Path(__file__).parent / "fixtures" / "spreadsheets"


def _rows(path: Path) -> list[tuple[str, ...]]:
    source = open_sheet(path)
    return [r[:-1] for b in source.batches() for r in b.rows()]


def _customers(engine: Engine) -> dict[str, Customer]:
    with session_scope(engine) as session:
        rows = session.exec(select(Customer)).all()
        return {f"{c.first_name} {c.last_name}": c for c in rows}


# -- encodings and line ends ---------------------------------------------------------------


def test_old_mac_excel_csv_is_mac_roman_with_cr_line_ends(engine: Engine) -> None:
    source = open_sheet(READERS / "mac_excel.csv")
    assert source.detected.describe() == ("CSV, Mac Roman, comma-separated, old Mac line ends (CR)")
    assert _rows(READERS / "mac_excel.csv") == [
        ("Renée", "Dubois", "Paris", "75011"),
        ("Jürgen", "Müller", "Köln", "50667"),
        ("François", "Gérard", "Genève", "1204"),
    ]
    assert source.sample_names() == ("Renée Dubois", "Jürgen Müller", "François Gérard")
    report = check_import(engine, READERS / "mac_excel.csv")
    assert (report.rows, report.new, report.errors, report.warnings) == (3, 3, 0, 0)


def test_cr_only_utf8_file_reads_its_rows(engine: Engine) -> None:
    assert open_sheet(READERS / "cr_only.csv").detected.describe() == (
        "CSV, UTF-8, comma-separated, old Mac line ends (CR)"
    )
    report = check_import(engine, READERS / "cr_only.csv")
    assert (report.rows, report.new, report.errors) == (3, 3, 0)
    apply_import(engine, report)
    assert set(_customers(engine)) == {"Renée Dubois", "Jürgen Müller", "François Gérard"}


def test_mac_roman_that_windows_1252_also_decodes_is_still_mac_roman(tmp_path: Path) -> None:
    # é (8E) and ö (9A) are Ž and š in Windows-1252: "RenŽe", "Kšln" decode without error
    path = tmp_path / "mac.csv"
    path.write_bytes("first_name,city\nRenée,Köln\nZoé,Nîmes\n".encode("mac_roman"))
    assert open_sheet(path).detected.encoding == "mac_roman"
    assert _rows(path) == [("Renée", "Köln"), ("Zoé", "Nîmes")]


def test_windows_1252_stays_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "win.csv"
    path.write_bytes("first_name;city\nRenée;Köln\nŽarko;Šibenik\n".encode("cp1252"))
    assert open_sheet(path).detected.encoding == "cp1252"
    assert _rows(path) == [("Renée", "Köln"), ("Žarko", "Šibenik")]
    assert open_sheet(SPREADSHEETS / "cp1252_semicolon.csv").detected.encoding == "cp1252"


def test_bytes_windows_cannot_decode_are_mac_roman_never_latin_1_controls(
    tmp_path: Path,
) -> None:
    # 0x8D is undefined in Windows-1252 and a C1 control in Latin-1: ç in Mac Roman
    path = tmp_path / "c1.csv"
    path.write_bytes("first_name\nFrançois\n".encode("mac_roman"))
    assert b"\x8d" in path.read_bytes()
    source = open_sheet(path)
    assert source.detected.encoding == "mac_roman"
    (name,) = source.sample_names()
    assert name == "François"
    assert not any(0x80 <= ord(ch) <= 0x9F for ch in name)


def test_excel_unicode_text_is_read_as_a_tab_separated_txt(engine: Engine) -> None:
    source = open_sheet(READERS / "unicode_text.txt")
    assert source.detected.describe() == "Text (.txt), UTF-16, tab-separated"
    assert source.headers == ("First Name", "Last Name", "E-mail", "Phone")
    assert source.sample_names() == ("Zoë Brontë", "Łukasz Wójcik")
    report = check_import(engine, READERS / "unicode_text.txt")
    assert (report.rows, report.new, report.errors) == (2, 2, 0)
    apply_import(engine, report)
    assert _customers(engine)["Łukasz Wójcik"].email == "lukasz@example.org"


@pytest.mark.parametrize(
    ("name", "described"),
    [
        ("utf16le_no_bom.txt", "Text (.txt), UTF-16 LE without BOM, tab-separated"),
        ("utf16be_no_bom.csv", "CSV, UTF-16 BE without BOM, comma-separated"),
    ],
)
def test_utf16_without_a_bom_is_read_either_way_round(
    engine: Engine, name: str, described: str
) -> None:
    source = open_sheet(READERS / name)
    assert source.detected.describe() == described
    assert source.headers == ("First Name", "Last Name", "E-mail", "Phone")
    assert _rows(READERS / name)[1] == ("Łukasz", "Wójcik", "lukasz@example.org", "+48 601 234 567")
    report = check_import(engine, READERS / name)
    assert (report.rows, report.new, report.errors) == (2, 2, 0)
    apply_import(engine, report)
    assert _customers(engine)["Zoë Brontë"].phone


_NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
)


@given(
    rows=st.lists(st.tuples(_NAMES, _NAMES), min_size=1, max_size=20),
    little=st.booleans(),
)
@settings(max_examples=200)
def test_utf16_without_bom_is_told_from_the_bytes_alone(
    rows: list[tuple[str, str]], little: bool
) -> None:
    from tillterm.spreadsheet.text_encoding import utf16_without_bom

    text = "first_name,last_name,email\r\n" + "".join(
        f"{a},{b},someone@example.org\r\n" for a, b in rows
    )
    encoding = "utf-16-le" if little else "utf-16-be"
    # a list of names and emails is mostly ASCII: found whatever letters it holds
    if sum(ch.isascii() for ch in text) >= 0.8 * len(text):
        assert utf16_without_bom(text.encode(encoding)) == encoding
    # the same text in UTF-8 (no NUL byte) is never taken for UTF-16
    assert utf16_without_bom(text.encode("utf-8")) is None


def test_nul_bytes_that_are_not_utf16_are_still_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "dump.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(SpreadsheetError, match="binary file"):
        open_sheet(path)
    half = tmp_path / "half.csv"  # NULs on both sides: not text of either byte order
    half.write_bytes(b"a\x00\x00b" * 500)
    with pytest.raises(SpreadsheetError, match="binary file"):
        open_sheet(half)


def test_sample_names_put_accented_names_first(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    rows = ["Prénom,Nom", "Ann,Lee", "Bob,Ray", "Cléa,Roux", "Dan,Ek", "Ève,Noël"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert open_sheet(path).sample_names() == ("Cléa Roux", "Ève Noël", "Ann Lee")


# -- Excel layout --------------------------------------------------------------------------


def test_xlsx_title_row_totals_row_and_zero_padded_postcodes(engine: Engine) -> None:
    source = open_sheet(READERS / "title_total.xlsx")
    assert source.headers == ("First Name", "Last Name", "Code postal", "Téléphone", "Balance")
    assert source.detected.describe() == "Excel workbook (.xlsx), sheet “Clients”, header on row 3"
    assert source.notes == (
        "The header is on row 3: the rows above it (“Liste des clients — mars 2024”) "
        "are a title, not imported.",
        "Row 7 (“TOTAL”) is a totals row: not imported.",
    )
    rows = [r for b in source.batches() for r in b.rows(named=True)]
    assert [r[ROW] for r in rows] == [4, 5, 6]
    assert [r["c2"] for r in rows] == ["01000", "75011", "06000"]
    # phones typed as numbers: the reader says which columns hold numbers
    assert {3, 4} <= source.numeric_columns and 0 not in source.numeric_columns
    report = check_import(engine, READERS / "title_total.xlsx")
    assert (report.rows, report.new, report.errors) == (3, 3, 0)
    apply_import(engine, report, allow_warnings=True)
    people = _customers(engine)
    assert set(people) == {"Marie Dubois", "Paul Bernard", "Léa Petit"}
    assert people["Marie Dubois"].postal_code == "01000"


def test_a_bare_sum_under_the_data_is_left_out_but_a_phone_only_customer_is_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sums.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["first_name", "last_name", "phone", "balance"])
    sheet.write_row(1, 0, ["Ann", "Lee", "0611", 10])
    sheet.write_row(2, 0, ["", "", "0612345678", 2.5])
    sheet.write_formula(4, 3, "=SUM(D2:D3)", None, 12.5)
    book.close()
    source = open_sheet(path)
    assert [r[ROW] for b in source.batches() for r in b.rows(named=True)] == [2, 3]
    assert source.notes == ("Row 5 (“12.5”) is a totals row: not imported.",)


@pytest.mark.parametrize(
    ("name", "row", "word"),
    [("totals_semicolon.csv", 4, "TOTAL"), ("totals_unicode.txt", 5, "Totaal")],
)
def test_a_totals_row_at_the_bottom_of_a_csv_or_txt_is_left_out_and_said(
    engine: Engine, name: str, row: int, word: str
) -> None:
    source = open_sheet(READERS / name)
    assert [r[ROW] for b in source.batches() for r in b.rows(named=True)] == [2, 3]
    assert source.notes == (f"Row {row} (“{word}”) is a totals row: not imported.",)
    report = check_import(engine, READERS / name)
    assert (report.rows, report.new, report.errors) == (2, 2, 0)
    assert f"Row {row} (“{word}”) is a totals row: not imported." in report.notices
    apply_import(engine, report, allow_warnings=True)
    assert len(_customers(engine)) == 2


def test_a_bare_sum_under_a_csv_is_left_out_on_every_read(tmp_path: Path) -> None:
    path = tmp_path / "sums.csv"
    path.write_text(
        "first_name;last_name;phone;balance\nAnn;Lee;0611;10,5\n;;0612345678;2\n;;;12,5\n",
        encoding="utf-8",
    )
    source = open_sheet(path)
    for _ in range(2):  # the check and the import each read the file
        assert [r[ROW] for b in source.batches() for r in b.rows(named=True)] == [2, 3]
    assert source.notes == ("Row 4 (“12,5”) is a totals row: not imported.",)
    # the same file without the sum: its last customer, a phone only, is a customer
    path.write_text(
        "first_name;last_name;phone;balance\nAnn;Lee;0611;10,5\n;;0612345678;2\n",
        encoding="utf-8",
    )
    kept = open_sheet(path)
    assert [r[ROW] for b in kept.batches() for r in b.rows(named=True)] == [2, 3]
    assert kept.notes == ()


def test_a_totals_row_is_found_after_many_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.spreadsheet import refusals

    monkeypatch.setattr(refusals, "BLOCK_BYTES", 4096)
    path = tmp_path / "long.csv"
    lines = [f"Name{n},Last{n},{n % 7}" for n in range(3000)]
    total = sum(n % 7 for n in range(3000))
    path.write_text("first_name,last_name,points\n" + "\n".join(lines) + f"\nTotal,,{total}\n")
    source = open_sheet(path)
    rows = [r[ROW] for b in source.batches(700) for r in b.rows(named=True)]
    assert rows == list(range(2, 3002))
    assert source.notes == ("Row 3002 (“Total”) is a totals row: not imported.",)


def test_column_sums_are_only_asked_for_a_last_row_of_numbers() -> None:
    from tillterm.spreadsheet.sheet import trailing_footers

    def never(wanted: list[int]) -> dict[int, float]:
        raise AssertionError("a customer's row made the file be read again")

    # the export's first column (group) is often blank: a customer's row is no sum
    tail = pl.DataFrame({"c0": ["", ""], "c1": ["Ann", "Bob"], "c2": ["3", "4"], ROW: [2, 3]})
    assert trailing_footers(tail, never, more_above=True) == ()
    sums = pl.DataFrame({"c0": ["", ""], "c1": ["Ann", ""], "c2": ["3", "3"], ROW: [2, 3]})
    assert trailing_footers(sums, lambda wanted: {2: 6.0}, more_above=False) == ((3, "3"),)


def test_a_single_customer_called_total_is_a_customer(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("company,email\nTotal Energies,shop@total.example\n", encoding="utf-8")
    source = open_sheet(path)
    assert [r[ROW] for b in source.batches() for r in b.rows(named=True)] == [2]
    assert source.notes == ()


def test_xls_biff8_number_formats_title_and_totals(engine: Engine) -> None:
    path = READERS / "layout_biff8.xls"
    source = open_sheet(path)
    assert source.detected.describe() == "Excel workbook (.xls), sheet “Kunden”, header on row 3"
    assert source.headers == ("Kundennummer", "Vorname", "Nachname", "PLZ", "Telefon", "Umsatz")
    rows = [r for b in source.batches() for r in b.rows(named=True)]
    assert [r[ROW] for r in rows] == [4, 5, 6]
    # "00000" postcodes as Excel shows them; text-formatted numbers keep their zeros
    assert [r["c3"] for r in rows] == ["01067", "80331", "04109"]
    assert [r["c0"] for r in rows] == ["00042", "00043", "00044"]
    assert source.notes[-1] == "Row 7 (“Summe”) is a totals row: not imported."
    # phones stored as numbers: the lost-zero check gets to see them, as for .xlsx
    assert {3, 4, 5} <= source.numeric_columns and 0 not in source.numeric_columns
    report = check_import(engine, path)
    assert (report.rows, report.new, report.errors) == (3, 3, 0)
    # the store's phone rules (French by default: 10 digits) find the one that lost a 0
    lost = [(p.row, p.column) for p in report.problems if "lost its leading zero" in p.message]
    assert lost == [(5, "Telefon")]
    assert "Row 7 (“Summe”) is a totals row: not imported." in report.notices
    apply_import(engine, report, allow_warnings=True)
    people = _customers(engine)
    assert people["Jürgen Müller"].postal_code == "01067"
    assert people["Lena Weiß"].postal_code == "04109"


def test_xls_formats_of_a_damaged_workbook_are_none_and_the_reader_says_why(
    tmp_path: Path,
) -> None:
    from tillterm.spreadsheet.layout import NumberFormats
    from tillterm.spreadsheet.xls_formats import xls_number_formats

    good = (READERS / "layout_biff8.xls").read_bytes()
    cut = tmp_path / "cut.xls"
    cut.write_bytes(good[:1500])
    assert xls_number_formats(cut) == NumberFormats()
    loop = bytearray(good)
    loop[0x4C:0x50] = (0xFFFFFFF0).to_bytes(4, "little")  # the FAT points nowhere
    looped = tmp_path / "loop.xls"
    looped.write_bytes(bytes(loop))
    assert xls_number_formats(looped) == NumberFormats()
    with pytest.raises(SpreadsheetError, match=r"cut\.xls"):
        open_sheet(cut)
    # an Excel 5/95 workbook (BOF version 0x0500) spells its formats otherwise: not read
    bof = good.index(b"\x09\x08\x10\x00\x00\x06")
    old = tmp_path / "biff5.xls"
    old.write_bytes(good[: bof + 4] + b"\x00\x05" + good[bof + 6 :])
    assert xls_number_formats(old) == NumberFormats()


def test_a_sheet_without_title_keeps_its_header_on_row_1() -> None:
    source = open_sheet(SPREADSHEETS / "customers.xlsx")
    assert source.layout.header == 0 and source.notes == ()
    assert source.detected.describe() == "Excel workbook (.xlsx), sheet “Clients”"


def test_header_too_far_down_says_delete_the_title_row(tmp_path: Path) -> None:
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write(0, 0, "Customer list")
    sheet.write_row(14, 0, ["first_name", "last_name"])
    sheet.write_row(15, 0, ["Ann", "Lee"])
    book.close()
    with pytest.raises(SpreadsheetError, match="“Customer list”, a title: delete the title row"):
        open_sheet(path)


def test_a_two_cell_title_above_the_header_is_named_when_nothing_maps(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "Clients,mars 2024\nfirst_name,last_name,email,phone\nAnn,Lee,a@x.org,1\n",
        encoding="utf-8",
    )
    hint = open_sheet(path).no_field_hint()
    assert "Row 1 (“Clients”) looks like a title" in hint and "delete the title row" in hint
    assert open_sheet(SPREADSHEETS / "utf8.csv").no_field_hint() == ""


def test_find_header_skips_titles_and_blanks_and_not_the_header_itself() -> None:
    top = [
        ("Customers", "", "", ""),
        ("", "", "", ""),
        ("Name", "Email", "Phone", "City"),
        ("Ann", "a@x.org", "", "Paris"),
    ]
    assert find_header(top) == 2
    assert find_header(top[2:]) == 0
    assert find_header([("Clients", "mars 2024", "", ""), *top[2:]]) == 1
    assert find_header([("first_name",), ("Ann",)]) == 0


def test_footer_rows_only_at_the_end() -> None:
    rows = [
        ("Total", "Wine", "3"),  # a customer called Total, in the middle: a customer
        ("Ann", "Lee", "2"),
        ("", "", ""),
        ("Summe", "", "5"),
        ("", "", "10"),  # a bare sum under the amount column (3 + 2 + 5)
    ]
    assert footer_rows(rows, {2: 20.0}) == [3, 4]
    # without the column's total, a row of numbers is not taken for a sum
    assert footer_rows(rows) == []
    # a last customer with only a phone is a customer, not a sum
    phone_only = [("Ann", "Lee", "0611"), ("", "", "0612345678")]
    assert footer_rows(phone_only, {2: 612346289.0}) == []
    assert footer_rows([("Ann", "Lee"), ("Bob", "Ray")]) == []
    assert footer_rows([("Somme", "12"), ("Sous-total", "3")]) == [0, 1]
    for word in ("TOTAUX", "Totalen", "Insgesamt", "Summen", "Grand total", "Subtotal"):
        assert footer_rows([("Ann", "2"), (word, "2")]) == [1], word


# -- dates ---------------------------------------------------------------------------------


def test_outlook_birthdays_are_month_first_and_0_0_00_is_blank(engine: Engine) -> None:
    report = check_import(engine, READERS / "outlook_contacts.csv")
    assert (report.rows, report.errors, report.warnings) == (4, 0, 0)
    apply_import(engine, report)
    people = _customers(engine)
    assert people["Jérôme Lefèvre"].birth_date == dt.date(1979, 11, 2)
    assert people["Chloé Martin"].birth_date == dt.date(1985, 3, 4)
    assert people["Bob Stone"].birth_date == dt.date(1980, 12, 25)
    assert people["Anna Schmidt"].birth_date is None


def _check_dates(values: list[str], ctx: Context) -> tuple[list[object], list[str]]:
    cmap = map_headers(("first_name", "Birthday"), [])
    frame = pl.DataFrame(
        {"c0": ["x"] * len(values), "c1": values, ROW: list(range(2, len(values) + 2))}
    )
    checked = check_batch(frame, cmap, ctx)
    return checked.values.get_column("birth_date").to_list(), checked.problems.get_column(
        "message"
    ).to_list()


def test_an_ambiguous_column_follows_the_source_hint_and_says_so() -> None:
    ctx = Context(date_hint=MDY)
    dates, messages = _check_dates(["3/4/1985", "1/2/1990"], ctx)
    assert dates == [dt.date(1985, 3, 4), dt.date(1990, 1, 2)] and messages == []
    assert ctx.date_notes() == (
        "Dates in ‘Birthday’ read as month/day: no date in the column settles the order "
        "(the source's order); check a few.",
    )


def test_an_ambiguous_column_without_hint_is_day_first_and_says_so() -> None:
    ctx = Context()
    dates, _ = _check_dates(["3/4/1985", ""], ctx)
    assert dates == [dt.date(1985, 4, 3), None]
    assert ctx.date_notes() == (
        "Dates in ‘Birthday’ read as day/month: no date in the column settles the order "
        "(the store's default); check a few.",
    )


def test_the_values_beat_the_hint_and_the_order_holds_for_later_batches() -> None:
    ctx = Context(date_hint=MDY)
    dates, messages = _check_dates(["25/12/1980", "3/4/1985"], ctx)
    assert dates == [dt.date(1980, 12, 25), dt.date(1985, 4, 3)] and messages == []
    assert ctx.date_notes() == ()
    # a later batch whose values would settle the other way is read the column's way
    dates, messages = _check_dates(["12/25/1980", "5/6/1990"], ctx)
    assert dates == [None, dt.date(1990, 6, 5)]
    assert messages == [
        "“12/25/1980” cannot be read as day/month like the rest of the column; left empty"
    ]


def test_impossible_and_empty_like_dates() -> None:
    values = ["30/02/1988", "0/0/00", "0000-00-00", "00/00/0000", "n/a", "-", "1988-02-30"]
    dates, messages = _check_dates(values, Context())
    assert dates == [None] * len(values)
    assert messages == [
        "“30/02/1988” does not exist; left empty",
        "“1988-02-30” does not exist; left empty",
    ]


def test_a_mixed_column_follows_the_majority_and_says_so() -> None:
    ctx = Context()
    _, messages = _check_dates(["13/01/1980", "01/14/1980", "01/15/1980"], ctx)
    assert ctx.date_orders["birth_date"].order == MDY
    assert messages == [
        "“13/01/1980” cannot be read as month/day like the rest of the column; left empty"
    ]
    assert ctx.date_notes() == (
        "Dates in ‘Birthday’ read as month/day: most of them can only be read so (2 against 1).",
    )


_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31))


def _written(day: dt.date, order: str, sep: str, pad: bool) -> str:
    d, m = (f"{day.day:02d}", f"{day.month:02d}") if pad else (str(day.day), str(day.month))
    first, second = (d, m) if order == DMY else (m, d)
    return f"{first}{sep}{second}{sep}{day.year}"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_dates, min_size=1, max_size=30),
    st.sampled_from([DMY, MDY]),
    st.sampled_from(["/", ".", "-"]),
    st.booleans(),
    st.sampled_from([None, DMY, MDY]),
)
def test_order_detection_properties(
    days: list[dt.date], order: str, sep: str, pad: bool, hint: str | None
) -> None:
    values = [_written(d, order, sep, pad) for d in days]
    found = decide_order(values, hint=hint)
    assert decide_order_of_series(pl.Series(values, dtype=pl.String), hint=hint) == found
    settled = any(d.day > 12 for d in days)
    if settled:
        # any date whose day is over 12 decides, whatever the hint says
        assert (found.order, found.reason) == (order, VALUES)
    else:
        assert found.reason == (SOURCE if hint else LOCALE)
        assert found.order == (hint or DMY)
    # read in the order decided, every date comes back as written, or (if the order
    # could not be told) every date comes back in the order announced
    ctx = Context(date_hint=hint, today=dt.date(2031, 1, 1))
    parsed, messages = _check_dates(values, ctx)
    if settled or found.order == order:
        assert parsed == days and messages == []
    assert ctx.date_orders["birth_date"] == found.__class__(
        found.order, found.reason, "Birthday", found.day_first, found.month_first, found.used
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789/.- ", max_size=12), max_size=20))
def test_order_detection_agrees_on_any_text(values: list[str]) -> None:
    series = pl.Series(values, dtype=pl.String)
    assert decide_order_of_series(series) == decide_order(values)


# -- numbers that lost their leading zero --------------------------------------------------


def test_phones_stored_as_numbers_that_lost_their_zero_are_warnings_naming_the_fix() -> None:
    source = open_sheet(READERS / "title_total.xlsx")
    cmap = map_headers(source.headers, [])
    (batch,) = source.batches()
    problems = lost_zero_problems(batch, cmap, source.numeric_columns, "FR")
    assert problems.rows() == [
        (
            row,
            "Téléphone",
            "warning",
            f"“{phone}” was stored as a number and lost its leading zero (French phone "
            f"numbers have 10 digits): write it 0{phone} (format the column as Text in Excel)",
        )
        for row, phone in ((4, "612345678"), (5, "698765432"), (6, "493123456"))
    ]
    # the postcodes came back through their 00000 format: nothing to say
    assert "Code postal" not in problems.get_column("column").to_list()
    # a column stored as text kept its zeros: not judged; nor a country without the rule
    assert lost_zero_problems(batch, cmap, (), "FR").height == 0
    assert lost_zero_problems(batch, cmap, source.numeric_columns, "SE").height == 0


def test_postcodes_stored_as_numbers_without_a_format_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "zips.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["first_name", "postal_code"])
    sheet.write_row(1, 0, ["Ann", 1000])
    sheet.write_row(2, 0, ["Bob", 75011])
    book.close()
    source = open_sheet(path)
    (batch,) = source.batches()
    problems = lost_zero_problems(batch, map_headers(source.headers, []), source.numeric_columns)
    assert problems.select("row", "message").rows() == [
        (
            2,
            "“1000” was stored as a number and lost its leading zero (French postcodes have "
            "5 digits): write it 01000 (format the column as Text in Excel)",
        )
    ]


def test_a_csv_saved_from_a_sheet_with_a_title_finds_its_header(engine: Engine) -> None:
    # Excel's "CSV (séparateur: point-virgule)" of a sheet with a title and a blank row
    path = READERS / "title_semicolon.csv"
    source = open_sheet(path)
    assert source.headers == ("Prénom", "Nom", "Code postal", "Date de naissance")
    assert source.detected.delimiter == ";" and source.detected.header_row == 3
    assert source.notes == (
        "The header is on row 3: the rows above it (“Liste des clients — mars 2024”) "
        "are a title, not imported.",
    )
    assert [r[ROW] for b in source.batches() for r in b.rows(named=True)] == [4, 5]
    report = check_import(engine, path)
    assert (report.rows, report.new, report.errors) == (2, 2, 0)
    # a file whose first line is its header is read as before
    assert open_sheet(SPREADSHEETS / "cp1252_semicolon.csv").detected.header_row == 1


# -- what the check tells the person (the wiring into the import's report) ---------------


def test_the_check_reports_layout_names_and_lost_zeros(engine: Engine) -> None:
    report = check_import(engine, READERS / "title_total.xlsx")
    assert "Row 7 (“TOTAL”) is a totals row: not imported." in report.notices
    assert any(n.startswith("The header is on row 3") for n in report.notices)
    names = next(n for n in report.notices if n.startswith("Names as read: "))
    assert "Léa" in names  # decoded, shown so that garbling would be seen at once
    lost = [p for p in report.problems if "lost its leading zero" in p.message]
    assert [(p.row, p.column) for p in lost] == [
        (4, "Téléphone"),
        (5, "Téléphone"),
        (6, "Téléphone"),
    ]
    assert report.warnings == 3


def test_the_check_says_how_it_read_ambiguous_dates(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("first_name,birth_date\nAnn,03/04/1980\nBob,05/06/1975\n", encoding="utf-8")
    report = check_import(engine, path)
    said = [n for n in report.notices if "Dates in ‘birth_date’" in n]
    assert len(said) == 1 and "day/month" in said[0]


def test_nothing_maps_under_a_title_says_delete_the_title_row(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "Clients,mars 2024\nPrénom usuel,Nom usuel,Courriel perso,Tél\nAnn,Lee,a@x.org,1\n",
        encoding="utf-8",
    )
    with pytest.raises(SpreadsheetError, match="delete the title row"):
        check_import(engine, path)
