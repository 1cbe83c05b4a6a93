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
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm.spreadsheet import refusals
from tillterm.spreadsheet.layout import (
    MAX_TITLE_ROWS,
    Layout,
    NoHeader,
    NumberFormats,
    find_header,
    footer_rows,
    pad_expr,
)
from tillterm.spreadsheet.refusals import ImportCancelled as ImportCancelled
from tillterm.spreadsheet.refusals import SpreadsheetError as SpreadsheetError
from tillterm.spreadsheet.refusals import first_line, mb, refuse_columns, refuse_size
from tillterm.spreadsheet.text_encoding import cr_only as lines_end_with_cr
from tillterm.spreadsheet.text_encoding import detect_encoding
from tillterm.spreadsheet.xlsx_parts import inspect_xlsx

if TYPE_CHECKING:
    import polars as pl

SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".vcf")
#: files read as delimited text
TEXT_SUFFIXES = (".csv", ".txt")

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
    "mac_roman": "Mac Roman",
    "latin-1": "Latin-1",
}


@dataclass(frozen=True)
class Detected:
    """What the file turned out to be; shown to the person ("say what was detected")."""

    kind: str  # "csv" (any delimited text, .csv or .txt), "xlsx", "xls" or "vcf"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    #: "\r" when the file's lines end with a lone CR (an old Mac save)
    line_end: str | None = None
    #: the delimited text came as a ``.txt`` (Excel's "Unicode Text" save)
    text_file: bool = False
    #: the spreadsheet row holding the header (Excel: below title rows)
    header_row: int = 1
    #: what a reader of another format (vCard) says the file is
    summary: str | None = None

    def describe(self) -> str:
        if self.summary:
            return self.summary
        if self.kind == "csv":
            enc = _ENCODING_NAMES.get(self.encoding or "", self.encoding or "?")
            sep = _DELIMITERS.get(self.delimiter or ",", repr(self.delimiter))
            what = "Text (.txt)" if self.text_file else "CSV"
            ends = ", old Mac line ends (CR)" if self.line_end == "\r" else ""
            return f"{what}, {enc}, {sep}-separated{ends}"
        sheet = f", sheet “{self.sheet}”" if self.sheet else ""
        header = f", header on row {self.header_row}" if self.header_row != 1 else ""
        return f"Excel workbook (.{self.kind}){sheet}{header}"


def _refuse_binary(path: Path, head: bytes, expected: str) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise SpreadsheetError(
                f"{path.name} is {what}, not {expected}; export it as .csv, .xlsx or .xls."
            )
    if b"\x00" in head[:65536] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError(f"{path.name} is a binary file, not {expected}.")


def _utf8_blocks(
    path: Path, encoding: str, where: list[int] | None = None, *, cr_only: bool = False
) -> Iterator[bytes]:
    """The file's bytes as UTF-8 without BOM, in blocks (UTF-8 files pass through).

    ``where[0]`` follows how many bytes of the file were read, for progress. With
    ``cr_only`` (an old Mac save, whose lines end with a lone CR) every CR becomes a
    newline, so the parser sees lines.
    """
    where = where if where is not None else [0]
    if cr_only:
        for block in _utf8_blocks(path, encoding, where):
            yield block.replace(b"\r", b"\n")
        return
    with path.open("rb") as fh:
        if encoding in ("utf-8", "utf-8-sig"):
            first = True
            while block := fh.read(refusals.BLOCK_BYTES):
                where[0] += len(block)
                if first and block.startswith(codecs.BOM_UTF8):
                    block = block[3:]
                first = False
                yield block
            return
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        while block := fh.read(refusals.BLOCK_BYTES):
            where[0] += len(block)
            yield decoder.decode(block).lstrip("\ufeff").encode("utf-8")
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail.encode("utf-8")


