"""Exporting customers: the file that is also the import template.

Every SPEC §5 field, in the fixed order of ``columns.export_headers``, formatted the way
the importer reads it back unchanged (ISO dates, ``yes``/``no``, ``12.5`` percent,
``500.00`` amounts, tags comma-separated), with formula-looking cells neutralised.

It streams: rows come from one SQL query (balances summed per customer in the database,
read-only columns included) a partition at a time, are formatted column-wise by polars
and appended to the file, so a million customers never sit in memory as objects.
Formatting and writing a partition (polars, outside the GIL) runs on a helper thread
while the next partition is fetched.

On SQLite the rows are read by the ADBC SQLite driver, natively into Arrow record
batches that polars takes without a copy per value (Python's ``sqlite3`` costs 140-230 ns
a value, 42 columns x 1M rows: ten seconds before any formatting). The driver infers
each column's Arrow type from its first batch, so every column is cast in SQL to one
type (text never NULL, integers ``CAST AS INTEGER``): a column empty for the first
thousands of customers and filled later, or codes like ``007``, cannot change type
mid-stream. Without the driver (not installed), the rows come from Python's ``sqlite3``
cursor instead, as before, and a warning says so. PostgreSQL streams through its own
driver (server-side cursor).
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from tillterm.db import session_scope
from tillterm.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    CustomerTag,
    CustomField,
    CustomFieldValue,
    LoyaltyEntry,
    Sale,
    Tag,
    TaxRate,
)
from tillterm.spreadsheet.cells import neutralise_expr
from tillterm.spreadsheet.columns import (
    BOOL,
    CUSTOM_PREFIX,
    DATE,
    FIELD_BY_NAME,
    MONEY,
    PERCENT,
    export_headers,
)
from tillterm.spreadsheet.reading import SpreadsheetError

if TYPE_CHECKING:
    import polars as pl
    from sqlmodel import Session

    from tillterm.search import SearchFilters

log = logging.getLogger(__name__)

PARTITION = 50_000
#: rows per Arrow batch the ADBC SQLite driver reads (and infers types from)
NATIVE_BATCH = 16_384
#: kinds whose raw value is an integer (booleans 0/1, thousandths of a percent, cents)
INTEGERS = (BOOL, PERCENT, MONEY)
XLSX_MAX_ROWS = 1_048_575
EXPORT_SUFFIXES = (".csv", ".xlsx")


def _tags_subquery(dialect: str) -> Any:
    if dialect == "postgresql":
        agg = func.string_agg(Tag.name, literal(", "))
    else:
        agg = func.group_concat(Tag.name, ", ")
    return (
        select(agg)
        .select_from(CustomerTag)
        .join(Tag, Tag.id == CustomerTag.tag_id)  # type: ignore[arg-type]
        .where(CustomerTag.customer_id == Customer.id)  # type: ignore[arg-type]
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
    c = Customer.__table__.c  # type: ignore[attr-defined]
    year_start = dt.datetime(dt.datetime.now(dt.UTC).year, 1, 1, tzinfo=dt.UTC)
    loyalty = (
        select(LoyaltyEntry.customer_id, func.sum(LoyaltyEntry.points).label("points"))
        .group_by(LoyaltyEntry.customer_id)
        .subquery()
    )
    account = (
        select(AccountEntry.customer_id, func.sum(AccountEntry.amount_cents).label("cents"))
        .group_by(AccountEntry.customer_id)
        .subquery()
    )
    signed = case((Sale.kind == "refund", -func.abs(Sale.total_cents)), else_=Sale.total_cents)
    spend = (
        select(Sale.customer_id, func.sum(signed).label("cents"))
        .where(
            Sale.customer_id.is_not(None),  # type: ignore[union-attr]
            Sale.state == "completed",
            Sale.completed_at >= year_start,  # type: ignore[operator]
        )
        .group_by(Sale.customer_id)
        .subquery()
    )
    columns: dict[str, Any] = {}
    for header in export_headers([name for _, name in custom_fields]):
        if header == "group":
            columns[header] = CustomerGroup.name
        elif header == "tax_rate":
            columns[header] = TaxRate.name
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
                select(CustomFieldValue.value)
                .where(
                    CustomFieldValue.customer_id == Customer.id,  # type: ignore[arg-type]
                    CustomFieldValue.field_id == fid,  # type: ignore[arg-type]
                )
                .scalar_subquery()
            )
        else:
            spec = FIELD_BY_NAME[header]
            raw = c[header]
            if spec.kind == PERCENT:
                raw = type_coerce(raw, BigInteger)
            elif spec.kind == BOOL:
                raw = type_coerce(raw, Integer) if dialect == "sqlite" else raw
            elif spec.kind == DATE:
                raw = type_coerce(raw, String)
            columns[header] = raw
    query = (
        select(*(col.label(f"c{i}") for i, col in enumerate(columns.values())))
        .select_from(Customer)
        .outerjoin(CustomerGroup, CustomerGroup.id == c.group_id)  # type: ignore[arg-type]
        .outerjoin(TaxRate, TaxRate.id == c.tax_rate_id)  # type: ignore[arg-type]
        .outerjoin(loyalty, loyalty.c.customer_id == c.id)
        .outerjoin(account, account.c.customer_id == c.id)
        .outerjoin(spend, spend.c.customer_id == c.id)
        .order_by(c.id)
    )
    if not include_archived:
        # not through ix_customer_archived_at: nearly every customer matches, and a scan
        # of the table in id order is twice as fast as walking the index to each row
        query = query.where(func.coalesce(c.archived_at, None).is_(None))
    if ids is not None:
        query = query.where(c.id.in_(ids))
    return query


def _decimal_text(column: pl.Expr, places: int, trim: bool) -> pl.Expr:
    """Integer units of 10**-places as exact decimal text ("12.5", "-3.20"), "" for none.

    Exact decimal division by polars (no float), a quarter of the cost of building the
    text from quotient and remainder.
    """
    import polars as pl

    scaled = column.cast(pl.Int64).cast(pl.Decimal(38, places))
    text = (scaled / pl.lit(10**places).cast(pl.Decimal(38, 0))).cast(pl.String)
    if trim:
        text = text.str.strip_chars_end("0").str.strip_chars_end(".")
    return text.fill_null("")


#: header → polars type of the raw value SQLite returns for it (text otherwise)
_INTEGER_HEADERS = ("loyalty_balance", "year_to_date_spend", "account_balance")


def _raw_schema(headers: Sequence[str]) -> dict[str, Any]:
    """The fixed types of the export query's columns on SQLite: no guessing per partition."""
    import polars as pl

    schema: dict[str, Any] = {}
    for index, header in enumerate(headers):
        spec = FIELD_BY_NAME.get(header)
        numeric = header in _INTEGER_HEADERS or (spec is not None and spec.kind in INTEGERS)
        schema[f"c{index}"] = pl.Int64 if numeric else pl.String
    return schema


