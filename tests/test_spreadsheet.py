"""Spreadsheet import and export: detection, mapping, checks, all or nothing, round trips."""

from __future__ import annotations

import csv
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import select

from tillterm.customers.consents import CONSENTS
from tillterm.customers.profiles import create_customer, search_customers
from tillterm.demo.seeding import seed_demo
from tillterm.spreadsheet.annotate import write_annotated
from tillterm.spreadsheet.cells import neutralise, restore
from tillterm.spreadsheet.columns import PROBLEMS_HEADER, map_headers
from tillterm.spreadsheet.export import export_customers
from tillterm.spreadsheet.importing import ImportBlocked, apply_import, check_import
from tillterm.spreadsheet.reading import SpreadsheetError, open_sheet
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer

FIXTURES = Path(__file__).parent / "fixtures" / "spreadsheets"

#: when each consent was given: "now" at the import, like created_at (compared apart)
STAMPS = tuple(f"{name}_at" for name in CONSENTS)


def _rows(name: str) -> list[tuple[str, ...]]:
    source = open_sheet(FIXTURES / name)
    return [r[:-1] for b in source.batches() for r in b.rows()]


@pytest.mark.parametrize(
    ("name", "described"),
    [
        ("utf8.csv", "CSV, UTF-8, comma-separated"),
        ("utf8_bom.csv", "CSV, UTF-8 with BOM, comma-separated"),
        ("cp1252_semicolon.csv", "CSV, Windows-1252, semicolon-separated"),
        ("tab.csv", "CSV, UTF-8, tab-separated"),
        ("crlf_quoted_newlines.csv", "CSV, UTF-8, comma-separated"),
        ("customers.xlsx", "Excel workbook (.xlsx), sheet “Clients”"),
        ("customers.xls", "Excel workbook (.xls), sheet “Clients”"),
    ],
)
def test_every_format_reads_the_same_customers(engine: Engine, name: str, described: str) -> None:
    assert open_sheet(FIXTURES / name).detected.describe() == described
    seed_demo(engine, customers=0, products=0)
    report = check_import(engine, FIXTURES / name)
    assert (report.rows, report.new, report.errors) == (3, 3, 0)
    first = _rows(name)[0]
    assert first[1:4] == ("Marie", "Dubois", "marie.dubois@example.org")
    notes = _rows(name)[1][-1].replace("\r\n", "\n")
    assert notes == "Deux lignes\nde notes"


def test_excel_dates_and_numbers_become_text() -> None:
    rows = _rows("customers.xlsx")
    assert rows[0][5] == "75011"
    assert rows[0][6].startswith("1980-12-25")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "is empty"),
        ("zip_disguised.csv", "is a ZIP archive"),
        ("picture.csv", "is a PNG picture"),
        # a .txt is read as delimited text (Excel's "Unicode Text" save); prose is not a list
        ("notes.txt", "no column is a customer field"),
        ("../readers/customers.numbers", r"only \.csv, \.txt, \.xlsx, \.xls and \.vcf"),
        ("header_only.csv", "no rows"),
    ],
)
def test_unusable_files_are_refused_clearly(engine: Engine, name: str, message: str) -> None:
    with pytest.raises(SpreadsheetError, match=message):
        check_import(engine, FIXTURES / name)


def test_headers_map_by_name_and_alias() -> None:
    cmap = map_headers(
        [
            "First Name",
            "last_name",
            "Prénom",
            "E-mail",
            "Customer Code",
            "Zip",
            "Code postal",
            "YTD Balance",
            "Loyalty Points",
            "Shoe size",
            "Colour",
        ],
        custom_fields=["Shoe size"],
    )
    assert cmap.fields == {
        0: "first_name",
        1: "last_name",
        3: "email",
        4: "customer_code",
        5: "postal_code",
        9: "custom:Shoe size",
    }
    assert cmap.duplicates == (2, 6)
    assert cmap.read_only == (7, 8)
    assert cmap.unknown == (10,)


