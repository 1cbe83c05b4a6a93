"""Reading a spreadsheet as real stores produce it, without asking anything.

CSV files come from Excel on Windows (Windows-1252, semicolons in French locales), from
web apps (UTF-8, often with a BOM), with tabs, quoted multi-line notes and CRLF line
ends; from an old Mac Excel (Mac Roman, CR-only line ends) and from Excel's "Unicode
Text" save (a ``.txt``, UTF-16 with a BOM, tab-separated), so ``.txt`` files are read as
delimited text too. The encoding is found by trying strict UTF-8 over the whole file,
then Windows-1252 or Mac Roman (:mod:`tillterm.spreadsheet.text_encoding`: decoded text
holding C1 control characters is never customer data, and accented letters between letters say
which of the two wrote the file); the delimiter is the one of comma, semicolon and tab
seen most often outside quotes in the header. A ``.csv`` that is really a ZIP archive, a
picture or any binary is refused before parsing.

A CSV is read in blocks cut at record boundaries (a newline outside quotes), each parsed
by polars: a million rows never sit in memory at once. Every cell comes back as text;
the checker decides what it means. Excel files (``.xlsx``, ``.xls``) are read whole with
fastexcel: they hold at most about a million rows by design.

**Limits.** A file is checked against the limits below before the reader is handed it,
and refused with a message when over one: generous for real files (a million-row
export, as CSV or .xlsx, is well inside them), a wall for hostile ones (a zip bomb
declares a few KB that unpack to gigabytes). For ``.xlsx``, the ZIP's central directory
is read first (declared unpacked sizes, compression ratio of every part) and then the
first sheet's ``<dimension>``; the workbook is then read in a child process with a
memory ceiling (``tillterm.spreadsheet.excel_child``), so what the declared sizes hide
still cannot take the register's memory, and a panic of the engine is a message. A CSV
is streamed: its size, column count, row count, row length and cell length are checked
as it is read, before anything is written.

This module picks the opener by the file's suffix; each format's opener lives in a
module of its own (:mod:`~tillterm.spreadsheet.text_sheet`,
:mod:`~tillterm.spreadsheet.excel_sheet`, :mod:`~tillterm.spreadsheet.vcard_sheet`) and
hands back a :class:`~tillterm.spreadsheet.sheet.SheetSource`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tillterm.i18n import _
from tillterm.spreadsheet import refusals
from tillterm.spreadsheet.excel_sheet import open_excel
from tillterm.spreadsheet.refusals import ImportCancelled as ImportCancelled
from tillterm.spreadsheet.refusals import SpreadsheetError as SpreadsheetError
from tillterm.spreadsheet.refusals import refuse_size
from tillterm.spreadsheet.sheet import ROW as ROW
from tillterm.spreadsheet.sheet import Detected as Detected
from tillterm.spreadsheet.sheet import SheetSource as SheetSource
from tillterm.spreadsheet.text_sheet import open_text
from tillterm.spreadsheet.vcard_sheet import open_vcard
from tillterm.spreadsheet.whole_names import split_whole_names

SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".vcf")
#: files read as delimited text
TEXT_SUFFIXES = (".csv", ".txt")


def open_sheet(
    path: str | os.PathLike[str], *, poll: Callable[[], None] | None = None
) -> SheetSource:
    """Open a spreadsheet for import, or raise :class:`SpreadsheetError` saying why not.

    ``poll`` is called now and then while a workbook is read (a few times a second); it
    may raise (:class:`ImportCancelled`) to stop the read, which kills the reader.
    """
    file = Path(path).expanduser()
    if not file.exists():
        raise SpreadsheetError(_("{file} does not exist.").format(file=file))
    if file.is_dir():
        raise SpreadsheetError(_("{file} is a folder, not a spreadsheet.").format(file=file))
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        refused = _(
            "{file}: only .csv, .txt, .xlsx, .xls and .vcf files can be imported "
            "(this one is {suffix})."
        )
        raise SpreadsheetError(
            refused.format(file=file.name, suffix=suffix or _("without an extension"))
        )
    try:
        with file.open("rb") as fh:
            head = fh.read(65536)
        size = file.stat().st_size
    except OSError as exc:
        raise SpreadsheetError(
            _("{file} cannot be read: {reason}.").format(file=file.name, reason=exc.strerror or exc)
        ) from exc
    if not head:
        raise SpreadsheetError(_("{file} is empty.").format(file=file.name))
    if suffix == ".vcf":
        refuse_size(file, size, refusals.MAX_CSV_BYTES)
        return open_vcard(file)
    if suffix in TEXT_SUFFIXES:
        refuse_size(file, size, refusals.MAX_CSV_BYTES)
        source = open_text(file, head)
    else:
        source = open_excel(file, head, size, poll)
    split_whole_names(source)  # Odoo's one "Name" per contact
    return source
