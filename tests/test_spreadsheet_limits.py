"""Hostile and broken files are refused with a message before they can take the memory.

Every file here is real and built by the test: a zip bomb made with ``zipfile``, a sheet
whose dimension claims all of Excel, a tiny sheet whose one cell sits a million rows
down (the engine would abort the process allocating 28 GB), a corrupt and a truncated
workbook, a CSV with a 10 MB cell and one with 20,000 columns.
"""

from __future__ import annotations

import resource
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tillterm.spreadsheet import refusals, xlsx_parts
from tillterm.spreadsheet.importing import check_import
from tillterm.spreadsheet.reading import ImportCancelled, SpreadsheetError, open_sheet
from tillterm.store.models import Customer

FIXTURES = Path(__file__).parent / "fixtures" / "spreadsheets"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def _book(path: Path, sheet_data: str | bytes, dimension: str | None = None) -> Path:
    """A minimal real .xlsx: content types, workbook, its relations and one sheet."""
    parts = {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            f'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            f'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'{_XML}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
            f'<sheet name="Clients" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    head = f'{_XML}<worksheet xmlns="{_MAIN}">{dim}<sheetData>'.encode()
    data = sheet_data.encode() if isinstance(sheet_data, str) else sheet_data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text)
        book.writestr("xl/worksheets/sheet1.xml", head + data + b"</sheetData></worksheet>")
    return path


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = f'<row r="1">{_cell("A1", "first_name")}</row>'


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(SpreadsheetError) as caught:
        open_sheet(path)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    assert "Traceback" not in message and "\n" not in message
    return message


def test_a_small_real_workbook_reads(tmp_path: Path) -> None:
    rows = HEADER_ROW + f'<row r="2">{_cell("A2", "Ann")}</row>'
    source = open_sheet(_book(tmp_path / "ok.xlsx", rows, "A1:A2"))
    assert source.headers == ("first_name",) and source.detected.sheet == "Clients"
    assert [r for b in source.batches() for r in b.rows()] == [("Ann", 2)]


