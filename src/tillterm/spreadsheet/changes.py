"""What an update row would change: nothing (unchanged), and which values it clears.

The rule (README, "Import and export"): **a column present in the file is the new
value, blank included** — the export is the template, so a blank cell in a column the
file has means "no value" and clears what is on file; a column the file does not have
is left alone. Because a blank clears, the check says, before anything is written, how
many values the import would clear, by column ("notes: 1"), for the person to fix the
file or delete the column.

A row whose every present field already holds the file's value is *unchanged*: it is
not written at all (its ``updated_at`` is kept and the search index is not touched), so
re-importing an unchanged export writes nothing.

The comparison is made in two steps, a whole batch at a time. The customers are looked
up by code with a *signature* of their present columns built by the database (each
value as text, length-prefixed, so no two rows share one by accident), and the file's
rows get the same signature in polars: equal signatures are unchanged rows, with one
short string per row crossing from the driver instead of forty values (a 100k re-import
compared in a fraction of the time). Only rows whose signature differs, and tags and
custom fields (other tables), are read value by value and compared column by column
(:func:`compare`), which also finds the values a blank cell would clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from tillterm.customers.fields import CUSTOM_PREFIX
from tillterm.spreadsheet.columns import (
    BOOL,
    CODE,
    DATE,
    FIELD_BY_NAME,
    GROUP,
    MONEY,
    PERCENT,
    TAX,
    ColumnMap,
)

if TYPE_CHECKING:
    import polars as pl

    from tillterm.spreadsheet.checking import Context

#: ids per query
CHUNK = 5000
#: the flag columns :func:`compare` adds: changed, and one "clears" flag per field
CHANGED = "__changed"
CLEARS = "__clears:"
#: spreadsheet field → customer table column, where they differ
DB_COLUMN = {"group": "group_id", "tax_rate": "tax_rate_id", "balance_limit": "balance_limit_cents"}


def compared_fields(cmap: ColumnMap) -> list[str]:
    """The present fields an update writes (the code only finds the customer)."""
    names = [cmap.fields[i] for i in sorted(cmap.fields)]
    return [n for n in names if n.startswith(CUSTOM_PREFIX) or FIELD_BY_NAME[n].kind != CODE]


def _plain(fields: Sequence[str]) -> list[str]:
    return [f for f in fields if not f.startswith(CUSTOM_PREFIX) and f != "tags"]


def _signature_sql(fields: Sequence[str], dialect: str) -> str:
    """The SQL of a row's signature over the plain ``fields`` (see :func:`signature`)."""
    parts = []
    for f in _plain(fields):
        column = DB_COLUMN.get(f, f)
        if dialect != "sqlite" and FIELD_BY_NAME[f].kind == BOOL:
            column = f"CAST({column} AS INTEGER)"
        value = f"CAST({column} AS TEXT)"
        parts.append(
            f"CASE WHEN {column} IS NULL THEN '~' "
            f"ELSE CAST(length({value}) AS TEXT) || ':' || {value} END"
        )
    return " || ".join(parts) if parts else "''"


def signature(fields: Sequence[str]) -> pl.Expr:
    """The checked values' signature, as :func:`_signature_sql` builds it on file."""
    import polars as pl

    parts: list[pl.Expr] = []
    for f in _plain(fields):
        col = pl.col(f)
        kind = FIELD_BY_NAME[f].kind
        if kind == BOOL:
            col = col.cast(pl.Int8)
        text = col.cast(pl.String)
        parts.append(
            pl.when(text.is_null())
            .then(pl.lit("~"))
            .otherwise(text.str.len_chars().cast(pl.String) + pl.lit(":") + text)
        )
    if not parts:
        return pl.lit("").alias("__sig")
    return pl.concat_str(parts).alias("__sig")


