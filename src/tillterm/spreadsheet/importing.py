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

Rows go in a piece at a time, staged or bound by the driver, never row by row through
the ORM (a few thousand rows a second, against well over a hundred thousand). While
the database writes and indexes one piece, a helper thread prepares the next, so both
cores work.

This module is the use case and its public API; the steps live beside it:
``file_check`` (read and check the file, no writes), ``import_report`` (what the
person is told, and the checked rows kept for the apply), ``applying`` (the writer
inside the import's transaction) and ``insert_paths`` (how new customers go in).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tillterm.customers.groups import create_group, find_group, group_key
from tillterm.i18n import _
from tillterm.spreadsheet.applying import (
    CustomerWriter,
    Lookahead,
    existing_ids,
    file_keys,
    still_valid,
)
from tillterm.spreadsheet.checking import Context
from tillterm.spreadsheet.file_check import load_context, scan_file
from tillterm.spreadsheet.import_report import (
    LISTED,
    CheckedRows,
    ImportBlocked,
    ImportReport,
    ImportResult,
    Problem,
    Progress,
    ProgressCallback,
    fingerprint,
    refuse_blocked,
)
from tillterm.spreadsheet.insert_paths import choose_insert_path, customer_columns
from tillterm.spreadsheet.mapping import MappingError, Override, parse_override
from tillterm.spreadsheet.opening import (
    lock_opening_entries,
    next_opening_import,
    write_opening_entries,
)
from tillterm.spreadsheet.reading import ImportCancelled, SpreadsheetError
from tillterm.store.engine import begin_write, session_scope


def check_import(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    overrides: Sequence[Override] = (),
    create_groups: bool = False,
    opening_balances: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Read and check the whole file; write nothing. Raises :class:`SpreadsheetError`
    (:class:`MappingError` when ``overrides`` name no column or no field).

    ``overrides`` change the field of the columns they name (``-`` ignores one); with
    ``create_groups`` the groups the store lacks are created by the apply; with
    ``opening_balances`` the loyalty and account balance columns (read-only otherwise)
    are read, and the apply writes them as opening ledger entries of this import.
    """
    with session_scope(engine) as session:
        try:
            scan = scan_file(
                session.connection(),
                path,
                progress,
                overrides=overrides,
                create_groups=create_groups,
                opening_balances=opening_balances,
            )
        finally:
            session.rollback()
    return scan.report()


def apply_import(
    engine: Engine,
    report: ImportReport,
    *,
    allow_warnings: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Write a checked file, all or nothing: any failure, a cancel (``progress`` raising)
    or a kill rolls the whole import back."""
    refuse_blocked(report, allow_warnings=allow_warnings)
    checked = report.checked
    if checked is None or not checked.available:
        raise SpreadsheetError(
            _("{file} was already imported; check it again.").format(file=report.path.name)
        )
    if fingerprint(report.path) != report.fingerprint:
        raise SpreadsheetError(
            _("{file} changed since it was checked; check it again.").format(file=report.path.name)
        )
    created = updated = 0
    with session_scope(engine) as session:
        conn = session.connection()
        # before the transaction: SQLite's ATTACH needs that
        path = choose_insert_path(conn, customer_columns())
        # what is read from here on (codes on file, the next ids) is read in the write
        # transaction, so no other register can change it before the rows go in
        begin_write(conn)
        then = checked.context
        if checked.new_groups:
            then = _create_groups(session, checked)
        ctx = load_context(conn, excel=checked.context.excel)
        if not still_valid(then, ctx, checked.cmap):
            raise SpreadsheetError(
                _(
                    "Groups, sales taxes or custom fields changed since "
                    "{file} was checked; check it again."
                ).format(file=report.path.name)
            )
        writer = CustomerWriter(conn, checked.cmap, ctx, path, file_keys=file_keys(checked))
        existing, unchanged = existing_ids(conn, checked, ctx, progress)
        new_counts = [
            checked.heights[i] if ids is None else ids.null_count()
            for i, ids in enumerate(existing)
        ]
        new_ids = writer.allocate_ids(sum(new_counts))
        path.plan(sum(new_counts))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tillterm-import") as pool:
            ahead = Lookahead(pool, writer, checked, existing, new_ids, unchanged)
            done = skipped = 0
            for _piece in range(len(ahead.pieces)):
                batch = ahead.take()
                c, u = writer.write(batch, inserted=ahead.start)
                created += c
                updated += u
                skipped += batch.unchanged
                done += batch.rows
                if progress:
                    progress(Progress("importing", done / max(checked.rows, 1), done))
        writer.finish()
        opening = report.opening
        number = None
        if opening is not None and opening.anything:
            lock_opening_entries(conn)
            number = next_opening_import(conn)
            write_opening_entries(conn, checked, existing, new_ids, number)
    checked.discard()
    return ImportResult(created, updated, report, unchanged=skipped, opening_import=number)


def _create_groups(session: Session, checked: CheckedRows) -> Context:
    """Create the groups the check found missing (``create_groups``), in the import's
    transaction, and put their ids in the checked rows; the context they now match.

    A group someone created since the check (same name) is used as it is.
    """
    ids: dict[int, int] = {}
    for provisional, name in checked.new_groups.items():
        found = find_group(session, name)
        ids[provisional] = found.id if found else create_group(session, name).id
    context = checked.context
    groups = {key: ids.get(value, value) for key, value in context.groups.items()}
    checked.replace_ids("group", ids)
    context.groups = groups
    # the names as the store keys them (spacing folded): what ``still_valid`` compares
    return replace(context, groups={group_key(k): v for k, v in groups.items()})


def run_import(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    allow_warnings: bool = False,
    overrides: Sequence[Override] = (),
    create_groups: bool = False,
    opening_balances: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Check then apply in one call (what the CLI does without ``--dry-run``)."""
    report = check_import(
        engine,
        path,
        overrides=overrides,
        create_groups=create_groups,
        opening_balances=opening_balances,
        progress=progress,
    )
    return apply_import(engine, report, allow_warnings=allow_warnings, progress=progress)


__all__ = [
    "LISTED",
    "CheckedRows",
    "ImportBlocked",
    "ImportCancelled",
    "ImportReport",
    "ImportResult",
    "MappingError",
    "Override",
    "Problem",
    "Progress",
    "ProgressCallback",
    "apply_import",
    "check_import",
    "parse_override",
    "run_import",
]