def test_zip_bomb_is_refused_from_the_central_directory(tmp_path: Path) -> None:
    # 200 MB of one repeated row packs to about 200 KB: a thousand to one
    row = f"<row>{_cell('A2', 'x' * 50)}</row>".encode()
    bomb = _book(tmp_path / "bomb.xlsx", row * (200_000_000 // len(row)))
    assert bomb.stat().st_size < 2_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _refused(bomb, "bomb.xlsx", "times its packed size", "zip bomb")
    # nothing was unpacked: the peak memory of this process did not move by 100 MB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000


def test_declared_unpacked_size_over_the_limit(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rows = HEADER_ROW + "".join(f'<row r="{n}">{_cell(f"A{n}", "Ann")}</row>' for n in range(2, 50))
    book = _book(tmp_path / "big.xlsx", rows)
    monkeypatch.setattr(refusals, "MAX_UNPACKED_BYTES", 2000)
    _refused(book, "would unpack to", "at most")


def test_sheet_dimension_over_the_limits(tmp_path: Path) -> None:
    _refused(_book(tmp_path / "all.xlsx", HEADER_ROW, "A1:XFD1048576"), "columns")
    _refused(_book(tmp_path / "tall.xlsx", HEADER_ROW, "A1:B2000000"), "2,000,000 rows")
    _refused(_book(tmp_path / "wide.xlsx", HEADER_ROW, "A1:ACOF20"), "20,000 columns")
    _refused(_book(tmp_path / "cells.xlsx", HEADER_ROW, "A1:CV1000000"), "cells")


def test_a_sheet_the_engine_would_abort_on_is_a_message(tmp_path: Path) -> None:
    # one cell far away makes the engine allocate rows × columns cells: 28 GB, then
    # abort (SIGABRT) — in the register's own process that would kill the app
    rows = HEADER_ROW + f'<row r="2">{_cell("ALL900000", "Ann")}</row>'
    book = _book(tmp_path / "sparse.xlsx", rows, "A1:A2")
    _refused(book, "sparse.xlsx", "memory")


def test_corrupt_and_truncated_workbooks(tmp_path: Path) -> None:
    (tmp_path / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    _refused(tmp_path / "corrupt.xlsx", "corrupt.xlsx", "damaged ZIP")
    garbage = _book(tmp_path / "garbage.xlsx", "<row><c r='A1'><v>1</v></c><row><<<")
    _refused(garbage, "garbage.xlsx", "cannot be read as an Excel workbook")
    good = (FIXTURES / "customers.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    _refused(tmp_path / "cut.xlsx", "cut.xlsx")
    xls = (FIXTURES / "customers.xls").read_bytes()
    for n, cut in enumerate((len(xls) // 2, 4096, 600)):
        (tmp_path / f"cut{n}.xls").write_bytes(xls[:cut])
        _refused(tmp_path / f"cut{n}.xls", f"cut{n}.xls")
    # cut at 4 KB, the engine panics (pyo3's PanicException, a BaseException): a message
    _refused(tmp_path / "cut1.xls", "cannot be read as an Excel workbook: slice index")


def test_the_command_says_why_a_broken_workbook_is_refused(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tillterm.cli import main

    xls = (FIXTURES / "customers.xls").read_bytes()
    (tmp_path / "cut.xls").write_bytes(xls[:4096])  # a panic of the Excel engine
    rows = HEADER_ROW + f'<row r="2">{_cell("ALL900000", "Ann")}</row>'
    _book(tmp_path / "sparse.xlsx", rows, "A1:A2")  # an abort of the Excel engine
    for name in ("cut.xls", "sparse.xlsx"):
        assert main(["--db", str(db_path), "import", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"tillterm import: {name} cannot be read") and "Traceback" not in err


def test_xls_and_csv_size_limits(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(refusals, "MAX_XLS_BYTES", 1000)
    (tmp_path / "big.xls").write_bytes((FIXTURES / "customers.xls").read_bytes())
    _refused(tmp_path / "big.xls", "at most")
    monkeypatch.setattr(refusals, "MAX_CSV_BYTES", 1000)
    (tmp_path / "big.csv").write_text("first_name\n" + "Ann\n" * 500)
    _refused(tmp_path / "big.csv", "at most")


def test_csv_with_a_ten_megabyte_cell(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cell.csv"
    path.write_bytes(b"first_name,notes\nAnn,ok\nBob," + b"x" * 10_000_000 + b"\n")
    with pytest.raises(SpreadsheetError, match=r"row 3 has a cell of 10,000,000 characters"):
        check_import(engine, path)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Customer)).scalar_one() == 0


def test_csv_with_a_quote_never_closed_past_the_record_limit(
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(refusals, "MAX_RECORD_BYTES", 1 << 20)
    monkeypatch.setattr(refusals, "BLOCK_BYTES", 1 << 18)
    path = tmp_path / "quote.csv"
    path.write_bytes(b'first_name,notes\nAnn,"never closed\n' + b"line\n" * 400_000)
    with pytest.raises(SpreadsheetError, match="a row longer than 1 MB"):
        list(open_sheet(path).batches())


def test_twenty_thousand_columns(tmp_path: Path) -> None:
    header = ",".join(["first_name", *(f"col{i}" for i in range(19_999))])
    (tmp_path / "wide.csv").write_text(f"{header}\nAnn\n")
    _refused(tmp_path / "wide.csv", "20,000 columns")


def test_csv_rows_limit(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(refusals, "MAX_ROWS", 100)
    (tmp_path / "long.csv").write_text("first_name\n" + "Ann\n" * 101)
    with pytest.raises(SpreadsheetError, match="more than 100 rows"):
        list(open_sheet(tmp_path / "long.csv").batches())
    (tmp_path / "ok.csv").write_text("first_name\n" + "Ann\n" * 100)
    assert sum(b.height for b in open_sheet(tmp_path / "ok.csv").batches()) == 100


def test_reading_a_workbook_can_be_cancelled(tmp_path: Path) -> None:
    def cancel() -> None:
        raise ImportCancelled("Import cancelled: nothing was imported.")

    with pytest.raises(ImportCancelled):
        open_sheet(FIXTURES / "customers.xlsx", poll=cancel)


def test_a_zip_of_many_parts_is_refused_before_its_directory_is_parsed(
    tmp_path: Path,
) -> None:
    for count in (20_000, 70_000):  # 70,000 parts needs ZIP64 end records
        path = _book(tmp_path / f"parts{count}.xlsx", HEADER_ROW)
        with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as book:
            for n in range(count):
                book.writestr(f"x/{n}", b"")
        assert xlsx_parts._directory_size(path, path.stat().st_size)[0] == count + 5  # type: ignore[index]
        _refused(path, f"holds {count + 5:,} parts")
