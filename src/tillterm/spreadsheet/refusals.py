"""Why a file is refused before it is read: the limits stated in the README ("Import
and export") and the error that names them.

Generous for real files (a million-row export, as CSV or .xlsx, is well inside them), a
wall for hostile ones (a zip bomb declares a few KB that unpack to gigabytes). Readers
look the limits up here at call time (``refusals.MAX_ROWS``), so one place holds them.
"""

from __future__ import annotations

from pathlib import Path

from tillterm.core.errors import TilltermError
from tillterm.i18n import N_, _
from tillterm.i18n.formats import whole

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
    (b"PK\x03\x04", N_("a ZIP archive")),
    (b"PK\x05\x06", N_("a ZIP archive")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", N_("an old Office document")),
    (b"\x89PNG", N_("a PNG picture")),
    (b"\xff\xd8\xff", N_("a JPEG picture")),
    (b"GIF8", N_("a GIF picture")),
    (b"%PDF", N_("a PDF document")),
    (b"RIFF", N_("a media file")),
    (b"\x1f\x8b", N_("a gzip archive")),
    (b"BM", N_("a bitmap picture")),
    (b"II*\x00", N_("a TIFF picture")),
    (b"MM\x00*", N_("a TIFF picture")),
    (b"\x7fELF", N_("a program")),
    (b"SQLite format 3", N_("a database file")),
)


class SpreadsheetError(TilltermError):
    """The file cannot be used at all: wrong type, unreadable, empty, no known column."""


class ImportCancelled(TilltermError):
    """The person cancelled: nothing was imported."""


def mb(size: int) -> str:
    if size >= 1 << 30:
        return _("{size} GB").format(size=f"{size / (1 << 30):,.1f}")
    return _("{size} MB").format(size=f"{size / (1 << 20):,.0f}")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:200]


def refuse_size(file: Path, size: int, limit: int) -> None:
    if size > limit:
        raise SpreadsheetError(
            _(
                "{file} is {size}: at most {limit} can be imported "
                "at once; split it in several files."
            ).format(file=file.name, size=mb(size), limit=mb(limit))
        )


def refuse_columns(file: Path, count: int) -> None:
    if count > MAX_COLUMNS:
        raise SpreadsheetError(
            _("{file} has {count} columns (at most {limit}, as in Excel); it is refused.").format(
                file=file.name, count=whole(count), limit=whole(MAX_COLUMNS)
            )
        )


def refuse_binary(path: Path, head: bytes, expected: str, *, text16: bool = False) -> None:
    """Refuse a file that is an archive, a picture, a document or any binary.

    ``text16``: the head is UTF-16 text (without a BOM), whose NUL bytes are letters.
    """
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise SpreadsheetError(
                _("{file} is {what}, not {expected}; export it as .csv, .xlsx or .xls.").format(
                    file=path.name, what=_(what), expected=expected
                )
            )
    if text16:
        return
    if b"\x00" in head[:65536] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError(
            _("{file} is a binary file, not {expected}.").format(file=path.name, expected=expected)
        )
