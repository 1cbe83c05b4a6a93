"""An Excel workbook (.xlsx, .xls) opened as a sheet: its first sheet read by a child
process with a memory ceiling (:mod:`tillterm.spreadsheet.excel_child`), cells shown as
their number formats show them, the header found below title rows, totals rows left out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm.i18n import _
from tillterm.i18n.formats import whole
from tillterm.spreadsheet import refusals
from tillterm.spreadsheet.layout import (
    MAX_TITLE_ROWS,
    Layout,
    NoHeader,
    NumberFormats,
    find_header,
    pad_expr,
)
from tillterm.spreadsheet.refusals import (
    SpreadsheetError,
    mb,
    refuse_binary,
    refuse_columns,
    refuse_size,
)
from tillterm.spreadsheet.sheet import (
    FOOTER_WINDOW,
    ROW,
    Detected,
    SheetSource,
    column_sums,
    refuse_long_cells,
    trailing_footers,
)
from tillterm.spreadsheet.xls_formats import xls_number_formats
from tillterm.spreadsheet.xlsx_parts import inspect_xlsx

if TYPE_CHECKING:
    import polars as pl


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
            raise SpreadsheetError(_("{file} has no sheet.").format(file=file.name))
        if code == excel_child.EXIT_ENGINE:
            reason = stderr.decode("utf-8", "replace").strip().splitlines() or [_("unknown error")]
            raise SpreadsheetError(
                _("{file} cannot be read as an Excel workbook: {reason}").format(
                    file=file.name, reason=reason[-1][:200]
                )
            )
        raise SpreadsheetError(
            _(
                "{file} cannot be read: reading it needs more than {size} "
                "of memory (too big, or damaged)."
            ).format(file=file.name, size=mb(refusals.EXCEL_MEMORY))
        )
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)


def open_excel(
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
        formats = xls_number_formats(file)
    else:
        refuse_binary(file, head, _("an Excel workbook"))
        raise SpreadsheetError(
            _("{file} is not an Excel workbook (it looks like text: save it as .csv).").format(
                file=file.name
            )
        )
    frame, sheet, first_column = _read_workbook(file, poll)
    if frame.height == 0 or frame.width == 0:
        raise SpreadsheetError(
            _("{file} is empty (its first sheet has no header row).").format(file=file.name)
        )
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
        raise SpreadsheetError(
            _("{file} has more than {count} rows.").format(
                file=file.name, count=whole(refusals.MAX_ROWS)
            )
        )
    refuse_long_cells(frame, file.name)
    tail = frame.tail(FOOTER_WINDOW)
    footers = trailing_footers(
        tail,
        lambda wanted: column_sums([frame], wanted),
        more_above=frame.height > tail.height,
    )
    if footers:
        frame = frame.filter(~pl.col(ROW).is_in([row for row, _ in footers]))
    detected = Detected(kind, sheet=sheet or None, header_row=at + 1)
    source = SheetSource(file, detected, tuple(headers), frame)
    source.layout = Layout(header=at, titles=titles, footers=footers)
    source.numeric_columns = frozenset(
        column - first_column
        for column in formats.numeric
        if 0 <= column - first_column < len(headers)
    )
    return source


def _no_header(file: Path, top: list[tuple[str, ...]]) -> str:
    """Why no header was found, naming the title row when one is the cause."""
    filled = [row for row in top if any(c.strip() for c in row)]
    if filled and sum(1 for c in filled[0] if c.strip()) == 1 and len(filled) > 1:
        title = next(c.strip() for c in filled[0] if c.strip())
        return _(
            "{file}: no header row found in its first {count} rows; "
            "the sheet starts with “{title}”, a title: delete the title row so that "
            "the column names come first."
        ).format(file=file.name, count=MAX_TITLE_ROWS + 1, title=title[:40])
    return _("{file}: no header row found in its first {count} rows.").format(
        file=file.name, count=MAX_TITLE_ROWS + 1
    )