#: joins the text columns of a row into one value on the native path (unit separator)
SEPARATOR = "\x1f"


class _SeparatorInText(Exception):
    """A text cell holds :data:`SEPARATOR`: the packed columns cannot be split back."""


def _native_sql(
    query: Select[Any], headers: Sequence[str], dialect: Any, *, packed: bool
) -> str | None:
    """The export query with one fixed SQL type per column, as literal SQL for ADBC.

    Text columns become ``coalesce(CAST(x AS TEXT), '')`` (never NULL: an all-NULL first
    batch would otherwise be inferred as integers and the first text after it refused;
    the export writes NULL and empty text alike), integer columns ``CAST(x AS INTEGER)``
    (NULL stays NULL: an empty balance limit is not 0.00). ``packed`` joins every column
    of a row into one ``concat_ws`` text (integers as decimal text, NULL as nothing, so
    there is one type and no inference),
    split again by polars: the driver costs ~100-150 ns per value it converts, SQLite's
    concatenation a fraction of that. ``None`` when a filter's parameters cannot be
    written as SQL literals.
    """
    import polars as pl
    from sqlalchemy.exc import CompileError

    columns = []
    schema = _raw_schema(headers)
    for (name, dtype), selected in zip(schema.items(), query.selected_columns, strict=True):
        raw = selected.element  # type: ignore[attr-defined]
        value = cast(raw, Integer) if dtype == pl.Int64 else cast(raw, String)
        if packed:
            # concat_ws writes every value as text by itself
            columns.append(func.coalesce(value if dtype == pl.Int64 else raw, literal("")))
        elif dtype == pl.Int64:
            columns.append(value.label(name))
        else:
            columns.append(func.coalesce(value, literal("")).label(name))
    if packed:
        columns = [func.concat_ws(func.char(ord(SEPARATOR)), *columns).label("packed")]
    typed = query.with_only_columns(*columns)
    try:
        return str(typed.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (CompileError, NotImplementedError, TypeError, ValueError):
        return None


#: on a packed frame: the row held more separators than columns
BAD = "__separator_in_a_cell"


def _unpack_lazy(lazy: pl.LazyFrame, headers: Sequence[str]) -> pl.LazyFrame:
    """Split the packed column back into the export's columns and types, plus :data:`BAD`."""
    import polars as pl

    schema = _raw_schema(headers)
    names = list(schema)
    # splitn leaves any further separator in the last column: a separator inside a cell
    # shows there, and only that (short) column needs looking at. Integers are cast
    # leniently: SQL wrote them from CAST AS INTEGER, and a row shifted by a separator
    # must reach the check rather than fail the cast.
    split = pl.col("packed").str.splitn(SEPARATOR, len(names)).struct.rename_fields(names)
    return (
        lazy.select(split)
        .unnest("packed")
        .select(
            *(
                pl.col(name).cast(pl.Int64, strict=False) if dtype == pl.Int64 else pl.col(name)
                for name, dtype in schema.items()
            ),
            pl.col(names[-1]).str.contains(SEPARATOR, literal=True).alias(BAD),
        )
    )


def _native_batches(database: str, sql: str) -> Any:
    """Arrow record batches of ``sql`` read by the ADBC SQLite driver, as polars frames.

    ``None`` (and a warning) when the driver is not installed.
    """
    try:
        import adbc_driver_manager
        import adbc_driver_sqlite
        import nanoarrow
    except ImportError as exc:
        log.warning(
            "Export reads SQLite through Python's sqlite3 (slower): the ADBC SQLite "
            "driver is not available (%s).",
            exc,
        )
        return None
    import urllib.parse

    import polars as pl

    uri = "file:" + urllib.parse.quote(str(Path(database).resolve()))

    def batches() -> Any:
        with (
            adbc_driver_sqlite.connect(uri) as db,
            adbc_driver_manager.AdbcConnection(db) as conn,
            adbc_driver_manager.AdbcStatement(conn) as stmt,
        ):
            stmt.set_sql_query(sql)
            rows = adbc_driver_sqlite.StatementOptions.BATCH_ROWS.value
            stmt.set_options(**{rows: str(NATIVE_BATCH)})
            handle, _ = stmt.execute_query()
            with nanoarrow.ArrayStream(handle) as stream:
                for batch in stream:
                    yield pl.DataFrame(batch)

    return batches()


class _Formatter:
    """Formats and writes frames of raw values (on the helper thread).

    The polars expressions are built once per schema, not per partition: building them
    needs the GIL, which the main thread holds while the driver reads the next batch. A
    packed frame (native SQLite path) is split and formatted in one polars query.
    """

    def __init__(self, writer: _CsvWriter | _XlsxWriter, headers: Sequence[str]) -> None:
        self.writer = writer
        self.headers = headers
        self.plans: dict[Any, list[pl.Expr]] = {}

    def __call__(self, frame: pl.DataFrame) -> None:

        key = tuple(frame.schema.items())
        exprs = self.plans.get(key)
        packed = "packed" in frame.columns
        if exprs is None:
            schema = _raw_schema(self.headers) if packed else dict(frame.schema)
            exprs = self.plans[key] = _format_exprs(self.headers, schema)
        if not packed:
            self.writer.write(frame.select(exprs))
            return
        out = _unpack_lazy(frame.lazy(), self.headers).select(*exprs, BAD).collect()
        if out.get_column(BAD).any():
            raise _SeparatorInText
        self.writer.write(out.drop(BAD))


def _format_exprs(headers: Sequence[str], schema: Mapping[str, Any]) -> list[pl.Expr]:
    import polars as pl

    exprs = []
    for index, header in enumerate(headers):
        col = pl.col(f"c{index}")
        dtype = schema[f"c{index}"]
        spec = FIELD_BY_NAME.get(header)
        kind = spec.kind if spec else None
        if kind == BOOL:
            out = pl.when(col.cast(pl.Boolean)).then(pl.lit("yes")).otherwise(pl.lit("no"))
        elif kind == PERCENT:
            out = _decimal_text(col, 3, True)
        elif kind == MONEY:
            out = _decimal_text(col, 2, False)
        elif header in ("year_to_date_spend", "account_balance"):
            out = _decimal_text(col.fill_null(0), 2, False)
        elif header == "loyalty_balance":
            out = col.cast(pl.Int64).fill_null(0).cast(pl.String)
        elif header == "created_at":
            if dtype == pl.String or dtype == pl.Null:
                out = col.cast(pl.String).str.slice(0, 19).str.replace("T", " ")
            else:
                out = col.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S")
            out = out.fill_null("")
        elif kind == DATE:
            out = col.cast(pl.String).str.slice(0, 10).fill_null("")
        else:
            out = neutralise_expr(col.cast(pl.String).fill_null(""))
        # an empty cell is written bare, not as ""
        exprs.append(pl.when(out == "").then(None).otherwise(out).alias(header))
    return exprs


def export_customers(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    ids: Select[Any] | None = None,
    include_archived: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write customers to ``.csv`` (UTF-8 with BOM, for Excel) or ``.xlsx``; return the count.

    ``ids`` is a query of customer ids to restrict to (the Customers screen's filter).
    """

    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise SpreadsheetError(f"{target.name}: export writes .csv or .xlsx files.")
    if not target.parent.is_dir():
        raise SpreadsheetError(f"Cannot write {target}: the folder does not exist.")
    tmp = target.with_name(f".{target.name}.part")
    with session_scope(engine) as session:
        conn = session.connection()
        custom = [
            (fid, name)
            for fid, name in conn.execute(
                select(CustomField.id, CustomField.name).order_by(
                    CustomField.position, CustomField.id
                )
            )
        ]
        headers = export_headers([name for _, name in custom])
        query = export_query(conn.dialect.name, custom, ids, include_archived=include_archived)
        try:
            try:
                count = _write(_frames(conn, query, headers), tmp, suffix, headers, progress)
            except _SeparatorInText:
                # a cell holds the packing separator: read every column apart instead
                frames = _frames(conn, query, headers, packed=False)
                count = _write(frames, tmp, suffix, headers, progress)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise SpreadsheetError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return count


def _write(
    frames: Any,
    tmp: Path,
    suffix: str,
    headers: Sequence[str],
    progress: Callable[[int], None] | None,
) -> int:
    """Format and write each frame on a helper thread while the next is read."""
    count = 0
    try:
        writer = _XlsxWriter(tmp, headers) if suffix == ".xlsx" else _CsvWriter(tmp, headers)
        with writer, ThreadPoolExecutor(1, thread_name_prefix="tillterm-export") as pool:
            written: Future[None] | None = None
            format_and_write = _Formatter(writer, headers)
            for frame in frames:
                if written is not None:
                    written.result()
                written = pool.submit(format_and_write, frame)
                count += frame.height
                if progress:
                    progress(count)
            if written is not None:
                written.result()
    finally:
        frames.close()  # the driver's statement and connection, even when stopped early
    return count


def _frames(conn: Any, query: Select[Any], headers: Sequence[str], *, packed: bool = True) -> Any:
    """The export query's rows as polars frames of raw values, a partition at a time."""
    import polars as pl

    if conn.dialect.name == "sqlite":
        database = conn.engine.url.database
        sql = _native_sql(query, headers, conn.dialect, packed=packed)
        if database and database != ":memory:" and sql is not None:
            native = _native_batches(database, sql)
            if native is not None:
                return native
        # SQLite's cursor streams by itself: its plain tuples go straight into polars
        schema = _raw_schema(headers)
        cursor = conn.execute(query).cursor

        def from_cursor() -> Any:
            while rows := cursor.fetchmany(PARTITION):
                yield pl.DataFrame(rows, schema=schema, orient="row")
            cursor.close()

        return from_cursor()
    names = [f"c{i}" for i in range(len(headers))]
    result = conn.execution_options(stream_results=True, yield_per=PARTITION).execute(query)

    def from_partitions() -> Any:
        for rows in result.partitions(PARTITION):
            yield pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
        result.close()

    return from_partitions()


class _CsvWriter:
    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        self.fh = path.open("wb")
        self.fh.write(b"\xef\xbb\xbf")
        line = _csv_line(headers)
        self.fh.write(line.encode("utf-8"))

    def write(self, frame: pl.DataFrame) -> None:
        frame.write_csv(self.fh, include_header=False, line_terminator="\r\n")

    def __enter__(self) -> _CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


def _csv_line(cells: Sequence[str]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


class _XlsxWriter:
    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.sheet = self.book.add_worksheet("Customers")
        self.sheet.write_row(0, 0, headers)
        self.row = 1

    def write(self, frame: pl.DataFrame) -> None:
        if self.row + frame.height > XLSX_MAX_ROWS:
            raise SpreadsheetError("Too many customers for an .xlsx sheet; export to .csv.")
        write = self.sheet.write_string
        for values in frame.iter_rows():
            for col, value in enumerate(values):
                if value:
                    write(self.row, col, value)
            self.row += 1

    def __enter__(self) -> _XlsxWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.close()


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

    from tillterm.groups import find_group
    from tillterm.search import SearchFilters, matching_ids

    flt = filters or SearchFilters()
    changes: dict[str, Any] = {"include_archived": include_archived or flt.include_archived}
    if group is not None:
        if group.strip() == "":
            changes["group_id"] = 0
        else:
            found = find_group(session, group)
            if found is None:
                raise SpreadsheetError(f"There is no group named “{group}”.")
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
        return select(Customer.id).where(false())
    matches = stmt.columns(id=Integer).subquery("matches")
    return select(matches.c.id)


def export_view(
    engine: Engine,
    path: str | os.PathLike[str],
    text: str = "",
    filters: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Export what the Customers screen lists: its search text and filter keywords."""
    from tillterm.search import SearchFilters

    with session_scope(engine) as session:
        ids = filtered_ids(session, text, filters=SearchFilters.of(None, dict(filters or {})))
    return export_customers(engine, path, ids=ids, progress=progress)
