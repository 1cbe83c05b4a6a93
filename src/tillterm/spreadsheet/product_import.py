"""Importing a product spreadsheet: check everything, then apply all or nothing.

The customer importer's machinery does the reading and the reporting: the same file
detection (:func:`~tillterm.spreadsheet.reading.open_sheet`: CSV in any encoding and
delimiter, ``.xlsx``, ``.xls``, the same limits), the same report
(:class:`~tillterm.spreadsheet.import_report.ImportReport`: counts, problems by row and
column, errors block, warnings need a "continue anyway"), the same annotated copy
(:func:`~tillterm.spreadsheet.annotate.write_annotated`). What differs is small and
lives here: products are matched by SKU, then by barcode (that product is updated),
else created; every cell is checked by the product form's own rules
(:mod:`tillterm.catalog.products`), so a barcode the form refuses is refused here too.

The checked rows are kept in memory (a product row is a few short values: 100,000 of
them are a few MB) and written in ONE transaction, a statement per batch, the word index
caught up once at the end (:mod:`tillterm.store.product_index`). What the check matched
is matched again inside the write transaction: a product created or re-coded by another
register since the check makes the apply refuse, with nothing written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from tillterm.catalog.products import CHECKED_LENGTHS, check_barcode, check_sku, parse_price
from tillterm.i18n import N_, _, pgettext
from tillterm.spreadsheet.cells import restore_expr
from tillterm.spreadsheet.checking import ERROR, WARNING, formatted
from tillterm.spreadsheet.columns import PROBLEMS_HEADER
from tillterm.spreadsheet.consent import NO_WORDS, YES_WORDS
from tillterm.spreadsheet.import_report import (
    LISTED,
    ImportReport,
    ImportResult,
    Problem,
    Progress,
    ProgressCallback,
    fingerprint,
    refuse_blocked,
)
from tillterm.spreadsheet.mapping import ColumnRow
from tillterm.spreadsheet.product_columns import (
    ACTIVE,
    BARCODE,
    NAME,
    PRICE,
    SKU,
    TAX,
    ProductColumns,
    map_product_columns,
)
from tillterm.spreadsheet.reading import ROW, SpreadsheetError, open_sheet
from tillterm.store import product_index, staging
from tillterm.store.driver import psycopg_driver
from tillterm.store.engine import begin_write, session_scope
from tillterm.store.models import Product, TaxRate, table_of

#: what a status column says for a product on sale, and for one that is not
ACTIVE_WORDS = YES_WORDS | {"active", "actif", "enabled", "published", "available"}
INACTIVE_WORDS = NO_WORDS | {"draft", "archived", "inactive", "disabled", "inactif", "unavailable"}
#: rows written per statement
BATCH = 5000
_PRODUCT = table_of(Product)


@dataclass
class ProductImport:
    """A checked product file: the report shown, and the rows an apply writes."""

    report: ImportReport
    #: the rows to write, one column each (``target``: the product a row updates, or
    #: null for a new one); only the fields the file has
    rows: Any = field(repr=False)
    #: (sku → id, barcode → id) as the check saw them: the apply compares them again
    seen: tuple[dict[str, int], dict[str, int]] = field(repr=False)
    applied: bool = False


def _codes(conn: Connection) -> tuple[dict[str, int], dict[str, int]]:
    skus: dict[str, int] = {}
    barcodes: dict[str, int] = {}
    rows: Iterable[Any]
    if conn.dialect.name == "postgresql":
        # every product, read twice per import (check, then apply): the driver's plain
        # tuples, without a SQLAlchemy row around each (100,000 products: 0.3 s, not 1 s)
        rows = psycopg_driver(conn).execute("SELECT id, sku, barcode FROM product").fetchall()
    else:
        rows = conn.execute(select(_PRODUCT.c.id, _PRODUCT.c.sku, _PRODUCT.c.barcode))
    for pid, sku, barcode in rows:
        if sku is not None:
            skus[sku] = pid
        if barcode is not None:
            barcodes[barcode] = pid
    return skus, barcodes


def _tax_rates(conn: Connection) -> tuple[dict[str, int], dict[str, str]]:
    """Active rates by folded name (and by "20" / "20%" when one rate has that value);
    retired ones by folded name → name, to say so."""
    table = table_of(TaxRate)
    active: dict[str, int] = {}
    retired: dict[str, str] = {}
    by_value: dict[str, list[int]] = {}
    for rid, name, key, rate, gone in conn.execute(
        select(table.c.id, table.c.name, table.c.name_key, table.c.rate, table.c.retired_at)
    ):
        if gone is not None:
            retired[" ".join(key.split())] = name
            continue
        active[" ".join(key.split())] = rid
        value = f"{rate.normalize():f}"
        by_value.setdefault(value, []).append(rid)
    for value, ids in by_value.items():
        if len(ids) == 1:
            active.setdefault(value, ids[0])
            active.setdefault(value + "%", ids[0])
            active.setdefault(value + " %", ids[0])
    return active, retired


#: the stored columns a row is compared with (``id`` first)
_STORED = ("id", "name", "sku", "barcode", "price_cents", "tax_rate_id", "active")
#: the columns the product word index reads: changing one re-indexes the product
_INDEXED = (NAME, SKU, BARCODE)
#: a price the fast path reads (else :func:`parse_price` says what is wrong, or reads it)
_PLAIN_PRICE = r"^[0-9]{1,9}([.,][0-9]{0,2})?$"
#: an internal code (as :func:`tillterm.catalog.products.check_barcode` allows)
_INTERNAL = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


def _gtin_ok(code: Any) -> Any:
    """Polars: the GS1 check digit of a digits-only column is right (up to 14 digits).

    The code is read as one integer and its digits taken arithmetically: slicing the
    text digit by digit took ten times as long at 100,000 rows.
    """
    import polars as pl

    number = code.cast(pl.Int64, strict=False)
    total = pl.lit(0, dtype=pl.Int64)
    # digit k from the right (k = 0: the check digit); body weights 3, 1, 3... from k = 1
    for k in range(1, 14):
        total = total + (number // 10**k) % 10 * (3 if k % 2 == 1 else 1)
    return ((10 - total % 10) % 10) == number % 10


class _Check:
    """The whole file's rows as one frame, checked column-wise: the common case (a valid
    row) costs no Python per row. Only the rows a check flags are looked at one by one,
    with the form's own functions, for the words of their message."""

    def __init__(self, conn: Connection, cols: ProductColumns, headers: tuple[str, ...]) -> None:
        self.cols = cols
        self.headers = headers
        self.skus, self.barcodes = _codes(conn)
        self.taxes, self.retired = _tax_rates(conn)
        self.problems: list[Any] = []
        #: every product as stored: a row naming one exactly as it is writes nothing
        self.existing = conn.execute(select(*(_PRODUCT.c[c] for c in _STORED))).all()

    def header(self, name: str) -> str:
        index = self.cols.fields.get(name)
        return (self.headers[index] or name) if index is not None else name

    def frame(self, batches: Iterable[Any], progress: ProgressCallback | None) -> Any:
        """The cells the import reads, renamed to their fields, stripped."""
        import polars as pl

        cols = self.cols
        wanted: dict[str, int] = dict(cols.fields)
        if cols.group is not None:
            wanted["group"] = cols.group
        if cols.inactive is not None:
            wanted["inactive"] = cols.inactive
        for n, index in enumerate(cols.options):
            wanted[f"option{n}"] = index
        parts = []
        total = 0
        for batch in batches:
            parts.append(
                batch.select(
                    pl.col(ROW).cast(pl.Int64).alias("row"),
                    *(
                        restore_expr(pl.col(f"c{index}").fill_null("").str.strip_chars()).alias(
                            name
                        )
                        for name, index in wanted.items()
                    ),
                )
            )
            total += batch.height
            if progress:
                progress(Progress("checking", 0.0, total))
        if not parts:
            return pl.DataFrame(schema={"row": pl.Int64, **dict.fromkeys(wanted, pl.String)})
        return pl.concat(parts)

    def add(self, frame: Any, column: str, level: str, messages: Any) -> None:
        """Problems for the rows of ``frame`` (``messages``: an expression or text)."""
        import polars as pl

        if frame.height:
            message = messages if isinstance(messages, pl.Expr) else pl.lit(messages)
            self.problems.append(
                frame.select(
                    pl.col("row"),
                    pl.lit(column).alias("column"),
                    pl.lit(level).alias("level"),
                    message.cast(pl.String).alias("message"),
                )
            )

    def each(
        self, frame: Any, column: str, field_name: str, why: Callable[[str], str | None]
    ) -> None:
        """Problems for flagged rows, worded one by one by ``why`` (None: no problem)."""
        import polars as pl

        if not frame.height:
            return
        rows = [
            (row, self.header(column), ERROR, message)
            for row, value in frame.select("row", field_name).iter_rows()
            if (message := why(value)) is not None
        ]
        if rows:
            self.problems.append(
                pl.DataFrame(
                    rows,
                    schema={
                        "row": pl.Int64,
                        "column": pl.String,
                        "level": pl.String,
                        "message": pl.String,
                    },
                    orient="row",
                )
            )

    def _repeats(self, df: Any, column: str, what: str) -> None:
        """A code on two rows: the second (and later) rows name the first (``what``: the
        message, marked, with the ``{code}`` and the first ``{row}``)."""
        import polars as pl

        repeated = df.filter((pl.col(column) != "") & pl.col(column).is_duplicated())
        if repeated.height:
            firsts = repeated.with_columns(pl.col("row").min().over(column).alias("first"))
            self.add(
                firsts.filter(pl.col("first") != pl.col("row")),
                self.header(column),
                ERROR,
                formatted(_(what), code=pl.col(column), row=pl.col("first")),
            )

    def run(self, raw: Any) -> Any:
        """Check every row; the frame of values to write (rows without errors)."""
        import polars as pl

        cols = self.cols
        fields = cols.fields
        df = raw
        # -- the name (variant rows take their group's first name, and their options)
        if NAME in fields:
            name = pl.col(NAME).str.replace_all(r"\s+", " ")
            if cols.group is not None:
                first = (
                    pl.when(pl.col(NAME) != "")
                    .then(pl.col(NAME))
                    .drop_nulls()
                    .first()
                    .over("group")
                )
                name = pl.when((name == "") & (pl.col("group") != "")).then(first).otherwise(name)
            df = df.with_columns(name.fill_null("").alias(NAME))
            options = [f"option{n}" for n in range(len(cols.options))]
            if options:
                skip = list(cols.source.no_option) if cols.source else []
                listed = pl.concat_list(
                    [
                        pl.when(pl.col(o).is_in(skip) | (pl.col(o) == ""))
                        .then(None)
                        .otherwise(pl.col(o))
                        for o in options
                    ]
                ).list.drop_nulls()
                joined = listed.list.join(" / ")
                df = df.with_columns(
                    pl.when((joined != "") & (pl.col(NAME) != ""))
                    .then(pl.format("{} – {}", pl.col(NAME), joined))
                    .otherwise(pl.col(NAME))
                    .alias(NAME)
                )
        if BARCODE in fields:
            df = df.with_columns(pl.col(BARCODE).str.replace_all(r"\s", ""))
        # -- the product each row updates: by SKU, then by barcode
        skus = pl.DataFrame(
            {"sku": list(self.skus), "by_sku": list(self.skus.values())},
            schema={"sku": pl.String, "by_sku": pl.Int64},
        )
        barcodes = pl.DataFrame(
            {"barcode": list(self.barcodes), "owner": list(self.barcodes.values())},
            schema={"barcode": pl.String, "owner": pl.Int64},
        )
        if SKU in fields:
            df = df.join(skus, left_on=SKU, right_on="sku", how="left")
        else:
            df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias("by_sku"))
        if BARCODE in fields:
            df = df.join(barcodes, left_on=BARCODE, right_on="barcode", how="left")
        else:
            df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias("owner"))
        df = df.with_columns(pl.coalesce("by_sku", "owner").alias("target"))
        new = pl.col("target").is_null()
        # -- name
        if NAME in fields:
            self.add(
                df.filter(pl.col(NAME) == ""),
                self.header(NAME),
                ERROR,
                _("a product needs a name"),
            )
            self.add(
                df.filter(pl.col(NAME).str.len_chars() > 200),
                self.header(NAME),
                ERROR,
                _("at most 200 characters"),
            )
        else:
            self.add(
                df.filter(new),
                pgettext("product column", "name"),
                ERROR,
                _("a new product needs a name (no name column)"),
            )
        # -- codes
        if SKU in fields:
            sku = pl.col(SKU)
            odd = df.filter((sku != "") & (sku.str.contains(r"\s") | (sku.str.len_chars() > 64)))
            self.each(odd, SKU, SKU, check_sku)
            self._repeats(df, SKU, N_("SKU {code} is also on row {row}"))
        if BARCODE in fields:
            code = pl.col(BARCODE)
            retail = code.str.contains(r"^[0-9]+$") & code.str.len_chars().is_in(
                list(CHECKED_LENGTHS)
            )
            fine = (
                pl.when(retail)
                .then(_gtin_ok(code))
                .otherwise(code.str.contains(_INTERNAL) & (code.str.len_chars() <= 64))
            )
            # a barcode the product already has is kept as it is, even one from before the
            # check digits were checked: re-importing an export never fails on it
            own = pl.col("owner").is_not_null() & (pl.col("owner") == pl.col("target"))
            checked = df.filter((code != "") & ~own).with_columns(fine.alias("_fine"))
            self.each(checked.filter(~pl.col("_fine")), BARCODE, BARCODE, check_barcode)
            self.add(
                checked.filter(pl.col("_fine") & pl.col("owner").is_not_null()),
                self.header(BARCODE),
                ERROR,
                formatted(_("barcode {code} is another product's (its SKU differs)"), code=code),
            )
            self._repeats(df, BARCODE, N_("barcode {code} is also on row {row}"))
            long_digits = (
                code.str.contains(r"^[0-9]+$")
                & (code.str.len_chars() > 6)
                & ~code.str.len_chars().is_in([8, 12, 13, 14])
            )
            self.add(
                df.filter(long_digits),
                self.header(BARCODE),
                WARNING,
                _("not a retail barcode length: kept as an internal code"),
            )
        # -- price
        if PRICE in fields:
            cleaned = pl.col(PRICE).str.replace_all(r"[€$£\s\u00a0\u202f]", "")
            plain = cleaned.str.contains(_PLAIN_PRICE)
            parts = cleaned.str.replace(",", ".").str.split_exact(".", 1)
            cents = parts.struct.field("field_0").cast(pl.Int64) * 100 + parts.struct.field(
                "field_1"
            ).fill_null("").str.pad_end(2, "0").str.slice(0, 2).replace("", "0").cast(pl.Int64)
            df = df.with_columns(pl.when(plain).then(cents).otherwise(None).alias("price_cents"))
            self.add(
                df.filter(pl.col(PRICE) == ""),
                self.header(PRICE),
                ERROR,
                _("a product needs a price"),
            )
            others = df.filter((pl.col(PRICE) != "") & ~plain)
            if others.height:

                def why(value: str) -> str | None:
                    try:
                        parse_price(value)
                    except ValueError as exc:
                        return str(exc)
                    return None

                self.each(others, PRICE, PRICE, why)
                fixed = {
                    row: parse_price(value)
                    for row, value in others.select("row", PRICE).iter_rows()
                    if why(value) is None
                }
                if fixed:
                    df = df.with_columns(
                        pl.coalesce(
                            "price_cents",
                            pl.col("row").replace_strict(
                                fixed, default=None, return_dtype=pl.Int64
                            ),
                        )
                    )
            self.add(
                df.filter(pl.col("price_cents") == 0),
                self.header(PRICE),
                WARNING,
                _("the price is 0.00"),
            )
        else:
            self.add(
                df.filter(new),
                pgettext("product column", "price"),
                ERROR,
                _("a new product needs a price (no price column)"),
            )
        # -- tax rate
        if TAX in fields:
            key = pl.col(TAX).str.replace_all(r"\s+", " ").str.to_lowercase()
            df = df.with_columns(
                key.replace_strict(self.taxes, default=None, return_dtype=pl.Int64).alias(
                    "tax_rate_id"
                )
            )
            unknown = df.filter((pl.col(TAX) != "") & pl.col("tax_rate_id").is_null())

            def tax_problem(value: str) -> str:
                folded = " ".join(value.split()).lower()
                if folded in self.retired:
                    return _("tax rate “{name}” is retired").format(name=self.retired[folded])
                return _("no tax rate “{name}”: create it first in the store settings").format(
                    name=value
                )

            self.each(unknown, TAX, TAX, tax_problem)
        # -- on sale or not
        flag = None
        if ACTIVE in fields:
            flag, yes, column = pl.col(ACTIVE).str.to_lowercase(), True, self.header(ACTIVE)
        elif cols.inactive is not None:
            flag, yes, column = (
                pl.col("inactive").str.to_lowercase(),
                False,
                self.headers[cols.inactive],
            )
        if flag is not None:
            on = flag.is_in(list(ACTIVE_WORDS))
            off = flag.is_in(list(INACTIVE_WORDS))
            df = df.with_columns(
                pl.when(flag == "")
                .then(True)
                .when(on)
                .then(yes)
                .when(off)
                .then(not yes)
                .otherwise(None)
                .alias("_active")
            )
            source = ACTIVE if ACTIVE in fields else "inactive"
            self.add(
                df.filter(pl.col("_active").is_null()),
                column,
                ERROR,
                formatted(_("“{value}” is not yes or no"), value=pl.col(source)),
            )
            # the text read is kept for the messages above; the flag replaces it now
            df = df.drop(source).rename({"_active": "active"})
        return df


