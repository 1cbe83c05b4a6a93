"""An .xlsx judged from its ZIP directory and its first sheet's declared size, before
anything is unpacked whole: a workbook whose parts would unpack too big (a zip bomb), or
whose first sheet is too big, is refused with the limit it breaks.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

from tillterm.i18n import _
from tillterm.i18n.formats import whole
from tillterm.spreadsheet import refusals
from tillterm.spreadsheet.layout import NumberFormats, xlsx_number_formats
from tillterm.spreadsheet.refusals import (
    SpreadsheetError,
    first_line,
    mb,
    refuse_columns,
    refuse_size,
)

_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Za-z0-9:$]+)\"")
_CELL = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,9})$")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _first_sheet_part(book: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part holding the workbook's first sheet (what the reader loads), if it says."""
    try:
        with book.open("xl/workbook.xml") as fh:
            workbook = fh.read(1 << 20)
        with book.open("xl/_rels/workbook.xml.rels") as fh:
            rels = fh.read(1 << 20)
    except (KeyError, OSError, zipfile.BadZipFile, NotImplementedError, EOFError):
        return None
    first = _SHEET.search(workbook)
    if not first:
        return None
    rid = re.escape(first.group(1))
    target = re.search(rb"<Relationship\b[^>]*?\bId=\"" + rid + rb"\"[^>]*?>", rels)
    if not target:
        return None
    found = re.search(rb"\bTarget=\"([^\"]+)\"", target.group(0))
    if not found:
        return None
    part = found.group(1).decode("utf-8", "replace").lstrip("/")
    part = part if part.startswith("xl/") else f"xl/{part}"
    return part if part in names else None


def _directory_size(file: Path, size: int) -> tuple[int, int] | None:
    """(parts, bytes) of a ZIP's central directory, from its end records alone.

    Read before ``zipfile`` parses the directory: a forged directory of millions of
    entries would take gigabytes as Python objects. ``None`` when the end record is not
    found (``zipfile`` then says what is wrong).
    """
    tail_size = min(size, 22 + 65_535 + 20)
    try:
        with file.open("rb") as fh:
            fh.seek(size - tail_size)
            tail = fh.read(tail_size)
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) - at < 22:
                return None
            _, _, _, _, entries, cd_size, _, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
            if entries != 0xFFFF and cd_size != 0xFFFFFFFF:
                return entries, cd_size
            # ZIP64: the locator just before the end record points at the real counts
            locator = tail[at - 20 : at] if at >= 20 else b""
            if not locator.startswith(b"PK\x06\x07"):
                return None
            (offset,) = struct.unpack("<Q", locator[8:16])
            fh.seek(offset)
            record = fh.read(56)
            if not record.startswith(b"PK\x06\x06") or len(record) < 56:
                return None
            (entries64, cd_size64) = struct.unpack("<QQ", record[32:48])
            return entries64, cd_size64
    except (OSError, struct.error, ValueError):
        return None


def inspect_xlsx(file: Path, size: int) -> NumberFormats:
    """Refuse an .xlsx whose parts would unpack too big, or whose first sheet is too big.

    Reads only the ZIP's central directory (declared sizes) and the first 64 KB of the
    first sheet (its ``<dimension ref="A1:AM1000001"/>``): nothing is unpacked whole.
    """
    refuse_size(file, size, refusals.MAX_XLSX_BYTES)
    declared = _directory_size(file, size)
    if declared and (
        declared[0] > refusals.MAX_PARTS or declared[1] > refusals.MAX_DIRECTORY_BYTES
    ):
        raise SpreadsheetError(
            _("{file} holds {count} parts: not a workbook.").format(
                file=file.name, count=whole(declared[0])
            )
        )
    try:
        book = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetError(
            _("{file} is not a readable .xlsx (a damaged ZIP archive: {reason}).").format(
                file=file.name, reason=first_line(exc)
            )
        ) from exc
    with book:
        infos = book.infolist()
        if len(infos) > refusals.MAX_PARTS:
            raise SpreadsheetError(
                _("{file} holds {count} parts: not a workbook.").format(
                    file=file.name, count=whole(len(infos))
                )
            )
        unpacked = sum(i.file_size for i in infos)
        if unpacked > refusals.MAX_UNPACKED_BYTES:
            raise SpreadsheetError(
                _("{file} would unpack to {size} (at most {limit}); it is refused.").format(
                    file=file.name, size=mb(unpacked), limit=mb(refusals.MAX_UNPACKED_BYTES)
                )
            )
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > refusals.RATIO_FLOOR and ratio > refusals.MAX_RATIO:
                raise SpreadsheetError(
                    _(
                        "{file} is refused: its part {part} unpacks to "
                        "{size}, {ratio} times its packed size "
                        "(at most {limit}; a spreadsheet is about 10) — a zip bomb?"
                    ).format(
                        file=file.name,
                        part=info.filename,
                        size=mb(info.file_size),
                        ratio=f"{ratio:,.0f}",
                        limit=refusals.MAX_RATIO,
                    )
                )
        names = {i.filename for i in infos}
        part = _first_sheet_part(book, names)
        if part is None:
            return NumberFormats()  # the reader finds no sheet or reads it in its ceiling
        try:
            with book.open(part) as fh:
                head = fh.read(65536)
        except (OSError, zipfile.BadZipFile, NotImplementedError, EOFError, ValueError) as exc:
            raise SpreadsheetError(
                _("{file} is not a readable .xlsx (its first sheet is damaged: {reason}).").format(
                    file=file.name, reason=first_line(exc)
                )
            ) from exc
        formats = xlsx_number_formats(book, part)
    dimension = _DIMENSION.search(head)
    if not dimension:
        return formats
    corners = dimension.group(1).decode("ascii").split(":")
    cells = [_CELL.match(c) for c in corners]
    if not all(cells):
        return formats
    rows = max(int(m.group(2)) for m in cells if m)
    columns = max(_column_number(m.group(1)) for m in cells if m)
    if rows > refusals.EXCEL_MAX_ROWS:
        raise SpreadsheetError(
            _(
                "{file} says its sheet has {rows} rows; a sheet has at most {limit}. It is refused."
            ).format(file=file.name, rows=whole(rows), limit=whole(refusals.EXCEL_MAX_ROWS))
        )
    refuse_columns(file, columns)
    if rows * columns > refusals.MAX_CELLS:
        raise SpreadsheetError(
            _(
                "{file}'s sheet spans {rows} rows × {columns} columns = "
                "{cells} cells (at most {limit}); split it in several files."
            ).format(
                file=file.name,
                rows=whole(rows),
                columns=whole(columns),
                cells=whole(rows * columns),
                limit=whole(refusals.MAX_CELLS),
            )
        )
    return formats