def _records(blocks: Iterator[bytes], name: str = "the file") -> Iterator[bytes]:
    """Re-cut blocks so each ends at a record boundary (a newline outside quotes).

    A record longer than :data:`refusals.MAX_RECORD_BYTES` is refused: it is a hostile file or a
    quote that is never closed, and carrying it on would take the whole file in memory.
    """
    carry = b""
    for block in blocks:
        if len(carry) > refusals.MAX_RECORD_BYTES:
            raise SpreadsheetError(
                f"{name} has a row longer than {mb(refusals.MAX_RECORD_BYTES)} "
                "(a quote that is never closed?); it cannot be imported."
            )
        buf = carry + block if carry else block
        end = len(buf)
        cut = -1
        # the parity of the quotes before ``end``, kept as ``end`` walks back: each byte
        # is counted once (counting from the start at every newline took minutes on a
        # block of many lines inside an unclosed quote)
        odd = buf.count(b'"') % 2
        while True:
            nl = buf.rfind(b"\n", 0, end)
            if nl < 0:
                break
            odd ^= buf.count(b'"', nl, end) % 2
            if not odd:
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
        #: title rows skipped above the header and totals rows left out (Excel)
        self.layout = Layout()
        #: columns (batch index) where the workbook stores numbers, not text: a phone
        #: or postcode there may have lost its leading zero
        self.numeric_columns: frozenset[int] = frozenset()
        #: what a reader of another format (vCard) found beyond the columns
        self.reader_notes: tuple[str, ...] = ()
        stat = path.stat()
        #: size and modification time: lets an import notice the file changed since it was checked
        self.fingerprint = (stat.st_size, stat.st_mtime_ns)

    @property
    def notes(self) -> tuple[str, ...]:
        """What reading found about the file's layout, for the check's summary."""
        return self.layout.notes() + self.reader_notes

    def no_field_hint(self) -> str:
        """What to add when no header maps to a field: "delete the title row" if that is why.

        The header row picked is less filled than the rows under it when it is really a
        title ("Customers | March 2024") above the column names.
        """
        rows: list[tuple[str, ...]]
        if self.detected.kind == "csv":
            rows = [tuple(r) for r in self._text_rows(200)[1:]]
        else:
            frame = self._excel_frame
            rows = frame.head(200).drop(ROW).rows() if frame is not None else []
        if not rows:
            return ""
        filled = sum(1 for h in self.headers if h)
        widest = max(sum(1 for v in row if v.strip()) for row in rows)
        if filled >= widest or not filled:
            return ""
        row = self.detected.header_row
        shown = next(h for h in self.headers if h)
        return (
            f"Row {row} (“{shown}”) looks like a title, not column names: "
            "delete the title row so that the column names come first."
        )

    def _text_rows(self, count: int) -> list[list[str]]:
        """The first ``count`` records of a delimited file, every field (the batches keep
        only as many as the header has)."""
        blocks = _records(
            _utf8_blocks(
                self.path,
                self.detected.encoding or "utf-8",
                cr_only=self.detected.line_end == "\r",
            ),
            self.path.name,
        )
        first = next(blocks, b"").decode("utf-8", errors="replace")
        reader = csv.reader(
            io.StringIO(first, newline=""), delimiter=self.detected.delimiter or ","
        )
        rows: list[list[str]] = []
        with contextlib.suppress(csv.Error):
            for row in reader:
                rows.append(row)
                if len(rows) == count:
                    break
        return rows

    def sample_names(self, count: int = 3, columns: Sequence[int] = ()) -> tuple[str, ...]:
        """Up to ``count`` names as decoded, so a person sees garbled text at once.

        Taken from ``columns`` (the check passes the columns mapped to the name fields),
        else the name-like columns (else the first column) of the first rows, names with
        letters outside ASCII first: that is where a wrong encoding shows. Headers alone
        would join Google's "Name" to its "Given Name" ("Anna Martin Anna").
        """
        import polars as pl

        frame = (
            next(self.batches(500), None)
            if self.detected.kind == "csv"
            else (self._excel_frame.head(500) if self._excel_frame is not None else None)
        )
        if frame is None or not frame.height:
            return ()
        wanted = [f"c{i}" for i in columns] or [
            f"c{i}" for i, h in enumerate(self.headers) if _NAME_HEADER.search(h)
        ][:2]
        wanted = wanted or [self.columns[0]]
        names = frame.select(
            pl.concat_str([pl.col(c).str.strip_chars() for c in wanted], separator=" ")
            .str.strip_chars()
            .alias("n")
        ).get_column("n")
        seen: dict[str, None] = {}
        for accented in (True, False):
            for name in names:
                if name and (not name.isascii()) == accented and name not in seen:
                    seen[name] = None
                if len(seen) == count:
                    return tuple(seen)
        return tuple(seen)

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
        self._where[0] = 0
        blocks = _records(
            _utf8_blocks(
                self.path,
                self.detected.encoding or "utf-8",
                self._where,
                cr_only=self.detected.line_end == "\r",
            ),
            self.path.name,
        )
        first = True
        next_row = self.detected.header_row + 1
        for block in blocks:
            if first:
                for _ in range(self.detected.header_row):
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
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a panic of the parser is a BaseException
                raise SpreadsheetError(
                    f"{self.path.name} cannot be read as CSV near row {next_row}: {first_line(exc)}"
                ) from exc
            frame = frame.with_columns(
                pl.int_range(next_row, next_row + frame.height, dtype=pl.Int64).alias(ROW),
                pl.col(names).fill_null("").str.strip_suffix("\r"),
            )
            next_row += frame.height
            if next_row - 2 > refusals.MAX_ROWS:
                raise SpreadsheetError(
                    f"{self.path.name} has more than {refusals.MAX_ROWS:,} rows; "
                    "split it in several files."
                )
            _refuse_long_cells(frame, self.path.name)
            for offset in range(0, frame.height, rows):
                part = _drop_blank(frame.slice(offset, rows))
                if part.height:
                    yield part


