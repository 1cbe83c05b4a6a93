"""Exporting customers: the file that is also the import template.

Every SPEC §5 field, in the fixed order of ``columns.export_headers``, formatted the way
the importer reads it back unchanged (ISO dates, ``yes``/``no``, ``12.5`` percent,
``500.00`` amounts, tags comma-separated), with formula-looking cells neutralised.

It streams: rows come from one SQL query (balances summed per customer in the database,
read-only columns included) a partition at a time, are formatted column-wise by polars
and appended to the file, so a million customers never sit in memory as objects.
Formatting and writing a partition (polars, outside the GIL) runs on a helper thread
while the next partition is fetched (:mod:`tillterm.spreadsheet.export_writer`).

On SQLite the rows are read by the ADBC SQLite driver, natively into Arrow record
batches that polars takes without a copy per value (Python's ``sqlite3`` costs 140-230 ns
a value, 42 columns x 1M rows: ten seconds before any formatting). That driver carries
a SQLite library of its own, so it runs **in a child process**, never in this one:
inside one process the live database is opened by one SQLite library only (Python's,
SQLAlchemy's). A second library in the same process shares the process's POSIX locks,
believes it is the last user when it closes, and deletes the ``-wal`` and ``-shm``
files under the app's connections (``export_writer`` says more). The child reads
read-only and writes the output file it was handed; this process only builds the query
and follows its progress.

The driver infers each column's Arrow type from its first batch, so every column is
cast in SQL to one type (text never NULL, integers ``CAST AS INTEGER``): a column empty
for the first thousands of customers and filled later, or codes like ``007``, cannot
change type mid-stream. Without the driver (not installed), the rows come from Python's
``sqlite3`` cursor in this process instead, and a warning says so. PostgreSQL streams
through its own driver (server-side cursor), in this process.

The output holds customer data: it is written through :mod:`tillterm.store.private_files`
(``0600``, ``mkstemp`` in the target folder, moved into place whole), and an existing
file is replaced only when the caller says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import col

from tillterm.customers.fields import CUSTOM_PREFIX
from tillterm.i18n import _, language
from tillterm.spreadsheet.columns import (
    BOOL,
    DATE,
    FIELD_BY_NAME,
    PERCENT,
    export_headers,
)
from tillterm.spreadsheet.export_writer import (
    SEPARATOR,
    ExportCancelled,
    packed_parts,
    raw_schema,
    write_frames,
)
from tillterm.spreadsheet.reading import SpreadsheetError
from tillterm.store.engine import session_scope
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    CustomerMerge,
    CustomerMergeAbsorbed,
    CustomerTag,
    CustomField,
    CustomFieldValue,
    LoyaltyEntry,
    OpeningSpend,
    Sale,
    Tag,
    TaxRate,
    table_of,
)
from tillterm.store.private_files import OutputExists, private_output

if TYPE_CHECKING:
    from sqlmodel import Session

    from tillterm.customers.search import SearchFilters

__all__ = [
    "EXPORT_SUFFIXES",
    "SEPARATOR",
    "ExportCancelled",
    "OutputExists",
    "export_customers",
    "export_query",
    "export_view",
    "filtered_ids",
]

log = logging.getLogger(__name__)

PARTITION = 50_000
#: rows per Arrow batch the ADBC SQLite driver reads (and infers types from)
NATIVE_BATCH = 16_384
#: the driver's modules, all needed by the export process
NATIVE_MODULES = ("adbc_driver_manager", "adbc_driver_sqlite", "nanoarrow")
EXPORT_SUFFIXES = (".csv", ".xlsx")


def _tags_subquery(dialect: str) -> ScalarSelect[Any]:
    agg: ColumnElement[Any]
    if dialect == "postgresql":
        agg = func.string_agg(col(Tag.name), literal(", "))
    else:
        agg = func.group_concat(col(Tag.name), ", ")
    return (
        select(agg)
        .select_from(CustomerTag)
        .join(Tag, col(Tag.id) == col(CustomerTag.tag_id))
        .where(col(CustomerTag.customer_id) == col(Customer.id))
        .scalar_subquery()
    )


def export_query(
    dialect: str,
    custom_fields: Sequence[tuple[int, str]],
    ids: Select[Any] | None = None,
    *,
    include_archived: bool = False,
) -> Select[Any]:
    """One query yielding the export's columns raw (no per-row type processing)."""
    c = table_of(Customer).c
    year_start = dt.datetime(dt.datetime.now(dt.UTC).year, 1, 1, tzinfo=dt.UTC)
    loyalty = (
        select(col(LoyaltyEntry.customer_id), func.sum(col(LoyaltyEntry.points)).label("points"))
        .group_by(col(LoyaltyEntry.customer_id))
        .subquery()
    )
    account = (
        select(
            col(AccountEntry.customer_id),
            func.sum(col(AccountEntry.amount_cents)).label("cents"),
        )
        .group_by(col(AccountEntry.customer_id))
        .subquery()
    )
    total = col(Sale.total_cents)
    signed = case((col(Sale.kind) == "refund", -func.abs(total)), else_=total)
    sold = select(col(Sale.customer_id).label("customer_id"), signed.label("cents")).where(
        col(Sale.customer_id).is_not(None),
        col(Sale.state) == "completed",
        col(Sale.completed_at) >= year_start,
    )
    # the old system's year-to-date figure (an opening import) counts in its own year
    opening = table_of(OpeningSpend).c
    brought = select(
        opening.customer_id.label("customer_id"), opening.amount_cents.label("cents")
    ).where(opening.as_of >= year_start)
    both = union_all(sold, brought).subquery()
    spend = (
        select(both.c.customer_id, func.sum(both.c.cents).label("cents"))
        .group_by(both.c.customer_id)
        .subquery()
    )
    columns: dict[str, Any] = {}
    for header in export_headers([name for _id, name in custom_fields]):
        if header == "group":
            columns[header] = col(CustomerGroup.name)
        elif header == "tax_rate":
            columns[header] = col(TaxRate.name)
        elif header == "created_at":
            columns[header] = type_coerce(c.created_at, String)
        elif header == "balance_limit":
            columns[header] = c.balance_limit_cents
        elif header == "tags":
            columns[header] = _tags_subquery(dialect)
        elif header == "loyalty_balance":
            columns[header] = loyalty.c.points
        elif header == "account_balance":
            columns[header] = account.c.cents
        elif header == "year_to_date_spend":
            columns[header] = spend.c.cents
        elif header.startswith(CUSTOM_PREFIX):
            fid = next(i for i, n in custom_fields if f"{CUSTOM_PREFIX}{n}" == header)
            columns[header] = (
                select(col(CustomFieldValue.value))
                .where(
                    col(CustomFieldValue.customer_id) == col(Customer.id),
                    col(CustomFieldValue.field_id) == fid,
                )
                .scalar_subquery()
            )
        else:
            spec = FIELD_BY_NAME[header]
            raw: ColumnElement[Any] = c[header]
            if spec.kind == PERCENT:
                raw = type_coerce(raw, BigInteger)
            elif spec.kind == BOOL:
                raw = type_coerce(raw, Integer) if dialect == "sqlite" else raw
            elif spec.kind == DATE:
                raw = type_coerce(raw, String)
            columns[header] = raw
    query = (
        select(*(column.label(f"c{i}") for i, column in enumerate(columns.values())))
        .select_from(Customer)
        .outerjoin(CustomerGroup, col(CustomerGroup.id) == c.group_id)
        .outerjoin(TaxRate, col(TaxRate.id) == c.tax_rate_id)
        .outerjoin(loyalty, loyalty.c.customer_id == c.id)
        .outerjoin(account, account.c.customer_id == c.id)
        .outerjoin(spend, spend.c.customer_id == c.id)
        .order_by(c.id)
    )
    if not include_archived:
        # not through ix_customer_archived_at: nearly every customer matches, and a scan
        # of the table in id order is twice as fast as walking the index to each row
        query = query.where(func.coalesce(c.archived_at, None).is_(None))
    else:
        # customers merged into another are archived, and left out even then: their
        # sales and ledgers are the survivor's now (``tillterm.customers.merging``)
        absorbed, merge = table_of(CustomerMergeAbsorbed).c, table_of(CustomerMerge).c
        query = query.where(
            c.id.not_in(
                select(absorbed.customer_id)
                .join_from(table_of(CustomerMergeAbsorbed), table_of(CustomerMerge))
                .where(merge.undone_at.is_(None))
            )
        )
    if ids is not None:
        query = query.where(c.id.in_(ids))
    return query