def test_errors_and_warnings_by_row_and_column(engine: Engine) -> None:
    seed_demo(engine, customers=0, products=0)
    report = check_import(engine, FIXTURES / "errors.csv")
    found = {(p.row, p.column, p.level) for p in report.problems}
    assert (2, "email", "error") in found
    assert (2, "discount_percent", "error") in found
    assert (2, "group", "error") in found
    assert (3, "birth_date", "warning") in found
    assert (3, "first_name", "warning") in found  # no name
    assert (4, "customer_code", "error") in found  # same code as row 2
    assert report.errors == 4 and report.warnings == 2
    assert any("Favourite colour" in n for n in report.notices)
    assert any("loyalty_balance" in n for n in report.notices)
    with pytest.raises(ImportBlocked):
        apply_import(engine, report, allow_warnings=True)


def test_likely_duplicate_of_existing_customer_is_a_warning(engine: Engine, tmp_path: Path) -> None:
    seed_demo(engine, customers=5, products=0)
    with session_scope(engine) as s:
        email, code = s.exec(
            select(Customer.email, Customer.customer_code).where(Customer.email != "")
        ).first()  # type: ignore[call-overload]
    path = tmp_path / "dup.csv"
    path.write_text(f"first_name,email\nTwin,{email.upper()}\n")
    report = check_import(engine, path)
    assert report.warnings == 1
    assert code in report.problems[0].message


def test_warnings_need_consent_then_import(engine: Engine) -> None:
    report = check_import(engine, FIXTURES / "warnings.csv")
    assert (report.errors, report.warnings) == (0, 2)
    with pytest.raises(ImportBlocked):
        apply_import(engine, report)
    result = apply_import(engine, report, allow_warnings=True)
    assert result.created == 1
    with session_scope(engine) as s:
        row = s.exec(select(Customer).where(Customer.code_key == "w-1")).one()
        assert row.birth_date is None and row.email == "w@example.org"


def test_annotated_file_keeps_format_and_reimports(engine: Engine, tmp_path: Path) -> None:
    report = check_import(engine, FIXTURES / "cp1252_semicolon.csv")
    assert report.errors == 2  # VIP and Student do not exist in an empty store
    out = write_annotated(report, tmp_path / "fixed.csv")
    raw = out.read_bytes()
    raw.decode("cp1252")
    with out.open(encoding="cp1252", newline="") as fh:
        table = list(csv.reader(fh, delimiter=";"))
    assert table[0][-1] == PROBLEMS_HEADER
    assert "unknown group" in table[1][-1] and table[2][-1] == ""
    assert table[0][:-1] == list(open_sheet(FIXTURES / "cp1252_semicolon.csv").headers)
    again = check_import(engine, out)
    assert again.errors == report.errors
    xlsx = write_annotated(check_import(engine, FIXTURES / "customers.xls"), tmp_path / "x.xls")
    assert xlsx.suffix == ".xlsx"
    assert open_sheet(xlsx).headers[-1] == PROBLEMS_HEADER


def _snapshot(engine: Engine) -> list[tuple[object, ...]]:
    """The customers, and on SQLite the schema too (the search triggers included)."""
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM customer ORDER BY id"))]
        if engine.dialect.name == "sqlite":
            rows += [
                tuple(r)
                for r in conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY 2"))
            ]
        return rows


