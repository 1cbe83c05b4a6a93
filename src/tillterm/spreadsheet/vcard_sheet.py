"""A vCard file opened as a sheet (the cards themselves are read by
:mod:`tillterm.spreadsheet.vcard`)."""

from __future__ import annotations

from pathlib import Path

from tillterm.spreadsheet import refusals
from tillterm.spreadsheet.refusals import SpreadsheetError
from tillterm.spreadsheet.sheet import ROW, Detected, SheetSource, refuse_long_cells


def open_vcard(file: Path) -> SheetSource:
    """A vCard file as a sheet: one row per card (:mod:`tillterm.spreadsheet.vcard`), its
    row numbers the card numbers, what the cards held beyond the columns in its notes."""
    import polars as pl

    from tillterm.spreadsheet.vcard import VcardError, read_cards

    try:
        cards = read_cards(file.read_bytes(), file.name, refusals.MAX_ROWS)
    except OSError as exc:
        from tillterm.i18n import _

        raise SpreadsheetError(
            _("{file} cannot be read: {reason}.").format(file=file.name, reason=exc.strerror or exc)
        ) from exc
    except VcardError as exc:
        raise SpreadsheetError(str(exc)) from exc
    names = [f"c{i}" for i in range(len(cards.headers))]
    frame = pl.DataFrame(
        cards.rows, schema=dict.fromkeys(names, pl.String), orient="row"
    ).with_columns(pl.int_range(1, len(cards.rows) + 1, dtype=pl.Int64).alias(ROW))
    refuse_long_cells(frame, file.name)
    source = SheetSource(
        file, Detected("vcf", cards.encoding, summary=cards.describe()), cards.headers, frame
    )
    source.reader_notes = cards.notes
    source.reader_lost = tuple((lost.card, lost.column, lost.message) for lost in cards.lost)
    source.unmapped_is_lost = True
    return source