def _refuse_long_cells(frame: pl.DataFrame, name: str) -> None:
    """Refuse a batch holding a cell over :data:`refusals.MAX_CELL_CHARS`, naming its row."""
    import polars as pl

    cells = [c for c in frame.columns if c != ROW]
    if not cells or not frame.height:
        return
    longest = frame.select(pl.max_horizontal(pl.col(cells).str.len_chars()).alias("n"), ROW)
    over = longest.filter(pl.col("n") > refusals.MAX_CELL_CHARS)
    if over.height:
        row, length = over.get_column(ROW)[0], over.get_column("n")[0]
        raise SpreadsheetError(
            f"{name}: row {row} has a cell of {length:,} characters "
            f"(at most {refusals.MAX_CELL_CHARS:,}); it cannot be imported."
        )


def _drop_blank(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    cells = [c for c in frame.columns if c != ROW]
    if not cells:
        return frame
    return frame.filter(pl.any_horizontal(pl.col(cells).str.strip_chars() != ""))


def open_sheet(
    path: str | os.PathLike[str], *, poll: Callable[[], None] | None = None
) -> SheetSource:
    """Open a spreadsheet for import, or raise :class:`SpreadsheetError` saying why not.

    ``poll`` is called now and then while a workbook is read (a few times a second); it
    may raise (:class:`ImportCancelled`) to stop the read, which kills the reader.
    """
    file = Path(path).expanduser()
    if not file.exists():
        raise SpreadsheetError(f"{file} does not exist.")
    if file.is_dir():
        raise SpreadsheetError(f"{file} is a folder, not a spreadsheet.")
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        raise SpreadsheetError(
            f"{file.name}: only .csv, .txt, .xlsx, .xls and .vcf files can be imported "
            f"(this one is {suffix or 'without an extension'})."
        )
    try:
        with file.open("rb") as fh:
            head = fh.read(65536)
        size = file.stat().st_size
    except OSError as exc:
        raise SpreadsheetError(f"{file.name} cannot be read: {exc.strerror or exc}.") from exc
    if not head:
        raise SpreadsheetError(f"{file.name} is empty.")
    if suffix in TEXT_SUFFIXES:
        refuse_size(file, size, refusals.MAX_CSV_BYTES)
        return _open_csv(file, head)
    if suffix == ".vcf":
        refuse_size(file, size, refusals.MAX_CSV_BYTES)
        return _open_vcard(file)
    return _open_excel(file, head, size, poll)


def _open_vcard(file: Path) -> SheetSource:
    """A vCard file as a sheet: one row per card (:mod:`tillterm.spreadsheet.vcard`), its
    row numbers the card numbers, what the cards held beyond the columns in its notes."""
    import polars as pl

    from tillterm.spreadsheet.vcard import VcardError, read_cards

    try:
        cards = read_cards(file.read_bytes(), file.name, refusals.MAX_ROWS)
    except OSError as exc:
        raise SpreadsheetError(f"{file.name} cannot be read: {exc.strerror or exc}.") from exc
    except VcardError as exc:
        raise SpreadsheetError(str(exc)) from exc
    names = [f"c{i}" for i in range(len(cards.headers))]
    frame = pl.DataFrame(
        cards.rows, schema=dict.fromkeys(names, pl.String), orient="row"
    ).with_columns(pl.int_range(1, len(cards.rows) + 1, dtype=pl.Int64).alias(ROW))
    _refuse_long_cells(frame, file.name)
    source = SheetSource(
        file, Detected("vcf", cards.encoding, summary=cards.describe()), cards.headers
    )
    source._excel_frame = frame
    source.reader_notes = cards.notes
    return source


def _open_csv(file: Path, head: bytes) -> SheetSource:
    _refuse_binary(file, head, "a text file" if file.suffix.lower() == ".txt" else "a CSV file")
    encoding = detect_encoding(file, head)
    cr_only = lines_end_with_cr(head, encoding)
    first = next(_records(_utf8_blocks(file, encoding, cr_only=cr_only), file.name), b"")
    at, titles = _csv_header_line(first)
    rest = first
    for _ in range(at):
        rest = _split_header(rest)[1]
    header_bytes = _split_header(rest)[0]
    header_text = header_bytes.decode("utf-8", errors="replace").rstrip("\r\n")
    if not header_text.strip():
        raise SpreadsheetError(f"{file.name} has no header row (the first line is empty).")
    delimiter = _guess_delimiter(header_text)
    try:
        headers = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise SpreadsheetError(f"{file.name}: the header row cannot be read ({exc}).") from exc
    refuse_columns(file, len(headers))
    headers = [h.strip() for h in headers]
    detected = Detected(
        "csv",
        encoding,
        delimiter,
        line_end="\r" if cr_only else None,
        text_file=file.suffix.lower() == ".txt",
        header_row=at + 1,
    )
    source = SheetSource(file, detected, tuple(headers))
    source.layout = Layout(header=at, titles=titles)
    return source


def _csv_header_line(first: bytes) -> tuple[int, tuple[str, ...]]:
    """The line holding the header (0 for the first) and the titles above it.

    A CSV saved from a sheet laid out by hand keeps its title line ("Liste des
    clients;;;;") and blank lines above the column names. The delimiter is guessed from
    the first lines together (a title line may hold none), and the header is the first
    line that looks like one (:func:`~tillterm.spreadsheet.layout.find_header`).
    """
    lines: list[str] = []
    rest = first
    while rest and len(lines) < MAX_TITLE_ROWS + 20:
        line, rest = _split_header(rest)
        lines.append(line.decode("utf-8", errors="replace").rstrip("\r\n"))
    if len(lines) < 2:
        return 0, ()
    delimiter = _guess_delimiter("\n".join(lines))
    try:
        rows = [
            tuple(next(csv.reader(io.StringIO(line, newline=""), delimiter=delimiter), []))
            for line in lines
        ]
    except csv.Error:
        return 0, ()
    if len([c for c in rows[0] if c.strip()]) > 1:
        return 0, ()  # a header that looks like one stays the header, as it always did
    try:
        at = find_header(rows)
    except NoHeader:
        return 0, ()
    if at == 0:
        return 0, ()
    titles = tuple(
        next(c.strip() for c in r if c.strip()) for r in rows[:at] if any(map(str.strip, r))
    )
    return at, titles


#: headers of the columns a name is read from for :meth:`SheetSource.sample_names`
_NAME_HEADER = re.compile(
    r"name|nom\b|naam|nombre|prénom|prenom|vorname|company|société|societe|firma|empresa|bedrijf",
    re.IGNORECASE,
)


def _child_env() -> dict[str, str]:
    """The environment of the reader's child: this tillterm's package first on its path."""
    import tillterm

    here = str(Path(tillterm.__file__).resolve().parents[1])
    inherited = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (here, inherited) if p)}