def _native_sql(
    query: Select[Any], headers: Sequence[str], dialect: Any, *, packed: bool
) -> str | None:
    """The export query with one fixed SQL type per column, as literal SQL for ADBC.

    Text columns become ``coalesce(CAST(x AS TEXT), '')`` (never NULL: an all-NULL first
    batch would otherwise be inferred as integers and the first text after it refused;
    the export writes NULL and empty text alike), integer columns ``CAST(x AS INTEGER)``
    (NULL stays NULL: an empty balance limit is not 0.00). ``packed`` joins the columns
    of a row into ``concat_ws`` texts (one-line columns in one, notes and custom fields in
    another: :func:`~tillterm.spreadsheet.export_writer.packed_parts`; integers as
    decimal text, NULL as nothing, so there is one type and no inference), split again
    by polars: the driver costs ~100-150 ns per value it converts, SQLite's
    concatenation a fraction of that. ``None`` when a filter's parameters cannot be
    written as SQL literals.
    """
    import polars as pl
    from sqlalchemy.exc import CompileError

    columns: list[ColumnElement[Any]] = []
    schema = raw_schema(headers)
    for (name, dtype), selected in zip(schema.items(), query.selected_columns, strict=True):
        raw = selected.element  # the column under its label
        value = cast(raw, Integer) if dtype == pl.Int64 else cast(raw, String)
        if packed:
            # concat_ws writes every value as text by itself
            columns.append(func.coalesce(value if dtype == pl.Int64 else raw, literal("")))
        elif dtype == pl.Int64:
            columns.append(value.label(name))
        else:
            columns.append(func.coalesce(value, literal("")).label(name))
    if packed:
        columns = [
            func.concat_ws(func.char(ord(SEPARATOR)), *(columns[i] for i in indexes)).label(label)
            for label, indexes in packed_parts(headers)
        ]
    typed = query.with_only_columns(*columns)
    try:
        return str(typed.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (CompileError, NotImplementedError, TypeError, ValueError):
        return None


class _NativeUnavailable(Exception):
    """The export process cannot read natively here: read through ``sqlite3`` instead."""


def _warn_python_reader(reason: str) -> None:
    log.warning(
        "Export reads SQLite through Python's sqlite3 (slower): the ADBC SQLite "
        "driver is not available (%s).",
        reason,
    )


def _driver_installed() -> bool:
    """Are the driver's modules there? Looked up without importing (nor loading) them."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(name) is not None for name in NATIVE_MODULES)
    except (ImportError, ValueError):
        return False


def read_only_uri(database: str) -> str:
    """An SQLite URI opening ``database`` read-only (the export process's connection)."""
    import urllib.parse

    return "file:" + urllib.parse.quote(str(Path(database).resolve())) + "?mode=ro"


def _native_job(
    conn: Any, query: Select[Any], headers: Sequence[str], suffix: str
) -> dict[str, Any] | None:
    """What the export process needs to read and write on its own; ``None``: read here."""
    if conn.dialect.name != "sqlite":
        return None
    database = conn.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    packed = _native_sql(query, headers, conn.dialect, packed=True)
    columns = _native_sql(query, headers, conn.dialect, packed=False)
    if packed is None or columns is None:
        return None
    if not _driver_installed():
        _warn_python_reader("not installed")
        return None
    return {
        "uri": read_only_uri(database),
        "sql": packed,
        "columns_sql": columns,
        "headers": list(headers),
        "suffix": suffix,
        "batch_rows": NATIVE_BATCH,
    }


#: how the export process is started: the parent's own import path, nothing from the
#: environment (``-I``), then :func:`tillterm.spreadsheet.export_writer.main`
_CHILD_CODE = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from tillterm.spreadsheet.export_writer import main; sys.exit(main())"
)
#: how often a waiting export looks at ``cancelled()``
POLL_SECONDS = 0.1


def _run_export_process(
    job: Mapping[str, Any],
    fh: BinaryIO,
    progress: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> int:
    """Have a child process read the database natively and write ``fh``; the row count.

    Spawned (``fork`` + ``exec`` of a fresh interpreter, nothing of this process's
    threads or connections carried over). Stopped and waited for before this returns,
    whatever happens: cancelled, failed or done, it never outlives the export.
    """
    if not sys.executable:
        raise _NativeUnavailable("no Python interpreter to start the export process with")
    fd = fh.fileno()
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _CHILD_CODE, json.dumps(sys.path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                pass_fds=(fd,),
                # its messages in this process's language (``--lang`` is no variable)
                env={**os.environ, "TILLTERM_LANG": language()},
            )
        except OSError as exc:
            raise _NativeUnavailable(
                f"the export process could not start: {exc.strerror or exc}"
            ) from exc
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps({**job, "fd": fd}).encode("utf-8") + b"\n")
            proc.stdin.flush()
            outcome = _follow(proc.stdout, progress, cancelled)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)  # it closed stdout: it is leaving
        except BrokenPipeError:
            outcome = None
        finally:
            _stop(proc)
        if outcome is None:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip()
            log.error("The export process failed (exit %s):\n%s", proc.returncode, detail)
            last = (
                detail.splitlines()[-1]
                if detail
                else _("exit code {code}").format(code=proc.returncode)
            )
            raise SpreadsheetError(
                _("The export stopped unexpectedly ({reason}).").format(reason=last)
            )
    if "done" in outcome:
        return int(outcome["done"])
    if "unavailable" in outcome:
        raise _NativeUnavailable(outcome["unavailable"])
    if "write_error" in outcome:
        raise OSError(0, outcome["write_error"])
    raise SpreadsheetError(str(outcome.get("error", _("The export failed."))))