def test_failure_mid_apply_leaves_database_unchanged(
    any_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after rows were written (updates and inserts) rolls every one back."""
    from tillterm.spreadsheet.applying import CustomerWriter

    written: list[tuple[int, int]] = []
    write = CustomerWriter.write

    def write_then_fail(self: CustomerWriter, *args: Any, **kwargs: Any) -> tuple[int, int]:
        written.append(write(self, *args, **kwargs))
        if sum(c + u for c, u in written) >= 25:
            raise RuntimeError("simulated failure in the middle of an import")
        return written[-1]

    monkeypatch.setattr(CustomerWriter, "write", write_then_fail)
    seed_demo(any_engine, customers=20, products=0)
    before = _snapshot(any_engine)
    path = tmp_path / "all.csv"
    export_customers(any_engine, path)
    header, *rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    city, code = header.index("city"), header.index("customer_code")
    moved = [[*r[:city], "Quimper", *r[city + 1 :]] for r in rows]  # every one changes
    extra = [[*r[:code], "NEW" + r[code], *r[code + 1 :]] for r in rows]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *moved, *extra])
    report = check_import(any_engine, path)
    assert (report.new, report.updated, report.unchanged, report.errors) == (20, 20, 0, 0)
    assert report.warnings  # the new rows share the old rows' emails
    with pytest.raises(RuntimeError, match="simulated failure"):
        apply_import(any_engine, report, allow_warnings=True)
    assert written == [(20, 20)]  # the rows were in the table when it failed
    assert _snapshot(any_engine) == before
    # the search index still follows every write: a customer created now is found
    with session_scope(any_engine) as session:
        create_customer(session, {"first_name": "Zéphyrine", "last_name": "Quillard"})
    with session_scope(any_engine) as session:
        assert [c.last_name for c in search_customers(session, "zephyrine")] == ["Quillard"]


def test_export_import_round_trip_is_unchanged(any_engine: Engine, tmp_path: Path) -> None:
    seed_demo(any_engine, customers=40, products=0)
    first = tmp_path / "a.csv"
    export_customers(any_engine, first)
    result = apply_import(any_engine, check_import(any_engine, first))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 40)
    second = tmp_path / "b.csv"
    export_customers(any_engine, second)
    assert first.read_bytes() == second.read_bytes()


def test_round_trip_into_a_new_store_and_through_xlsx(engine: Engine, tmp_path: Path) -> None:
    from tillterm.store.engine import open_db

    seed_demo(engine, customers=30, products=0)
    original = tmp_path / "a.xlsx"
    export_customers(engine, original)
    fresh = open_db(tmp_path / "fresh.db")
    seed_demo(fresh, customers=0, products=0)
    result = apply_import(fresh, check_import(fresh, original))
    assert result.created == 30
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    export_customers(engine, a)
    export_customers(fresh, b)

    def body(p: Path) -> list[list[str]]:
        with p.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        return [r[:1] + r[2:] for r in rows]  # created_at differs in a new store

    assert body(a) == body(b)
    fresh.dispose()


def test_staged_and_bound_inserts_store_the_same_rows(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New customers go in through an ADBC-staged image when the driver is there, else
    through ``executemany``: both must store exactly the same thing."""
    from tillterm.store import staging
    from tillterm.store.engine import open_db

    assert staging.available(), "the ADBC SQLite driver is a dependency"
    seed_demo(engine, customers=60, products=0)
    with session_scope(engine) as session:
        c = session.exec(select(Customer)).first()
        assert c is not None
        c.discount_percent, c.notes, c.birth_date = Decimal("12.5"), "=x\nsecond line", None
    path = tmp_path / "all.csv"
    export_customers(engine, path)

    def imported(name: str) -> list[tuple[object, ...]]:
        store = open_db(tmp_path / name)
        seed_demo(store, customers=0, products=0)
        assert apply_import(store, check_import(store, path), allow_warnings=True).created == 60
        with store.connect() as conn:
            columns = [c.name for c in Customer.__table__.columns]  # type: ignore[attr-defined]
            keep = [c for c in columns if c not in ("created_at", "updated_at", *STAMPS)]
            rows = [
                tuple(r)
                for r in conn.exec_driver_sql(f"SELECT {', '.join(keep)} FROM customer ORDER BY id")
            ]
            tags = conn.exec_driver_sql("SELECT * FROM customer_tag ORDER BY 1, 2").all()
            found = conn.exec_driver_sql(
                "SELECT count(*) FROM search_all WHERE search_all MATCH 'a*'"
            ).scalar_one()
        store.dispose()
        return [*rows, *map(tuple, tags), (found,)]

    staged = imported("staged.db")
    monkeypatch.setattr(staging, "available", lambda: False)
    assert staged == imported("bound.db")


def test_staged_and_bound_inserts_agree_on_every_engine(
    any_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staged new customers (an ADBC image on SQLite, COPY on PostgreSQL) are stored
    exactly as rows bound one by one would be."""
    import polars as pl

    from tillterm.store import staging

    seed_demo(any_engine, customers=30, products=0)
    with session_scope(any_engine) as session:
        odd = session.exec(select(Customer).order_by(Customer.id)).first()
        assert odd is not None
        odd.discount_percent, odd.birth_date = Decimal("12.5"), None
        odd.notes, odd.company = 'say "hi",\nthen \\N', "\\N"
    original = tmp_path / "all.csv"
    export_customers(any_engine, original)
    frame = pl.read_csv(original.read_bytes().removeprefix(b"\xef\xbb\xbf"), infer_schema_length=0)
    for prefix in ("S", "B"):  # the same customers again, as new ones
        code = (pl.lit(prefix + "-") + pl.col("customer_code")).alias("customer_code")
        frame.with_columns(code).write_csv(tmp_path / f"{prefix}.csv")

    def stored(prefix: str) -> list[tuple[object, ...]]:
        skip = {"id", "customer_code", "code_key", "created_at", "updated_at", *STAMPS}
        columns = [c.name for c in Customer.__table__.columns if c.name not in skip]  # type: ignore[attr-defined]
        with any_engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT customer_code, {', '.join(columns)} FROM customer "
                    "WHERE customer_code LIKE :codes ORDER BY customer_code"
                ),
                {"codes": prefix + "-%"},
            ).all()
        return [(r[0][2:], *r[1:]) for r in rows]

    report = check_import(any_engine, tmp_path / "S.csv")
    assert apply_import(any_engine, report, allow_warnings=True).created == 30
    monkeypatch.setattr(staging, "frames_supported", lambda dialect: False)
    report = check_import(any_engine, tmp_path / "B.csv")
    assert apply_import(any_engine, report, allow_warnings=True).created == 30
    staged, bound = stored("S"), stored("B")
    assert len(staged) == 30 and staged == bound
    with session_scope(any_engine) as session:
        found = {c.customer_code[:2] for c in search_customers(session, odd.last_name, limit=200)}
    assert {"S-", "B-"} <= found


def test_formula_cells_are_neutralised_and_restored(engine: Engine, tmp_path: Path) -> None:
    for value in ['=HYPERLINK("x")', "+33 6", "-5", "@SUM(A1)", "'=x", "''+y", "plain", "'q"]:
        assert restore(neutralise(value)) == value
    seed_demo(engine, customers=1, products=0)
    with session_scope(engine) as s:
        c = s.exec(select(Customer)).one()
        c.first_name, c.notes, c.phone = '=HYPERLINK("http://x")', "'=kept", "+33 6 12 34 56 78"
    path = tmp_path / "f.csv"
    export_customers(engine, path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        cells = next(csv.DictReader(f))
    assert cells["first_name"].startswith("'=") and cells["phone"] == "'+33 6 12 34 56 78"
    apply_import(engine, check_import(engine, path))
    with session_scope(engine) as s:
        c = s.exec(select(Customer)).one()
        assert (c.first_name, c.notes, c.phone) == (
            '=HYPERLINK("http://x")',
            "'=kept",
            "+33 6 12 34 56 78",
        )


def test_update_touches_only_present_columns(engine: Engine, tmp_path: Path) -> None:
    seed_demo(engine, customers=3, products=0)
    with session_scope(engine) as s:
        c = s.exec(select(Customer).order_by(Customer.id)).first()
        assert c is not None
        code, last, email = c.customer_code, c.last_name, c.email
    path = tmp_path / "u.csv"
    path.write_text(
        f"Customer Code;Prénom;Tags;Mobile\n{code.lower()};Zoé;vip, bio;06 00 00 00 01\n"
    )
    result = apply_import(engine, check_import(engine, path))
    assert (result.created, result.updated) == (0, 1)
    with session_scope(engine) as s:
        c = s.exec(select(Customer).where(Customer.customer_code == code)).one()
        assert (c.first_name, c.last_name, c.email) == ("Zoé", last, email)
        assert c.phone_mobile == "06 00 00 00 01" and "0600000001" in c.phone_digits
        tags = s.exec(
            text(
                "SELECT t.name FROM tag t JOIN customer_tag ct ON ct.tag_id = t.id "
                "WHERE ct.customer_id = :i ORDER BY t.name"
            ),
            params={"i": c.id},
        ).all()
        assert [t[0] for t in tags] == ["bio", "vip"]
        assert s.exec(select(func.count()).select_from(Customer)).one() == 3


def test_new_customers_take_ids_someone_else_interleaved_postgresql(
    pg_engine: Engine, tmp_path: Path
) -> None:
    """The ids of an import's new customers come back as their bounds when they follow
    one another; when another register took some meanwhile (here: a sequence stepping
    by 3), they come back one by one, and the tags go to the right customers."""
    seed_demo(pg_engine, customers=0, products=0)
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("ALTER SEQUENCE customer_id_seq INCREMENT BY 3")
    path = tmp_path / "ids.csv"
    path.write_text("first_name,tags\nAnn,a\nBen,b\nCid,c\n")
    assert apply_import(pg_engine, check_import(pg_engine, path)).created == 3
    with session_scope(pg_engine) as s:
        rows = s.exec(
            text(
                "SELECT c.id, c.first_name, t.name FROM customer c JOIN customer_tag ct "
                "ON ct.customer_id = c.id JOIN tag t ON t.id = ct.tag_id ORDER BY c.id"
            )
        ).all()
    assert [(name, tag) for _, name, tag in rows] == [("Ann", "a"), ("Ben", "b"), ("Cid", "c")]
    assert [b - a for (a, *_), (b, *_) in pairwise(rows)] == [3, 3]


def test_blank_codes_are_generated_without_collisions(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("first_name,customer_code\nA,\nB,\nC,2900000000017\n")
    apply_import(engine, check_import(engine, path))
    with session_scope(engine) as s:
        codes = list(s.exec(select(Customer.customer_code)))
    assert len(set(codes)) == 3 and all(codes)


def test_generated_codes_avoid_codes_in_the_store_and_in_the_file(
    any_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drawn code that a customer already has, that the file gives another row, or that
    was drawn twice, is drawn again (staged on SQLite, bound rows on PostgreSQL)."""
    from tillterm.spreadsheet import applying

    seed_demo(any_engine, customers=0, products=0)
    with session_scope(any_engine) as session:
        create_customer(session, {"first_name": "Kept", "customer_code": "KEEP2345"})
    batches = iter([["KEEP2345", "FILE2345", "NEWA2345"], ["NEWA2345"], ["NEWB2345", "NEWC2345"]])
    singles = iter(["NEWB2345", "FRSH2345"])
    monkeypatch.setattr(applying, "generate_codes", lambda n: next(batches))
    monkeypatch.setattr(applying, "generate_code", lambda: next(singles))
    path = tmp_path / "blank.csv"
    path.write_text("first_name,customer_code\nA,\nB,\nC,\nD,FILE2345\n")
    result = apply_import(any_engine, check_import(any_engine, path))
    assert result.created == 4
    with session_scope(any_engine) as s:
        codes = dict(s.exec(select(Customer.first_name, Customer.customer_code)).all())
    assert codes == {
        "Kept": "KEEP2345",
        "A": "FRSH2345",
        "B": "NEWB2345",
        "C": "NEWC2345",
        "D": "FILE2345",
    }
    with session_scope(any_engine) as session:
        assert [c.first_name for c in search_customers(session, "FRSH2345")] == ["A"]


def test_cli_exit_codes(engine: Engine, db_path: Path, tmp_path: Path) -> None:
    seed_demo(engine, customers=0, products=0)
    db = ["--db", str(db_path)]
    ann = tmp_path / "ann.csv"
    assert run_cli([*db, "import", str(FIXTURES / "errors.csv"), "--annotated", str(ann)]) == 1
    assert ann.exists()
    assert run_cli([*db, "import", str(FIXTURES / "warnings.csv")]) == 3
    assert run_cli([*db, "import", str(FIXTURES / "picture.csv")]) == 2
    assert run_cli([*db, "import", str(tmp_path / "missing.csv")]) == 2
    assert run_cli([*db, "import", str(FIXTURES / "utf8.csv"), "--dry-run"]) == 0
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 0
    assert run_cli([*db, "import", str(FIXTURES / "warnings.csv"), "--continue-anyway"]) == 0
    assert run_cli([*db, "import", str(FIXTURES / "utf8.csv")]) == 0
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 4
    out = tmp_path / "e.csv"
    assert run_cli([*db, "export", str(out), "--group", "VIP"]) == 0
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 2
    assert run_cli([*db, "export", str(tmp_path / "e.txt")]) == 2
    assert run_cli([*db, "export", str(tmp_path / "f.csv"), "--group", "Nope"]) == 2
    assert not (tmp_path / "f.csv").exists()


def test_imported_and_updated_customers_are_searchable(any_engine: Engine, tmp_path: Path) -> None:
    from tillterm.customers.profiles import search_customers

    seed_demo(any_engine, customers=0, products=0)
    first = tmp_path / "first.csv"
    first.write_text(
        "first_name,last_name,phone,customer_code\n"
        "Léa,Fauré,06 12 34 56 78,IMP-1\nNoé,Quintal,,IMP-2\n"
    )
    apply_import(any_engine, check_import(any_engine, first))
    update = tmp_path / "update.csv"
    update.write_text("customer_code,last_name\nIMP-2,Zébulon\n")
    apply_import(any_engine, check_import(any_engine, update))
    with session_scope(any_engine) as s:
        assert [r.customer_code for r in search_customers(s, "lea faur")] == ["IMP-1"]
        assert [r.customer_code for r in search_customers(s, "0612")] == ["IMP-1"]
        assert [r.customer_code for r in search_customers(s, "zebul")] == ["IMP-2"]
        assert search_customers(s, "quintal") == []


def test_apply_writes_the_checked_rows_once_and_then_forgets_them(
    engine: Engine, tmp_path: Path
) -> None:
    seed_demo(engine, customers=0, products=0)
    path = tmp_path / "once.csv"
    path.write_text("first_name,customer_code\nAnna,ONCE-1\n")
    report = check_import(engine, path)
    assert report.checked is not None and report.checked.available
    apply_import(engine, report)
    assert not report.checked.available  # the converted rows are deleted once written
    with pytest.raises(SpreadsheetError, match="already imported"):
        apply_import(engine, report)
    path.write_text("first_name,customer_code\nAnna,ONCE-1\nBob,ONCE-2\n")
    edited = check_import(engine, path)
    path.write_text("first_name,customer_code\nAnna,ONCE-1\nBob,ONCE-2\nCleo,ONCE-3\n")
    with pytest.raises(SpreadsheetError, match="changed since it was checked"):
        apply_import(engine, edited)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 1


def test_a_group_renamed_after_the_check_stops_the_import(engine: Engine, tmp_path: Path) -> None:
    from tillterm.customers.groups import delete_group, find_group

    seed_demo(engine, customers=0, products=0)
    path = tmp_path / "vip.csv"
    path.write_text("first_name,group,customer_code\nAnna,VIP,G-1\n")
    report = check_import(engine, path)
    assert report.errors == 0
    with session_scope(engine) as s:
        group = find_group(s, "VIP")
        assert group is not None
        delete_group(s, group.id)
    with pytest.raises(SpreadsheetError, match="check it again"):
        apply_import(engine, report)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 0