def check_products(
    engine: Engine, path: str | os.PathLike[str], *, progress: ProgressCallback | None = None
) -> ProductImport:
    """Read and check the whole file; write nothing. Raises :class:`SpreadsheetError`."""
    import polars as pl

    source = open_sheet(path)
    cols = map_product_columns(source.headers)
    if NAME not in cols.fields and SKU not in cols.fields and BARCODE not in cols.fields:
        raise SpreadsheetError(
            _(
                "{file}: no column is a product name, SKU or barcode "
                "(headers: {headers}). Name a column "
                "name, sku, barcode or price, as in tillterm's product export."
            ).format(file=Path(path).name, headers=", ".join(h for h in source.headers[:8] if h))
        )
    with session_scope(engine) as session:
        conn = session.connection()
        check = _Check(conn, cols, source.headers)
        session.rollback()
    raw = check.frame(source.batches(), progress)
    df = check.run(raw)
    schema = {"row": pl.Int64, "column": pl.String, "level": pl.String, "message": pl.String}
    table = (
        pl.concat([p.select(list(schema)) for p in check.problems]).sort("row", maintain_order=True)
        if check.problems
        else pl.DataFrame(schema=schema)
    )
    levels = table.get_column("level")
    errors = int((levels == ERROR).sum())
    warnings = int((levels == WARNING).sum())
    bad = table.filter(pl.col("level") == ERROR).get_column("row").unique()
    good = df.filter(~pl.col("row").is_in(bad.implode()))
    keep = ["row", "target"] + [
        c
        for c, present in (
            (NAME, NAME in cols.fields),
            (SKU, SKU in cols.fields),
            (BARCODE, BARCODE in cols.fields),
            ("price_cents", PRICE in cols.fields),
            ("tax_rate_id", TAX in cols.fields),
            ("active", "active" in df.columns),
        )
        if present
    ]
    rows = _compare(good.select(keep), check.existing)
    updated = rows.filter(pl.col("target").is_not_null() & ~pl.col("unchanged")).height
    unchanged = int(rows.get_column("unchanged").sum())
    report = ImportReport(
        path=source.path,
        detected=source.detected.describe() + (f" · {cols.source_name}" if cols.source else ""),
        rows=raw.height,
        new=int(rows.get_column("target").is_null().sum()),
        updated=updated,
        unchanged=unchanged,
        errors=errors,
        warnings=warnings,
        problems=tuple(Problem(*p) for p in table.head(LISTED).iter_rows()),
        fields=tuple(sorted(cols.fields, key=cols.fields.__getitem__)),
        notices=_notices(cols, source.headers),
        fingerprint=source.fingerprint,
        all_problems=table,
        columns=_column_rows(cols, source.headers),
    )
    return ProductImport(report, rows, (check.skus, check.barcodes))