def _read_workbook(file: Path, poll: Callable[[], None] | None) -> tuple[pl.DataFrame, str, int]:
    """The first sheet as text columns, its name and its first column, read by a child."""
    import polars as pl

    from tillterm.spreadsheet import excel_child

    folder = Path(tempfile.mkdtemp(prefix="tillterm-read-"))
    out = folder / "sheet.arrow"
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tillterm.spreadsheet.excel_child",
                str(file),
                str(out),
                str(refusals.EXCEL_MEMORY),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
        )
        try:
            while True:
                if poll:  # first right away: a cancel that came first stops it at once
                    poll()
                try:
                    stdout, stderr = proc.communicate(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    continue
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        code = proc.returncode
        if code == excel_child.EXIT_READ:
            frame = pl.read_ipc(out)
            lines = stdout.decode("utf-8", "replace").strip().splitlines()
            first_column = int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else 0
            return frame, (lines[0].strip() if lines else ""), first_column
        if code == excel_child.EXIT_NO_SHEET:
            raise SpreadsheetError(f"{file.name} has no sheet.")
        if code == excel_child.EXIT_ENGINE:
            reason = stderr.decode("utf-8", "replace").strip().splitlines() or ["unknown error"]
            raise SpreadsheetError(
                f"{file.name} cannot be read as an Excel workbook: {reason[-1][:200]}"
            )
        raise SpreadsheetError(
            f"{file.name} cannot be read: reading it needs more than {mb(refusals.EXCEL_MEMORY)} "
            "of memory (too big, or damaged)."
        )
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)


