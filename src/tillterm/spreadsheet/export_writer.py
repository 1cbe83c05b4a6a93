"""Formatting and writing an export, and the process that reads SQLite natively for it.

Two halves of :mod:`tillterm.spreadsheet.export` live here, because both run in a
process of their own as well as in the app's:

- formatting raw values column-wise with polars and writing them to an open file
  (CSV or XLSX), a partition at a time, on a helper thread while the next is read;
- the export process (``main``): it reads the live SQLite database with the ADBC SQLite
  driver, natively into Arrow record batches, and writes the export file itself.

Why a process of its own: the ADBC driver carries its own copy of the SQLite library.
POSIX advisory locks belong to a process, not to a library, so a second SQLite library
opening the live database *inside the app's process* believes it is the last user when
it closes: it checkpoints and unlinks ``*.db-wal`` and ``*.db-shm`` while the app's own
connections still use them (other processes then stop seeing what the app writes, two
registers hand out the same receipt numbers, the database gets corrupted). In a child
process the driver is one more reader among the registers, read-only (``mode=ro``), and
SQLite's locks work as designed. The rule: inside one process the live database is
opened by exactly one SQLite library, Python's ``sqlite3`` (SQLAlchemy's).

The child imports neither SQLAlchemy nor the models (it starts in ~0.2 s); the parent
hands it the export query as literal SQL, the headers and the output file's descriptor
(a ``mkstemp`` file of :mod:`tillterm.store.private_files`, already ``0600``), on stdin as
one JSON line. The child answers on stdout with JSON lines: ``{"rows": n}`` as it goes,
then ``{"done": n}``, or ``{"error": "..."}`` (one sentence for a person), or
``{"unavailable": "..."}`` (the driver cannot be loaded: the parent reads through
``sqlite3`` instead). It leaves as soon as its stdin closes: a parent that dies or
cancels never leaves it running.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO

from tillterm.core.typed_text import file_needles, has_invisible_expr, visible_expr, visible_text
from tillterm.i18n import _
from tillterm.spreadsheet.cells import neutralise_expr
from tillterm.spreadsheet.columns import (
    BOOL,
    DATE,
    FIELD_BY_NAME,
    MONEY,
    PERCENT,
    multiline_field,
)
from tillterm.spreadsheet.reading import SpreadsheetError

if TYPE_CHECKING:
    import polars as pl

#: kinds whose raw value is an integer (booleans 0/1, thousandths of a percent, cents)
INTEGERS = (BOOL, PERCENT, MONEY)
XLSX_MAX_ROWS = 1_048_575
#: header → polars type of the raw value SQLite returns for it (text otherwise)
_INTEGER_HEADERS = ("loyalty_balance", "year_to_date_spend", "account_balance")
#: joins the text columns of a row into one value on the native path (unit separator)
SEPARATOR = "\x1f"
#: on a packed frame: the row held more separators than columns
BAD = "__separator_in_a_cell"
#: the packed one-line columns, and the packed columns of several lines (notes, custom)
PACKED, PACKED_LINES = "packed", "packed_lines"


class SeparatorInText(Exception):
    """A text cell holds :data:`SEPARATOR`: the packed columns cannot be split back."""


class ExportCancelled(SpreadsheetError):
    """The export was stopped before it finished; no file was written."""


def raw_schema(headers: Sequence[str]) -> dict[str, Any]:
    """The fixed types of the export query's columns on SQLite: no guessing per partition."""
    import polars as pl

    schema: dict[str, Any] = {}
    for index, header in enumerate(headers):
        spec = FIELD_BY_NAME.get(header)
        numeric = header in _INTEGER_HEADERS or (spec is not None and spec.kind in INTEGERS)
        schema[f"c{index}"] = pl.Int64 if numeric else pl.String
    return schema


def _decimal_text(column: pl.Expr, places: int, trim: bool) -> pl.Expr:
    """Integer units of 10**-places as exact decimal text ("12.5", "-3.20"), "" for none.

    Exact decimal division by polars (no float), a quarter of the cost of building the
    text from quotient and remainder.
    """
    import polars as pl

    scaled = column.cast(pl.Int64).cast(pl.Decimal(38, places))
    text = (scaled / pl.lit(10**places).cast(pl.Decimal(38, 0))).cast(pl.String)
    if trim:
        text = text.str.strip_chars_end("0").str.strip_chars_end(".")
    return text.fill_null("")


