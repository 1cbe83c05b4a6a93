"""The layout people give a sheet in Excel: title rows above the header, totals below.

A customer list saved from Excel often starts with a title ("Customer list, March") and
a blank row, and ends with a TOTAL row or a sum under an amount column. The header is
the first of the top rows that looks like one (at least 60 % as many filled cells as
the widest row near the top, and not all numbers); a title above it is skipped and named,
and trailing rows whose first cell says "total" in the store's languages, or holding
only numbers under the data, are reported and not imported. Excel also shows numbers
through a number format: a postcode typed ``01000`` in a ``00000`` column is stored as
the number 1000, so the format is read from the workbook's styles and the cell comes
back as Excel shows it (.xls: :mod:`tillterm.spreadsheet.xls_formats`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tillterm.i18n import _

if TYPE_CHECKING:
    import polars as pl

#: how many title or blank rows may sit above the header
MAX_TITLE_ROWS = 10
#: a first cell that makes a trailing row a totals/footer row
TOTAL_WORDS = re.compile(
    r"^\s*(?:grand\s+|sous-|sub-?\s*)?(?:total|totals|totaux|totaal|totalen|totale|somme|"
    r"sommes|summe|summen|gesamt|gesamtsumme|insgesamt|suma|sumas|sum)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^\s*-?[\d\s\u00a0.,]+%?\s*$")
_ZERO_FORMAT = re.compile(r"0+")


class NoHeader(ValueError):
    """No row near the top of the sheet looks like a header."""


@dataclass(frozen=True)
class Layout:
    """Where the header is and which trailing rows are not customers."""

    #: index (0-based, in the frame) of the header row
    header: int = 0
    #: the text of the title rows skipped above the header
    titles: tuple[str, ...] = ()
    #: (spreadsheet row, first filled cell) of every footer row left out
    footers: tuple[tuple[int, str], ...] = ()

    def notes(self) -> tuple[str, ...]:
        """What the check tells the person about the layout."""
        notes = []
        if self.header and self.titles:
            notes.append(
                _(
                    "The header is on row {row}: the rows above it "
                    "(“{title}”) are a title, not imported."
                ).format(row=self.header + 1, title=self.titles[0])
            )
        elif self.header:
            notes.append(
                _("The header is on row {row} (the rows above are blank).").format(
                    row=self.header + 1
                )
            )
        totals = _("Row {row} (“{text}”) is a totals row: not imported.")
        for row, text in self.footers:
            notes.append(totals.format(row=row, text=text))
        return tuple(notes)


def _filled(row: tuple[str, ...]) -> list[str]:
    return [c.strip() for c in row if c.strip()]


def is_number(text: str) -> bool:
    """A cell holding a number as a sheet shows it ("1 234,50", "12 %")."""
    return bool(_NUMBER.match(text)) and any(ch.isdigit() for ch in text)


def find_header(rows: list[tuple[str, ...]]) -> int:
    """The index of the header among the first rows of a sheet (cells as text).

    ``rows`` is the top of the sheet (the header's candidates and some data under them).
    Raises :class:`NoHeader` when none of the first ``MAX_TITLE_ROWS + 1`` rows fits.
    """
    counts = [len(_filled(r)) for r in rows]
    widest = max(counts, default=0)
    if widest == 0:
        raise NoHeader("the sheet is empty")
    # at least 60 % of the widest row's cells, and two when the sheet has two columns:
    # a title ("Clients | mars 2024") above four column names is not the header
    needed = max(2, -(-widest * 3 // 5)) if widest > 1 else 1
    for index, row in enumerate(rows[: MAX_TITLE_ROWS + 1]):
        cells = _filled(row)
        if len(cells) >= needed and not all(is_number(c) for c in cells):
            return index
    raise NoHeader("no header row")


def _as_number(text: str) -> float | None:
    cleaned = re.sub(r"[\s\u00a0%]", "", text).replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def footer_rows(
    rows: list[tuple[str, ...]], column_totals: Mapping[int, float] | None = None
) -> list[int]:
    """Indexes (in ``rows``, the last rows under the header) of the trailing footer rows.

    Only rows at the end (blank rows between them allowed) are footers: a customer whose
    name is "Total" in the middle of the list is a customer. A trailing row of numbers
    alone is a footer only when each of its numbers is the sum of its column above it:
    ``column_totals`` (column → the sum of the whole column, that row included) says so,
    as twice the row's value. A last customer with only a phone number stays a customer.
    """
    found: list[int] = []
    for index in range(len(rows) - 1, -1, -1):
        row = rows[index]
        cells = _filled(row)
        if not cells:
            continue
        first = cells[0]
        if TOTAL_WORDS.match(first) or _is_sum(row, column_totals):
            found.append(index)
            continue
        break
    return sorted(found)


def _is_sum(row: tuple[str, ...], column_totals: Mapping[int, float] | None) -> bool:
    if not column_totals:
        return False
    filled = [(j, c.strip()) for j, c in enumerate(row) if c.strip()]
    for j, cell in filled:
        value = _as_number(cell) if is_number(cell) else None
        total = column_totals.get(j)
        if value is None or total is None or abs(total - 2 * value) > 0.005 + 1e-9 * abs(total):
            return False
    return bool(filled)


@dataclass(frozen=True)
class NumberFormats:
    """What an .xlsx's number formats say about its columns (0-based sheet columns)."""

    #: column → digits Excel pads a number to (format ``00000``)
    padded: dict[int, int] = field(default_factory=dict)
    #: columns holding at least one cell stored as a number
    numeric: frozenset[int] = frozenset()


_NUMFMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELLXFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.DOTALL)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)")
_XF_FMT = re.compile(rb'\bnumFmtId="(\d+)"')
_C = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_C_REF = re.compile(rb'\br="([A-Z]{1,3})\d+"')
_C_STYLE = re.compile(rb'\bs="(\d+)"')
_C_TYPE = re.compile(rb'\bt="(\w+)"')
#: how much of the sheet's XML is read for the cells' styles (its top rows)
SAMPLE_BYTES = 4 << 20


