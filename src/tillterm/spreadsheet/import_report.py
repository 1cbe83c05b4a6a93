"""What an import tells the person: the report of a check, the result of an apply, and
the rows a check converted, kept on disk for the apply.

Plain values, no database: the screen and the command read them, the annotated copy is
written from them, and ``apply_import`` takes the report back (with its checked rows).
"""

from __future__ import annotations

import io
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tillterm.core.errors import TilltermError
from tillterm.i18n import N_, _, ngettext
from tillterm.i18n.formats import whole
from tillterm.spreadsheet.checking import Context
from tillterm.spreadsheet.columns import ColumnMap
from tillterm.spreadsheet.mapping import ColumnRow, Override

if TYPE_CHECKING:
    import polars as pl

#: how many problems a report lists (all of them go into the annotated file)
LISTED = 2000


class ImportBlocked(TilltermError):
    """The file has errors (or warnings nobody agreed to): nothing was imported."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


def refuse_blocked(report: ImportReport, *, allow_warnings: bool) -> None:
    """Raise :class:`ImportBlocked` when ``report`` may not be applied: it has errors,
    or warnings nobody agreed to (customer and product imports alike)."""
    if report.errors:
        blocked = ngettext(
            "{file} has {count} error(s): nothing was imported.",
            "{file} has {count} error(s): nothing was imported.",
            report.errors,
        )
        raise ImportBlocked(
            blocked.format(file=report.path.name, count=whole(report.errors)), report
        )
    if report.warnings and not allow_warnings:
        stopped = ngettext(
            "{file} has {count} warning(s): continue anyway to import it as it is.",
            "{file} has {count} warning(s): continue anyway to import it as it is.",
            report.warnings,
        )
        raise ImportBlocked(
            stopped.format(file=report.path.name, count=whole(report.warnings)), report
        )


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell: the row as the spreadsheet numbers it (header = 1)."""

    row: int
    column: str
    level: str
    message: str


@dataclass(frozen=True)
class Progress:
    """How far an import is: ``stage`` is "checking" or "importing"."""

    stage: str
    fraction: float
    rows: int


ProgressCallback = Callable[[Progress], None]


