"""Importing a customer spreadsheet: check everything, then apply all or nothing.

``check_import`` reads the whole file and reports (new, updated, errors, warnings by
row and column) without writing anything, so nobody holds the database's write lock
while a person reads the report. The rows it checked and converted are kept on disk
(:class:`CheckedRows`, Arrow IPC, one file per batch), so ``apply_import`` never reads
or checks the file a second time: it refuses a file that changed since, then writes the
checked rows in ONE transaction: rows whose customer code exists update that customer
(only the columns present; a blank cell clears, see ``tillterm.spreadsheet.changes``),
the others are created; groups, sales taxes and tags are matched by name. A row naming a
customer exactly as on file is not written at all (compared again inside the write
transaction, as someone may have edited the customer since the check). Any failure, a
cancel or a kill rolls the whole import back.

Rows go in through the driver's ``executemany`` a batch at a time: row-by-row ORM
inserts run at a few thousand rows a second, this at well over a hundred thousand.
While the database indexes one batch for search (which releases the GIL), a helper
thread turns the next batch into driver rows, so both cores work.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection, Engine

from tillterm.core.errors import TilltermError
from tillterm.customers.profiles import PHONE_FIELDS, generate_code, generate_codes, normalise_code
from tillterm.spreadsheet.changes import CHANGED, CLEARS, changes, compared_fields, lookup
from tillterm.spreadsheet.checking import (
    ERROR,
    WARNING,
    CheckedBatch,
    Context,
    CustomDef,
    check_batch,
    empty_problems,
    key_expr,
)
from tillterm.spreadsheet.columns import (
    BOOL,
    CUSTOM_PREFIX,
    FIELD_BY_NAME,
    ColumnMap,
    map_headers,
)
from tillterm.spreadsheet.reading import (
    ROW,
    ImportCancelled,
    SheetSource,
    SpreadsheetError,
    open_sheet,
)
from tillterm.store import search_index, staging
from tillterm.store.engine import begin_write, session_scope
from tillterm.store.models import (
    Customer,
    CustomerGroup,
    CustomerTag,
    CustomField,
    CustomFieldValue,
    Tag,
    TaxRate,
)

if TYPE_CHECKING:
    import polars as pl

#: how many problems a report lists (all of them go into the annotated file)
LISTED = 2000
BATCH_ROWS = 50_000
#: rows written at a time: small enough that preparing the next piece (on a helper
#: thread) overlaps writing this one from the start; the first piece is smaller still,
#: as preparing it is the one step nothing overlaps
PIECE_ROWS = 16_000
FIRST_PIECE = 8_000
LOOKUP_CHUNK = 5000
PHONES = PHONE_FIELDS
#: spreadsheet field → customer table column, where they differ
DB_COLUMN = {"group": "group_id", "tax_rate": "tax_rate_id", "balance_limit": "balance_limit_cents"}


class ImportBlocked(TilltermError):
    """The file has errors (or warnings nobody agreed to): nothing was imported."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


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

    @property
    def available(self) -> bool:
        return self._cleanup.alive and all(p.exists() for p in self._files)

    def discard(self) -> None:
        """Delete the files now (after a successful apply)."""
        self._cleanup()