def packed_parts(headers: Sequence[str]) -> list[tuple[str, list[int]]]:
    """How the native query packs a row: the indexes of the columns in each packed text.

    Two: the one-line columns in :data:`PACKED`, the columns of several lines (notes,
    custom fields) in :data:`PACKED_LINES`. Each is scanned whole for characters a file
    must not hold with its own rule, so the line breaks of notes never send a store's
    every partition through the column-by-column scan.
    """
    one = [i for i, header in enumerate(headers) if not multiline_field(header)]
    lines = [i for i, header in enumerate(headers) if multiline_field(header)]
    return [(PACKED, one), (PACKED_LINES, lines)] if lines else [(PACKED, one)]


def _unpack_lazy(lazy: pl.LazyFrame, headers: Sequence[str], labels: Sequence[str]) -> pl.LazyFrame:
    """Split the packed columns back into the export's columns and types, plus :data:`BAD`.

    ``labels``: the frame's packed columns; :data:`PACKED` alone holds every column.
    """
    import polars as pl

    schema = raw_schema(headers)
    names = list(schema)
    if PACKED_LINES in labels:
        parts = [(label, [names[i] for i in indexes]) for label, indexes in packed_parts(headers)]
    else:
        parts = [(PACKED, names)]
    # splitn leaves any further separator in the last column: a separator inside a cell
    # shows there, and only that (short) column needs looking at. Integers are cast
    # leniently: SQL wrote them from CAST AS INTEGER, and a row shifted by a separator
    # must reach the check rather than fail the cast.
    splits = [
        pl.col(label).str.splitn(SEPARATOR, len(part)).struct.rename_fields(part)
        for label, part in parts
    ]
    shifted = [pl.col(part[-1]).str.contains(SEPARATOR, literal=True) for _, part in parts]
    return (
        lazy.select(*splits)
        .unnest(*(label for label, _ in parts))
        .select(
            *(
                pl.col(name).cast(pl.Int64, strict=False) if dtype == pl.Int64 else pl.col(name)
                for name, dtype in schema.items()
            ),
            pl.any_horizontal(shifted).alias(BAD),
        )
    )


def format_exprs(
    headers: Sequence[str], schema: Mapping[str, Any], dirty: Collection[str] = ()
) -> list[pl.Expr]:
    """One polars expression per column: raw value → the cell the importer reads back.

    The raw text columns named in ``dirty`` (see :func:`dirty_columns`) are made inert
    first: what a terminal or a spreadsheet would obey becomes its visible picture
    (:func:`tillterm.core.typed_text.visible_expr`), line breaks kept only where the field
    allows them. A database written before the door refused such characters may still
    hold them.
    """
    import polars as pl

    exprs = []
    for index, header in enumerate(headers):
        col = pl.col(f"c{index}")
        dtype = schema[f"c{index}"]
        if f"c{index}" in dirty:
            col = visible_expr(col, multiline=multiline_field(header))
        spec = FIELD_BY_NAME.get(header)
        kind = spec.kind if spec else None
        if kind == BOOL:
            out = pl.when(col.cast(pl.Boolean)).then(pl.lit("yes")).otherwise(pl.lit("no"))
        elif kind == PERCENT:
            out = _decimal_text(col, 3, True)
        elif kind == MONEY:
            out = _decimal_text(col, 2, False)
        elif header in ("year_to_date_spend", "account_balance"):
            out = _decimal_text(col.fill_null(0), 2, False)
        elif header == "loyalty_balance":
            out = col.cast(pl.Int64).fill_null(0).cast(pl.String)
        elif header == "created_at":
            if dtype == pl.String or dtype == pl.Null:
                out = col.cast(pl.String).str.slice(0, 19).str.replace("T", " ")
            else:
                out = col.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S")
            out = out.fill_null("")
        elif kind == DATE:
            out = col.cast(pl.String).str.slice(0, 10).fill_null("")
        else:
            out = neutralise_expr(col.cast(pl.String).fill_null(""))
        # an empty cell is written bare, not as ""
        exprs.append(pl.when(out == "").then(None).otherwise(out).alias(header))
    return exprs


