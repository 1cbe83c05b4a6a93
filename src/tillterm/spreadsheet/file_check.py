"""The check of an import: one read of the file, every cell checked and converted, every
row matched against the customers on file; nothing written.

:func:`scan_file` runs inside the check's read transaction and spills the converted
rows to disk (:class:`~tillterm.spreadsheet.import_report.CheckedRows`);
:meth:`Scan.report` then works out, with no database, what the person is told: new,
updated and unchanged rows, the values blank cells would clear, every error and warning
by row and column.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from tillterm.core.typed_text import import_clean_expr, text_problem
from tillterm.customers.groups import MAX_NAME, group_key
from tillterm.customers.phones import store_region
from tillterm.customers.validation import PHONE_FIELDS
from tillterm.i18n import _, pgettext
from tillterm.spreadsheet.cells import restore_expr
from tillterm.spreadsheet.changes import CHANGED, CLEARS, changes, compared_fields, lookup
from tillterm.spreadsheet.checking import (
    ERROR,
    UNKNOWN_GROUP,
    WARNING,
    CheckedBatch,
    Context,
    CustomDef,
    check_batch,
    empty_problems,
    formatted,
    key_expr,
)
from tillterm.spreadsheet.columns import ColumnMap, activity_columns, map_headers
from tillterm.spreadsheet.import_report import (
    LISTED,
    OPENING_CENTS,
    OPENING_POINTS,
    OPENING_REASONS,
    OPENING_SPEND,
    CheckedRows,
    ImportReport,
    OpeningBalances,
    Problem,
    Progress,
    ProgressCallback,
)
from tillterm.spreadsheet.lost_zeros import lost_zero_problems
from tillterm.spreadsheet.mapping import (
    LOOKED_AT,
    ColumnRow,
    Override,
    apply_overrides,
    column_rows,
    field_choices,
    look_alike_message,
)
from tillterm.spreadsheet.opening import opened_customers, read_balances
from tillterm.spreadsheet.phones import phone_problems
from tillterm.spreadsheet.reading import ROW, SheetSource, SpreadsheetError, open_sheet
from tillterm.store.models import Customer, CustomerGroup, CustomField, StoreSettings, TaxRate

if TYPE_CHECKING:
    import polars as pl

BATCH_ROWS = 50_000


def customer_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


def load_context(conn: Connection, *, excel: bool) -> Context:
    groups = {
        k: i for i, k in conn.execute(select(col(CustomerGroup.id), col(CustomerGroup.name_key)))
    }
    taxes = {k: i for i, k in conn.execute(select(col(TaxRate.id), col(TaxRate.name_key)))}
    customs = {
        name: CustomDef(
            fid,  # type: ignore[arg-type] # SQLModel types ids int | None (unsaved rows); a stored row's is an int
            name,
            ftype,
            tuple(c for c in choices.splitlines() if c.strip()),
        )
        for fid, name, ftype, choices in conn.execute(
            select(
                col(CustomField.id),
                col(CustomField.name),
                col(CustomField.field_type),
                col(CustomField.choices),
            ).where(col(CustomField.retired_at).is_(None))  # retired: no longer asked for
        )
    }
    return Context(groups=groups, taxes=taxes, customs=customs, excel=excel)  # type: ignore[arg-type] # ids typed int | None (unsaved rows); a stored row's is an int


def _existing_emails(conn: Connection) -> pl.DataFrame:
    import polars as pl

    rows = conn.execute(
        select(col(Customer.email), col(Customer.customer_code)).where(
            col(Customer.email) != "", col(Customer.archived_at).is_(None)
        )
    ).all()
    frame = pl.DataFrame(rows, schema={"email": pl.String, "same_as": pl.String}, orient="row")
    return (
        frame.with_columns(key_expr(pl.col("email")).alias("__email_key"))
        .unique("__email_key", keep="first")
        .select("__email_key", "same_as")
    )


class _Pass:
    """One read of the file: converts batches and adds what needs the database."""

    def __init__(
        self,
        source: SheetSource,
        conn: Connection,
        cmap: ColumnMap,
        ctx: Context,
        *,
        create_groups: bool = False,
        opening_balances: bool = False,
    ) -> None:
        self.source = source
        #: column index → activity figure read as an opening balance (the option on)
        self.activity = activity_columns(cmap) if opening_balances else {}
        #: customer id → the earlier opening import (not reversed) that gave it a balance
        self.opened = opened_customers(conn) if self.activity else {}
        self.conn = conn
        self.cmap = cmap
        self.ctx = ctx
        self.has_customers = customer_count(conn) > 0
        #: phones without a country code are read in the store's region
        self.region = store_region(conn)
        #: (phone field, the file's header for it): numbers that cannot be real are warned
        self.phone_columns = [
            (name, cmap.headers[i]) for i, name in cmap.fields.items() if name in PHONE_FIELDS
        ]
        self.emails = _existing_emails(conn) if self.has_customers else None
        self.fields = compared_fields(cmap)
        #: the first cells of every column (index → values): samples and look-alikes
        self.first: dict[int, list[str]] = {}
        self.group_column = next((i for i, name in cmap.fields.items() if name == "group"), None)
        self.create_groups = create_groups and self.group_column is not None
        #: groups the import will create: provisional id (negative) → name
        self.new_groups: dict[int, str] = {}
        self._group_ids = dict(ctx.groups)
        self._by_group_key: dict[str, int] = {}

    def _add_new_groups(self, batch: pl.DataFrame) -> None:
        """Give each group name the store lacks a provisional (negative) id, so the
        check resolves it; the apply creates the groups and puts their ids in.

        The names are cleaned exactly as the check cleans them; a name the Groups screen
        would refuse (too long, control characters) stays unknown, an error.
        """
        import polars as pl

        source = restore_expr(pl.col(f"c{self.group_column}"))
        cleaned = import_clean_expr(source, multiline=False).str.strip_chars()
        names = (
            batch.select(cleaned.alias("name"), key_expr(cleaned).alias("key"))
            .filter(pl.col("name") != "")
            .unique("key", keep="first", maintain_order=True)
        )
        added = False
        for name, key in names.iter_rows():
            if key in self._group_ids or text_problem(name, MAX_NAME):
                continue
            folded = group_key(name)
            same = next((i for k, i in self._group_ids.items() if group_key(k) == folded), None)
            if same is None:
                same = self._by_group_key.setdefault(folded, -(len(self._by_group_key) + 1))
                self.new_groups.setdefault(same, " ".join(name.split()))
            self._group_ids[key] = same
            added = True
        if added:
            self.ctx.groups = dict(self._group_ids)

    def batches(self, progress: ProgressCallback | None, stage: str) -> Iterable[CheckedBatch]:
        import polars as pl

        rows = 0
        size = max(self.source.fingerprint[0], 1)
        present = self.cmap.present
        for batch in self.source.batches(BATCH_ROWS):
            if not self.first:
                head = batch.head(LOOKED_AT)
                self.first = {
                    i: head.get_column(c).to_list() for i, c in enumerate(self.source.columns)
                }
            if self.create_groups:
                self._add_new_groups(batch)
            checked = check_batch(batch, self.cmap, self.ctx)
            values = checked.values
            if "customer_code" in present:
                values = values.with_columns(key_expr(pl.col("customer_code")).alias("__key"))
            else:
                values = values.with_columns(pl.lit("").alias("__key"))
            ids: dict[str, int] = {}
            if self.has_customers:
                keys = values.get_column("__key").filter(values.get_column("__key") != "")
                found = lookup(self.conn, keys.unique().to_list(), self.fields)
                ids = dict(found.select("__key", "__id").iter_rows())
            values = values.with_columns(
                pl.col("__key")
                .replace_strict(ids, default=None, return_dtype=pl.Int64)
                .alias("__id")
            )
            if ids:
                flags = changes(self.conn, values, found, self.fields, self.ctx)
                values = values.hstack(flags)
            problems = [
                checked.problems,
                self._row_warnings(values),
                lost_zero_problems(batch, self.cmap, self.source.numeric_columns),
                phone_problems(values, self.phone_columns, self.region),
            ]
            if self.activity:
                opening, unread = self._opening(
                    batch, values.get_column(ROW), values.get_column("__id")
                )
                values = values.hstack(opening)
                problems.append(unread)
            checked = CheckedBatch(
                values,
                pl.concat([p for p in problems if p.height])
                if any(p.height for p in problems)
                else empty_problems(),
            )
            rows += values.height
            if progress:
                done = self.source.position / size if self.source.detected.kind == "csv" else 1.0
                progress(Progress(stage, min(done, 1.0), rows))
            yield checked

    def _opening(
        self, batch: pl.DataFrame, rows: pl.Series, ids: pl.Series
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        return read_balances(batch, rows, ids, self.cmap.headers, self.activity, self.opened)

    def _row_warnings(self, values: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        new = values.filter(pl.col("__id").is_null())
        parts = []
        names = [n for n in ("first_name", "last_name", "company") if n in self.cmap.present]
        nameless = new.filter(pl.all_horizontal([pl.col(n) == "" for n in names])) if names else new
        if nameless.height:
            column = self.cmap.header_of(names[0]) if names else pgettext("column", "name")
            parts.append(
                nameless.select(
                    pl.col(ROW).alias("row"),
                    pl.lit(column).alias("column"),
                    pl.lit(WARNING).alias("level"),
                    pl.lit(_("no name: neither first name, last name nor company")).alias(
                        "message"
                    ),
                )
            )
        if self.emails is not None and self.emails.height and "email" in self.cmap.present:
            twins = new.with_columns(key_expr(pl.col("email")).alias("__email_key")).join(
                self.emails, on="__email_key", how="inner"
            )
            if twins.height:
                parts.append(
                    twins.select(
                        pl.col(ROW).alias("row"),
                        pl.lit(self.cmap.header_of("email")).alias("column"),
                        pl.lit(WARNING).alias("level"),
                        formatted(
                            _("likely a duplicate of existing customer {code} (same email)"),
                            code=pl.col("same_as"),
                        ).alias("message"),
                    )
                )
        return pl.concat(parts) if parts else empty_problems()


def _open(
    path: str | os.PathLike[str],
    conn: Connection,
    progress: ProgressCallback | None = None,
    overrides: Sequence[Override] = (),
) -> tuple[SheetSource, ColumnMap, Context]:
    poll = (lambda: progress(Progress("reading", 0.0, 0))) if progress else None
    source = open_sheet(path, poll=poll)
    ctx = load_context(conn, excel=source.detected.kind != "csv")
    customs = list(ctx.customs)
    cmap = apply_overrides(map_headers(source.headers, customs), overrides, customs)
    # the detected system's date order ("mdy" for Outlook) decides columns the values do not
    ctx.date_hint = cmap.date_order
    if not cmap.fields:
        shown = ", ".join(f"“{h}”" for h in source.headers[:6] if h) or _("none")
        refused = _(
            "{file}: no column is a customer field (headers: {headers}); "
            "use the export file as a template (first_name, last_name, email, customer_code...)."
        )
        raise SpreadsheetError(
            refused.format(file=source.path.name, headers=shown)
            + (f" {hint}" if (hint := source.no_field_hint()) else "")
        )
    return source, cmap, ctx


def _column_notices(cmap: ColumnMap, activity: dict[int, str] | None = None) -> list[str]:
    """The columns left out, in one line per reason (the mapping lists them one by one).

    With ``--opening-balances`` (``activity`` given) the balance columns are said to
    become opening entries, and a year-to-date column an opening spend figure.
    """

    unnamed, quoted = _("column {number}"), _("“{text}”")

    def names(indexes: Iterable[int]) -> str:
        return ", ".join(
            quoted.format(text=cmap.headers[i] or unnamed.format(number=i + 1)) for i in indexes
        )

    notes = []
    if cmap.unknown:
        notes.append(_("Unknown columns, ignored: {columns}.").format(columns=names(cmap.unknown)))
    chosen = activity or {}
    balances = [i for i, name in chosen.items() if name != "year_to_date_spend"]
    spend = [i for i, name in chosen.items() if name == "year_to_date_spend"]
    read_only = [i for i in cmap.read_only if i not in balances and i not in spend]
    if balances:
        notes.append(
            _(
                "Opening balances from: {columns} (dated ledger entries of this import, "
                "reversible with tillterm balances reverse)."
            ).format(columns=names(balances))
        )
    if spend:
        notes.append(
            _(
                "Year-to-date spend from: {columns} (an opening figure of this import, "
                "added to this year's sales until 31 December, reversible with tillterm "
                "balances reverse)."
            ).format(columns=names(spend))
        )
    if read_only:
        notes.append(
            _("Read-only columns (generated by activity), never imported: {columns}.").format(
                columns=names(read_only)
            )
        )
    if cmap.duplicates:
        notes.append(
            _("Columns repeating another column's field, ignored: {columns}.").format(
                columns=names(cmap.duplicates)
            )
        )
    if cmap.ignored:
        notes.append(
            _(
                "Columns ignored (by choice, tillterm's own, or repeating what other columns "
                "import): {columns}."
            ).format(columns=names(cmap.ignored))
        )
    return notes


def _notices(scan: Scan, table: pl.DataFrame) -> tuple[str, ...]:
    """What is said besides the problems: the columns left out, groups made or missing."""
    import polars as pl

    notes = _column_notices(scan.cmap, scan.activity)
    quoted = _("“{text}”")
    notes.extend(scan.source.notes)
    notes.extend(scan.date_notes)
    fields = scan.cmap.fields
    named = [i for i in sorted(fields) if fields[i] in ("first_name", "last_name")]
    samples = scan.source.sample_names(
        columns=named or [i for i in fields if fields[i] == "company"]
    )
    if samples:
        shown = ", ".join(quoted.format(text=n) for n in samples)
        notes.append(
            _("Names as read: {names} (garbled letters mean a wrong encoding).").format(names=shown)
        )
    if scan.new_groups:
        names = ", ".join(quoted.format(text=n) for n in scan.new_groups.values())
        notes.append(_("Groups to be created: {groups}.").format(groups=names))
    elif "group" in scan.cmap.present:
        start = _(UNKNOWN_GROUP).partition("{value}")[0]
        unknown = table.filter(
            (pl.col("level") == ERROR) & pl.col("message").str.starts_with(start)
        ).height
        if unknown:
            notes.append(
                _(
                    "Groups not in the store: create them first, or let the import create them "
                    "(--create-groups; Ctrl+O on the Import screen)."
                )
            )
    return tuple(notes)


def _look_alikes(rows: Sequence[ColumnRow], cmap: ColumnMap) -> pl.DataFrame:
    """A warning (on the header row) for each column left out that looks like data."""
    import polars as pl

    unnamed = _("column {number}")
    found = [
        (
            1,
            row.header or unnamed.format(number=row.number),
            WARNING,
            look_alike_message(row, cmap.present),
        )
        for row in rows
        if row.looks_like
    ]
    if not found:
        return empty_problems()
    return pl.DataFrame(found, schema=empty_problems().schema, orient="row")


@dataclass
class Scan:
    """What one read of the file found, before it is summed up for the person."""

    source: SheetSource
    cmap: ColumnMap
    spill: CheckedRows
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: field → how many values on file its blank cells would clear
    clears: dict[str, int] = field(default_factory=dict)
    problems: list[pl.DataFrame] = field(default_factory=list)
    #: (row, key, code) of every row giving a code: a code given twice is an error
    keys: list[pl.DataFrame] = field(default_factory=list)
    #: the person's choices laid over the guessed mapping, and the store's custom fields
    overrides: tuple[Override, ...] = ()
    custom_fields: tuple[str, ...] = ()
    #: the first cells of every column (samples, look-alikes)
    first: dict[int, list[str]] = field(default_factory=dict)
    #: groups the import creates (``--create-groups``): provisional id → name
    new_groups: dict[int, str] = field(default_factory=dict)
    #: date columns whose order the values did not settle, said in the summary
    date_notes: tuple[str, ...] = ()
    create_groups: bool = False
    #: ``--opening-balances``: the activity columns read (index → figure), the balances
    #: counted so far, and the store's currency (what the summary prints them in)
    activity: dict[int, str] | None = None
    loyalty: int = 0
    points: int = 0
    accounts: int = 0
    cents: int = 0
    spends: int = 0
    spend_cents: int = 0
    currency: str = "EUR"

    def add(self, checked: CheckedBatch) -> None:
        """Count one checked batch and spill its rows for the apply."""
        import polars as pl

        values = checked.values
        self.rows += values.height
        fresh = int(values.get_column("__id").null_count())
        self.new += fresh
        if CHANGED in values.columns:
            changed = int(values.get_column(CHANGED).sum())
            self.updated += changed
            self.unchanged += values.height - fresh - changed
            flags = [c for c in values.columns if c.startswith(CLEARS)]
            for flag, count in values.select(flags).sum().row(0, named=True).items():
                name = flag[len(CLEARS) :]
                self.clears[name] = self.clears.get(name, 0) + int(count)
            values = values.drop(CHANGED, *flags)
        else:
            self.updated += values.height - fresh
        if checked.problems.height:
            self.problems.append(checked.problems)
        self.keys.append(
            values.filter(pl.col("__key") != "").select(ROW, "__key", "customer_code")
            if "customer_code" in self.cmap.present
            else values.clear().select(ROW, "__key")
        )
        if OPENING_POINTS in values.columns:
            for column in (OPENING_POINTS, OPENING_CENTS, OPENING_SPEND):
                given = values.get_column(column).drop_nulls()
                given = given.filter(given != 0)
                if column == OPENING_POINTS:
                    self.loyalty += given.len()
                    self.points += int(given.sum())
                elif column == OPENING_CENTS:
                    self.accounts += given.len()
                    self.cents += int(given.sum())
                else:
                    self.spends += given.len()
                    self.spend_cents += int(given.sum())
        self.spill.add(values.drop("__id"))

    def opening(self) -> OpeningBalances | None:
        """The opening balances the apply writes (``None`` without the option)."""
        if self.activity is None:
            return None
        return OpeningBalances(
            self.loyalty,
            self.points,
            self.accounts,
            self.cents,
            self.currency,
            self.spends,
            self.spend_cents,
        )

    def report(self) -> ImportReport:
        """The report (no database needed): a file without rows is refused here."""
        import polars as pl

        source, cmap, problems = self.source, self.cmap, self.problems
        if self.rows == 0:
            self.spill.discard()
            raise SpreadsheetError(
                _("{file} has a header but no rows: nothing to import.").format(
                    file=source.path.name
                )
            )
        if "customer_code" in cmap.present and self.keys:
            all_keys = pl.concat(self.keys)
            first = all_keys.group_by("__key").agg(pl.col(ROW).min().alias("__first"))
            dups = all_keys.join(first, on="__key").filter(pl.col(ROW) != pl.col("__first"))
            if dups.height:
                problems.append(
                    dups.select(
                        pl.col(ROW).alias("row"),
                        pl.lit(cmap.header_of("customer_code")).alias("column"),
                        pl.lit(ERROR).alias("level"),
                        formatted(
                            _("customer code “{code}” is already on row {row}"),
                            code=pl.col("customer_code"),
                            row=pl.col("__first"),
                        ).alias("message"),
                    )
                )
        columns = column_rows(cmap, self.first, self.overrides, self.custom_fields)
        if self.activity:
            columns = tuple(
                replace(row, reason=_(OPENING_REASONS[self.activity[row.number - 1]]))
                if row.number - 1 in self.activity
                else row
                for row in columns
            )
        look_alikes = _look_alikes(columns, cmap)
        if look_alikes.height:
            problems.insert(0, look_alikes)
        # a vCard's data no column keeps (a column left out by choice is not warned of)
        if lost := source.lost({*cmap.fields, *cmap.ignored}):
            problems.insert(
                0,
                pl.DataFrame(
                    [(row, column, WARNING, message) for row, column, message in lost],
                    schema=empty_problems().schema,
                    orient="row",
                ),
            )
        table = (
            pl.concat(problems).sort("row", maintain_order=True) if problems else empty_problems()
        )
        levels = table.get_column("level")
        listed = tuple(Problem(*r) for r in table.head(LISTED).iter_rows())
        return ImportReport(
            path=source.path,
            detected=source.detected.describe()
            + (f" · {cmap.source_name}" if cmap.source_name else ""),
            rows=self.rows,
            new=self.new,
            updated=self.updated,
            unchanged=self.unchanged,
            cleared=tuple((cmap.header_of(n), c) for n, c in self.clears.items() if c),
            errors=int((levels == ERROR).sum()),
            warnings=int((levels == WARNING).sum()),
            problems=listed,
            fields=tuple(cmap.fields[i] for i in sorted(cmap.fields)),
            notices=_notices(self, table),
            fingerprint=source.fingerprint,
            all_problems=table,
            checked=self.spill,
            columns=columns,
            field_choices=field_choices(self.custom_fields),
            overrides=self.overrides,
            create_groups=self.create_groups,
            new_groups=tuple(self.new_groups.values()),
            opening=self.opening(),
        )


def scan_file(
    conn: Connection,
    path: str | os.PathLike[str],
    progress: ProgressCallback | None = None,
    *,
    overrides: Sequence[Override] = (),
    create_groups: bool = False,
    opening_balances: bool = False,
) -> Scan:
    """Read and check every row of the file on ``conn`` (a read transaction).

    ``overrides`` are the person's choices of field per column (over the guess from the
    headers); with ``create_groups`` a group name the store lacks is to be created by
    the apply instead of being an error; with ``opening_balances`` the loyalty and account
    balance and year-to-date spend columns are read as the opening entries the apply
    writes. The spilled rows are deleted if anything goes wrong (a cancel included).
    """
    source, cmap, ctx = _open(path, conn, progress, overrides)
    run = _Pass(
        source, conn, cmap, ctx, create_groups=create_groups, opening_balances=opening_balances
    )
    spill = CheckedRows(cmap, ctx)
    scan = Scan(
        source,
        cmap,
        spill,
        overrides=tuple(overrides),
        custom_fields=tuple(ctx.customs),
        create_groups=create_groups,
    )
    if opening_balances:
        scan.activity = run.activity
        currency = conn.execute(select(col(StoreSettings.currency))).scalar()
        scan.currency = currency or "EUR"
    try:
        for checked in run.batches(progress, "checking"):
            scan.add(checked)
    except BaseException:
        spill.discard()
        raise
    scan.first = run.first
    scan.new_groups = run.new_groups
    scan.date_notes = ctx.date_notes()
    spill.new_groups = dict(run.new_groups)
    return scan