def _fingerprint(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


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

    @property
    def blocked(self) -> bool:
        return self.errors > 0

    def summary(self) -> str:
        rows = f"{self.rows:,} row{'s' * (self.rows != 1)}"
        parts = [f"{self.new:,} new", f"{self.updated:,} updated"]
        if self.unchanged:
            parts.append(f"{self.unchanged:,} unchanged")
        parts.append(f"{self.errors:,} error{'s' * (self.errors != 1)}")
        parts.append(f"{self.warnings:,} warning{'s' * (self.warnings != 1)}")
        return f"{rows}: " + ", ".join(parts)

    def clearing(self) -> str:
        """ "N values will be cleared: notes 2, email 1", or "" when none will be."""
        total = sum(count for _, count in self.cleared)
        if not total:
            return ""
        columns = ", ".join(f"{header} {count:,}" for header, count in self.cleared)
        return (
            f"{total:,} value{'s' * (total != 1)} on file will be cleared by blank cells: "
            f"{columns}."
        )


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    report: ImportReport
    #: rows naming an existing customer exactly as on file: not written
    unchanged: int = 0

    def summary(self) -> str:
        text = f"Imported {self.report.path.name}: {self.created:,} new, {self.updated:,} updated"
        if self.unchanged:
            text += f", {self.unchanged:,} unchanged"
        return text + "."


def _customer_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


def load_context(conn: Connection, *, excel: bool) -> Context:
    groups = {k: i for i, k in conn.execute(select(CustomerGroup.id, CustomerGroup.name_key))}
    taxes = {k: i for i, k in conn.execute(select(TaxRate.id, TaxRate.name_key))}
    customs = {
        name: CustomDef(fid, name, ftype, tuple(c for c in choices.splitlines() if c.strip()))
        for fid, name, ftype, choices in conn.execute(
            select(CustomField.id, CustomField.name, CustomField.field_type, CustomField.choices)
        )
    }
    return Context(groups=groups, taxes=taxes, customs=customs, excel=excel)


def _lookup_codes(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        found.update(
            (k, i)
            for i, k in conn.execute(
                select(Customer.id, Customer.code_key).where(Customer.code_key.in_(chunk))
            )
        )
    return found


def _existing_emails(conn: Connection) -> pl.DataFrame:
    import polars as pl

    rows = conn.execute(
        select(Customer.email, Customer.customer_code).where(
            Customer.email != "", Customer.archived_at.is_(None)
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
        self, source: SheetSource, conn: Connection, cmap: ColumnMap, ctx: Context
    ) -> None:
        self.source = source
        self.conn = conn
        self.cmap = cmap
        self.ctx = ctx
        self.has_customers = _customer_count(conn) > 0
        self.emails = _existing_emails(conn) if self.has_customers else None
        self.fields = compared_fields(cmap)

    def batches(self, progress: ProgressCallback | None, stage: str) -> Iterable[CheckedBatch]:
        import polars as pl

        rows = 0
        size = max(self.source.fingerprint[0], 1)
        present = self.cmap.present
        for batch in self.source.batches(BATCH_ROWS):
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
            problems = [checked.problems, self._row_warnings(values)]
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

    def _row_warnings(self, values: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        new = values.filter(pl.col("__id").is_null())
        parts = []
        names = [n for n in ("first_name", "last_name", "company") if n in self.cmap.present]
        nameless = new.filter(pl.all_horizontal([pl.col(n) == "" for n in names])) if names else new
        if nameless.height:
            column = self.cmap.header_of(names[0]) if names else "name"
            parts.append(
                nameless.select(
                    pl.col(ROW).alias("row"),
                    pl.lit(column).alias("column"),
                    pl.lit(WARNING).alias("level"),
                    pl.lit("no name: neither first name, last name nor company").alias("message"),
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
                        pl.format(
                            "likely a duplicate of existing customer {} (same email)",
                            pl.col("same_as"),
                        ).alias("message"),
                    )
                )
        return pl.concat(parts) if parts else empty_problems()


def _open(
    path: str | os.PathLike[str], conn: Connection, progress: ProgressCallback | None = None
) -> tuple[SheetSource, ColumnMap, Context]:
    poll = (lambda: progress(Progress("reading", 0.0, 0))) if progress else None
    source = open_sheet(path, poll=poll)
    ctx = load_context(conn, excel=source.detected.kind != "csv")
    cmap = map_headers(source.headers, ctx.customs.keys())
    if not cmap.fields:
        shown = ", ".join(f"“{h}”" for h in source.headers[:6] if h) or "none"
        raise SpreadsheetError(
            f"{source.path.name}: no column is a customer field (headers: {shown}); "
            "use the export file as a template (first_name, last_name, email, customer_code...)."
        )
    return source, cmap, ctx


def _notices(cmap: ColumnMap) -> tuple[str, ...]:
    def names(indexes: Iterable[int]) -> str:
        return ", ".join(f"“{cmap.headers[i] or f'column {i + 1}'}”" for i in indexes)

    notes = []
    if cmap.unknown:
        notes.append(f"Unknown columns, ignored: {names(cmap.unknown)}.")
    if cmap.read_only:
        notes.append(
            f"Read-only columns (generated by activity), never imported: {names(cmap.read_only)}."
        )
    if cmap.duplicates:
        notes.append(
            f"Columns repeating another column's field, ignored: {names(cmap.duplicates)}."
        )
    if cmap.ignored:
        notes.append(
            f"The annotation column from a previous check was ignored: {names(cmap.ignored)}."
        )
    return tuple(notes)


def check_import(
    engine: Engine, path: str | os.PathLike[str], *, progress: ProgressCallback | None = None
) -> ImportReport:
    """Read and check the whole file; write nothing. Raises :class:`SpreadsheetError`."""
    import polars as pl

    with session_scope(engine) as session:
        conn = session.connection()
        source, cmap, ctx = _open(path, conn, progress)
        run = _Pass(source, conn, cmap, ctx)
        spill = CheckedRows(cmap, ctx)
        problems: list[pl.DataFrame] = []
        keys: list[pl.DataFrame] = []
        rows = new = updated = unchanged = 0
        clears: dict[str, int] = {}
        try:
            for checked in run.batches(progress, "checking"):
                values = checked.values
                rows += values.height
                fresh = int(values.get_column("__id").null_count())
                new += fresh
                if CHANGED in values.columns:
                    changed = int(values.get_column(CHANGED).sum())
                    updated += changed
                    unchanged += values.height - fresh - changed
                    flags = [c for c in values.columns if c.startswith(CLEARS)]
                    for flag, count in values.select(flags).sum().row(0, named=True).items():
                        name = flag[len(CLEARS) :]
                        clears[name] = clears.get(name, 0) + int(count)
                    values = values.drop(CHANGED, *flags)
                else:
                    updated += values.height - fresh
                if checked.problems.height:
                    problems.append(checked.problems)
                keys.append(
                    values.filter(pl.col("__key") != "").select(ROW, "__key", "customer_code")
                    if "customer_code" in cmap.present
                    else values.clear().select(ROW, "__key")
                )
                spill.add(values.drop("__id"))
        except BaseException:
            spill.discard()
            raise
        finally:
            session.rollback()
    if rows == 0:
        spill.discard()
        raise SpreadsheetError(f"{source.path.name} has a header but no rows: nothing to import.")
    if "customer_code" in cmap.present and keys:
        all_keys = pl.concat(keys)
        first = all_keys.group_by("__key").agg(pl.col(ROW).min().alias("__first"))
        dups = all_keys.join(first, on="__key").filter(pl.col(ROW) != pl.col("__first"))
        if dups.height:
            problems.append(
                dups.select(
                    pl.col(ROW).alias("row"),
                    pl.lit(cmap.header_of("customer_code")).alias("column"),
                    pl.lit(ERROR).alias("level"),
                    pl.format(
                        "customer code “{}” is already on row {}",
                        pl.col("customer_code"),
                        pl.col("__first"),
                    ).alias("message"),
                )
            )
    table = pl.concat(problems).sort("row", maintain_order=True) if problems else empty_problems()
    levels = table.get_column("level")
    listed = tuple(Problem(*r) for r in table.head(LISTED).iter_rows())
    return ImportReport(
        path=source.path,
        detected=source.detected.describe(),
        rows=rows,
        new=new,
        updated=updated,
        unchanged=unchanged,
        cleared=tuple((cmap.header_of(n), c) for n, c in clears.items() if c),
        errors=int((levels == ERROR).sum()),
        warnings=int((levels == WARNING).sum()),
        problems=listed,
        fields=tuple(cmap.fields[i] for i in sorted(cmap.fields)),
        notices=_notices(cmap),
        fingerprint=source.fingerprint,
        all_problems=table,
        checked=spill,
    )


def apply_import(
    engine: Engine,
    report: ImportReport,
    *,
    allow_warnings: bool = False,
    progress: ProgressCallback | None = None,
    fail_after_rows: int | None = None,
) -> ImportResult:
    """Write a checked file, all or nothing. ``fail_after_rows`` exists for tests."""
    if report.errors:
        raise ImportBlocked(
            f"{report.path.name} has {report.errors:,} error(s): nothing was imported.", report
        )
    if report.warnings and not allow_warnings:
        raise ImportBlocked(
            f"{report.path.name} has {report.warnings:,} warning(s): "
            "continue anyway to import it as it is.",
            report,
        )
    checked = report.checked
    if checked is None or not checked.available:
        raise SpreadsheetError(f"{report.path.name} was already imported; check it again.")
    if _fingerprint(report.path) != report.fingerprint:
        raise SpreadsheetError(f"{report.path.name} changed since it was checked; check it again.")
    created = updated = 0
    with session_scope(engine) as session:
        conn = session.connection()
        # what is read from here on (codes on file, the next ids) is read in the write
        # transaction, so no other register can change it before the rows go in
        # before the transaction: SQLite's ATTACH needs that
        staged = staging.frames_supported(conn.dialect.name) and staging.attach(conn)
        begin_write(conn)
        ctx = load_context(conn, excel=checked.context.excel)
        if not _still_valid(checked.context, ctx, checked.cmap):
            raise SpreadsheetError(
                "Groups, sales taxes or custom fields changed since "
                f"{report.path.name} was checked; check it again."
            )
        writer = _Writer(conn, checked.cmap, ctx, staged=staged, file_keys=_file_keys(checked))
        existing, unchanged = _existing_ids(conn, checked, ctx, progress)
        new_counts = [
            checked.heights[i] if ids is None else ids.null_count()
            for i, ids in enumerate(existing)
        ]
        new_ids = writer.allocate_ids(sum(new_counts))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tillterm-import") as pool:
            ahead = _Lookahead(pool, writer, checked, existing, new_ids, unchanged)
            done = skipped = 0
            for _ in range(len(ahead.pieces)):
                batch = ahead.take()
                c, u = writer.write(batch, inserted=ahead.start)
                created += c
                updated += u
                skipped += batch.unchanged
                done += batch.rows
                if progress:
                    progress(Progress("importing", done / max(checked.rows, 1), done))
                if fail_after_rows is not None and created + updated >= fail_after_rows:
                    raise RuntimeError("simulated failure in the middle of an import")
        writer.finish()
    checked.discard()
    return ImportResult(created, updated, report, unchanged=skipped)


def _still_valid(then: Context, now: Context, cmap: ColumnMap) -> bool:
    """Do the names the rows were resolved against still mean the same rows?"""
    customs = [n[len(CUSTOM_PREFIX) :] for n in cmap.present if n.startswith(CUSTOM_PREFIX)]
    return (
        then.groups.items() <= now.groups.items()
        and then.taxes.items() <= now.taxes.items()
        and all(then.customs[n] == now.customs.get(n) for n in customs)
    )


def _existing_ids(
    conn: Connection,
    checked: CheckedRows,
    ctx: Context,
    progress: ProgressCallback | None = None,
) -> tuple[list[pl.Series | None], list[pl.Series | None]]:
    """Per batch, the id of the customer each row's code names (null: a new customer),
    and which rows leave their customer exactly as it is (not written).

    Looked up now, in the write transaction, not at check time: someone may have added
    or changed a customer since. ``None`` for every batch when the store has no
    customer yet (nothing to look up or compare).
    """
    import polars as pl

    if not _customer_count(conn):
        return [None] * len(checked), [None] * len(checked)
    fields = compared_fields(checked.cmap)
    found: list[pl.Series | None] = []
    same: list[pl.Series | None] = []
    for index in range(len(checked)):
        if progress:  # lets a person cancel while the rows on file are compared
            progress(Progress("importing", 0.0, 0))
        keys = checked.batch(index, ["__key"]).get_column("__key")
        on_file = lookup(conn, keys.filter(keys != "").unique().to_list(), fields)
        ids = dict(on_file.select("__key", "__id").iter_rows())
        column = keys.replace_strict(ids, default=None, return_dtype=pl.Int64).alias("__id")
        found.append(column)
        if not ids:
            same.append(None)
            continue
        values = checked.batch(index).with_columns(column)
        changed = changes(conn, values, on_file, fields, ctx).get_column(CHANGED)
        same.append(column.is_not_null() & ~changed.fill_null(True))
    return found, same


def _file_keys(checked: CheckedRows) -> pl.Series:
    """Every customer code the file gives (normalised): generated codes must avoid them."""
    import polars as pl

    keys = [checked.batch(i, ["__key"]).get_column("__key") for i in range(len(checked))]
    found = pl.concat(keys) if keys else pl.Series("__key", [], dtype=pl.String)
    return found.filter(found != "").unique()


class _Lookahead:
    """The batches made ready for the driver, one ahead, by a helper thread.

    The helper only reads the spill files and runs polars and the staging driver (no
    connection of ours). Binding rows in ``executemany`` holds the GIL; indexing the
    inserted rows for search, and copying staged rows in, do not. So the next piece is
    started as soon as the current one is taken when rows are staged, else when the
    current one's rows are in (:meth:`start`, called by the writer), and is prepared
    while the database works. Nothing overlaps the first piece, so it is kept small.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        writer: _Writer,
        checked: CheckedRows,
        existing: list[pl.Series | None],
        new_ids: pl.Series,
        unchanged: list[pl.Series | None],
    ) -> None:
        self.pool = pool
        self.writer = writer
        self.checked = checked
        self.existing = existing
        self.unchanged = unchanged
        self.new_ids = new_ids
        #: (spilled batch, first row, rows, offset of its first new customer in new_ids)
        self.pieces: list[tuple[int, int, int, int]] = []
        taken = 0
        for index, height in enumerate(checked.heights):
            first = FIRST_PIECE if index == 0 else PIECE_ROWS
            cuts = [0, *range(min(first, height), height, PIECE_ROWS), height]
            for start, stop in pairwise(dict.fromkeys(cuts)):
                ids = existing[index]
                new = stop - start if ids is None else ids.slice(start, stop - start).null_count()
                self.pieces.append((index, start, stop - start, taken))
                taken += new
        self.next_index = 0
        self.future: Future[_Batch] | None = None
        #: the spilled batch the helper read last (only the helper thread uses it)
        self.loaded: tuple[int, pl.DataFrame] | None = None

    def _job(self, piece: int) -> _Batch:
        index, start, rows, taken = self.pieces[piece]
        if self.loaded is None or self.loaded[0] != index:  # pieces come in order
            self.loaded = (index, self.checked.batch(index))
        values = self.loaded[1].slice(start, rows)
        existing = self.existing[index]
        if existing is not None:
            existing = existing.slice(start, rows)
        new = rows if existing is None else existing.null_count()
        same = self.unchanged[index]
        skipped = 0
        if same is not None and existing is not None:
            keep = ~same.slice(start, rows)
            skipped = rows - int(keep.sum())
            if skipped:
                values, existing = values.filter(keep), existing.filter(keep)
        batch = self.writer.prepare(values, existing, self.new_ids.slice(taken, new))
        batch.rows, batch.unchanged = rows, skipped
        return batch

    def start(self) -> None:
        """Begin preparing the next piece, unless it is begun or there is none."""
        if self.future is None and self.next_index < len(self.pieces):
            self.future = self.pool.submit(self._job, self.next_index)
            self.next_index += 1

    def take(self) -> _Batch:
        """The next piece, prepared (waiting for the helper if need be)."""
        self.start()
        assert self.future is not None
        future, self.future = self.future, None
        if self.writer.staged:
            # staged rows go in without the GIL: prepare the next piece all along
            self.start()
        return future.result()


def _db_now(dialect: str) -> Any:
    now = dt.datetime.now(dt.UTC)
    if dialect == "sqlite":
        return now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


@dataclass
class _Batch:
    """One checked batch, converted to driver rows (new customers already have ids)."""

    values: pl.DataFrame
    #: the new customers: driver rows, or a staged payload (``tillterm.store.staging``)
    inserts: list[tuple[Any, ...]] | bytes
    created: int
    #: ``id``, ``code_key`` of the new customers whose code was generated (blank in the file)
    generated: pl.DataFrame
    updates: list[tuple[Any, ...]]
    old_ids: list[int]
    #: the customer id of each row of ``values``, in order
    ids: pl.Series
    #: the rows of the file this piece stands for, and how many of them (customers
    #: exactly as on file) were left out of ``values``
    rows: int = 0
    unchanged: int = 0


class _Writer:
    """Bulk writes inside the import's transaction.

    :meth:`prepare` touches no database (it runs on the helper thread); every other
    method runs on the import's own thread and connection.
    """

    def __init__(
        self,
        conn: Connection,
        cmap: ColumnMap,
        ctx: Context,
        *,
        staged: bool = False,
        file_keys: pl.Series | None = None,
    ) -> None:
        self.conn = conn
        self.staged = staged
        #: the codes the file gives (generated ones avoid them)
        self.file_keys = file_keys
        self.cmap = cmap
        self.ctx = ctx
        self.dialect = conn.dialect.name
        self.mark = "?" if self.dialect == "sqlite" else "%s"
        self.now = _db_now(self.dialect)
        self.present = [n for n in (cmap.fields[i] for i in sorted(cmap.fields))]
        self.plain = [n for n in self.present if not n.startswith(CUSTOM_PREFIX) and n != "tags"]
        self.customs = [n for n in self.present if n.startswith(CUSTOM_PREFIX)]
        self.tag_ids: dict[str, int] = {k: i for i, k in conn.execute(select(Tag.id, Tag.name_key))}
        self.updated_ids: list[int] = []
        self.touched_phones = any(n in PHONES for n in self.present)
        #: every phone is in the file: an update sets the phone digits itself; else they
        #: are worked out afterwards from what is on file (a second write of each row)
        self.all_phones = all(n in self.present for n in PHONES)
        table = Customer.__table__  # type: ignore[attr-defined]
        self.columns = [c.name for c in table.columns if c.name != "id"]
        names = ", ".join(["id", *self.columns])
        marks = ", ".join([self.mark] * (len(self.columns) + 1))
        self.insert_sql = f"INSERT INTO customer ({names}) VALUES ({marks})"
        self.update_sql, self.update_exprs = self._update_statement()

    # values for the driver
    def _frame_for_db(self, values: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        exprs = []
        for name in self.plain:
            col = pl.col(name)
            spec = FIELD_BY_NAME[name]
            if self.dialect == "sqlite" and spec.kind == BOOL:
                col = col.cast(pl.Int64)
            if self.dialect == "sqlite" and name == "birth_date":
                col = col.cast(pl.String)
            exprs.append(col.alias(DB_COLUMN.get(name, name)))
        if "birth_date" in self.plain:
            bad = pl.col("__birth_bad")
            exprs.append(bad.cast(pl.Int64) if self.dialect == "sqlite" else bad)
        return values.select(ROW, "__id", "__key", *exprs)

    def allocate_ids(self, count: int) -> pl.Series:
        """Ids for ``count`` new customers, taken once for the whole import."""
        import polars as pl

        if not count:
            return pl.Series("__id", [], dtype=pl.Int64)
        if self.dialect == "sqlite":
            first = (
                int(self.conn.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one())
                + 1
            )
            return pl.int_range(first, first + count, dtype=pl.Int64, eager=True).alias("__id")
        rows = self.conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('customer', 'id')) "
            f"FROM generate_series(1, {int(count)})"
        ).all()
        return pl.Series("__id", [int(r[0]) for r in rows], dtype=pl.Int64)

    def prepare(self, values: pl.DataFrame, existing: pl.Series | None, ids: pl.Series) -> _Batch:
        """Driver rows for one batch; no database access (runs on the helper thread)."""
        import polars as pl

        if existing is None:
            values = values.with_columns(pl.lit(None, dtype=pl.Int64).alias("__id"))
        else:
            values = values.with_columns(existing.alias("__id"))
        db = self._frame_for_db(values)
        new = db.filter(pl.col("__id").is_null()).with_columns(ids.alias("__id"))
        old = db.filter(pl.col("__id").is_not_null())
        inserts: list[tuple[Any, ...]] | bytes = []
        rows = self._insert_frame(new)
        generated = rows.filter(new.get_column("__key") == "").select("id", "code_key")
        if new.height:
            inserts = staging.payload(rows, self.dialect) if self.staged else rows.rows()
        updates = old.select(self.update_exprs).rows() if old.height else []
        all_ids = (
            values.select(ROW)
            .join(pl.concat([new.select(ROW, "__id"), old.select(ROW, "__id")]), on=ROW, how="left")
            .get_column("__id")
        )
        old_ids = old.get_column("__id").to_list()
        return _Batch(values, inserts, new.height, generated, updates, old_ids, all_ids)

    def write(self, batch: _Batch, inserted: Callable[[], None] | None = None) -> tuple[int, int]:
        """Write one batch; ``inserted`` is called once its new rows are in, before indexing.

        Both updates and inserts are indexed for search in bulk, not by a trigger per row
        (see ``search_index.bulk_update``: 5,000 updates took 1.7 s through triggers).
        """
        if batch.updates:
            with search_index.bulk_update(self.conn, batch.old_ids):
                self.conn.exec_driver_sql(self.update_sql, batch.updates)
            self.updated_ids.extend(batch.old_ids)
        if batch.created:
            # the search index catches up once per batch, not through a trigger per row
            with search_index.bulk_insert(self.conn):
                if isinstance(batch.inserts, bytes):
                    staging.load(self.conn, batch.inserts, ["id", *self.columns])
                    self._fix_clashes(batch)
                    staging.copy(self.conn, "customer", ["id", *self.columns])
                else:
                    self._fix_clashes(batch)
                    self.conn.exec_driver_sql(self.insert_sql, batch.inserts)
                if inserted:
                    inserted()
        if "tags" in self.present:
            self._write_tags(batch.values.get_column("tags"), batch.ids, batch.old_ids)
        for name in self.customs:
            self._write_custom(name, batch.values.get_column(name), batch.ids, batch.old_ids)
        return batch.created, len(batch.updates)

    def _insert_frame(self, new: pl.DataFrame) -> pl.DataFrame:
        """The new customers with every column of the table, in its order, id first."""
        import polars as pl

        keys = new.get_column("__key")
        codes = (
            new.get_column("customer_code")
            if "customer_code" in new.columns
            else pl.Series("customer_code", [""] * new.height, dtype=pl.String)
        )
        blank = (keys == "").arg_true()
        if len(blank):
            drawn = self._candidate_codes(len(blank))
            codes = codes.scatter(blank, drawn)
            keys = keys.scatter(blank, drawn.str.to_lowercase())
        frame = new.with_columns(codes.alias("customer_code"), keys.alias("code_key"))
        frame = frame.with_columns(self._phone_digits_expr(frame.columns))
        table = Customer.__table__  # type: ignore[attr-defined]
        exprs = [pl.col("__id").alias("id")]
        for column in self.columns:
            if column in frame.columns:
                exprs.append(pl.col(column))
                continue
            sa_col = table.c[column]
            if column in ("created_at", "updated_at"):
                exprs.append(pl.lit(self.now).alias(column))
            elif column == "archived_at" or sa_col.nullable:
                exprs.append(pl.lit(None).alias(column))
            elif column in (
                "marketing_opt_in",
                "on_account_allowed",
                "loyalty_enabled",
            ) or column.startswith("consent_"):
                exprs.append(pl.lit(0 if self.dialect == "sqlite" else False).alias(column))
            else:
                exprs.append(pl.lit("").alias(column))
        return frame.select(exprs)

    def _candidate_codes(self, count: int) -> pl.Series:
        """Codes for ``count`` customers the file left without one (helper thread).

        Unique among themselves and unlike any code in the file; one already on file in
        the database is caught when the piece is written (:meth:`_fix_clashes`).
        """
        import polars as pl

        codes = pl.Series("customer_code", generate_codes(count), dtype=pl.String)
        while True:
            bad = codes.is_duplicated()
            if self.file_keys is not None and len(self.file_keys):
                bad = bad | codes.str.to_lowercase().is_in(self.file_keys.implode())
            redraw = bad.arg_true()
            if not len(redraw):
                return codes
            codes = codes.scatter(redraw, generate_codes(len(redraw)))

    def _clashes(self, batch: _Batch) -> list[int]:
        """The new customers of ``batch`` whose generated code is already in the database."""
        if not batch.generated.height:
            return []
        if isinstance(batch.inserts, bytes):  # staged: one join against the code index
            return [
                int(row[0])
                for row in self.conn.exec_driver_sql(
                    f"SELECT r.id FROM {staging.staged_table(self.conn)} r "
                    "JOIN customer c ON c.code_key = r.code_key"
                )
            ]
        taken = _lookup_codes(self.conn, batch.generated.get_column("code_key").to_list())
        return [int(i) for i, key in batch.generated.iter_rows() if key in taken]

    def _fix_clashes(self, batch: _Batch) -> None:
        """Draw again the generated codes someone already has.

        Rare: 31⁸ codes, so with a million customers on file about one new customer in
        850,000 draws a taken code.
        """
        clashing = self._clashes(batch)
        if not clashing:
            return
        piece = set(batch.generated.get_column("code_key").to_list())
        fresh: dict[int, tuple[str, str]] = {}
        for cid in clashing:
            while True:
                code = generate_code()
                key = normalise_code(code)
                known = self.file_keys is not None and bool((self.file_keys == key).any())
                if key in piece or known or _lookup_codes(self.conn, [key]):
                    continue
                piece.add(key)
                fresh[cid] = (code, key)
                break
        if isinstance(batch.inserts, bytes):
            self.conn.exec_driver_sql(
                f"UPDATE {staging.staged_table(self.conn)} SET customer_code = {self.mark}, "
                f"code_key = {self.mark} WHERE id = {self.mark}",
                [(code, key, cid) for cid, (code, key) in fresh.items()],
            )
            return
        at_code = 1 + self.columns.index("customer_code")
        at_key = 1 + self.columns.index("code_key")
        for n, row in enumerate(batch.inserts):
            if row[0] in fresh:
                values = list(row)
                values[at_code], values[at_key] = fresh[row[0]]
                batch.inserts[n] = tuple(values)

    def _phone_digits_expr(self, columns: Sequence[str]) -> pl.Expr:
        import polars as pl

        phones = [pl.col(p).str.replace_all(r"\D", "") for p in PHONES if p in columns]
        if not phones:
            return pl.lit("").alias("phone_digits")
        return (
            pl.concat_list(phones)
            .list.eval(pl.element().filter(pl.element() != ""))
            .list.join(" ")
            .alias("phone_digits")
        )

    def _update_statement(self) -> tuple[str, list[pl.Expr]]:
        """The UPDATE of existing customers (only the columns present) and its values."""
        import polars as pl

        sets: list[str] = []
        exprs: list[pl.Expr] = []
        for name in self.plain:
            column = DB_COLUMN.get(name, name)
            if name == "customer_code":
                continue
            if name == "birth_date":
                # an unreadable birth date (a warning) leaves the one on file alone
                sets.append(
                    f"birth_date = CASE WHEN {self.mark} THEN birth_date ELSE {self.mark} END"
                )
                exprs.append(pl.col("__birth_bad"))
            else:
                sets.append(f"{column} = {self.mark}")
            exprs.append(pl.col(column))
        if self.all_phones:
            sets.append(f"phone_digits = {self.mark}")
            exprs.append(self._phone_digits_expr(PHONES))
        sets.append(f"updated_at = {self.mark}")
        exprs.append(pl.lit(self.now).alias("updated_at"))
        exprs.append(pl.col("__id"))
        return f"UPDATE customer SET {', '.join(sets)} WHERE id = {self.mark}", exprs

    def _ensure_tags(self, names: Iterable[str]) -> None:
        missing: dict[str, str] = {}
        for name in names:
            key = name.casefold()
            if key not in self.tag_ids and key not in missing:
                missing[key] = name
        for key, name in missing.items():
            self.tag_ids[key] = self.conn.execute(
                insert(Tag).values(name=name, name_key=key).returning(Tag.id)
            ).scalar_one()

    def _write_tags(self, tags: pl.Series, ids: pl.Series, old_ids: list[int]) -> None:
        import polars as pl

        if old_ids:
            for start in range(0, len(old_ids), LOOKUP_CHUNK):
                self.conn.execute(
                    delete(CustomerTag).where(
                        CustomerTag.customer_id.in_(old_ids[start : start + LOOKUP_CHUNK])  # type: ignore[attr-defined]
                    )
                )
        pairs = pl.DataFrame({"id": ids, "tag": tags}).explode("tag").drop_nulls("tag")
        if not pairs.height:
            return
        self._ensure_tags(pairs.get_column("tag").unique().to_list())
        links = (
            pairs.with_columns(
                pl.col("tag")
                .str.to_lowercase()
                .replace_strict(self.tag_ids, default=None, return_dtype=pl.Int64)
                .alias("tag_id")
            )
            .drop_nulls("tag_id")
            .unique(["id", "tag_id"])
            .select("id", "tag_id")
            .rows()
        )
        if links:
            self.conn.exec_driver_sql(
                f"INSERT INTO customer_tag (customer_id, tag_id) VALUES ({self.mark}, {self.mark})",
                links,
            )

    def _write_custom(
        self, name: str, column: pl.Series, ids: pl.Series, old_ids: list[int]
    ) -> None:
        import polars as pl

        defn = self.ctx.customs[name[len(CUSTOM_PREFIX) :]]
        if old_ids:
            for start in range(0, len(old_ids), LOOKUP_CHUNK):
                self.conn.execute(
                    delete(CustomFieldValue).where(
                        CustomFieldValue.field_id == defn.id,  # type: ignore[arg-type]
                        CustomFieldValue.customer_id.in_(old_ids[start : start + LOOKUP_CHUNK]),  # type: ignore[attr-defined]
                    )
                )
        rows = (
            pl.DataFrame({"id": ids, "value": column})
            .filter(pl.col("value") != "")
            .select("id", pl.lit(defn.id).alias("field"), "value")
            .rows()
        )
        if rows:
            self.conn.exec_driver_sql(
                "INSERT INTO custom_field_value (customer_id, field_id, value) "
                f"VALUES ({self.mark}, {self.mark}, {self.mark})",
                rows,
            )

    def finish(self) -> None:
        """Fix phone digits of updated rows the file gave some phones of; let go of staging."""
        if self.staged:
            staging.clear(self.conn)
        if self.touched_phones and not self.all_phones and self.updated_ids:
            with search_index.bulk_update(self.conn, self.updated_ids):
                self._refresh_phone_digits(self.updated_ids)

    def _refresh_phone_digits(self, ids: list[int]) -> None:
        import polars as pl

        cols = [getattr(Customer, p) for p in PHONES]
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            rows = self.conn.execute(select(Customer.id, *cols).where(Customer.id.in_(chunk))).all()  # type: ignore[union-attr]
            frame = pl.DataFrame(rows, schema=["id", *PHONES], orient="row")
            data = frame.select(self._phone_digits_expr(PHONES), "id").rows()
            self.conn.exec_driver_sql(
                f"UPDATE customer SET phone_digits = {self.mark} WHERE id = {self.mark}", data
            )


def run_import(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    allow_warnings: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Check then apply in one call (what the CLI does without ``--dry-run``)."""
    report = check_import(engine, path, progress=progress)
    return apply_import(engine, report, allow_warnings=allow_warnings, progress=progress)


__all__ = [
    "ImportBlocked",
    "ImportCancelled",
    "ImportReport",
    "ImportResult",
    "Problem",
    "Progress",
    "apply_import",
    "check_import",
    "run_import",
]