def dirty_columns(frame: pl.DataFrame, headers: Sequence[str]) -> frozenset[str]:
    """The raw text columns of ``frame`` holding a character a file must not hold.

    One literal scan per text column (:func:`tillterm.core.typed_text.has_invisible_expr`),
    all in one polars query: the common answer is none, and then no cell is rewritten.
    """
    import polars as pl

    names = [f"c{index}" for index in range(len(headers)) if frame.schema[f"c{index}"] == pl.String]
    if not names:
        return frozenset()
    found = frame.select(
        has_invisible_expr(pl.col(name), multiline=multiline_field(headers[int(name[1:])]))
        .any()
        .alias(name)
        for name in names
    ).row(0, named=True)
    return frozenset(name for name in names if found[name])


def _packed_needles(multiline: bool) -> list[str]:
    """What no packed text of a clean store holds: every forbidden character but the
    separator (a cell holding that one is caught by :data:`BAD`)."""
    return [ch for ch in file_needles(multiline) if ch != SEPARATOR]


class _Formatter:
    """Formats and writes frames of raw values (on the helper thread).

    The polars expressions are built once per schema (and set of columns to make inert),
    not per partition: building them needs the GIL, which the reading thread holds while
    the driver reads the next batch. A packed frame (native SQLite path) is first scanned
    whole for characters a file must not hold (see :func:`packed_parts`); without any
    (the common case) it is split and formatted in one polars query, else split first
    and its columns scanned one by one.
    """

    def __init__(self, writer: CsvWriter | XlsxWriter, headers: Sequence[str]) -> None:
        self.writer = writer
        self.headers = headers
        self.plans: dict[Any, list[pl.Expr]] = {}
        self.needles = {PACKED: _packed_needles(False), PACKED_LINES: _packed_needles(True)}

    def _plan(
        self, schema: Mapping[str, Any], packed: bool, dirty: frozenset[str]
    ) -> list[pl.Expr]:
        key = (tuple(schema.items()), packed, dirty)
        exprs = self.plans.get(key)
        if exprs is None:
            exprs = self.plans[key] = format_exprs(self.headers, schema, dirty)
        return exprs

    def __call__(self, frame: pl.DataFrame) -> None:
        if PACKED in frame.columns:
            import polars as pl

            schema = raw_schema(self.headers)
            labels = frame.columns
            found = frame.select(
                pl.col(label).str.contains_any(self.needles[label]).any() for label in labels
            ).row(0)
            unpacked = _unpack_lazy(frame.lazy(), self.headers, labels)
            if not any(found):
                exprs = self._plan(schema, True, frozenset())
                out = unpacked.select(*exprs, BAD).collect()
                if out.get_column(BAD).any():
                    raise SeparatorInText
                self.writer.write(out.drop(BAD))
                return
            frame = unpacked.collect()
            if frame.get_column(BAD).any():
                raise SeparatorInText
            frame = frame.drop(BAD)
        exprs = self._plan(frame.schema, False, dirty_columns(frame, self.headers))
        self.writer.write(frame.select(exprs))


