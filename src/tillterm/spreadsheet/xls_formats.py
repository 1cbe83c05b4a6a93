"""What an old Excel workbook (.xls, BIFF8) says about its columns' number formats.

Excel 97-2003 files keep a postcode typed ``01000`` in a ``00000`` column as the number
1000, as .xlsx does (:func:`tillterm.spreadsheet.layout.xlsx_number_formats`); the reader
hands the number back, so the format is read here and the cell comes back as Excel
shows it. The file is an OLE compound document (a little FAT file system) holding a
``Workbook`` stream of BIFF records: the globals (``FORMAT`` codes, ``XF`` cell styles,
``BOUNDSHEET``: where each sheet's records start), then each sheet's cells, each naming
its style. Only the globals and the first rows of the first sheet are read (what
:data:`~tillterm.spreadsheet.layout.SAMPLE_BYTES` allows), a sector at a time: nothing is
loaded whole, and a damaged or hostile file gives no formats (the reader's child then
says what is wrong with it), never an error here.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from tillterm.spreadsheet.layout import SAMPLE_BYTES, NumberFormats, zero_padding

_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_MAX_SECTOR = 0xFFFFFFFA
#: the BIFF records read: end of a substream, a number format, a cell style, a sheet,
#: a number cell, a compressed number (RK), several RKs in a row
_EOF, _FORMAT, _XF, _BOUNDSHEET = 0x000A, 0x041E, 0x00E0, 0x0085
#: the first record of a BIFF8 workbook: BOF, version 0x0600 (Excel 97 and later; an
#: Excel 5/95 "Book" spells its formats otherwise and is not read here)
_BOF, _BIFF8 = 0x0809, 0x0600
_NUMBER, _RK, _MULRK = 0x0203, 0x027E, 0x00BD
#: the globals of a real workbook (fonts, formats, styles, the shared strings) stay well
#: under this; past it the file is not read further
_MAX_GLOBALS = 64 << 20


class _Broken(Exception):
    """The compound document or its records are not as BIFF8 writes them."""


class _Stream:
    """One stream of a compound document, read through its sector chain on demand."""

    def __init__(self, fh: BinaryIO, sector_size: int, chain: list[int], size: int) -> None:
        self._fh, self._sector_size, self._chain, self.size = fh, sector_size, chain, size

    def read(self, offset: int, count: int) -> bytes:
        out = bytearray()
        count = max(0, min(count, self.size - offset))
        while count > 0:
            index, within = divmod(offset, self._sector_size)
            if index >= len(self._chain):
                raise _Broken("stream shorter than its size")
            self._fh.seek((self._chain[index] + 1) * self._sector_size + within)
            piece = self._fh.read(min(count, self._sector_size - within))
            if not piece:
                raise _Broken("file ends inside a stream")
            out += piece
            offset += len(piece)
            count -= len(piece)
        return bytes(out)


def _u32s(data: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(data) // 4}I", data[: len(data) // 4 * 4]))


def _workbook_stream(fh: BinaryIO, file_size: int) -> _Stream:
    """The ``Workbook`` stream (``Book`` in Excel 5 files) of the compound document."""
    header = fh.read(512)
    if len(header) < 512 or not header.startswith(_SIGNATURE):
        raise _Broken("not a compound document")
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):
        raise _Broken("sector size")
    sector = 1 << shift
    fat_sectors, first_dir = struct.unpack_from("<II", header, 0x2C)
    cutoff = struct.unpack_from("<I", header, 0x38)[0]
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
    sectors = file_size // sector
    if fat_sectors > sectors or difat_count > sectors:
        raise _Broken("FAT larger than the file")
    fat_at = [s for s in _u32s(header[0x4C:512]) if s <= _MAX_SECTOR]
    next_difat, seen = first_difat, 0
    while next_difat <= _MAX_SECTOR and seen < difat_count:
        fh.seek((next_difat + 1) * sector)
        entries = _u32s(fh.read(sector))
        fat_at += [s for s in entries[:-1] if s <= _MAX_SECTOR]
        next_difat, seen = entries[-1], seen + 1
    fat: list[int] = []
    for at in fat_at[:fat_sectors]:
        fh.seek((at + 1) * sector)
        fat += _u32s(fh.read(sector))

    def chain(start: int) -> list[int]:
        found: list[int] = []
        while start <= _MAX_SECTOR:
            if start >= len(fat) or len(found) > sectors:
                raise _Broken("broken sector chain")
            found.append(start)
            start = fat[start]
        return found

    directory = _Stream(fh, sector, chain(first_dir), len(chain(first_dir)) * sector)
    for offset in range(0, directory.size, 128):
        entry = directory.read(offset, 128)
        length = struct.unpack_from("<H", entry, 0x40)[0]
        name = entry[: max(length - 2, 0)].decode("utf-16-le", "replace")
        kind = entry[0x42]
        start, size = struct.unpack_from("<II", entry, 0x74)
        if kind == 2 and name in ("Workbook", "Book"):
            if size < cutoff:
                # a tiny workbook lives in the mini stream: no file Excel writes (its
                # streams are padded to 4 KB), so not read here
                raise _Broken("workbook in the mini stream")
            return _Stream(fh, sector, chain(start), size)
    raise _Broken("no Workbook stream")


def _records(stream: _Stream, offset: int, limit: int) -> list[tuple[int, bytes]]:
    """(type, data) of the BIFF records from ``offset`` to the substream's EOF record
    (or ``limit`` bytes)."""
    found: list[tuple[int, bytes]] = []
    end = min(stream.size, offset + limit)
    while offset + 4 <= end:
        kind, length = struct.unpack("<HH", stream.read(offset, 4))
        data = stream.read(offset + 4, length)
        offset += 4 + length
        found.append((kind, data))
        if kind == _EOF:
            break
    return found


def _format_code(data: bytes) -> tuple[int, str]:
    """A FORMAT record: its number and its code (an XLUnicodeString)."""
    number, chars, flags = struct.unpack_from("<HHB", data, 0)
    body = data[5:]
    code = (
        body[: chars * 2].decode("utf-16-le", "replace")
        if flags & 1
        else body[:chars].decode("latin-1")
    )
    return number, code


def _rk_cells(kind: int, data: bytes) -> list[tuple[int, int]]:
    """(column, style) of the number cells of a NUMBER, RK or MULRK record."""
    if kind in (_NUMBER, _RK):
        _, column, style = struct.unpack_from("<HHH", data, 0)
        return [(column, style)]
    _, first = struct.unpack_from("<HH", data, 0)
    count = (len(data) - 6) // 6
    return [(first + n, struct.unpack_from("<H", data, 4 + 6 * n)[0]) for n in range(count)]


def xls_number_formats(file: Path) -> NumberFormats:
    """The zero-padding formats and numeric cells of the first rows of an .xls's first
    sheet (columns 0-based, as the sheet numbers them); empty when it cannot tell."""
    try:
        with file.open("rb") as fh:
            stream = _workbook_stream(fh, file.stat().st_size)
            globals_ = _records(stream, 0, _MAX_GLOBALS)
            if not globals_ or globals_[0][0] != _BOF:
                return NumberFormats()
            if struct.unpack_from("<H", globals_[0][1], 0)[0] != _BIFF8:
                return NumberFormats()
            codes: dict[int, str] = {}
            styles: list[int] = []
            first_sheet: int | None = None
            for kind, data in globals_:
                if kind == _FORMAT:
                    number, code = _format_code(data)
                    codes[number] = code
                elif kind == _XF:
                    styles.append(struct.unpack_from("<H", data, 2)[0])
                elif kind == _BOUNDSHEET and first_sheet is None:
                    first_sheet = struct.unpack_from("<I", data, 0)[0]
            if first_sheet is None:
                return NumberFormats()
            widths = {
                n: width
                for n, number in enumerate(styles)
                if (width := zero_padding(codes.get(number, "")))
            }
            padded: dict[int, int] = {}
            numeric: set[int] = set()
            for kind, data in _records(stream, first_sheet, SAMPLE_BYTES):
                if kind not in (_NUMBER, _RK, _MULRK):
                    continue
                for column, style in _rk_cells(kind, data):
                    numeric.add(column)
                    if style in widths:
                        padded[column] = max(padded.get(column, 0), widths[style])
    except (OSError, struct.error, IndexError, _Broken):
        return NumberFormats()
    return NumberFormats(padded, frozenset(numeric))