def _column_index(letters: bytes) -> int:
    number = 0
    for ch in letters.decode("ascii"):
        number = number * 26 + ord(ch) - 64
    return number - 1


def xlsx_number_formats(book: zipfile.ZipFile, sheet_part: str) -> NumberFormats:
    """The zero-padding formats and numeric cells of the first rows of an .xlsx sheet.

    Read from ``xl/styles.xml`` (which cell style has a format like ``00000``) and the top
    of the sheet (which column's cells use such a style, and which cells are numbers
    rather than text: ``t`` absent or ``n``). Nothing is unpacked whole.
    """
    try:
        with book.open("xl/styles.xml") as fh:
            styles = fh.read(4 << 20)
        with book.open(sheet_part) as fh:
            sheet = fh.read(SAMPLE_BYTES)
    except (KeyError, OSError, zipfile.BadZipFile, NotImplementedError, EOFError, ValueError):
        return NumberFormats()
    codes = {int(i): code for i, code in _NUMFMT.findall(styles)}
    xfs = _CELLXFS.search(styles)
    widths: dict[int, int] = {}
    if xfs:
        for n, attrs in enumerate(_XF.findall(xfs.group(1))):
            fmt = _XF_FMT.search(attrs)
            code = codes.get(int(fmt.group(1)), b"") if fmt else b""
            if width := zero_padding(code.decode("utf-8", "replace")):
                widths[n] = width
    padded: dict[int, int] = {}
    numeric: set[int] = set()
    for attrs, _closed in _C.findall(sheet):
        ref = _C_REF.search(attrs)
        if not ref:
            continue
        column = _column_index(ref.group(1))
        kind = _C_TYPE.search(attrs)
        if not _closed and (kind is None or kind.group(1) == b"n"):
            numeric.add(column)
        style = _C_STYLE.search(attrs)
        if style and int(style.group(1)) in widths:
            padded[column] = max(padded.get(column, 0), widths[int(style.group(1))])
    return NumberFormats(padded, frozenset(numeric))


def zero_padding(code: str) -> int:
    """The digits a ``0…0`` number format pads a number to (``00000`` → 5), else 0."""
    return len(code) if _ZERO_FORMAT.fullmatch(code) else 0


def pad_expr(column: pl.Expr, width: int) -> pl.Expr:
    """A number shown through a ``0…0`` format: ``1000`` in ``00000`` reads ``01000``."""
    import polars as pl

    return pl.when(column.str.contains(r"^\d+$")).then(column.str.zfill(width)).otherwise(column)