def _compare(rows: Any, existing: Sequence[Any]) -> Any:
    """``rows`` with ``unchanged`` (it names its product exactly as stored: nothing to
    write) and ``reindex`` (its name or a code changes: the word index must follow)."""
    import polars as pl

    stored = pl.DataFrame(
        existing,
        schema={
            "target": pl.Int64,
            "_name": pl.String,
            "_sku": pl.String,
            "_barcode": pl.String,
            "_price_cents": pl.Int64,
            "_tax_rate_id": pl.Int64,
            "_active": pl.Boolean,
        },
        orient="row",
    )
    joined = rows.join(stored, on="target", how="left")
    same: dict[str, Any] = {}
    for column in ("name", "sku", "barcode", "price_cents", "tax_rate_id", "active"):
        if column not in rows.columns:
            same[column] = pl.lit(True)
        elif column in (SKU, BARCODE):  # a blank code cell keeps the code
            same[column] = (pl.col(column) == "") | pl.col(column).eq_missing(pl.col(f"_{column}"))
        else:
            same[column] = pl.col(column).eq_missing(pl.col(f"_{column}"))
    indexed = same[NAME] & same[SKU] & same[BARCODE]
    rest = same["price_cents"] & same["tax_rate_id"] & same["active"]
    known = pl.col("target").is_not_null()
    return joined.select(
        *rows.columns,
        (known & indexed & rest).alias("unchanged"),
        (known & ~indexed).alias("reindex"),
    )


