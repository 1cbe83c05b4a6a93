"""Imports say what they will change: blanks that clear values, rows left unchanged.

The rule: a column present in the file is the new value, blank included; a row that
names a customer exactly as on file is not written (``updated_at`` kept, no search-index
churn). Real SQLite files and the real PostgreSQL; the CLI as a person runs it.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from tillterm.cli import main
from tillterm.demo.seeding import seed_demo
from tillterm.spreadsheet.export import export_customers
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.store import engine as tillterm_db
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer

FIXTURES = Path(__file__).parent / "fixtures" / "spreadsheets"


def _stamps(engine: Engine) -> dict[int, tuple[object, ...]]:
    """Each customer's ``updated_at`` and, on PostgreSQL, its row version (``xmin``
    changes on any UPDATE, even one writing the same values)."""
    version = "xmin::text" if engine.dialect.name == "postgresql" else "''"
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, updated_at, {version} FROM customer")).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _fts_segments(engine: Engine) -> list[tuple[object, ...]]:
    """SQLite: the search index's stored segments (any rewrite of a row adds some)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, length(block) FROM search_all_data ORDER BY id")).all()


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    header, *rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    rows = [change(header, list(r)) for r in rows]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def test_reimporting_an_unchanged_export_writes_nothing(any_engine: Engine, tmp_path: Path) -> None:
    seed_demo(any_engine, customers=60, products=0)
    path = tmp_path / "all.csv"
    export_customers(any_engine, path)
    before = _stamps(any_engine)
    segments = _fts_segments(any_engine) if any_engine.dialect.name == "sqlite" else None
    report = check_import(any_engine, path)
    assert (report.new, report.updated, report.unchanged) == (0, 0, 60)
    assert "60 unchanged" in report.summary() and report.clearing() == ""
    result = apply_import(any_engine, report)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 60)
    assert "60 unchanged" in result.summary()
    assert _stamps(any_engine) == before
    if segments is not None:
        assert _fts_segments(any_engine) == segments
    again = tmp_path / "again.csv"
    export_customers(any_engine, again)
    assert again.read_bytes() == path.read_bytes()


def test_only_the_rows_that_change_are_written(any_engine: Engine, tmp_path: Path) -> None:
    seed_demo(any_engine, customers=30, products=0)
    path = tmp_path / "all.csv"
    export_customers(any_engine, path)
    with any_engine.connect() as conn:
        codes = [r[0] for r in conn.execute(select(Customer.customer_code).order_by(Customer.id))]
    moved, tagged = codes[3], codes[7]

    def change(header: list[str], row: list[str]) -> list[str]:
        code = row[header.index("customer_code")]
        if code == moved:
            row[header.index("city")] = "Quimper"
        if code == tagged:  # only its tags change: still an update
            row[header.index("tags")] = "brand new tag"
        return row

    _rewrite(path, change)
    before = _stamps(any_engine)
    report = check_import(any_engine, path)
    assert (report.updated, report.unchanged) == (2, 28)
    result = apply_import(any_engine, report)
    assert (result.updated, result.unchanged) == (2, 28)
    after = _stamps(any_engine)
    with any_engine.connect() as conn:
        ids = dict(conn.execute(select(Customer.customer_code, Customer.id)).all())
    assert {i for i in after if after[i] != before[i]} == {ids[moved], ids[tagged]}
    with session_scope(any_engine) as s:
        assert s.get(Customer, ids[moved]).city == "Quimper"  # type: ignore[union-attr]


