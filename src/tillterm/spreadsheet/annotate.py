"""The annotated file: the original columns plus one saying what to fix.

As in the help centre (seed 003): the person saves this copy, fixes the rows it points
at, deletes the added column and imports again (the importer also ignores that column if
it is left in). It keeps the original's format: a CSV stays a CSV with the same
delimiter and encoding; a workbook becomes an ``.xlsx`` (``.xls`` cannot be written
without a legacy library).

The person's own cells are copied as their file had them: it is their file, and a copy
that changed it would import differently. The added column is tillterm's words, which
quote their headers and values and the store's choices (an older version may have stored
control characters there): it is made inert like every exported cell
(:func:`tillterm.core.typed_text.visible_expr`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm.core.typed_text import visible_expr
from tillterm.i18n import _
from tillterm.spreadsheet.checking import ERROR, formatted
from tillterm.spreadsheet.columns import PROBLEMS_HEADER
from tillterm.spreadsheet.reading import ROW, SpreadsheetError, open_sheet
from tillterm.store.private_files import OutputExists, private_output

if TYPE_CHECKING:
    import polars as pl

    from tillterm.spreadsheet.import_report import ImportReport


def annotated_path(source: str | os.PathLike[str]) -> Path:
    """Where the annotated copy goes by default: beside the file, ``-annotated`` added."""
    path = Path(source)
    suffix = ".xlsx" if path.suffix.lower() == ".xls" else path.suffix
    return path.with_name(f"{path.stem}-annotated{suffix}")


def _messages(report: ImportReport) -> pl.DataFrame:
    import polars as pl

    table: pl.DataFrame = report.all_problems  # the check's problems (Any on the report)
    return (
        table.with_columns(
            formatted(
                _("{level}{column}: {message}"),
                # the person's words (the column's own header stays as the importer knows it)
                level=pl.when(pl.col("level") == ERROR)
                .then(pl.lit(_("ERROR ")))
                .otherwise(pl.lit(_("warning "))),
                column=pl.col("column"),
                message=pl.col("message"),
            ).alias("text")
        )
        .group_by("row", maintain_order=True)
        .agg(visible_expr(pl.col("text").str.join(" | ")))
        .rename({"row": ROW, "text": PROBLEMS_HEADER})
    )


def annotated_target(report: ImportReport, out: str | os.PathLike[str] | None = None) -> Path:
    """The file :func:`write_annotated` writes (a workbook's copy is always ``.xlsx``)."""
    target = Path(out) if out is not None else annotated_path(report.path)
    if report.path.suffix.lower() != ".csv" and target.suffix.lower() != ".xlsx":
        target = target.with_suffix(".xlsx")
    return target


def write_annotated(
    report: ImportReport,
    out: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
    poll: Callable[[], None] | None = None,
) -> Path:
    """Write the annotated copy of the checked file and return its path.

    It holds customer data, so it is written through :mod:`tillterm.store.private_files`:
    mode 0600, whole or not at all, and an existing file is refused
    (:class:`~tillterm.store.private_files.OutputExists`) unless ``overwrite``. ``poll`` is
    called as the work goes on and may raise to stop it (nothing is left behind).
    """
    import polars as pl

    target = annotated_target(report, out)
    if not overwrite and (target.exists() or target.is_symlink()):
        raise OutputExists(
            _("{file} already exists; choose another name or replace it.").format(file=target)
        )
    source = open_sheet(report.path, poll=poll)
    messages = _messages(report)
    names = source.columns
    headers = [*source.headers, PROBLEMS_HEADER]
    try:
        if source.detected.kind == "csv":
            encoding = source.detected.encoding or "utf-8"
            with private_output(target, overwrite=overwrite) as fh:
                if encoding == "utf-8-sig":
                    fh.write(b"\xef\xbb\xbf")
                out_encoding = "utf-8" if encoding.startswith("utf-8") else encoding
                first = True
                for batch in source.batches():
                    if poll:
                        poll()
                    frame = batch.join(messages, on=ROW, how="left").select(
                        *names, pl.col(PROBLEMS_HEADER).fill_null("")
                    )
                    frame.columns = [f"h{i}" for i in range(len(headers))]
                    buf = io.BytesIO()
                    if first:
                        header = pl.DataFrame(
                            [pl.Series(f"h{i}", [h]) for i, h in enumerate(headers)]
                        )
                        frame = pl.concat([header, frame])
                        first = False
                    frame.write_csv(
                        buf,
                        include_header=False,
                        separator=source.detected.delimiter or ",",
                        line_terminator="\r\n",
                    )
                    data = buf.getvalue()
                    if out_encoding != "utf-8":
                        data = data.decode("utf-8").encode(out_encoding, errors="replace")
                    fh.write(data)
        else:
            import xlsxwriter

            with private_output(target, overwrite=overwrite) as fh:
                book = xlsxwriter.Workbook(
                    fh,
                    {
                        "constant_memory": True,
                        "strings_to_numbers": False,
                        "strings_to_formulas": False,
                    },
                )
                sheet = book.add_worksheet(source.detected.sheet or "Customers")
                sheet.write_row(0, 0, headers)
                row = 1
                for batch in source.batches():
                    if poll:
                        poll()
                    frame = batch.join(messages, on=ROW, how="left").select(
                        *names, pl.col(PROBLEMS_HEADER).fill_null("")
                    )
                    for values in frame.iter_rows():
                        for col, value in enumerate(values):
                            if value:
                                sheet.write_string(row, col, value)
                        row += 1
                book.close()
    except OSError as exc:
        raise SpreadsheetError(
            _("Cannot write {file}: {reason}.").format(file=target, reason=exc.strerror or exc)
        ) from exc
    return target