def _notices(cols: ProductColumns, headers: tuple[str, ...]) -> tuple[str, ...]:
    notices = []
    if cols.options:
        quoted = _("“{text}”")
        shown = ", ".join(quoted.format(text=headers[i]) for i in cols.options)
        notices.append(
            _("Variant options ({columns}) are added to each product's name.").format(columns=shown)
        )
    if cols.group is not None:
        notices.append(
            _("Rows with the same “{header}” and no name take the first row's name.").format(
                header=headers[cols.group]
            )
        )
    return tuple(notices)


def _column_rows(cols: ProductColumns, headers: tuple[str, ...]) -> tuple[ColumnRow, ...]:
    roles = {index: name for name, index in cols.fields.items()}
    for index in cols.options:
        roles[index] = _("name (variant option)")
    if cols.group is not None:
        roles[cols.group] = _("name (variant group)")
    if cols.inactive is not None:
        roles[cols.inactive] = _("active (archived = no)")
    rows = []
    for index, header in enumerate(headers):
        if header == PROBLEMS_HEADER:
            rows.append(ColumnRow(index + 1, header, None, _("tillterm's own problem column"), ()))
        elif index in roles:
            rows.append(ColumnRow(index + 1, header, roles[index], "", ()))
        else:
            rows.append(ColumnRow(index + 1, header, None, _("not a product field"), ()))
    return tuple(rows)


