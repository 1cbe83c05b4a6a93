"""Delimited text (.csv, .txt) opened as a sheet: encoding, line ends, delimiter, and
the header found below the title lines a hand-made sheet keeps when saved as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tillterm.i18n import _
from tillterm.spreadsheet.layout import MAX_TITLE_ROWS, Layout, NoHeader, find_header
from tillterm.spreadsheet.refusals import SpreadsheetError, refuse_binary, refuse_columns
from tillterm.spreadsheet.sheet import Detected, SheetSource
from tillterm.spreadsheet.text_encoding import cr_only as lines_end_with_cr
from tillterm.spreadsheet.text_encoding import detect_encoding, utf16_without_bom
from tillterm.spreadsheet.text_records import guess_delimiter, records, split_header, utf8_blocks


def open_text(file: Path, head: bytes) -> SheetSource:
    expected = _("a text file") if file.suffix.lower() == ".txt" else _("a CSV file")
    refuse_binary(file, head, expected, text16=utf16_without_bom(head) is not None)
    encoding = detect_encoding(file, head)
    cr_only = lines_end_with_cr(head, encoding)
    first = next(records(utf8_blocks(file, encoding, cr_only=cr_only), file.name), b"")
    at, titles = csv_header_line(first)
    rest = first
    for _skipped in range(at):
        rest = split_header(rest)[1]
    header_bytes = split_header(rest)[0]
    header_text = header_bytes.decode("utf-8", errors="replace").rstrip("\r\n")
    if not header_text.strip():
        raise SpreadsheetError(
            _("{file} has no header row (the first line is empty).").format(file=file.name)
        )
    delimiter = guess_delimiter(header_text)
    try:
        headers = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise SpreadsheetError(
            _("{file}: the header row cannot be read ({reason}).").format(
                file=file.name, reason=exc
            )
        ) from exc
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


def csv_header_line(first: bytes) -> tuple[int, tuple[str, ...]]:
    """The line holding the header (0 for the first) and the titles above it.

    A CSV saved from a sheet laid out by hand keeps its title line ("Liste des
    clients;;;;") and blank lines above the column names. The delimiter is guessed from
    the first lines together (a title line may hold none), and the header is the first
    line that looks like one (:func:`~tillterm.spreadsheet.layout.find_header`).
    """
    lines: list[str] = []
    rest = first
    while rest and len(lines) < MAX_TITLE_ROWS + 20:
        line, rest = split_header(rest)
        lines.append(line.decode("utf-8", errors="replace").rstrip("\r\n"))
    if len(lines) < 2:
        return 0, ()
    delimiter = guess_delimiter("\n".join(lines))
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