def lookup(conn: Connection, keys: Sequence[str], fields: Sequence[str]) -> pl.DataFrame:
    """``__key``, ``__id`` and ``__sig`` of the customers whose code key is in ``keys``."""
    import polars as pl

    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sig = _signature_sql(fields, conn.dialect.name)
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        marks = ", ".join([mark] * len(chunk))
        rows.extend(
            conn.exec_driver_sql(
                f"SELECT code_key, id, {sig} FROM customer WHERE code_key IN ({marks})",
                tuple(chunk),
            ).all()
        )
    schema = {"__key": pl.String, "__id": pl.Int64, "__sig": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def changes(
    conn: Connection,
    values: pl.DataFrame,
    found: pl.DataFrame,
    fields: Sequence[str],
    ctx: Context,
) -> pl.DataFrame:
    """:func:`compare`'s flags for checked ``values`` (with ``__id``), one row each.

    ``found`` is :func:`lookup`'s answer for them. Rows whose signature matches are
    unchanged in their plain columns (only their tags and custom fields, if present, are
    read and compared); the others are read value by value and compared exactly.
    """
    import polars as pl

    flags = [CHANGED, *(f"{CLEARS}{f}" for f in fields)]
    plain = _plain(fields)
    others = [f for f in fields if f not in plain]
    extra = ["__birth_bad"] if "birth_date" in fields else []
    sigs = found.select("__id", pl.col("__sig").alias("__now")).unique("__id")
    same = (pl.col("__sig") == pl.col("__now")).fill_null(False)
    if extra:  # an unreadable birth date keeps the one on file: compared value by value
        same = same & ~pl.col("__birth_bad")
    marks = (
        values.select("__id", signature(fields), *extra)
        .join(sigs, on="__id", how="left", maintain_order="left")
        .select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("__n"),
            pl.col("__id").is_not_null().alias("existing"),
            same.alias("same"),
        )
    )
    out = marks.select(
        "__n",
        pl.when(pl.col("existing")).then(~pl.col("same")).alias(CHANGED),
        *(pl.lit(False).alias(f"{CLEARS}{f}") for f in fields),
    )
    parts = []
    exact = marks.filter(pl.col("existing") & ~pl.col("same")).get_column("__n")
    if len(exact):
        rows = values[exact.to_list()]
        ids = rows.get_column("__id").unique().to_list()
        parts.append(
            compare(rows, current_values(conn, ids, fields, ctx), fields).with_columns(exact)
        )
    aside = marks.filter(pl.col("existing") & pl.col("same")).get_column("__n")
    if others and len(aside):
        rows = values[aside.to_list()]
        ids = rows.get_column("__id").unique().to_list()
        parts.append(
            compare(rows, current_values(conn, ids, others, ctx), others).with_columns(aside)
        )
    for part in parts:
        out = out.update(part, on="__n")
    return out.select(flags)


def _dtype(name: str) -> pl.DataType:
    import polars as pl

    if name.startswith(CUSTOM_PREFIX):
        return pl.String()
    kind = FIELD_BY_NAME[name].kind
    if kind == BOOL:
        return pl.Boolean()
    if kind == DATE:
        return pl.Date()
    if kind in (PERCENT, MONEY, GROUP, TAX):
        return pl.Int64()
    return pl.String()


def current_values(
    conn: Connection, ids: Sequence[int], fields: Sequence[str], ctx: Context
) -> pl.DataFrame:
    """The customers ``ids`` as they are on file: ``__id`` and one column per field."""
    import polars as pl

    plain = [f for f in fields if not f.startswith(CUSTOM_PREFIX) and f != "tags"]
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    columns = ", ".join(["id", *(DB_COLUMN.get(f, f) for f in plain)])
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        marks = ", ".join([mark] * len(chunk))
        rows.extend(
            conn.exec_driver_sql(
                f"SELECT {columns} FROM customer WHERE id IN ({marks})", tuple(chunk)
            ).all()
        )
    # driver values as they come (SQLite: 0/1 and ISO text), typed afterwards
    raw: dict[str, pl.DataType] = {"__id": pl.Int64()}
    for f in plain:
        kind = FIELD_BY_NAME[f].kind
        if conn.dialect.name == "sqlite" and kind == BOOL:
            raw[f] = pl.Int64()
        elif conn.dialect.name == "sqlite" and kind == DATE:
            raw[f] = pl.String()
        else:
            raw[f] = _dtype(f)
    frame = pl.DataFrame(rows, schema=raw, orient="row")
    frame = frame.with_columns(
        pl.col(f).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        if FIELD_BY_NAME[f].kind == DATE
        else pl.col(f).cast(_dtype(f))
        for f in plain
        if raw[f] != _dtype(f)
    )
    if "tags" in fields:
        frame = frame.join(_current_tags(conn, ids, mark), on="__id", how="left").with_columns(
            pl.col("tags").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        )
    for f in fields:
        if f.startswith(CUSTOM_PREFIX):
            field_id = ctx.customs[f[len(CUSTOM_PREFIX) :]].id
            frame = frame.join(
                _current_custom(conn, ids, field_id, mark).rename({"value": f}),
                on="__id",
                how="left",
            ).with_columns(pl.col(f).fill_null(""))
    return frame