def _batches(items: list[dict[str, object]]) -> Iterable[list[dict[str, object]]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def apply_products(
    engine: Engine,
    checked: ProductImport,
    *,
    allow_warnings: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Write a checked file, all or nothing."""
    report = checked.report
    refuse_blocked(report, allow_warnings=allow_warnings)
    if checked.applied:
        raise SpreadsheetError(
            _("{file} was already imported; check it again.").format(file=report.path.name)
        )
    if fingerprint(report.path) != report.fingerprint:
        raise SpreadsheetError(
            _("{file} changed since it was checked; check it again.").format(file=report.path.name)
        )
    import polars as pl

    rows = checked.rows
    columns = [c for c in rows.columns if c not in ("row", "target", "unchanged", "reindex")]
    fresh = rows.filter(pl.col("target").is_null())
    changed = rows.filter(pl.col("target").is_not_null() & ~pl.col("unchanged"))
    # rows changing a name or a code go through the word index; the others (a new price,
    # tax rate or status) update only those columns, which the index never reads
    reindexed = changed.filter(pl.col("reindex"))
    repriced = changed.filter(~pl.col("reindex"))
    try:
        with session_scope(engine) as session:
            conn = session.connection()
            begin_write(conn)
            if _codes(conn) != checked.seen:
                raise SpreadsheetError(
                    _(
                        "Products were added or changed since {file} was checked; check it again."
                    ).format(file=report.path.name)
                )
            done = 0

            def tell(count: int) -> None:
                nonlocal done
                done += count
                if progress:
                    progress(Progress("importing", done / max(rows.height, 1), done))

            if conn.dialect.name == "postgresql":
                import psycopg

                try:
                    _copy_postgresql(conn, fresh, reindexed, repriced, columns)
                except psycopg.IntegrityError as exc:  # COPY runs on the driver's cursor
                    raise IntegrityError("COPY", None, exc) from exc
                tell(fresh.height + changed.height)
            else:
                _write_sqlite(conn, fresh, reindexed, repriced, columns, tell)
    except IntegrityError as exc:
        raise SpreadsheetError(
            _(
                "{file}: two products would share a SKU or barcode "
                "(the file swaps codes between products?); nothing was imported."
            ).format(file=report.path.name)
        ) from exc
    checked.applied = True
    return ImportResult(
        fresh.height, changed.height, report, unchanged=rows.height - fresh.height - changed.height
    )


#: PostgreSQL types of the columns an import writes (its staging table)
_PG_TYPES = {
    "target": "bigint",
    NAME: "text",
    SKU: "text",
    BARCODE: "text",
    "price_cents": "bigint",
    "tax_rate_id": "bigint",
    "active": "boolean",
}


def _copy_postgresql(
    conn: Connection, fresh: Any, reindexed: Any, repriced: Any, columns: list[str]
) -> None:
    """PostgreSQL: the rows go in with ``COPY`` (100,000 single-row statements took 25 s,
    the server computing each row's words either way); the changes are copied to a
    temporary table and applied by one ``UPDATE … FROM`` per kind of change.

    A row whose name and codes stay sets only its other columns: the server then
    neither computes its words again nor, as the product table keeps room on each page
    (``0018_pgperf``), touches any index (a heap-only update). 100,000 repriced products:
    0.8 s instead of 9.9 s of the server's time, on a loaded machine.
    """
    import polars as pl

    plain = [c for c in columns if c not in _INDEXED]
    for rows, names in ((reindexed, columns), (repriced, plain)):
        if not rows.height or not names:
            continue
        staged = ["target", *names]
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS tillterm_product_rows ("
            + ", ".join(f"{c} {_PG_TYPES[c]}" for c in _PG_TYPES)
            + ") ON COMMIT DROP"
        )
        conn.exec_driver_sql("TRUNCATE tillterm_product_rows")
        # CSV written by polars: no Python value per cell
        staging.copy_payload(
            conn,
            "tillterm_product_rows",
            staged,
            staging.payload(rows.select(staged), "postgresql"),
        )
        # a blank SKU or barcode cell keeps the product's code
        sets = ", ".join(
            f"{c} = coalesce(nullif(t.{c}, ''), p.{c})" if c in (SKU, BARCODE) else f"{c} = t.{c}"
            for c in names
        )
        conn.exec_driver_sql(
            f"UPDATE product p SET {sets} FROM tillterm_product_rows t WHERE p.id = t.target"
        )
    if fresh.height:
        names = [*columns, *(c for c in _DEFAULTS if c not in columns)]
        frame = fresh.select(
            *(
                pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                if c in (SKU, BARCODE)
                else pl.col(c)
                for c in columns
            ),
            *(pl.lit(_DEFAULTS[c]).alias(c) for c in names[len(columns) :]),
        )
        for part in frame.iter_slices(BATCH * 4):
            staging.copy_in(conn, "product", names, staging.copy_text(part.rows()))


def _write_sqlite(
    conn: Connection,
    fresh: Any,
    reindexed: Any,
    repriced: Any,
    columns: list[str],
    tell: Callable[[int], None],
) -> None:
    """SQLite: a statement per batch of rows, the word index caught up once."""
    mark = "?"
    plain = [c for c in columns if c not in _INDEXED]

    def sets(names: list[str]) -> str:
        # a blank SKU or barcode cell keeps the product's code
        return ", ".join(
            f"{c} = coalesce(nullif({mark}, ''), {c})" if c in (SKU, BARCODE) else f"{c} = {mark}"
            for c in names
        )

    if reindexed.height:
        statement = f"UPDATE product SET {sets(columns)} WHERE id = {mark}"
        ids = reindexed.get_column("target").to_list()
        with product_index.bulk_update(conn, ids):
            for part in reindexed.select(*columns, "target").iter_slices(BATCH):
                conn.exec_driver_sql(statement, part.rows())
                tell(part.height)
    if repriced.height and plain:
        statement = f"UPDATE product SET {sets(plain)} WHERE id = {mark}"
        for part in repriced.select(*plain, "target").iter_slices(BATCH):
            conn.exec_driver_sql(statement, part.rows())
            tell(part.height)
    if fresh.height:
        names = [*columns, *(c for c in _DEFAULTS if c not in columns)]
        values = ", ".join(f"nullif({mark}, '')" if c in (SKU, BARCODE) else mark for c in names)
        statement = f"INSERT INTO product ({', '.join(names)}) VALUES ({values})"
        extra = [_DEFAULTS[c] for c in names[len(columns) :]]
        with product_index.bulk_insert(conn):
            for part in fresh.select(columns).iter_slices(BATCH):
                conn.exec_driver_sql(statement, [(*r, *extra) for r in part.rows()])
                tell(part.height)


#: what a new product gets for a column the file does not have
_DEFAULTS: dict[str, object] = {
    "sku": None,
    "barcode": None,
    "tax_rate_id": None,
    "active": True,
}