def write_frames(
    frames: Iterable[pl.DataFrame],
    fh: BinaryIO,
    suffix: str,
    headers: Sequence[str],
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Format and write each frame to ``fh`` on a helper thread while the next is read.

    ``fh`` is left open (its owner puts it in place); the frames' source is closed even
    when this stops early. Raises :class:`ExportCancelled` when ``cancelled()`` says so.
    """
    count = 0
    try:
        writer = XlsxWriter(fh, headers) if suffix == ".xlsx" else CsvWriter(fh, headers)
        with writer, ThreadPoolExecutor(1, thread_name_prefix="tillterm-export") as pool:
            written: Future[None] | None = None
            format_and_write = _Formatter(writer, headers)
            for frame in frames:
                if cancelled is not None and cancelled():
                    raise ExportCancelled(_("Export cancelled; no file was written."))
                if written is not None:
                    written.result()
                written = pool.submit(format_and_write, frame)
                count += frame.height
                if progress:
                    progress(count)
            if written is not None:
                written.result()
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # the driver's statement and connection, even when stopped early
    return count


class CsvWriter:
    """UTF-8 with a byte order mark (Excel reads it as UTF-8), CRLF line ends."""

    def __init__(self, fh: BinaryIO, headers: Sequence[str]) -> None:
        self.fh = fh
        self.fh.write(b"\xef\xbb\xbf")
        self.fh.write(_csv_line([visible_text(h) for h in headers]).encode("utf-8"))

    def write(self, frame: pl.DataFrame) -> None:
        frame.write_csv(self.fh, include_header=False, line_terminator="\r\n")

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.flush()


def _csv_line(cells: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


class XlsxWriter:
    """One sheet, every cell written as text (nothing turns into a number or formula)."""

    def __init__(self, fh: BinaryIO, headers: Sequence[str], sheet: str = "Customers") -> None:
        import xlsxwriter

        self.fh = fh
        self.book = xlsxwriter.Workbook(
            fh,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.sheet = self.book.add_worksheet(sheet)
        self.sheet.write_row(0, 0, [visible_text(h) for h in headers])
        self.row = 1

    def write(self, frame: pl.DataFrame) -> None:
        if self.row + frame.height > XLSX_MAX_ROWS:
            raise SpreadsheetError(_("Too many customers for an .xlsx sheet; export to .csv."))
        write = self.sheet.write_string
        for values in frame.iter_rows():
            for col, value in enumerate(values):
                if value:
                    write(self.row, col, value)
            self.row += 1

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.book.close()
            self.fh.flush()


# -- the export process --------------------------------------------------------------


def native_batches(uri: str, sql: str, batch_rows: int) -> Any:
    """Arrow record batches of ``sql`` read by the ADBC SQLite driver, as polars frames.

    Only ever called in the export process (see the module's docstring).
    """
    import adbc_driver_manager
    import adbc_driver_sqlite
    import nanoarrow
    import polars as pl

    def batches() -> Any:
        with (
            adbc_driver_sqlite.connect(uri) as db,
            adbc_driver_manager.AdbcConnection(db) as conn,
            adbc_driver_manager.AdbcStatement(conn) as stmt,
        ):
            stmt.set_sql_query(sql)
            rows = adbc_driver_sqlite.StatementOptions.BATCH_ROWS.value
            stmt.set_options(**{rows: str(batch_rows)})
            handle, _rows = stmt.execute_query()
            with nanoarrow.ArrayStream(handle) as stream:
                for batch in stream:
                    yield pl.DataFrame(batch)

    return batches()


def _leave_when_orphaned(stdin: BinaryIO) -> None:
    """End this process as soon as the parent closes stdin (cancelled, or gone)."""

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            while stdin.read(4096):
                pass
        os._exit(3)

    threading.Thread(target=watch, name="tillterm-export-watch", daemon=True).start()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _export(job: Mapping[str, Any], say: Callable[[dict[str, Any]], None]) -> None:
    try:
        import adbc_driver_manager  # noqa: F401
        import adbc_driver_sqlite  # noqa: F401
        import nanoarrow  # noqa: F401
    except ImportError as exc:
        say({"unavailable": str(exc)})
        return
    from adbc_driver_manager import Error as DriverError

    headers = list(job["headers"])
    suffix = job["suffix"]
    with os.fdopen(job["fd"], "wb", closefd=True) as fh:

        def progress(count: int) -> None:
            say({"rows": count})

        try:
            try:
                frames = native_batches(job["uri"], job["sql"], job["batch_rows"])
                count = write_frames(frames, fh, suffix, headers, progress)
            except SeparatorInText:
                # a cell holds the packing separator: read every column apart instead
                fh.seek(0)
                fh.truncate()
                frames = native_batches(job["uri"], job["columns_sql"], job["batch_rows"])
                count = write_frames(frames, fh, suffix, headers, progress)
            fh.flush()
        except SpreadsheetError as exc:
            say({"error": str(exc)})
            return
        except OSError as exc:
            say({"write_error": exc.strerror or _first_line(exc)})
            return
        except DriverError as exc:
            say(
                {
                    "error": _("The database could not be read: {reason}").format(
                        reason=_first_line(exc)
                    )
                }
            )
            return
    say({"done": count})


def main() -> int:
    """The export process: one job from stdin, answers on stdout (see the module)."""
    # our answers go to the real stdout alone: anything a library prints goes to stderr
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    line = stdin.readline()
    if not line:
        return 2
    job = json.loads(line)
    _leave_when_orphaned(stdin)
    lock = threading.Lock()

    def say(message: dict[str, Any]) -> None:
        with lock:
            answers.write(json.dumps(message) + "\n")

    _export(job, say)
    answers.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