def _follow(
    stdout: IO[bytes],
    progress: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> dict[str, Any] | None:
    """Read the export process's answers until it closes stdout; its last word, if any."""
    import selectors

    outcome: dict[str, Any] | None = None
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        while True:
            if cancelled is not None and cancelled():
                raise ExportCancelled(_("Export cancelled; no file was written."))
            if not selector.select(POLL_SECONDS):
                continue
            chunk = os.read(stdout.fileno(), 65536)
            if not chunk:
                return outcome
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "rows" in message:
                    if progress:
                        progress(int(message["rows"]))
                else:
                    outcome = message


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Close the export process's stdin (it leaves at once), kill it if it lingers."""
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _in_file(target: Path, overwrite: bool, write: Callable[[BinaryIO], int]) -> int:
    """Run ``write`` on a private temporary file that becomes ``target`` if it succeeds."""
    try:
        with private_output(target, overwrite=overwrite) as fh:
            return write(fh)
    except OSError as exc:
        raise SpreadsheetError(
            _("Cannot write {file}: {reason}.").format(file=target, reason=exc.strerror or exc)
        ) from exc


def export_customers(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    ids: Select[Any] | None = None,
    include_archived: bool = False,
    progress: Callable[[int], None] | None = None,
    overwrite: bool = False,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Write customers to ``.csv`` (UTF-8 with BOM, for Excel) or ``.xlsx``; return the count.

    ``ids`` is a query of customer ids to restrict to (the Customers screen's filter).
    The file is created ``0600``, whole or not at all (:mod:`tillterm.store.private_files`);
    an existing file is replaced only with ``overwrite`` (else :class:`OutputExists`).
    ``cancelled`` is asked as the export goes: when it says so the export stops
    (:class:`ExportCancelled`), its process too, and no file is left behind.
    """
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise SpreadsheetError(
            _("{file}: export writes .csv or .xlsx files.").format(file=target.name)
        )
    if not target.parent.is_dir():
        raise SpreadsheetError(
            _("Cannot write {file}: the folder does not exist.").format(file=target)
        )
    if not overwrite and (target.exists() or target.is_symlink()):
        raise OutputExists(
            _("{file} already exists; choose another name or replace it.").format(file=target)
        )

    def in_process(conn: Any, query: Select[Any], headers: Sequence[str]) -> int:
        def write(fh: BinaryIO) -> int:
            frames = _frames(conn, query, headers)
            return write_frames(frames, fh, suffix, headers, progress, cancelled)

        return _in_file(target, overwrite, write)

    with session_scope(engine) as session:
        conn = session.connection()
        headers, query = _prepare(conn, ids, include_archived)
        job = _native_job(conn, query, headers, suffix)
        if job is None:
            return in_process(conn, query, headers)
    # the session is closed: the export process reads on its own, with its own snapshot
    try:
        return _in_file(
            target, overwrite, lambda fh: _run_export_process(job, fh, progress, cancelled)
        )
    except _NativeUnavailable as exc:
        _warn_python_reader(str(exc))
    with session_scope(engine) as session:
        conn = session.connection()
        headers, query = _prepare(conn, ids, include_archived)
        return in_process(conn, query, headers)


def _prepare(
    conn: Any, ids: Select[Any] | None, include_archived: bool
) -> tuple[list[str], Select[Any]]:
    """The export's headers (custom fields included) and its query."""
    custom = [
        (fid, name)
        for fid, name in conn.execute(
            select(col(CustomField.id), col(CustomField.name)).order_by(
                col(CustomField.position), col(CustomField.id)
            )
        )
    ]
    headers = export_headers([name for _id, name in custom])
    return headers, export_query(conn.dialect.name, custom, ids, include_archived=include_archived)


def _frames(conn: Any, query: Select[Any], headers: Sequence[str]) -> Any:
    """The export query's rows as polars frames of raw values, read in this process.

    Python's ``sqlite3`` (SQLAlchemy's own connection) or PostgreSQL's driver: never a
    second SQLite library (see :mod:`tillterm.spreadsheet.export_writer`).
    """
    import polars as pl

    if conn.dialect.name == "sqlite":
        # SQLite's cursor streams by itself: its plain tuples go straight into polars
        schema = raw_schema(headers)
        cursor = conn.execute(query).cursor

        def from_cursor() -> Any:
            try:
                while rows := cursor.fetchmany(PARTITION):
                    yield pl.DataFrame(rows, schema=schema, orient="row")
            finally:
                cursor.close()

        return from_cursor()
    names = [f"c{i}" for i in range(len(headers))]
    result = conn.execution_options(stream_results=True, yield_per=PARTITION).execute(query)

    def from_partitions() -> Any:
        try:
            for rows in result.partitions(PARTITION):
                yield pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
        finally:
            result.close()

    return from_partitions()


def filtered_ids(
    session: Session,
    text: str = "",
    *,
    group: str | None = None,
    tags_all: Sequence[str] = (),
    tags_none: Sequence[str] = (),
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
    filters: SearchFilters | None = None,
    include_archived: bool = False,
) -> Select[Any] | None:
    """The customers the Customers screen (or ``tillterm export``) shows, as a query of ids.

    Matching is the customer core's search, so an export holds exactly the list the
    person was looking at. ``None`` means no filter at all: every customer.
    """
    from sqlalchemy import false

    from tillterm.customers.groups import find_group
    from tillterm.customers.search import SearchFilters, matching_ids

    flt = filters or SearchFilters()
    changes: dict[str, Any] = {"include_archived": include_archived or flt.include_archived}
    if group is not None:
        if group.strip() == "":
            changes["group_id"] = 0
        else:
            found = find_group(session, group)
            if found is None:
                raise SpreadsheetError(_("There is no group named “{name}”.").format(name=group))
            changes["group_id"] = found.id
    if tags_all:
        changes["tags_all"] = (*flt.tags_all, *tags_all)
    if tags_none:
        changes["tags_none"] = (*flt.tags_none, *tags_none)
    if created_from is not None:
        changes["created_from"] = created_from
    if created_to is not None:
        changes["created_to"] = created_to
    flt = SearchFilters.of(flt, changes)
    if not text.strip() and flt.plain:
        return None
    stmt = matching_ids(session, text, filters=flt)
    if stmt is None:
        return select(col(Customer.id)).where(false())
    matches = stmt.columns(id=Integer).subquery("matches")
    return select(matches.c.id)


def export_view(
    engine: Engine,
    path: str | os.PathLike[str],
    text: str = "",
    filters: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    overwrite: bool = False,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Export what the Customers screen lists: its search text and filter keywords.

    ``overwrite`` and ``cancelled`` as for :func:`export_customers`.
    """
    from tillterm.customers.search import SearchFilters

    with session_scope(engine) as session:
        ids = filtered_ids(session, text, filters=SearchFilters.of(None, dict(filters or {})))
    return export_customers(
        engine, path, ids=ids, progress=progress, overwrite=overwrite, cancelled=cancelled
    )
