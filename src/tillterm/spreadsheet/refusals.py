"""Why a file is refused before it is read: the limits stated in the README ("Import
and export") and the error that names them.

Generous for real files (a million-row export, as CSV or .xlsx, is well inside them), a
wall for hostile ones (a zip bomb declares a few KB that unpack to gigabytes). Readers
look the limits up here at call time (``refusals.MAX_ROWS``), so one place holds them.
"""

from __future__ import annotations

from pathlib import Path

from tillterm.core.errors import TilltermError

#: bytes read at a time from a text file
BLOCK_BYTES = 8 << 20

#: a CSV file on disk (a million-row export is about 180 MB)
MAX_CSV_BYTES = 2 << 30
#: an .xlsx file on disk, and everything in it once unpacked (a million-row export's
#: sheet unpacks to about 1 GB)
MAX_XLSX_BYTES = 1 << 30
MAX_UNPACKED_BYTES = 4 << 30
#: a part of an .xlsx may unpack to at most this many times its packed size (real
#: sheets: about 10; a zip bomb: about 1,000); parts under 1 MB unpacked are not judged
MAX_RATIO = 200
RATIO_FLOOR = 1 << 20
#: parts of an .xlsx, and the size of its ZIP directory (a workbook has a few dozen)
MAX_PARTS = 10_000
MAX_DIRECTORY_BYTES = 16 << 20
#: an .xls (Excel 97-2003 holds at most 65,536 rows × 256 columns)
MAX_XLS_BYTES = 256 << 20
#: rows of data (a full Excel sheet has 1,048,576), columns (Excel's own limit), cells
#: of a workbook's sheet
MAX_ROWS = 2_000_000
EXCEL_MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELLS = 60_000_000
#: characters in one cell (Excel's own limit is 32,767) and bytes in one CSV record
MAX_CELL_CHARS = 100_000
MAX_RECORD_BYTES = 64 << 20
#: the address space the Excel reader's child process may use (a million-row .xlsx
#: takes about 2.5 GB while it is read)
EXCEL_MEMORY = 6 << 30

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"\x89PNG", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"GIF8", "a GIF picture"),
    (b"%PDF", "a PDF document"),
    (b"RIFF", "a media file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BM", "a bitmap picture"),
    (b"II*\x00", "a TIFF picture"),
    (b"MM\x00*", "a TIFF picture"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3", "a database file"),
)


class SpreadsheetError(TilltermError):
    """The file cannot be used at all: wrong type, unreadable, empty, no known column."""


class ImportCancelled(TilltermError):
    """The person cancelled: nothing was imported."""


def mb(size: int) -> str:
    if size >= 1 << 30:
        return f"{size / (1 << 30):,.1f} GB"
    return f"{size / (1 << 20):,.0f} MB"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:200]


def refuse_size(file: Path, size: int, limit: int) -> None:
    if size > limit:
        raise SpreadsheetError(
            f"{file.name} is {mb(size)}: at most {mb(limit)} can be imported "
            "at once; split it in several files."
        )


def refuse_columns(file: Path, count: int) -> None:
    if count > MAX_COLUMNS:
        raise SpreadsheetError(
            f"{file.name} has {count:,} columns (at most {MAX_COLUMNS:,}, as in Excel); "
            "it is refused."
        )


def refuse_binary(path: Path, head: bytes, expected: str, *, text16: bool = False) -> None:
    """Refuse a file that is an archive, a picture, a document or any binary.

    ``text16``: the head is UTF-16 text (without a BOM), whose NUL bytes are letters.
    """
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise SpreadsheetError(
                f"{path.name} is {what}, not {expected}; export it as .csv, .xlsx or .xls."
            )
    if text16:
        return
    if b"\x00" in head[:65536] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError(f"{path.name} is a binary file, not {expected}.")