def _rows_for(
    conn: Connection, ids: Sequence[int], mark: str, sql: str, head: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """Run ``sql`` (ending in ``IN ({marks})``) over ``ids`` in pieces a driver accepts."""
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        marks = ", ".join([mark] * len(chunk))
        rows.extend(conn.exec_driver_sql(sql.format(marks=marks), (*head, *chunk)).all())
    return rows


def _current_tags(conn: Connection, ids: Sequence[int], mark: str) -> pl.DataFrame:
    import polars as pl

    rows = _rows_for(
        conn,
        ids,
        mark,
        "SELECT ct.customer_id, t.name_key FROM customer_tag ct "
        "JOIN tag t ON t.id = ct.tag_id WHERE ct.customer_id IN ({marks})",
    )
    links = pl.DataFrame(rows, schema={"__id": pl.Int64, "tag": pl.String}, orient="row")
    return links.group_by("__id").agg(pl.col("tag").unique().sort().alias("tags"))


def _current_custom(conn: Connection, ids: Sequence[int], field_id: int, mark: str) -> pl.DataFrame:
    import polars as pl

    rows = _rows_for(
        conn,
        ids,
        mark,
        f"SELECT customer_id, value FROM custom_field_value WHERE field_id = {mark} "
        "AND customer_id IN ({marks})",
        (field_id,),
    )
    return pl.DataFrame(rows, schema={"__id": pl.Int64, "value": pl.String}, orient="row")


def _blank(name: str, column: pl.Expr) -> pl.Expr:
    """Is the value "nothing" (what a blank cell reads as, or what is on file)?"""
    import polars as pl

    if name == "tags":
        return column.list.len() == 0
    kind = FIELD_BY_NAME[name].kind if not name.startswith(CUSTOM_PREFIX) else None
    if kind in (DATE, PERCENT, MONEY, GROUP, TAX):
        return column.is_null()
    if kind == BOOL:  # a blank yes/no is an error, never a value
        return pl.lit(False)
    return column.fill_null("") == ""


def compare(values: pl.DataFrame, current: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """Per row of ``values``: :data:`CHANGED` (null for a new customer) and, per field,
    ``__clears:<field>``: the row's blank cell would clear a value on file.

    ``values`` are checked rows with ``__id`` (null: a new customer); ``current`` is
    :func:`current_values` for their ids.
    """
    import polars as pl

    if not fields:
        return values.select(pl.lit(None, dtype=pl.Boolean).alias(CHANGED))
    on_file = current.rename({f: f"__now:{f}" for f in fields})
    joined = values.select("__id", *fields, *(["__birth_bad"] if "birth_date" in fields else []))
    joined = joined.join(on_file, on="__id", how="left", maintain_order="left")
    differs: list[pl.Expr] = []
    clears: list[tuple[str, pl.Expr]] = []
    for f in fields:
        new, now = pl.col(f), pl.col(f"__now:{f}")
        if f == "tags":
            new = new.list.eval(pl.element().str.to_lowercase()).list.unique().list.sort()
        diff = new.ne_missing(now)
        clear = _blank(f, pl.col(f)) & ~_blank(f, now)
        if f == "birth_date":  # an unreadable birth date leaves the one on file alone
            diff = diff & ~pl.col("__birth_bad")
            clear = clear & ~pl.col("__birth_bad")
        differs.append(diff)
        clears.append((f"{CLEARS}{f}", clear))
    existing = pl.col("__id").is_not_null()
    return joined.select(
        pl.when(existing).then(pl.any_horizontal(differs)).alias(CHANGED),
        *((existing & c).fill_null(False).alias(name) for name, c in clears),
    )