def test_blank_cells_clear_values_and_the_check_says_so(any_engine: Engine, tmp_path: Path) -> None:
    seed_demo(any_engine, customers=5, products=0)
    with session_scope(any_engine) as s:
        people = list(s.exec(select(Customer).order_by(Customer.id)).scalars())[:3]
        for c in people:
            c.notes = "pays by cheque, call first"
        people[0].city = "Brest"
        people[1].city = "Brest"
        codes = [c.customer_code for c in people]
    path = tmp_path / "u.csv"
    path.write_text(
        "customer_code,notes,city,first_name\n"
        f"{codes[0]},,,Anne\n"  # notes and city cleared
        f"{codes[1]},,Brest,{people[1].first_name}\n"  # notes cleared
        f"{codes[2]},pays by cheque, call first,,{people[2].first_name}\n".replace(
            "pays by cheque, call first", '"pays by cheque, call first"'
        )
    )
    report = check_import(any_engine, path)
    assert dict(report.cleared) == {"notes": 2, "city": 2 if people[2].city else 1}
    total = sum(dict(report.cleared).values())
    assert report.clearing().startswith(f"{total} values on file will be cleared")
    assert "notes 2" in report.clearing()
    apply_import(any_engine, report)
    with session_scope(any_engine) as s:
        first = s.exec(select(Customer).where(Customer.customer_code == codes[0])).scalar_one()
        assert (first.notes, first.city, first.first_name) == ("", "", "Anne")
        third = s.exec(select(Customer).where(Customer.customer_code == codes[2])).scalar_one()
        assert third.notes == "pays by cheque, call first"


def test_a_column_absent_from_the_file_is_left_alone(engine: Engine, tmp_path: Path) -> None:
    seed_demo(engine, customers=2, products=0)
    with session_scope(engine) as s:
        c = s.exec(select(Customer).order_by(Customer.id)).scalars().first()
        assert c is not None
        c.notes = "keep me"
        code = c.customer_code
    path = tmp_path / "u.csv"
    path.write_text(f"customer_code,first_name\n{code},Zoé\n")
    report = check_import(engine, path)
    assert report.cleared == () and report.updated == 1
    apply_import(engine, report)
    with session_scope(engine) as s:
        kept = s.exec(select(Customer).where(Customer.customer_code == code)).scalar_one()
        assert (kept.first_name, kept.notes) == ("Zoé", "keep me")


def test_dry_run_says_which_values_will_be_cleared(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_demo(engine, customers=2, products=0)
    with session_scope(engine) as s:
        c = s.exec(select(Customer).order_by(Customer.id)).scalars().first()
        assert c is not None
        c.notes = "VIP since 2019"
        code = c.customer_code
    path = tmp_path / "u.csv"
    path.write_text(f"customer_code,notes\n{code},\n")
    assert main(["--db", str(db_path), "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1 value on file will be cleared by blank cells: notes 1." in out
    assert "Dry run: nothing was imported." in out
    with session_scope(engine) as s:
        assert s.exec(select(Customer.notes).where(Customer.customer_code == code)).one() == (
            "VIP since 2019",
        )


def test_annotated_copy_is_private_and_never_replaces_a_file_unasked(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(db_path)]
    out = tmp_path / "ann.csv"
    assert main([*db, "import", str(FIXTURES / "errors.csv"), "--annotated", str(out)]) == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    first = out.read_bytes()
    out.write_text("precious")
    capsys.readouterr()
    assert main([*db, "import", str(FIXTURES / "errors.csv"), "--annotated", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "precious"
    args = [*db, "import", str(FIXTURES / "errors.csv"), "--annotated", str(out), "--force"]
    assert main(args) == 1
    assert out.read_bytes() == first and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main([*db, "import", str(FIXTURES / "utf8.csv"), "--force"]) == 2


def test_database_errors_have_their_own_exit_status(
    engine: Engine,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_demo(engine, customers=0, products=0)
    engine.dispose()
    monkeypatch.setattr(tillterm_db, "BUSY_TIMEOUT_MS", 300)
    other = sqlite3.connect(db_path)
    other.execute("BEGIN IMMEDIATE")  # another register holds the write lock
    try:
        assert main(["--db", str(db_path), "import", str(FIXTURES / "utf8.csv")]) == 4
    finally:
        other.rollback()
        other.close()
    err = capsys.readouterr().err
    assert "another register is holding the database" in err and "Traceback" not in err
    # a server that is not there
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    assert main(["--db", url, "import", str(FIXTURES / "utf8.csv")]) == 4
    # a file problem is still 2, errors in the file still 1
    assert main(["--db", str(db_path), "import", str(FIXTURES / "picture.csv")]) == 2
    assert main(["--db", str(db_path), "import", str(FIXTURES / "errors.csv")]) == 1
    assert os.path.exists(db_path)
