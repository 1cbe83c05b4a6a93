"""Exporting customers: the file that is also the import template.

Every SPEC §5 field, in the fixed order of ``columns.export_headers``, formatted the way
the importer reads it back unchanged (ISO dates, ``yes``/``no``, ``12.5`` percent,
``500.00`` amounts, tags comma-separated), with formula-looking cells neutralised.

It streams: rows come from one SQL query (balances summed per customer in the database,
read-only columns included) a partition at a time, are formatted column-wise by polars
and appended to the file, so a million customers never sit in memory as objects.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Integer, String, case, func, literal, select, type_coerce
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

PARTITION = 50_000
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
        query = query.where(c.archived_at.is_(None))
    if ids is not None:
        query = query.where(c.id.in_(ids))
    return query


def _decimal_text(column: pl.Expr, places: int, trim: bool) -> pl.Expr:
    """Integer units of 10**-places as exact decimal text ("12.5", "-3.20")."""
    import polars as pl

    value = column.cast(pl.Int64)
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    magnitude = value.abs()
    whole = (magnitude // 10**places).cast(pl.String)
    frac = (magnitude % 10**places).cast(pl.String).str.zfill(places)
    if trim:
        frac = frac.str.strip_chars_end("0")
    text = sign + whole + pl.when(frac == "").then(pl.lit("")).otherwise(pl.lit(".") + frac)
    return pl.when(value.is_null()).then(pl.lit("")).otherwise(text)


def _format(frame: pl.DataFrame, headers: Sequence[str]) -> pl.DataFrame:
    import polars as pl

    exprs = []
    for index, header in enumerate(headers):
        col = pl.col(f"c{index}")
        dtype = frame.schema[f"c{index}"]
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
    return frame.select(exprs)


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
    import polars as pl

    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise SpreadsheetError(f"{target.name}: export writes .csv or .xlsx files.")
    if not target.parent.is_dir():
        raise SpreadsheetError(f"Cannot write {target}: the folder does not exist.")
    tmp = target.with_name(f".{target.name}.part")
    count = 0
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
        names = [f"c{i}" for i in range(len(headers))]
        result = conn.execution_options(stream_results=True, yield_per=PARTITION).execute(query)
        try:
            writer = _XlsxWriter(tmp, headers) if suffix == ".xlsx" else _CsvWriter(tmp, headers)
            with writer:
                for rows in result.partitions(PARTITION):
                    frame = pl.DataFrame(
                        dict(zip(names, zip(*rows, strict=True), strict=True)), strict=False
                    )
                    writer.write(_format(frame, headers))
                    count += len(rows)
                    if progress:
                        progress(count)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise SpreadsheetError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return count


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
