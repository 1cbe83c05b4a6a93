"""An opened spreadsheet as the importer sees it: what the file is, its header, and
its rows in batches of text cells, whatever the format (delimited text, an Excel
workbook, vCards) the openers read it from.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm.i18n import N_, _, ngettext
from tillterm.i18n.formats import whole
from tillterm.spreadsheet import refusals
from tillterm.spreadsheet.layout import Layout, footer_rows, is_number
from tillterm.spreadsheet.refusals import SpreadsheetError, first_line
from tillterm.spreadsheet.text_records import DELIMITERS, records, split_header, utf8_blocks

if TYPE_CHECKING:
    import polars as pl

#: the row-number column each batch carries: the row as a spreadsheet numbers it
ROW = "__row"
#: the last rows looked at for totals and footer rows
FOOTER_WINDOW = 50

_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": N_("UTF-8 with BOM"),
    "utf-16": "UTF-16",
    "utf-16-le": N_("UTF-16 LE without BOM"),
    "utf-16-be": N_("UTF-16 BE without BOM"),
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
            enc = _(_ENCODING_NAMES.get(self.encoding or "", self.encoding or "?"))
            delimiter = DELIMITERS.get(self.delimiter or ",")
            sep = _(delimiter) if delimiter else repr(self.delimiter)
            what = _("Text (.txt)") if self.text_file else "CSV"
            ends = _(", old Mac line ends (CR)") if self.line_end == "\r" else ""
            return _("{kind}, {encoding}, {separator}-separated{line_ends}").format(
                kind=what, encoding=enc, separator=sep, line_ends=ends
            )
        sheet = _(", sheet “{name}”").format(name=self.sheet) if self.sheet else ""
        header = (
            _(", header on row {row}").format(row=self.header_row) if self.header_row != 1 else ""
        )
        return _("Excel workbook (.{kind}){sheet}{header}").format(
            kind=self.kind, sheet=sheet, header=header
        )


class SheetSource:
    """An opened spreadsheet: what it is, its header, and its rows in batches."""

    def __init__(
        self,
        path: Path,
        detected: Detected,
        headers: tuple[str, ...],
        frame: pl.DataFrame | None = None,
    ) -> None:
        """``frame`` holds every row of a sheet read whole (a workbook, vCards: text
        cells ``c0``… and :data:`ROW`); a delimited file has none and is streamed."""
        self.path = path
        self.detected = detected
        self.headers = headers
        self._frame = frame
        #: the file's own columns (a split adds columns after them, see :meth:`derive`)
        self._width = len(headers)
        self._derived: list[pl.Expr] = []
        self._where = [0]
        #: title rows skipped above the header and totals rows left out (those of a
        #: delimited file are known once :meth:`batches` has read it to the end)
        self.layout = Layout()
        #: columns (batch index) where the workbook stores numbers, not text: a phone
        #: or postcode there may have lost its leading zero
        self.numeric_columns: frozenset[int] = frozenset()
        #: what a reader of another format (vCard) found beyond the columns
        self.reader_notes: tuple[str, ...] = ()
        #: (row, column, message) of what the reader could not keep: warnings
        self.reader_lost: tuple[tuple[int, str, str], ...] = ()
        #: a column no field is chosen for is data lost (a vCard's extra properties),
        #: not a column of a sheet that the person may leave out
        self.unmapped_is_lost = False
        stat = path.stat()
        #: size and modification time: lets an import notice the file changed since it was checked
        self.fingerprint = (stat.st_size, stat.st_mtime_ns)

    @property
    def notes(self) -> tuple[str, ...]:
        """What reading found about the file's layout, for the check's summary."""
        return self.layout.notes() + self.reader_notes

    def derive(self, headers: tuple[str, ...], exprs: list[pl.Expr], note: str) -> None:
        """Read the rows through ``exprs`` (columns rewritten or added, ``headers`` their
        names from now on), and say ``note`` in the summary: a source's one name split
        into first and last name (:mod:`tillterm.spreadsheet.whole_names`)."""
        self.headers = headers
        self._derived = exprs
        self.reader_notes = (*self.reader_notes, note)
        if self._frame is not None:
            self._frame = self._frame.with_columns(exprs)

    def lost(self, mapped: Collection[int]) -> list[tuple[int, str, str]]:
        """(row, column, message) of what this file holds that the import leaves out,
        for the check's warnings: what the reader could not keep and, for a vCard, each
        column not ``mapped`` to a field nor left out by the person ("2 cards (1, 4) have
        a NICKNAME (“Mimi”): not imported"), named once for the file."""
        import polars as pl

        found = list(self.reader_lost)
        frame = self._frame
        if not self.unmapped_is_lost or frame is None:
            return found
        for index, header in enumerate(self.headers):
            if index in mapped:
                continue
            filled = frame.filter(pl.col(f"c{index}").str.strip_chars() != "")
            if not filled.height:
                continue
            rows = filled.get_column(ROW).to_list()
            sample = filled.get_column(f"c{index}")[0]
            sample = sample if len(sample) <= 30 else sample[:29] + "…"
            article = "an" if header[:1].lower() in "aeiou" or header[:2] == "X-" else "a"
            lost = ngettext(
                "{count} card ({rows}) has {article} {header} (“{sample}”): not imported; "
                "choose a field for the column to keep it",
                "{count} cards ({rows}) have {article} {header} (“{sample}”): not imported; "
                "choose a field for the column to keep it",
                len(rows),
            )
            listed = str(rows[0]) if len(rows) == 1 else _listed(rows)
            found.append(
                (
                    int(rows[0]),
                    header,
                    lost.format(
                        count=whole(len(rows)),
                        rows=listed,
                        article=article,
                        header=header,
                        sample=sample,
                    ),
                )
            )
        return found

    def no_field_hint(self) -> str:
        """What to add when no header maps to a field: "delete the title row" if that is why.

        The header row picked is less filled than the rows under it when it is really a
        title ("Customers | March 2024") above the column names.
        """
        rows: list[tuple[str, ...]]
        if self.detected.kind == "csv":
            rows = [tuple(r) for r in self._text_rows(200)[1:]]
        else:
            frame = self._frame
            rows = frame.head(200).drop(ROW).rows() if frame is not None else []
        if not rows:
            return ""
        filled = sum(1 for h in self.headers if h)
        widest = max(sum(1 for v in row if v.strip()) for row in rows)
        if filled >= widest or not filled:
            return ""
        row = self.detected.header_row
        shown = next(h for h in self.headers if h)
        return _(
            "Row {row} (“{header}”) looks like a title, not column names: "
            "delete the title row so that the column names come first."
        ).format(row=row, header=shown)

    def _text_rows(self, count: int) -> list[list[str]]:
        """The first ``count`` records of a delimited file, every field (the batches keep
        only as many as the header has)."""
        blocks = records(
            utf8_blocks(
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
            else (self._frame.head(500) if self._frame is not None else None)
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
            frame = self._frame
            assert frame is not None
            yield from _parts(frame, rows)
            return
        # the last rows are held back until the file ends: a totals row at the bottom
        # ("TOTAL;;;42,50") is only known to be the last when nothing follows it
        held: pl.DataFrame | None = None
        earlier = False
        for frame in self._text_frames():
            if held is not None:
                frame = pl.concat([held, frame], rechunk=False)
            if frame.height > FOOTER_WINDOW:
                cut = frame.height - FOOTER_WINDOW
                yield from _parts(frame.slice(0, cut), rows)
                # copied out of the block (a slice would keep the whole block alive
                # while the next one is parsed)
                tail = frame.slice(cut)
                held = pl.DataFrame(tail.rows(), schema=tail.schema, orient="row")
                earlier = True
            else:
                held = frame
        if held is None:
            return
        footers = trailing_footers(
            held,
            lambda wanted: column_sums(self._text_frames(), wanted),
            more_above=earlier,
        )
        self.layout = replace(self.layout, footers=footers)
        if footers:
            held = held.filter(~pl.col(ROW).is_in([row for row, _ in footers]))
        yield from _parts(held, rows)

    def _text_frames(self) -> Iterator[pl.DataFrame]:
        """Every row of a delimited file as text cells, a frame per block read."""
        import polars as pl

        names = [f"c{i}" for i in range(self._width)]
        schema = dict.fromkeys(names, pl.String)
        self._where[0] = 0
        blocks = records(
            utf8_blocks(
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
                for _skipped in range(self.detected.header_row):
                    block = split_header(block)[1]
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
                    _("{file} cannot be read as CSV near row {row}: {reason}").format(
                        file=self.path.name, row=next_row, reason=first_line(exc)
                    )
                ) from exc
            frame = frame.with_columns(
                pl.int_range(next_row, next_row + frame.height, dtype=pl.Int64).alias(ROW),
                pl.col(names).fill_null("").str.strip_suffix("\r"),
            )
            next_row += frame.height
            if next_row - 2 > refusals.MAX_ROWS:
                raise SpreadsheetError(
                    _("{file} has more than {count} rows; split it in several files.").format(
                        file=self.path.name, count=whole(refusals.MAX_ROWS)
                    )
                )
            refuse_long_cells(frame, self.path.name)
            yield frame.with_columns(self._derived) if self._derived else frame


def refuse_long_cells(frame: pl.DataFrame, name: str) -> None:
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
            _(
                "{file}: row {row} has a cell of {length} characters "
                "(at most {limit}); it cannot be imported."
            ).format(file=name, row=row, length=whole(length), limit=whole(refusals.MAX_CELL_CHARS))
        )


def _listed(rows: list[int], named: int = 20) -> str:
    shown = ", ".join(str(n) for n in rows[:named])
    return shown + (f" and {len(rows) - named:,} more" if len(rows) > named else "")


def _parts(frame: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    for offset in range(0, frame.height, rows):
        part = drop_blank(frame.slice(offset, rows))
        if part.height:
            yield part


def trailing_footers(
    tail: pl.DataFrame,
    sums: Callable[[list[int]], dict[int, float]],
    *,
    more_above: bool,
) -> tuple[tuple[int, str], ...]:
    """(row, first filled cell) of the totals/footer rows at the end of ``tail`` (the
    last rows of a sheet, :data:`ROW` included): a first cell saying "Total" or a row
    of column sums (:func:`~tillterm.spreadsheet.layout.footer_rows`).

    ``sums`` gives the sums of whole columns (that row included), asked only when the
    last row is numbers under an empty first cell. When every row there is would be a
    footer (and nothing is ``more_above``), the rows are customers: a one-customer file
    of "Total Energies" is imported, not emptied.
    """
    cells = [c for c in tail.columns if c != ROW]
    rows = tail.select(cells).rows()
    last = next((row for row in reversed(rows) if any(c.strip() for c in row)), None)
    totals: dict[int, float] = {}
    wanted = [j for j, c in enumerate(last or ()) if c.strip()]
    # only a last row of numbers under an empty first cell may be sums: a customer's row
    # (names, an email) never costs a second read of a delimited file
    if last is not None and not last[0].strip() and all(is_number(last[j]) for j in wanted):
        totals = sums(wanted)
    found = footer_rows(rows, totals)
    filled = sum(1 for row in rows if any(c.strip() for c in row))
    if not found or (len(found) == filled and not more_above):
        return ()
    return tuple(
        (int(tail.get_column(ROW)[i]), next(c.strip() for c in rows[i] if c.strip())) for i in found
    )


def column_sums(frames: Iterable[pl.DataFrame], wanted: list[int]) -> dict[int, float]:
    """The sum of each ``wanted`` column (``c{j}``) over ``frames``, its cells read as
    numbers ("42,50", "1 234.5", "12 %"); a cell that is no number counts nothing."""
    import polars as pl

    totals = dict.fromkeys(wanted, 0.0)
    for frame in frames:
        row = frame.select(
            pl.col(f"c{j}")
            .str.replace_all(r"[\s\u00a0%]", "")
            .str.replace(",", ".")
            .cast(pl.Float64, strict=False)
            .sum()
            .alias(str(j))
            for j in wanted
        ).row(0)
        for j, value in zip(wanted, row, strict=True):
            totals[j] += float(value or 0.0)
    return totals


def drop_blank(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    cells = [c for c in frame.columns if c != ROW]
    if not cells:
        return frame
    return frame.filter(pl.any_horizontal(pl.col(cells).str.strip_chars() != ""))


#: headers of the columns a name is read from for :meth:`SheetSource.sample_names`
_NAME_HEADER = re.compile(
    r"name|nom\b|naam|nombre|prénom|prenom|vorname|company|société|societe|firma|empresa|bedrijf",
    re.IGNORECASE,
)