class CheckedRows:
    """The rows a check converted, kept for the apply: one Arrow IPC file (LZ4) per batch.

    On disk, not in memory: a million checked rows would double an import's peak memory.
    The folder goes when the import is applied, when the report is garbage collected, or
    at exit. ``cmap`` and ``context`` are what the rows were checked against; the apply
    refuses to write them if the store's groups, taxes or custom fields changed since.
    """

    def __init__(self, cmap: ColumnMap, context: Context) -> None:
        self.cmap = cmap
        self.context = context
        self.rows = 0
        self.heights: list[int] = []
        #: groups the apply creates (``--create-groups``): provisional id (< 0) → name
        self.new_groups: dict[int, str] = {}
        self._files: list[Path] = []
        self._dir = Path(tempfile.mkdtemp(prefix="tillterm-import-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)

    def add(self, values: pl.DataFrame) -> None:
        path = self._dir / f"{len(self._files):06d}.arrow"
        values.write_ipc(path, compression="lz4")
        self._files.append(path)
        self.heights.append(values.height)
        self.rows += values.height

    def __len__(self) -> int:
        return len(self._files)

    def batch(self, index: int, columns: list[str] | None = None) -> pl.DataFrame:
        import polars as pl

        return pl.read_ipc(self._files[index], columns=columns)

    def replace_ids(self, column: str, ids: dict[int, int]) -> None:
        """Put real ids in place of provisional ones in ``column`` of every batch (the
        groups created by the apply, in its transaction). Rewritten in place: a failed
        apply leaves ids pointing at groups rolled back, so the report is checked again."""
        import polars as pl

        if not ids:
            return
        for path in self._files:
            # read whole into memory first: the file is written over just after
            values = pl.read_ipc(io.BytesIO(path.read_bytes()))
            values = values.with_columns(pl.col(column).replace(ids).cast(pl.Int64).alias(column))
            values.write_ipc(path, compression="lz4")
        self.new_groups = {}

    @property
    def available(self) -> bool:
        return self._cleanup.alive and all(p.exists() for p in self._files)

    def discard(self) -> None:
        """Delete the files now (after a successful apply)."""
        self._cleanup()


def fingerprint(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


#: the spilled columns holding a row's opening balances (``--opening-balances``)
OPENING_POINTS = "__opening_points"
OPENING_CENTS = "__opening_cents"
#: ... and the year-to-date spend figure (cents) brought over with them
OPENING_SPEND = "__opening_spend"
#: the reason of an opening ledger entry, and of its reversal, before the import's number
OPENING_PREFIX = "opening balance, import "
REVERSAL_PREFIX = "reversal of opening balance, import "
#: what the mapping says of an activity column with ``--opening-balances``
OPENING_REASONS = {
    "loyalty_balance": N_("opening loyalty balance (a ledger entry, --opening-balances)"),
    "account_balance": N_("opening account balance (a ledger entry, --opening-balances)"),
    "year_to_date_spend": N_("opening year-to-date spend (counted this year, --opening-balances)"),
}


@dataclass(frozen=True)
class OpeningBalances:
    """What ``--opening-balances`` brings over: the old system's balances and
    year-to-date spend, as counted by the check, that the apply writes as dated opening
    entries of one numbered import (ledger entries for the balances, opening spend
    figures for the year to date).
    """

    loyalty: int = 0
    points: int = 0
    accounts: int = 0
    cents: int = 0
    currency: str = "EUR"
    #: customers given a year-to-date spend figure, and its total in cents
    spends: int = 0
    spend_cents: int = 0

    @property
    def anything(self) -> bool:
        """Whether the apply has any figure to write (else no import number is taken)."""
        return bool(self.loyalty or self.accounts or self.spends)

    def line(self) -> str:
        """ "opening balances: 1,203 loyalty balances (84,210 points), 311 account
        balances (12400.00 EUR), year-to-date spend brought over for 950 customers
        (total 80000.00 EUR)": what the import brings (or brought) over."""
        from tillterm.core.money import format_money

        loyalty = ngettext(
            "{count} loyalty balance ({points} points)",
            "{count} loyalty balances ({points} points)",
            self.loyalty,
        ).format(count=whole(self.loyalty), points=whole(self.points))
        accounts = ngettext(
            "{count} account balance ({amount})",
            "{count} account balances ({amount})",
            self.accounts,
        ).format(count=whole(self.accounts), amount=format_money(self.cents, self.currency))
        spend = ngettext(
            "year-to-date spend brought over for {count} customer (total {amount})",
            "year-to-date spend brought over for {count} customers (total {amount})",
            self.spends,
        ).format(count=whole(self.spends), amount=format_money(self.spend_cents, self.currency))
        return _("opening balances: {loyalty}, {accounts}, {spend}").format(
            loyalty=loyalty, accounts=accounts, spend=spend
        )


@dataclass(frozen=True)
class ImportReport:
    """What checking found; ``problems`` lists the first :data:`LISTED`."""

    path: Path
    detected: str
    rows: int
    new: int
    #: existing customers the file changes; ``unchanged``: those it names as they are
    updated: int
    errors: int
    warnings: int
    problems: tuple[Problem, ...]
    fields: tuple[str, ...]
    notices: tuple[str, ...]
    fingerprint: tuple[int, int]
    unchanged: int = 0
    #: (column header, how many values on file its blank cells would clear)
    cleared: tuple[tuple[str, int], ...] = ()
    all_problems: Any = field(default=None, repr=False, compare=False)
    #: the converted rows, for :func:`apply_import` (``None`` once applied)
    checked: CheckedRows | None = field(default=None, repr=False, compare=False)
    #: every column of the file: the field it goes to, or why it is not imported
    columns: tuple[ColumnRow, ...] = ()
    #: the fields a column can be mapped to (custom fields included)
    field_choices: tuple[str, ...] = ()
    #: the person's choices the mapping was made with (check again with them)
    overrides: tuple[Override, ...] = ()
    #: unknown groups are created by the import (and which)
    create_groups: bool = False
    new_groups: tuple[str, ...] = ()
    #: with ``--opening-balances``: the balances the apply writes as opening entries
    opening: OpeningBalances | None = None

    @property
    def blocked(self) -> bool:
        return self.errors > 0

    def summary(self) -> str:
        rows = ngettext("{count} row", "{count} rows", self.rows).format(count=whole(self.rows))
        parts = [
            ngettext("{count} new", "{count} new", self.new).format(count=whole(self.new)),
            ngettext("{count} updated", "{count} updated", self.updated).format(
                count=whole(self.updated)
            ),
        ]
        if self.unchanged:
            parts.append(
                ngettext("{count} unchanged", "{count} unchanged", self.unchanged).format(
                    count=whole(self.unchanged)
                )
            )
        parts.append(
            ngettext("{count} error", "{count} errors", self.errors).format(
                count=whole(self.errors)
            )
        )
        parts.append(
            ngettext("{count} warning", "{count} warnings", self.warnings).format(
                count=whole(self.warnings)
            )
        )
        if self.opening is not None:
            parts.append(self.opening.line())
        return _("{rows}: {parts}").format(rows=rows, parts=", ".join(parts))

    def mapping_lines(self) -> list[str]:
        """The mapping as text, one column a line: ``3 “E-mail” → email (a@b.c, d@e.f)``."""
        lines = []
        unnamed, chosen = _("column {number}"), _(" [your choice]")
        left_out = _("not imported: {reason}")
        quoted = _("“{text}”")
        opening = {_(reason) for reason in OPENING_REASONS.values()}
        for row in self.columns:
            header = row.header or unnamed.format(number=row.number)
            samples = f" ({', '.join(row.samples)})" if row.samples else ""
            mine = chosen if row.chosen and row.field else ""
            if row.field:
                lines.append(
                    f"{row.number:>3} {quoted.format(text=header)} → {row.field}{mine}{samples}"
                )
            elif row.reason in opening:  # --opening-balances
                lines.append(
                    f"{row.number:>3} {quoted.format(text=header)} → {row.reason}{samples}"
                )
            else:
                note = left_out.format(reason=row.reason)
                lines.append(f"{row.number:>3} {quoted.format(text=header)} → {note}{samples}")
        return lines

    def clearing(self) -> str:
        """ "N values will be cleared: notes 2, email 1", or "" when none will be."""
        total = sum(count for _, count in self.cleared)
        if not total:
            return ""
        columns = ", ".join(f"{header} {count:,}" for header, count in self.cleared)
        return ngettext(
            "{count} value on file will be cleared by blank cells: {columns}.",
            "{count} values on file will be cleared by blank cells: {columns}.",
            total,
        ).format(count=whole(total), columns=columns)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    report: ImportReport
    #: rows naming an existing customer exactly as on file: not written
    unchanged: int = 0
    #: the number of this import's opening entries (``--opening-balances``): what
    #: ``tillterm balances reverse N`` names; ``None`` when it wrote none
    opening_import: int | None = None

    def summary(self, *, products: bool = False) -> str:
        """ "Imported FILE: 3 new, 2 updated" (``products``: "3 new products, 2 updated")."""
        imported = (
            _("Imported {file}: {new} new products, {updated} updated")
            if products
            else _("Imported {file}: {new} new, {updated} updated")
        )
        text = imported.format(
            file=self.report.path.name, new=whole(self.created), updated=whole(self.updated)
        )
        if self.unchanged:
            text += _(", {count} unchanged").format(count=whole(self.unchanged))
        opening = self.report.opening
        if opening is not None and self.opening_import is not None:
            text += _(
                "; {balances} as opening-balance import {number} "
                "(undo: tillterm balances reverse {number})"
            ).format(balances=opening.line(), number=self.opening_import)
        elif opening is not None:
            text += _("; no opening balance to bring over")
        return text + "."
