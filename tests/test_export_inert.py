"""Every exported cell is inert (issue 12 §2): no control character reaches a file.

The door now refuses control characters, but a database written by an older tillterm
(or by another program) may still hold them: the store here is written with plain SQL,
as such a program would. The export turns each such character into what
``typed_text.visible_text`` shows for it ("␛" for ESC, "␇" for BEL, "�" for a C1 or
text-direction control), keeps line breaks and tabs only in the fields that allow them
(notes, custom fields) and leaves markup-looking text exactly as stored; on every path:
the native reader's own process, the in-process ``sqlite3`` fallback, PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tillterm.core.typed_text import FORBIDDEN_PATTERN, first_forbidden, visible_expr, visible_text
from tillterm.customers.custom_fields import define_field, set_customer_values
from tillterm.customers.groups import create_group
from tillterm.customers.profiles import create_customer
from tillterm.spreadsheet.annotate import write_annotated
from tillterm.spreadsheet.columns import PROBLEMS_HEADER
from tillterm.spreadsheet.export import export_customers
from tillterm.spreadsheet.importing import check_import
from tillterm.store.engine import open_db, session_scope

ESC, BEL, C1, RLO = "\x1b", "\x07", "\x9b", "\u202e"
CLEAR = f"{ESC}[2J"
CLIPBOARD = f"{ESC}]52;c;ZXZpbA=={ESC}\\"
NATIVE = ("adbc_driver_manager", "adbc_driver_sqlite", "nanoarrow")
FIELD = "Shoe [/] size"

#: column → (value stored with plain SQL, the cell the export must hold)
STORED = {
    "first_name": (f"Clear{CLEAR}me", "Clear␛[2Jme"),
    "last_name": (f"Clip{CLIPBOARD}", "Clip␛]52;c;ZXZpbA==␛\\"),
    "company": (f"Ring{BEL}{BEL}", "Ring␇␇"),
    "city": (f"C1{C1}6n", "C1\ufffd6n"),
    "address1": (f"Right{RLO}to left", "Right\ufffdto left"),
    "email": (f"bell{BEL}@example.com", "bell␇@example.com"),
    "notes": (
        f"first line\nsecond{ESC}[31m\tred\r\nthird\rback",
        "first line\nsecond␛[31m\tred\r\nthird␍back",
    ),
}


def _store(engine: Engine) -> None:
    """Two customers, a group, a tag and a custom field; then hostile text in plain SQL."""
    with session_scope(engine) as s:
        define_field(s, FIELD, "text")
        create_group(s, "Plain group")
        for code, first in (("H1", "Hostile"), ("H2", "[/]")):
            create_customer(
                s,
                {
                    "customer_code": code,
                    "first_name": first,
                    "last_name": "[@click=app.quit]x[/]",
                    "group": "Plain group",
                    "tags": ["plain tag"],
                },
            )
    with engine.begin() as conn:
        sets = ", ".join(f"{column} = :{column}" for column in STORED)
        conn.execute(
            text(f"UPDATE customer SET {sets} WHERE customer_code = 'H1'"),
            {column: stored for column, (stored, _) in STORED.items()},
        )
        conn.execute(
            text("UPDATE customer SET address2 = :v WHERE customer_code = 'H2'"),
            {"v": "lone\nnewline"},
        )
        conn.execute(text("UPDATE customer_group SET name = :v"), {"v": f"Group{RLO}{ESC}[5m"})
        conn.execute(text("UPDATE tag SET name = :v"), {"v": f"tag{BEL}"})
        conn.execute(
            text(
                "INSERT INTO custom_field_value (customer_id, field_id, value) "
                "SELECT c.id, f.id, :v FROM customer c, custom_field f "
                "WHERE c.customer_code = 'H1'"
            ),
            {"v": f"cf{ESC}[2J\nline\t2"},
        )


def _rows(path: Path) -> dict[str, dict[str, str]]:
    if path.suffix == ".csv":
        body = path.read_bytes().decode("utf-8-sig")
        # nothing forbidden in the whole file but line ends (its own CR LF, and the line
        # breaks inside quoted notes and custom fields)
        assert first_forbidden(body.replace("\r\n", "\n"), multiline=True) is None
        rows = list(csv.DictReader(io.StringIO(body, newline="")))
    else:
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
        rows = [{k: v or "" for k, v in row.items()} for row in frame.iter_rows(named=True)]
        # a workbook escapes a control character as "_x001B_": none may be there either
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                # (but a note's CR LF, which XML can only hold as "_x000D_" + line feed)
                data = archive.read(name).decode("utf-8").replace("_x000D_\n", "\n")
                assert "_x00" not in data, name
                assert first_forbidden(data, multiline=True) is None, name
    return {row["customer_code"]: row for row in rows}


def _assert_inert(path: Path) -> None:
    rows = _rows(path)
    assert set(rows) == {"H1", "H2"}
    for row in rows.values():
        for header, cell in row.items():
            multiline = header == "notes" or header.startswith("custom:")
            assert first_forbidden(header) is None
            bad = first_forbidden(cell.replace("\r\n", "\n"), multiline=multiline)
            assert bad is None, (header, cell)
    h1, h2 = rows["H1"], rows["H2"]
    for column, (_, shown) in STORED.items():
        assert h1[column] == shown, column
    assert h1[f"custom:{FIELD}"] == "cf␛[2J\nline\t2"  # line break and tab kept
    assert h1["group"] == h2["group"] == "Group\ufffd␛[5m"
    assert h1["tags"] == h2["tags"] == "tag␇"
    assert h2["address2"] == "lone newline"  # one line: a space, as visible_text does
    assert h2["first_name"] == "[/]"  # markup-looking text exactly as stored
    assert h1["last_name"] != h2["last_name"] == "[@click=app.quit]x[/]"


def _reimport_is_clean(engine: Engine, path: Path) -> None:
    """The export reads back without a word about characters that cannot be printed."""
    report = check_import(engine, path)
    messages = [p.message for p in report.problems]
    assert not any("cannot be printed" in m for m in messages), messages
    # the only problem: the group the file names ("Group�␛[5m") is not the stored one
    assert all("group" in p.column for p in report.problems), messages
    assert report.warnings == 0


def _without_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NATIVE:
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError


@pytest.fixture(params=["native", "fallback"])
def sqlite_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The export's two SQLite paths: its own process (ADBC), Python's sqlite3 in this one."""
    if request.param == "fallback":
        _without_driver(monkeypatch)
    return str(request.param)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Engine]:
    eng = open_db(pg_url)
    yield eng
    eng.dispose()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_sqlite_export_is_inert(
    engine: Engine,
    tmp_path: Path,
    sqlite_path: str,
    suffix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _store(engine)
    out = tmp_path / f"customers{suffix}"
    with caplog.at_level(logging.WARNING, logger="tillterm.spreadsheet.export"):
        assert export_customers(engine, out) == 2
    assert ("ADBC SQLite driver is not available" in caplog.text) == (sqlite_path == "fallback")
    _assert_inert(out)
    _reimport_is_clean(engine, out)


def test_a_separator_in_a_cell_is_inert_too(engine: Engine, tmp_path: Path) -> None:
    """The native reader's packing separator (US, U+001F) in a cell: read column by column,
    and shown as "␟" like any other control."""
    _store(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customer SET title = :v"), {"v": "Dr\x1fX"})
    out = tmp_path / "customers.csv"
    export_customers(engine, out)
    _assert_inert(out)
    assert {row["title"] for row in _rows(out).values()} == {"Dr␟X"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_postgresql_export_is_inert(pg_store: Engine, tmp_path: Path, suffix: str) -> None:
    _store(pg_store)
    out = tmp_path / f"customers{suffix}"
    assert export_customers(pg_store, out) == 2
    _assert_inert(out)
    _reimport_is_clean(pg_store, out)


def test_a_clean_store_exports_as_before(engine: Engine, tmp_path: Path) -> None:
    """Text that is text is never touched: notes keep CR LF, line feeds and tabs."""
    with session_scope(engine) as s:
        create_customer(s, {"customer_code": "C1", "first_name": "Zoë", "notes": "a\n\tb [/]"})
    out = tmp_path / "customers.csv"
    export_customers(engine, out)
    (row,) = _rows(out).values()
    assert (row["first_name"], row["notes"]) == ("Zoë", "a\n\tb [/]")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_annotated_copy_keeps_the_file_and_its_problem_column_is_inert(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    """The person's own cells come back as their file had them (it is their file); the
    column tillterm adds quotes their headers (a header read as "email" may hold a BEL)
    and the store's choices (stored by an older version), and holds no control character.
    """
    with session_scope(engine) as s:
        define_field(s, "Colour", "choice", ["red", "blue"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE custom_field SET choices = :v"), {"v": f"red{CLEAR}\nblue"})
    header = [f"customer_code{BEL}", "first_name", f"E{ESC}mail{BEL}", "custom:Colour", "extra"]
    cells = [
        ["A1", f"Bell{BEL}", f"not an email{CLEAR}", "green", f"x{ESC}"],
        ["A2", "[@click=app.quit]x[/]", "a@example.com", "", "[/]"],
    ]
    source = tmp_path / f"people{suffix}"
    if suffix == ".csv":
        with source.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *cells])
    else:
        pl.DataFrame(cells, schema=header, orient="row").write_excel(source)
    report = check_import(engine, source)
    out = write_annotated(report, tmp_path / f"people-annotated{suffix}")
    if suffix == ".csv":
        with out.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    else:
        frame = pl.read_excel(out, engine="calamine", infer_schema_length=0, has_header=False)
        rows = [[v or "" for v in row] for row in frame.iter_rows()]
    assert [row[:-1] for row in rows] == [header, *cells]  # their file, as it was
    assert rows[0][-1] == PROBLEMS_HEADER
    added = [row[-1] for row in rows[1:]]
    assert "not one of: red␛[2J, blue" in added[0] and "E␛mail␇" in added[0], added
    for cell in added:
        assert not re.search(FORBIDDEN_PATTERN, cell), cell


@pytest.mark.parametrize("multiline", [False, True])
def test_the_file_rule_is_visible_text(multiline: bool) -> None:
    """One rule: for every character a polars string can hold, the export's vectorised
    form gives what ``visible_text`` shows, except the tab a field of lines keeps."""
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    values = [f"a{ch}b" for ch in chars] + ["x\r\ny\rz"]
    got = (
        pl.Series("v", values)
        .to_frame()
        .select(visible_expr(pl.col("v"), multiline=multiline))
        .to_series()
        .to_list()
    )
    expected = [visible_text(v, multiline=multiline) for v in values]
    if multiline:
        expected[ord("\t")] = "a\tb"
    assert got == expected


def _packed_frame(engine: Engine) -> tuple[list[str], pl.DataFrame]:
    """Rows packed as the native reader's SQL packs them (this Python's SQLite may lack
    ``concat_ws``: the columns are read apart through sqlite3 and packed by polars)."""
    from tillterm.spreadsheet import export
    from tillterm.spreadsheet.export_writer import SEPARATOR, packed_parts

    with engine.connect() as conn:
        headers, query = export._prepare(conn, None, False)
        job = export._native_job(conn, query, headers, ".csv")
        assert job is not None
        result = conn.exec_driver_sql(job["columns_sql"])
        raw = pl.DataFrame(result.fetchall(), schema=list(result.keys()), orient="row")
    packed = raw.select(
        pl.concat_str(
            [pl.col(f"c{i}").cast(pl.String).fill_null("") for i in indexes],
            separator=SEPARATOR,
        ).alias(label)
        for label, indexes in packed_parts(headers)
    )
    return headers, packed


@pytest.mark.parametrize("hostile", [False, True])
def test_line_breaks_in_notes_keep_the_fast_path(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, hostile: bool
) -> None:
    """Notes with line breaks are common: their packed text is scanned by the notes'
    rule, so a clean store's partitions are never scanned column by column."""
    from tillterm.spreadsheet import export_writer

    with session_scope(engine) as s:
        define_field(s, FIELD, "text")
        made = create_customer(
            s, {"customer_code": "N1", "first_name": "Ann", "notes": "one\ntwo\tthree"}
        )
        set_customer_values(s, made.id, {FIELD: "a\nb"})
    if hostile:
        with engine.begin() as conn:
            conn.execute(text("UPDATE customer SET notes = :v"), {"v": f"one{ESC}\ntwo"})
    headers, frame = _packed_frame(engine)
    assert frame.columns == ["packed", "packed_lines"]
    scanned: list[frozenset[str]] = []
    real = export_writer.dirty_columns

    def recording(raw: pl.DataFrame, names: list[str]) -> frozenset[str]:
        scanned.append(real(raw, names))
        return scanned[-1]

    monkeypatch.setattr(export_writer, "dirty_columns", recording)
    written: list[pl.DataFrame] = []

    class Collect:
        def write(self, out: pl.DataFrame) -> None:
            written.append(out)

    export_writer._Formatter(Collect(), headers)(frame)  # type: ignore[arg-type]
    (row,) = written[0].iter_rows(named=True)
    if hostile:
        assert scanned == [frozenset({f"c{headers.index('notes')}"})]
        assert row["notes"] == "one␛\ntwo"
    else:
        assert scanned == []
        assert row["notes"] == "one\ntwo\tthree" and row[f"custom:{FIELD}"] == "a\nb"
