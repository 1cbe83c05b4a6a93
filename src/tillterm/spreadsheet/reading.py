"""Reading a spreadsheet as real stores produce it, without asking anything.

CSV files come from Excel on Windows (Windows-1252, semicolons in French locales), from
web apps (UTF-8, often with a BOM), with tabs, quoted multi-line notes and CRLF line
ends. The encoding is found by trying strict UTF-8 over the whole file, then
Windows-1252, then Latin-1 (which decodes anything); the delimiter is the one of comma,
semicolon and tab seen most often outside quotes in the header. A ``.csv`` that is
really a ZIP archive, a picture or any binary is refused before parsing.

A CSV is read in blocks cut at record boundaries (a newline outside quotes), each parsed
by polars: a million rows never sit in memory at once. Every cell comes back as text;
the checker decides what it means. Excel files (``.xlsx``, ``.xls``) are read whole with
fastexcel: they hold at most about a million rows by design.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm.errors import TilltermError

if TYPE_CHECKING:
    import polars as pl

SUFFIXES = (".csv", ".xlsx", ".xls")
BLOCK_BYTES = 8 << 20
#: the row-number column each batch carries: the row as a spreadsheet numbers it
ROW = "__row"

_MAGIC: tuple[tuple[bytes, str], ...] = (
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
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


class SpreadsheetError(TilltermError):
    """The file cannot be used at all: wrong type, unreadable, empty, no known column."""


@dataclass(frozen=True)
class Detected:
    """What the file turned out to be; shown to the person ("say what was detected")."""

    kind: str  # "csv", "xlsx" or "xls"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def describe(self) -> str:
        if self.kind == "csv":
            enc = _ENCODING_NAMES.get(self.encoding or "", self.encoding or "?")
            sep = _DELIMITERS.get(self.delimiter or ",", repr(self.delimiter))
            return f"CSV, {enc}, {sep}-separated"
        sheet = f", sheet “{self.sheet}”" if self.sheet else ""
        return f"Excel workbook (.{self.kind}){sheet}"


def _refuse_binary(path: Path, head: bytes, expected: str) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise SpreadsheetError(
                f"{path.name} is {what}, not {expected}; export it as .csv, .xlsx or .xls."
            )
    if b"\x00" in head[:65536] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError(f"{path.name} is a binary file, not {expected}.")


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while block := fh.read(BLOCK_BYTES):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _utf8_blocks(path: Path, encoding: str, where: list[int] | None = None) -> Iterator[bytes]:
    """The file's bytes as UTF-8 without BOM, in blocks (UTF-8 files pass through).

    ``where[0]`` follows how many bytes of the file were read, for progress.
    """
    where = where if where is not None else [0]
    with path.open("rb") as fh:
        if encoding in ("utf-8", "utf-8-sig"):
            first = True
            while block := fh.read(BLOCK_BYTES):
                where[0] += len(block)
                if first and block.startswith(codecs.BOM_UTF8):
                    block = block[3:]
                first = False
                yield block
            return
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        while block := fh.read(BLOCK_BYTES):
            where[0] += len(block)
            yield decoder.decode(block).lstrip("\ufeff").encode("utf-8")
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail.encode("utf-8")


def _records(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """Re-cut blocks so each ends at a record boundary (a newline outside quotes)."""
    carry = b""
    for block in blocks:
        buf = carry + block if carry else block
        end = len(buf)
        cut = -1
        while True:
            nl = buf.rfind(b"\n", 0, end)
            if nl < 0:
                break
            if buf.count(b'"', 0, nl) % 2 == 0:
                cut = nl
                break
            end = nl
        if cut < 0:
            carry = buf
            continue
        yield buf[: cut + 1]
        carry = buf[cut + 1 :]
    if carry:
        yield carry


def _split_header(first: bytes) -> tuple[bytes, bytes]:
    start = 0
    while True:
        nl = first.find(b"\n", start)
        if nl < 0:
            return first, b""
        if first.count(b'"', 0, nl) % 2 == 0:
            return first[: nl + 1], first[nl + 1 :]
        start = nl + 1


def _guess_delimiter(header: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class SheetSource:
    """An opened spreadsheet: what it is, its header, and its rows in batches."""

    def __init__(self, path: Path, detected: Detected, headers: tuple[str, ...]) -> None:
        self.path = path
        self.detected = detected
        self.headers = headers
        self._excel_frame: pl.DataFrame | None = None
        self._where = [0]
        stat = path.stat()
        #: size and modification time: lets an import notice the file changed since it was checked
        self.fingerprint = (stat.st_size, stat.st_mtime_ns)

    @property
    def position(self) -> int:
        """Bytes of the file read so far by :meth:`batches` (CSV only)."""
        return self._where[0]

    @property
    def columns(self) -> list[str]:
        """The batch column names: ``c0``, ``c1``... (headers can repeat or be blank)."""
        return [f"c{i}" for i in range(len(self.headers))]

    def batches(self, rows: int = 50_000) -> Iterator[pl.DataFrame]:
        """All rows as text (``""`` for blank), with :data:`ROW`, skipping empty rows."""
        import polars as pl

        if self.detected.kind != "csv":
            frame = self._excel_frame
            assert frame is not None
            for offset in range(0, frame.height, rows):
                yield _drop_blank(frame.slice(offset, rows))
            return
        names = self.columns
        schema = dict.fromkeys(names, pl.String)
        next_row = 2
        self._where[0] = 0
        blocks = _records(_utf8_blocks(self.path, self.detected.encoding or "utf-8", self._where))
        first = True
        for block in blocks:
            if first:
                block = _split_header(block)[1]
                first = False
            if not block.strip():
                continue
            try:
                frame = pl.read_csv(
                    io.BytesIO(block),
                    has_header=False,
                    schema=schema,
                    separator=self.detected.delimiter or ",",
                    quote_char='"',
                    truncate_ragged_lines=True,
                    extra_columns="ignore",
                    raise_if_empty=False,
                )
            except Exception as exc:
                raise SpreadsheetError(
                    f"{self.path.name} cannot be read as CSV near row {next_row}: "
                    f"{_first_line(exc)}"
                ) from exc
            frame = frame.with_columns(
                pl.int_range(next_row, next_row + frame.height, dtype=pl.Int64).alias(ROW),
                pl.col(names).fill_null("").str.strip_suffix("\r"),
            )
            next_row += frame.height
            for offset in range(0, frame.height, rows):
                part = _drop_blank(frame.slice(offset, rows))
                if part.height:
                    yield part


def _drop_blank(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    cells = [c for c in frame.columns if c != ROW]
    if not cells:
        return frame
    return frame.filter(pl.any_horizontal(pl.col(cells).str.strip_chars() != ""))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:200]


def open_sheet(path: str | os.PathLike[str]) -> SheetSource:
    """Open a spreadsheet for import, or raise :class:`SpreadsheetError` saying why not."""
    file = Path(path).expanduser()
    if not file.exists():
        raise SpreadsheetError(f"{file} does not exist.")
    if file.is_dir():
        raise SpreadsheetError(f"{file} is a folder, not a spreadsheet.")
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        raise SpreadsheetError(
            f"{file.name}: only .csv, .xlsx and .xls files can be imported "
            f"(this one is {suffix or 'without an extension'})."
        )
    try:
        with file.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise SpreadsheetError(f"{file.name} cannot be read: {exc.strerror or exc}.") from exc
    if not head:
        raise SpreadsheetError(f"{file.name} is empty.")
    if suffix == ".csv":
        return _open_csv(file, head)
    return _open_excel(file, head)


def _open_csv(file: Path, head: bytes) -> SheetSource:
    _refuse_binary(file, head, "a CSV file")
    encoding = _detect_encoding(file, head)
    first = next(_records(_utf8_blocks(file, encoding)), b"")
    header_bytes = _split_header(first)[0]
    header_text = header_bytes.decode("utf-8", errors="replace").rstrip("\r\n")
    if not header_text.strip():
        raise SpreadsheetError(f"{file.name} has no header row (the first line is empty).")
    delimiter = _guess_delimiter(header_text)
    try:
        headers = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise SpreadsheetError(f"{file.name}: the header row cannot be read ({exc}).") from exc
    headers = [h.strip() for h in headers]
    return SheetSource(file, Detected("csv", encoding, delimiter), tuple(headers))


def _open_excel(file: Path, head: bytes) -> SheetSource:
    import polars as pl

    if head.startswith(b"PK\x03\x04"):
        kind = "xlsx"
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = "xls"
    else:
        _refuse_binary(file, head, "an Excel workbook")
        raise SpreadsheetError(
            f"{file.name} is not an Excel workbook (it looks like text: save it as .csv)."
        )
    try:
        import fastexcel

        reader = fastexcel.read_excel(str(file))
        names = reader.sheet_names
        if not names:
            raise SpreadsheetError(f"{file.name} has no sheet.")
        sheet = reader.load_sheet(0, header_row=None, dtypes="string")
        frame = sheet.to_polars()
    except SpreadsheetError:
        raise
    except Exception as exc:
        raise SpreadsheetError(
            f"{file.name} cannot be read as an Excel workbook: {_first_line(exc)}"
        ) from exc
    if frame.height == 0 or frame.width == 0:
        raise SpreadsheetError(f"{file.name} is empty (its first sheet has no header row).")
    frame = frame.rename({old: f"c{i}" for i, old in enumerate(frame.columns)})
    frame = frame.with_columns(pl.all().cast(pl.String).fill_null(""))
    headers = [str(v).strip() for v in frame.row(0)]
    # trailing columns without a header and without data are Excel's formatting residue
    while headers and not headers[-1] and frame.width > 1:
        last = frame.columns[-1]
        if frame.get_column(last).str.strip_chars().ne("").any():
            break
        frame = frame.drop(last)
        headers.pop()
    frame = frame.slice(1).with_columns(
        pl.int_range(2, frame.height + 1, dtype=pl.Int64).alias(ROW)
    )
    source = SheetSource(file, Detected(kind, sheet=names[0]), tuple(headers))
    source._excel_frame = frame
    return source