def _open_excel(
    file: Path, head: bytes, size: int, poll: Callable[[], None] | None = None
) -> SheetSource:
    import polars as pl

    formats = NumberFormats()
    if head.startswith(b"PK\x03\x04"):
        kind = "xlsx"
        formats = inspect_xlsx(file, size)
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = "xls"
        refuse_size(file, size, refusals.MAX_XLS_BYTES)
    else:
        _refuse_binary(file, head, "an Excel workbook")
        raise SpreadsheetError(
            f"{file.name} is not an Excel workbook (it looks like text: save it as .csv)."
        )
    frame, sheet, first_column = _read_workbook(file, poll)
    if frame.height == 0 or frame.width == 0:
        raise SpreadsheetError(f"{file.name} is empty (its first sheet has no header row).")
    frame = frame.rename({old: f"c{i}" for i, old in enumerate(frame.columns)})
    frame = frame.with_columns(pl.all().cast(pl.String).fill_null(""))
    padded = {
        f"c{column - first_column}": width
        for column, width in formats.padded.items()
        if 0 <= column - first_column < frame.width
    }
    if padded:
        frame = frame.with_columns(pad_expr(pl.col(c), w).alias(c) for c, w in padded.items())
    top = frame.head(MAX_TITLE_ROWS + 50).rows()
    try:
        at = find_header(top)
    except NoHeader:
        raise SpreadsheetError(_no_header(file, top)) from None
    titles = tuple(
        next(c.strip() for c in row if c.strip()) for row in top[:at] if any(c.strip() for c in row)
    )
    headers = [str(v).strip() for v in frame.row(at)]
    # trailing columns without a header and without data are Excel's formatting residue
    while headers and not headers[-1] and frame.width > 1:
        last = frame.columns[-1]
        if frame.get_column(last).str.strip_chars().ne("").any():
            break
        frame = frame.drop(last)
        headers.pop()
    refuse_columns(file, len(headers))
    frame = frame.slice(at + 1).with_columns(
        pl.int_range(at + 2, frame.height + 1, dtype=pl.Int64).alias(ROW)
    )
    if frame.height > refusals.MAX_ROWS:
        raise SpreadsheetError(f"{file.name} has more than {refusals.MAX_ROWS:,} rows.")
    _refuse_long_cells(frame, file.name)
    cells = frame.columns[:-1]
    tail = frame.tail(50)
    tail_rows = tail.select(cells).rows()
    footers = tuple(
        (int(tail.get_column(ROW)[i]), next(c.strip() for c in tail_rows[i] if c.strip()))
        for i in footer_rows(tail_rows, _column_totals(frame, tail_rows))
    )
    if footers:
        frame = frame.filter(~pl.col(ROW).is_in([row for row, _ in footers]))
    detected = Detected(kind, sheet=sheet or None, header_row=at + 1)
    source = SheetSource(file, detected, tuple(headers))
    source._excel_frame = frame
    source.layout = Layout(header=at, titles=titles, footers=footers)
    source.numeric_columns = frozenset(
        column - first_column
        for column in formats.numeric
        if 0 <= column - first_column < len(headers)
    )
    return source


def _column_totals(frame: pl.DataFrame, tail: list[tuple[str, ...]]) -> dict[int, float]:
    """Column sums (row ``__row`` excluded) for the columns where the last filled row has
    only numbers: what tells a sum under the data from a customer (see ``footer_rows``)."""
    import polars as pl

    last = next((row for row in reversed(tail) if any(c.strip() for c in row)), None)
    if last is None or last[0].strip():
        return {}
    wanted = [j for j, c in enumerate(last) if c.strip()]
    totals = frame.select(
        pl.col(f"c{j}")
        .str.replace_all(r"[\s\u00a0%]", "")
        .str.replace(",", ".")
        .cast(pl.Float64, strict=False)
        .sum()
        .alias(str(j))
        for j in wanted
    ).row(0)
    return {j: float(t) for j, t in zip(wanted, totals, strict=True)}


def _no_header(file: Path, top: list[tuple[str, ...]]) -> str:
    """Why no header was found, naming the title row when one is the cause."""
    filled = [row for row in top if any(c.strip() for c in row)]
    if filled and sum(1 for c in filled[0] if c.strip()) == 1 and len(filled) > 1:
        title = next(c.strip() for c in filled[0] if c.strip())
        return (
            f"{file.name}: no header row found in its first {MAX_TITLE_ROWS + 1} rows; "
            f"the sheet starts with “{title[:40]}”, a title: delete the title row so that "
            "the column names come first."
        )
    return f"{file.name}: no header row found in its first {MAX_TITLE_ROWS + 1} rows."
