"""The mapping of an import is shown and can be changed (issue 14).

Every column of the file → the field it goes to (two samples) or why not; ``--map
"Header=field"`` / ``"Header=-"`` on the command line and keys on the Import screen
change it; a column left out that looks like customer data is a warning; unknown
groups are created only when asked (``--create-groups``, Ctrl+O), in the import's
transaction.

The files are built here in the formats the real systems write; each builder says where
its header comes from.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import Drive, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from screens_data import settle
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from textual.widgets import OptionList

from tillterm.customers.groups import create_group
from tillterm.services.context import Services
from tillterm.spreadsheet.columns import FIELDS, map_headers
from tillterm.spreadsheet.import_report import Progress
from tillterm.spreadsheet.importing import ImportBlocked, ImportCancelled
from tillterm.spreadsheet.mapping import (
    MappingError,
    Override,
    apply_overrides,
    column_rows,
    looks_like,
    parse_override,
)
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, CustomerGroup
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.field_picker import FieldPicker
from tillterm.ui.screens.spreadsheet_import import ImportScreen, MappingTable
from tillterm.ui.widgets.key_footer import shown_keys
from tillterm.ui.widgets.path_input import PathInput

# Google Contacts, "Google CSV" export (the layout before 2024's: numbered "E-mail 1 -
# Value", "Phone 1 - Value", "Address 1 - …" columns; written by contacts.google.com →
# Export → Google CSV; UTF-8, comma-separated, quoted where needed).
GOOGLE_HEADER = [
    "Name",
    "Given Name",
    "Additional Name",
    "Family Name",
    "Yomi Name",
    "Given Name Yomi",
    "Additional Name Yomi",
    "Family Name Yomi",
    "Name Prefix",
    "Name Suffix",
    "Initials",
    "Nickname",
    "Short Name",
    "Maiden Name",
    "Birthday",
    "Gender",
    "Location",
    "Billing Information",
    "Directory Server",
    "Mileage",
    "Occupation",
    "Hobby",
    "Sensitivity",
    "Priority",
    "Subject",
    "Notes",
    "Language",
    "Photo",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Address 1 - Type",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Address 1 - PO Box",
    "Address 1 - Region",
    "Address 1 - Postal Code",
    "Address 1 - Country",
    "Address 1 - Extended Address",
    "Organization 1 - Type",
    "Organization 1 - Name",
    "Organization 1 - Yomi Name",
    "Organization 1 - Title",
    "Organization 1 - Department",
    "Organization 1 - Symbol",
    "Organization 1 - Location",
    "Organization 1 - Job Description",
]
# Square, Customers → Directory → Export customers (the help centre's article "Import
# Customers Online" names the "Email Subscription Status" column; the others as the
# export writes them).
SQUARE_HEADER = [
    "Reference ID",
    "First Name",
    "Last Name",
    "Email Address",
    "Phone Number",
    "Nickname",
    "Company Name",
    "Street Address 1",
    "Street Address 2",
    "City",
    "State",
    "Postal Code",
    "Birthday",
    "Memo",
    "Square Customer ID",
    "Creation Source",
    "First Visit",
    "Last Visit",
    "Transaction Count",
    "Total Spend",
    "Email Subscription Status",
]
# Shopify, Customers → Export (the classic customer CSV and its import template).
SHOPIFY_HEADER = [
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Address1",
    "Address2",
    "City",
    "Province",
    "Province Code",
    "Country",
    "Country Code",
    "Zip",
    "Phone",
    "Accepts Marketing",
    "Total Spent",
    "Total Orders",
    "Tags",
    "Note",
    "Tax Exempt",
]

GOOGLE_PEOPLE = [
    ("Anna", "Martin", "anna@example.org", "+33 6 12 34 56 78", "3 rue Haute", "Lyon", "69001"),
    ("Bob", "Stone", "bob@example.com", "+44 20 7946 0958", "1 High St", "London", "SW1A 1AA"),
]
#: the --map arguments that bring Google's contact details in
GOOGLE_MAPS = [
    "E-mail 1 - Value=email",
    "Phone 1 - Value=phone_mobile",
    "Address 1 - Street=address1",
    "Address 1 - Postal Code=postal_code",
    "Address 1 - City=city",
    "Address 1 - Formatted=-",
]


def google_csv(path: Path, group: str = "") -> Path:
    rows = []
    for first, family, email, phone, street, city, postcode in GOOGLE_PEOPLE:
        row = dict.fromkeys(GOOGLE_HEADER, "")
        row.update(
            {
                "Name": f"{first} {family}",
                "Given Name": first,
                "Family Name": family,
                "Group Membership": group or "* myContacts",
                "E-mail 1 - Type": "* Home",
                "E-mail 1 - Value": email,
                "Phone 1 - Type": "Mobile",
                "Phone 1 - Value": phone,
                "Address 1 - Type": "Home",
                "Address 1 - Formatted": f"{street}\n{city} {postcode}",
                "Address 1 - Street": street,
                "Address 1 - City": city,
                "Address 1 - Postal Code": postcode,
            }
        )
        rows.append(row)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, GOOGLE_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


# A loyalty app's export that no recognised system writes: its contact columns have
# headers tillterm cannot map, so only their look (values, header words) tells.
APP_HEADER = [
    "first_name",
    "last_name",
    "Reach me at",
    "Mobile number (pro)",
    "Home street line",
    "Town",
    "Zip of home",
    "Formatted address",
]
#: the --map arguments that bring the app's contact details in
APP_MAPS = [
    "Reach me at=email",
    "Mobile number (pro)=phone_mobile",
    "Home street line=address1",
    "Zip of home=postal_code",
    "Town=city",
    "Formatted address=-",
]


def app_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(APP_HEADER)
        for first, family, email, phone, street, city, postcode in GOOGLE_PEOPLE:
            formatted = f"{street}\n{city} {postcode}"
            writer.writerow([first, family, email, phone, street, city, postcode, formatted])
    return path


def square_csv(path: Path) -> Path:
    row = dict.fromkeys(SQUARE_HEADER, "")
    row.update(
        {
            "Reference ID": "R-1",
            "First Name": "Cleo",
            "Last Name": "Park",
            "Email Address": "cleo@example.net",
            "Street Address 1": "12 Baker Street",
            "City": "Leeds",
            "Postal Code": "LS1 4AP",
            "Square Customer ID": "7X1YQ3",
            "Creation Source": "Directory",
            "Transaction Count": "3",
            "Email Subscription Status": "subscribed",
        }
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, SQUARE_HEADER, lineterminator="\r\n")
        writer.writeheader()
        writer.writerow(row)
    return path


def shopify_csv(path: Path) -> Path:
    row = dict.fromkeys(SHOPIFY_HEADER, "")
    row.update(
        {
            "First Name": "Dana",
            "Last Name": "Reyes",
            "Email": "dana@example.com",
            "Address1": "5 Elm Road",
            "City": "Bristol",
            "Zip": "BS1 5TR",
            "Accepts Marketing": "yes",
            "Total Spent": "120.00",
            "Tax Exempt": "no",
        }
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, SHOPIFY_HEADER)
        writer.writeheader()
        writer.writerow(row)
    return path


def _count(engine: Engine, model: type = Customer) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


# -- the mapping itself -------------------------------------------------------------------
def test_overrides_map_ignore_and_take_a_field_from_the_guess() -> None:
    headers = ["Email", "Reach me at", "Notes", "import_problems", "loyalty_balance"]
    guess = map_headers(headers)
    assert guess.fields == {0: "email", 2: "notes"} and guess.unknown == (1,)
    assert guess.read_only == (4,)
    chosen = [Override("Reach me at", "email"), Override("notes", "-")]
    cmap = apply_overrides(guess, chosen)
    assert cmap.fields == {1: "email"}
    assert cmap.duplicates == (0,)  # the guessed column gave its field up
    assert cmap.ignored == (2, 3) and cmap.unknown == ()
    rows = column_rows(cmap, {0: ["a@b.co", "", "c@d.co"], 1: ["x@y.org"]}, chosen)
    assert [(r.number, r.target, r.reason, r.chosen) for r in rows] == [
        (1, "-", "duplicate of column 2", False),
        (2, "email", "", True),
        (3, "-", "ignored by you", True),
        (4, "-", "tillterm's own problems column", False),
        (5, "-", "read-only activity column (never imported)", False),
    ]
    assert rows[0].samples == ("a@b.co", "c@d.co")
    assert rows[0].looks_like == "email"  # left out, full of emails: a warning


def test_override_errors_name_the_column_or_the_field() -> None:
    cmap = map_headers(["Email", "Phone 1 - Value"])
    with pytest.raises(MappingError, match=r"unknown field “emial”.*first_name.*postal_code"):
        apply_overrides(cmap, [parse_override("Email=emial")])
    with pytest.raises(MappingError, match=r"no column “Mobile”.*“Phone 1 - Value”"):
        apply_overrides(cmap, [parse_override("Mobile=phone")])
    with pytest.raises(MappingError, match="read-only"):
        apply_overrides(cmap, [parse_override("Email=loyalty_balance")])
    with pytest.raises(MappingError, match="both “Email” and “Phone 1 - Value”"):
        apply_overrides(cmap, [Override("Email", "phone"), Override("Phone 1 - Value", "phone")])
    with pytest.raises(MappingError, match="Header=field"):
        parse_override("Email")
    # a header holding "=" splits at the last one; "#N" names a column by its place
    assert parse_override("a=b=email") == Override("a=b", "email")
    assert apply_overrides(cmap, [Override("#2", "phone")]).fields == {0: "email", 1: "phone"}


@pytest.mark.parametrize(
    ("header", "values", "kind"),
    [
        ("E-mail 1 - Value", ["a@example.org", "b@example.org"], "email"),
        ("Contact", ["a@example.org", "b@example.org"], "email"),  # the values say it
        ("E-mail 1 - Type", ["* Home", "* Work"], ""),  # a label, not an email
        ("Phone 1 - Value", ["+33 6 12 34 56 78", "01 23 45 67 89"], "phone"),
        ("Phone 1 - Type", ["Mobile"], ""),
        ("Whatever", ["+44 20 7946 0958"], "phone"),  # written internationally
        ("Street Address 1", ["12 Baker Street"], "street"),
        ("Address 1 - City", ["Lyon"], ""),
        ("Address 1 - Postal Code", ["69001"], "postcode"),
        ("Geburtsdatum", ["1980-02-11"], "birthday"),
        ("Accepts Marketing", ["yes"], "consent"),
        ("Email Subscription Status", ["subscribed"], "consent"),
        ("Total Spent", ["120.00"], ""),
        ("Square Customer ID", ["7X1YQ3"], ""),
    ],
)
def test_what_a_column_left_out_looks_like(header: str, values: list[str], kind: str) -> None:
    assert looks_like(header, values) == kind


@settings(max_examples=60, deadline=None)
@given(
    headers=st.lists(
        st.sampled_from(["Email", "Mail", "Phone", "Zip", "Notes", "Hobby", "loyalty", ""]),
        min_size=1,
        max_size=7,
    ),
    picks=st.lists(
        st.tuples(
            st.integers(0, 6),
            st.sampled_from(["-", "email", "phone", "notes", "postal_code", "city"]),
        ),
        max_size=4,
    ),
)
def test_every_column_has_one_place_and_no_field_two_columns(
    headers: list[str], picks: list[tuple[int, str]]
) -> None:
    """Whatever the choices: each column is mapped or left out for one reason, and no
    field is fed by two columns."""
    cmap = map_headers(headers)
    chosen: dict[int, str] = {}
    for index, field in picks:
        if index < len(headers) and (field == "-" or field not in chosen.values()):
            chosen[index] = field
    overrides = [Override(f"#{i + 1}", f) for i, f in chosen.items()]
    result = apply_overrides(cmap, overrides)
    places = [
        *result.fields,
        *result.read_only,
        *result.unknown,
        *result.duplicates,
        *result.ignored,
    ]
    assert sorted(places) == list(range(len(headers)))
    assert len(set(result.fields.values())) == len(result.fields)
    for index, field in chosen.items():
        if field == "-":
            assert index in result.ignored
        else:
            assert result.fields[index] == field


# -- the command ---------------------------------------------------------------------------
def test_dry_run_shows_every_column_and_warns_of_look_alikes(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = app_csv(tmp_path / "contacts.csv")
    assert run_cli(["--db", str(db_path), "import", str(path), "--dry-run"]) == 3
    out = capsys.readouterr().out
    assert "Columns:" in out
    assert "  1 “first_name” → first_name (Anna, Bob)" in out
    assert "  3 “Reach me at” → not imported: unknown header " in out
    assert "(anna@example.org, bob@example.com)" in out
    # a cell's line break shown as a space: one column, one line
    assert "(3 rue Haute Lyon 69001, 1 High St London SW1A 1AA)" in out
    assert (
        "column ‘Reach me at’ looks like emails but is not imported: "
        "map it with --map ‘Reach me at=email’"
    ) in out
    assert "column ‘Mobile number (pro)’ looks like phone numbers" in out
    assert "column ‘Home street line’ looks like street addresses" in out
    assert "column ‘Zip of home’ looks like postcodes" in out
    assert "‘Town’" not in out  # mapped to the city: nothing to warn of
    assert "2 rows: 2 new, 0 updated, 0 errors, 5 warnings" in out


def test_a_recognised_systems_columns_are_mapped_not_warned_of(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same people in Google's own export: its columns are known, so they land."""
    path = google_csv(tmp_path / "contacts.csv")
    assert run_cli(["--db", str(db_path), "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Google Contacts" in out.splitlines()[0]
    assert " 31 “E-mail 1 - Value” → email (anna@example.org, bob@example.com)" in out
    assert " 36 “Address 1 - Street” → address1 (3 rue Haute, 1 High St)" in out
    assert (
        " 35 “Address 1 - Formatted” → not imported: "
        "Google Contacts repeats here what other columns import"
    ) in out
    assert "looks like" not in out
    assert "2 rows: 2 new, 0 updated, 0 errors, 0 warnings" in out


def test_map_brings_the_columns_in_and_ignores_what_it_is_told(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = google_csv(tmp_path / "contacts.csv")
    maps = [arg for m in GOOGLE_MAPS for arg in ("--map", m)]
    args = [
        "--db",
        str(db_path),
        "import",
        str(path),
        *maps,
        "--map",
        "Address 1 - Extended Address=-",
    ]
    assert run_cli(args) == 0
    out = capsys.readouterr().out
    assert " 31 “E-mail 1 - Value” → email [your choice] (anna@example.org" in out
    assert " 35 “Address 1 - Formatted” → not imported: ignored by you" in out
    assert "looks like" not in out
    assert "Imported contacts.csv: 2 new, 0 updated." in out
    with engine.connect() as conn:
        got = conn.execute(
            select(
                Customer.first_name,
                Customer.email,
                Customer.phone_mobile,
                Customer.address1,
                Customer.city,
                Customer.postal_code,
            ).order_by(Customer.first_name)
        ).all()
    assert [tuple(r) for r in got] == [
        ("Anna", "anna@example.org", "+33 6 12 34 56 78", "3 rue Haute", "Lyon", "69001"),
        ("Bob", "bob@example.com", "+44 20 7946 0958", "1 High St", "London", "SW1A 1AA"),
    ]


def test_map_to_an_unknown_field_or_column_is_a_usage_error(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = google_csv(tmp_path / "contacts.csv")
    base = ["--db", str(db_path), "import", str(path)]
    assert run_cli([*base, "--map", "E-mail 1 - Value=emial"]) == 2
    err = capsys.readouterr().err
    assert "unknown field “emial”; the fields are: " in err
    assert all(spec.name in err for spec in FIELDS)
    assert run_cli([*base, "--map", "Courriel=email"]) == 2
    assert "the file has no column “Courriel”" in capsys.readouterr().err
    assert run_cli([*base, "--map", "E-mail 1 - Value"]) == 2
    assert "Header=field" in capsys.readouterr().err
    assert _count(engine) == 0


def test_consent_and_street_columns_of_shop_exports_land(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    square = square_csv(tmp_path / "square.csv")
    assert run_cli(["--db", str(db_path), "import", str(square), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "“Street Address 1” → address1 (12 Baker Street)" in out
    assert "“Email Subscription Status” → marketing_opt_in (subscribed)" in out
    assert "looks like" not in out
    shopify = shopify_csv(tmp_path / "shopify.csv")
    assert run_cli(["--db", str(db_path), "import", str(shopify)]) == 0
    capsys.readouterr()
    with engine.connect() as conn:
        row = conn.execute(
            select(Customer.address1, Customer.marketing_opt_in).where(
                Customer.email == "dana@example.com"
            )
        ).one()
    assert tuple(row) == ("5 Elm Road", True)


def test_an_unknown_consent_column_is_a_warning(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.csv"
    path.write_text(
        "first_name,email,Newsletter opt-in status\nAnn,ann@example.org,yes\n",
        encoding="utf-8",
    )
    assert run_cli(["--db", str(db_path), "import", str(path), "--dry-run"]) == 3
    out = capsys.readouterr().out
    assert "column ‘Newsletter opt-in status’ looks like marketing consent" in out
    assert "--map ‘Newsletter opt-in status=marketing_opt_in’" in out
    # warnings stop the import, as all warnings do, until continued anyway
    args = ["--db", str(db_path), "import", str(path), "--continue-anyway"]
    assert run_cli(args) == 0


# -- groups ------------------------------------------------------------------------------
def _group_file(path: Path) -> Path:
    path.write_text(
        "customer_code,first_name,group\n"
        "G-1,Ann,Wholesale\n"
        "G-2,Ben,wholesale \n"
        "G-3,Cat,VIP  Gold\n"
        "G-4,Dan,Staff\n"
        "G-5,Eve,\n",
        encoding="utf-8",
    )
    return path


def test_unknown_groups_are_errors_unless_created(any_engine: Engine, tmp_path: Path) -> None:
    path = _group_file(tmp_path / "groups.csv")
    with session_scope(any_engine) as session:
        create_group(session, "Staff")
        create_group(session, "VIP Gold")
    imports = Services(lambda: any_engine).imports
    report = imports.check(path)
    assert report.errors == 2  # Wholesale twice
    assert any("--create-groups" in n for n in report.notices)
    with pytest.raises(ImportBlocked):
        imports.apply(report)
    report = imports.check(path, create_groups=True)
    assert report.errors == 0 and report.new_groups == ("Wholesale",)
    assert "Groups to be created: “Wholesale”." in report.notices
    assert _count(any_engine, CustomerGroup) == 2  # a check writes nothing
    assert imports.apply(report).created == 5
    with any_engine.connect() as conn:
        groups = dict(conn.execute(select(CustomerGroup.name, CustomerGroup.id)).all())
        members = dict(conn.execute(select(Customer.customer_code, Customer.group_id)).all())
    assert set(groups) == {"Staff", "VIP Gold", "Wholesale"}
    assert members == {
        "G-1": groups["Wholesale"],
        "G-2": groups["Wholesale"],
        "G-3": groups["VIP Gold"],  # the store's group, spacing aside
        "G-4": groups["Staff"],
        "G-5": None,
    }


def test_created_groups_roll_back_with_the_import(any_engine: Engine, tmp_path: Path) -> None:
    path = _group_file(tmp_path / "groups.csv")
    imports = Services(lambda: any_engine).imports
    report = imports.check(path, create_groups=True)
    assert set(report.new_groups) == {"Wholesale", "VIP Gold", "Staff"}

    def cancel(progress: Progress) -> None:
        if progress.stage == "importing":
            raise ImportCancelled("stopped")

    with pytest.raises(ImportCancelled):
        imports.apply(report, progress=cancel)
    assert _count(any_engine, CustomerGroup) == 0 and _count(any_engine) == 0


def test_create_groups_on_the_command_line(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _group_file(tmp_path / "groups.csv")
    assert run_cli(["--db", str(db_path), "import", str(path)]) == 1
    assert "--create-groups" in capsys.readouterr().out
    assert run_cli(["--db", str(db_path), "import", str(path), "--create-groups"]) == 0
    out = capsys.readouterr().out
    assert "Groups to be created: “Wholesale”, “VIP Gold”, “Staff”." in out
    assert _count(engine, CustomerGroup) == 3 and _count(engine) == 5


# -- the Import screen -------------------------------------------------------------------
async def test_screen_edits_a_mapping_row_with_keys_then_imports(
    engine: Engine, tmp_path: Path, drive: Drive
) -> None:
    path = app_csv(tmp_path / "contacts.csv")
    async with drive() as (app, pilot):
        assert isinstance(app, TilltermApp)
        assert app.size == (80, 24)
        await pilot.press("f5")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.query_one(PathInput).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        report = screen.report
        assert report is not None and report.warnings == 5
        mapping = screen.query_one(MappingTable)
        assert mapping.row_count == len(APP_HEADER)
        assert [str(c) for c in mapping.get_row_at(2)[:3]] == ["3", "Reach me at", "-"]
        # the problems list has the focus (warnings); Tab goes to the mapping
        await pilot.press("tab")
        assert screen.focused is mapping
        assert ("enter", "select_cursor", "Pick field") in [k[:3] for k in shown_keys(screen)]
        for _ in range(2):
            await pilot.press("down")
        assert mapping.cursor_row == 2
        await pilot.press("enter")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, FieldPicker)
        options = picker.query_one(OptionList)
        assert options.highlighted == 0  # "-": the column is not imported now
        names = ["-", *report.field_choices]
        for _ in range(names.index("email")):
            await pilot.press("down")
        assert options.get_option_at_index(options.highlighted or 0).id == "email"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        report = screen.report
        assert report is not None
        assert report.columns[2].field == "email" and report.columns[2].chosen
        assert screen.focused is mapping and mapping.cursor_row == 2
        assert str(mapping.get_row_at(2)[2]) == "email *"  # marked as the person's choice
        # "-" leaves the formatted address out: one warning fewer
        for _ in range(5):
            await pilot.press("down")
        assert report.columns[mapping.cursor_row].header == "Formatted address"
        await pilot.press("minus")
        await settle(pilot)
        report = screen.report
        assert report is not None and report.columns[7].reason == "ignored by you"
        assert report.warnings == 3  # phone, street and postcode still left out
        await pilot.press("ctrl+g")  # continue anyway
        await settle(pilot)
        assert screen.report is None
    with engine.connect() as conn:
        emails = conn.execute(select(Customer.email).order_by(Customer.email)).scalars().all()
    assert emails == ["anna@example.org", "bob@example.com"]


async def test_screen_creates_groups_when_asked(
    engine: Engine, tmp_path: Path, drive: Drive
) -> None:
    path = _group_file(tmp_path / "groups.csv")
    async with drive() as (app, pilot):
        await pilot.press("f5")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.query_one(PathInput).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.report is not None and screen.report.errors == 4
        assert "Ctrl+O creates the unknown groups" in str(
            screen.query_one("#import-summary").render()
        )
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert screen.report is not None and screen.report.errors == 0
        assert screen.report.new_groups == ("Wholesale", "VIP Gold", "Staff")
        await pilot.press("ctrl+y")
        await settle(pilot)
    assert _count(engine, CustomerGroup) == 3 and _count(engine) == 5
