"""Export on SQLite through the native (ADBC) reader: the same bytes as Python's sqlite3.

The native reader runs in the export's own process (``export_writer``), never in this
one; ``test_export_live_database.py`` holds that rule.

The ADBC SQLite driver infers each column's Arrow type from its first batch; these tests
make the first batches empty and the later ones full (codes like ``007``, phone numbers,
amounts), put the packing separator inside a cell, and compare every byte with the
export read through Python's ``sqlite3`` (the fallback when the driver is missing).
"""

from __future__ import annotations

import csv
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tillterm.demo.seeding import seed_demo
from tillterm.spreadsheet import export
from tillterm.spreadsheet.export import SEPARATOR, export_customers
from tillterm.spreadsheet.importing import apply_import, check_import

NATIVE = ("adbc_driver_manager", "adbc_driver_sqlite", "nanoarrow")


def _without_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NATIVE:
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError


def _export_both(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    suffix: str = ".csv",
) -> tuple[Path, Path]:
    native, fallback = tmp_path / f"native{suffix}", tmp_path / f"fallback{suffix}"
    with caplog.at_level(logging.WARNING, logger="tillterm.spreadsheet.export"):
        export_customers(engine, native)
        assert "sqlite3" not in caplog.text  # the native reader was used
        with monkeypatch.context() as patch:
            _without_driver(patch)
            export_customers(engine, fallback)
    assert "ADBC SQLite driver is not available" in caplog.text
    return native, fallback


def _late_filled_store(engine: Engine, count: int, first_empty: int) -> None:
    """Customers whose first ``first_empty`` rows have empty text and amounts, the rest
    full ones that look like numbers."""
    seed_demo(engine, customers=count, products=0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE customer SET company = '', postal_code = '', phone = '', notes = '', "
                "title = '', group_id = NULL, birth_date = NULL, discount_percent = NULL, "
                "balance_limit_cents = NULL WHERE id <= :n"
            ),
            {"n": first_empty},
        )
        conn.execute(text("DELETE FROM customer_tag WHERE customer_id <= :n"), {"n": first_empty})
        conn.execute(
            text(
                "UPDATE customer SET company = '0042', postal_code = '007', "
                "phone = '0612345678', notes = 'a, \"quoted\"\nline', title = '-5', "
                "group_id = (SELECT min(id) FROM customer_group), birth_date = '1980-12-25', "
                "discount_percent = 12500, balance_limit_cents = 12345 WHERE id > :n"
            ),
            {"n": first_empty},
        )


def _cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_native_export_is_byte_for_byte_the_python_one(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seed_demo(engine, customers=120, products=0)
    native, fallback = _export_both(engine, tmp_path, monkeypatch, caplog)
    assert native.read_bytes() == fallback.read_bytes()
    assert len(_cells(native)) == 120


@pytest.mark.parametrize("separator_in_a_cell", [False, True])
def test_columns_empty_at_first_keep_their_type_later(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    separator_in_a_cell: bool,
) -> None:
    monkeypatch.setattr(export, "NATIVE_BATCH", 256)  # types inferred from 256 empty rows
    _late_filled_store(engine, 1200, 1000)
    if separator_in_a_cell:
        # the packed row cannot be split: every column is read apart, typed in SQL
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE customer SET notes = :v WHERE id = 1100"), {"v": f"x{SEPARATOR}y"}
            )
    native, fallback = _export_both(engine, tmp_path, monkeypatch, caplog)
    assert native.read_bytes() == fallback.read_bytes()
    rows = _cells(native)
    assert len(rows) == 1200
    first, late = rows[0], rows[-1]
    fields = ("company", "postal_code", "phone", "balance_limit", "group", "birth_date")
    assert [first[f] for f in (*fields, "discount_percent", "tags")] == [""] * 8
    assert [late[f] for f in fields] == [
        "0042",
        "007",
        "0612345678",
        "123.45",
        late["group"],
        "1980-12-25",
    ]
    assert late["group"] and late["discount_percent"] == "12.5"
    assert late["title"] == "'-5"  # neutralised
    assert late["notes"] == 'a, "quoted"\nline'
    if separator_in_a_cell:
        # read apart, and made inert like any control character (issue 12 §2)
        assert rows[1099]["notes"] == "x␟y"


def test_native_export_imports_back_unchanged(engine: Engine, tmp_path: Path) -> None:
    _late_filled_store(engine, 300, 100)
    first = tmp_path / "a.csv"
    export_customers(engine, first)
    result = apply_import(engine, check_import(engine, first))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 300)
    second = tmp_path / "b.csv"
    export_customers(engine, second)
    assert first.read_bytes() == second.read_bytes()


def test_xlsx_from_the_native_reader_matches(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tillterm.spreadsheet.reading import open_sheet

    _late_filled_store(engine, 60, 20)
    native, fallback = _export_both(engine, tmp_path, monkeypatch, caplog, ".xlsx")

    def rows(path: Path) -> list[tuple[str, ...]]:
        return [r for b in open_sheet(path).batches() for r in b.rows()]

    assert rows(native) == rows(fallback)


def test_a_filtered_export_reads_natively_too(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tillterm.spreadsheet.export import export_view

    seed_demo(engine, customers=80, products=0)
    with engine.connect() as conn:
        name = conn.execute(text("SELECT last_name FROM customer WHERE id = 7")).scalar_one()
    path = tmp_path / "some.csv"
    with caplog.at_level(logging.WARNING):
        count = export_view(engine, path, name)
    assert "sqlite3" not in caplog.text
    assert 1 <= count < 80
    assert all(name.lower() in " ".join(r.values()).lower() for r in _cells(path))


def test_the_native_driver_loads_only_when_exporting() -> None:
    code = (
        "import sys\nfrom tillterm.cli import main\nimport tillterm.spreadsheet.export\n"
        "for args in (['--help'], ['--version'], ['export', '--help']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert not {m for m in out.stdout.split() if m.split(".")[0] in NATIVE}
