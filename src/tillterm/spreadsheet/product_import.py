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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from tillterm.catalog.products import CHECKED_LENGTHS, check_barcode, check_sku, parse_price
from tillterm.spreadsheet.cells import restore
from tillterm.spreadsheet.checking import ERROR, WARNING
from tillterm.spreadsheet.columns import PROBLEMS_HEADER
from tillterm.spreadsheet.consent import NO_WORDS, YES_WORDS
from tillterm.spreadsheet.import_report import (
    LISTED,
    ImportBlocked,
    ImportReport,
    ImportResult,
    Problem,
    Progress,
    ProgressCallback,
    fingerprint,
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
from tillterm.store import product_index
from tillterm.store.engine import begin_write, session_scope
from tillterm.store.models import Product, TaxRate, table_of

#: what a status column says for a product on sale, and for one that is not
ACTIVE_WORDS = YES_WORDS | {"active", "actif", "enabled", "published", "available"}
INACTIVE_WORDS = NO_WORDS | {"draft", "archived", "inactive", "disabled", "inactif", "unavailable"}
#: rows written per statement
BATCH = 5000
_PRODUCT = table_of(Product)


@dataclass(frozen=True)
class CheckedProduct:
    """One row as it will be written; ``target`` is the product it updates (or None)."""

    row: int
    target: int | None
    values: dict[str, object]


@dataclass
class ProductImport:
    """A checked product file: the report shown, and the rows an apply writes."""

    report: ImportReport
    rows: list[CheckedProduct] = field(repr=False)
    #: (sku → id, barcode → id) as the check saw them: the apply compares them again
    seen: tuple[dict[str, int], dict[str, int]] = field(repr=False)
    applied: bool = False


def _codes(conn: Connection) -> tuple[dict[str, int], dict[str, int]]:
    skus: dict[str, int] = {}
    barcodes: dict[str, int] = {}
    for pid, sku, barcode in conn.execute(
        select(_PRODUCT.c.id, _PRODUCT.c.sku, _PRODUCT.c.barcode)
    ):
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
            retired[key] = name
            continue
        active[key] = rid
        value = f"{rate.normalize():f}"
        by_value.setdefault(value, []).append(rid)
    for value, ids in by_value.items():
        if len(ids) == 1:
            active.setdefault(value, ids[0])
            active.setdefault(value + "%", ids[0])
            active.setdefault(value + " %", ids[0])
    return active, retired


class _Checker:
    """Checks rows one at a time, remembering what the file itself repeats."""

    def __init__(self, conn: Connection, cols: ProductColumns, headers: tuple[str, ...]) -> None:
        self.cols = cols
        self.headers = headers
        self.skus, self.barcodes = _codes(conn)
        self.taxes, self.retired = _tax_rates(conn)
        self.problems: list[tuple[int, str, str, str]] = []
        self.rows: list[CheckedProduct] = []
        self.file_skus: dict[str, int] = {}
        self.file_barcodes: dict[str, int] = {}
        self.names_by_group: dict[str, str] = {}
        self.no_option = set(cols.source.no_option) if cols.source else set()

    def header(self, name: str) -> str:
        return self.headers[self.cols.fields[name]] or name

    def problem(self, row: int, name: str, level: str, message: str) -> None:
        self.problems.append(
            (row, self.header(name) if name in self.cols.fields else name, level, message)
        )

    def cell(self, cells: tuple[str, ...], name: str) -> str | None:
        index = self.cols.fields.get(name)
        return None if index is None else restore(cells[index].strip())

    def _name(self, cells: tuple[str, ...]) -> str:
        """The row's name: a variant row of a web shop names only its options and its
        group (Shopify's handle); the group's name comes from its first row."""
        name = " ".join((self.cell(cells, NAME) or "").split())
        group = cells[self.cols.group].strip() if self.cols.group is not None else ""
        if group:
            if name:
                self.names_by_group.setdefault(group, name)
            else:
                name = self.names_by_group.get(group, "")
        options = [
            cells[i].strip()
            for i in self.cols.options
            if cells[i].strip() and cells[i].strip() not in self.no_option
        ]
        if name and options:
            name = f"{name} – {' / '.join(options)}"
        return name

    def check(self, row: int, cells: tuple[str, ...]) -> None:
        before = len(self.problems)
        values: dict[str, object] = {}
        sku = self.cell(cells, SKU) or ""
        barcode = "".join((self.cell(cells, BARCODE) or "").split())
        # the product this row updates: by SKU, then by barcode
        target = self.skus.get(sku) if sku else None
        if target is None and barcode:
            target = self.barcodes.get(barcode)
        name = self._name(cells)
        if NAME in self.cols.fields:
            if not name:
                self.problem(row, NAME, ERROR, "a product needs a name")
            elif len(name) > 200:
                self.problem(row, NAME, ERROR, "at most 200 characters")
            values["name"] = name
        elif target is None:
            self.problem(row, "name", ERROR, "a new product needs a name (no name column)")
        if SKU in self.cols.fields:
            if sku:
                why = check_sku(sku)
                if why:
                    self.problem(row, SKU, ERROR, why)
                elif (first := self.file_skus.setdefault(sku, row)) != row:
                    self.problem(row, SKU, ERROR, f"SKU {sku} is also on row {first}")
            if sku or target is None:  # a blank code cell keeps the product's code
                values["sku"] = sku or None
        if BARCODE in self.cols.fields:
            # a barcode the product already has is kept as it is, even one from before
            # the check digits were checked: re-importing an export never fails on it
            if barcode and (target is None or self.barcodes.get(barcode) != target):
                why = check_barcode(barcode)
                if why:
                    self.problem(row, BARCODE, ERROR, why)
                elif (owner := self.barcodes.get(barcode)) is not None and owner != target:
                    self.problem(
                        row,
                        BARCODE,
                        ERROR,
                        f"barcode {barcode} is another product's (its SKU differs)",
                    )
            if barcode and (first := self.file_barcodes.setdefault(barcode, row)) != row:
                self.problem(row, BARCODE, ERROR, f"barcode {barcode} is also on row {first}")
            if barcode or target is None:
                values["barcode"] = barcode or None
        if PRICE in self.cols.fields:
            text = self.cell(cells, PRICE) or ""
            if not text:
                self.problem(row, PRICE, ERROR, "a product needs a price")
            else:
                try:
                    values["price_cents"] = parse_price(text)
                except ValueError as exc:
                    self.problem(row, PRICE, ERROR, str(exc))
        elif target is None:
            self.problem(row, "price", ERROR, "a new product needs a price (no price column)")
        if TAX in self.cols.fields:
            text = self.cell(cells, TAX) or ""
            key = " ".join(text.split()).casefold()
            if not key:
                values["tax_rate_id"] = None
            elif key in self.taxes:
                values["tax_rate_id"] = self.taxes[key]
            elif key in self.retired:
                self.problem(row, TAX, ERROR, f"tax rate “{self.retired[key]}” is retired")
            else:
                self.problem(
                    row,
                    TAX,
                    ERROR,
                    f"no tax rate “{text}”: create it first in the store settings",
                )
        flag = None
        if ACTIVE in self.cols.fields:
            flag, word, column = self.cell(cells, ACTIVE) or "", True, ACTIVE
        elif self.cols.inactive is not None:
            flag, word, column = (
                cells[self.cols.inactive].strip(),
                False,
                self.headers[self.cols.inactive],
            )
        if flag is not None:
            folded = flag.casefold()
            if not folded:
                values["active"] = True
            elif folded in ACTIVE_WORDS:
                values["active"] = word
            elif folded in INACTIVE_WORDS:
                values["active"] = not word
            else:
                self.problem(row, column, ERROR, f"“{flag}” is not yes or no")
        if "price_cents" in values and values["price_cents"] == 0:
            self.problem(row, PRICE, WARNING, "the price is 0.00")
        if barcode and barcode.isdigit() and len(barcode) == 14:
            pass  # a GTIN-14 of a case: kept as it is
        elif (
            barcode
            and barcode.isdigit()
            and len(barcode) not in CHECKED_LENGTHS
            and len(barcode) > 6
        ):
            self.problem(
                row, BARCODE, WARNING, "not a retail barcode length: kept as an internal code"
            )
        if len(self.problems) == before or all(p[2] == WARNING for p in self.problems[before:]):
            self.rows.append(CheckedProduct(row, target, values))


def check_products(
    engine: Engine, path: str | os.PathLike[str], *, progress: ProgressCallback | None = None
) -> ProductImport:
    """Read and check the whole file; write nothing. Raises :class:`SpreadsheetError`."""
    import polars as pl

    source = open_sheet(path)
    cols = map_product_columns(source.headers)
    if NAME not in cols.fields and SKU not in cols.fields and BARCODE not in cols.fields:
        raise SpreadsheetError(
            f"{Path(path).name}: no column is a product name, SKU or barcode "
            f"(headers: {', '.join(h for h in source.headers[:8] if h)}). Name a column "
            "name, sku, barcode or price, as in tillterm's product export."
        )
    with session_scope(engine) as session:
        conn = session.connection()
        checker = _Checker(conn, cols, source.headers)
        total = 0
        for batch in source.batches():
            names = source.columns
            for cells in batch.select(ROW, *names).iter_rows():
                checker.check(int(cells[0]), tuple(c or "" for c in cells[1:]))
            total += batch.height
            if progress:
                progress(Progress("checking", 0.0, total))
        session.rollback()
    rows = checker.rows
    errors = sum(1 for p in checker.problems if p[2] == ERROR)
    warnings = len(checker.problems) - errors
    checker.problems.sort(key=lambda p: p[0])
    table = pl.DataFrame(
        checker.problems,
        schema={"row": pl.Int64, "column": pl.String, "level": pl.String, "message": pl.String},
        orient="row",
    )
    updated = sum(1 for r in rows if r.target is not None)
    report = ImportReport(
        path=source.path,
        detected=source.detected.describe() + (f" · {cols.source_name}" if cols.source else ""),
        rows=total,
        new=len(rows) - updated,
        updated=updated,
        errors=errors,
        warnings=warnings,
        problems=tuple(Problem(*p) for p in checker.problems[:LISTED]),
        fields=tuple(sorted(cols.fields, key=cols.fields.__getitem__)),
        notices=_notices(cols, source.headers),
        fingerprint=source.fingerprint,
        all_problems=table,
        columns=_column_rows(cols, source.headers),
    )
    return ProductImport(report, rows, (checker.skus, checker.barcodes))


def _notices(cols: ProductColumns, headers: tuple[str, ...]) -> tuple[str, ...]:
    notices = []
    if cols.options:
        shown = ", ".join(f"“{headers[i]}”" for i in cols.options)
        notices.append(f"Variant options ({shown}) are added to each product's name.")
    if cols.group is not None:
        notices.append(
            f"Rows with the same “{headers[cols.group]}” and no name take the first row's name."
        )
    return tuple(notices)


def _column_rows(cols: ProductColumns, headers: tuple[str, ...]) -> tuple[ColumnRow, ...]:
    roles = {index: name for name, index in cols.fields.items()}
    for index in cols.options:
        roles[index] = "name (variant option)"
    if cols.group is not None:
        roles[cols.group] = "name (variant group)"
    if cols.inactive is not None:
        roles[cols.inactive] = "active (archived = no)"
    rows = []
    for index, header in enumerate(headers):
        if header == PROBLEMS_HEADER:
            rows.append(ColumnRow(index + 1, header, None, "tillterm's own problem column", ()))
        elif index in roles:
            rows.append(ColumnRow(index + 1, header, roles[index], "", ()))
        else:
            rows.append(ColumnRow(index + 1, header, None, "not a product field", ()))
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
    if checked.applied:
        raise SpreadsheetError(f"{report.path.name} was already imported; check it again.")
    if fingerprint(report.path) != report.fingerprint:
        raise SpreadsheetError(f"{report.path.name} changed since it was checked; check it again.")
    new = [{**_DEFAULTS, **r.values} for r in checked.rows if r.target is None]
    changed = [{"pid": r.target, **r.values} for r in checked.rows if r.target is not None]
    try:
        with session_scope(engine) as session:
            conn = session.connection()
            begin_write(conn)
            if _codes(conn) != checked.seen:
                raise SpreadsheetError(
                    "Products were added or changed since "
                    f"{report.path.name} was checked; check it again."
                )
            done = 0
            with product_index.bulk_update(conn, [int(c["pid"]) for c in changed]):  # type: ignore[call-overload]
                for keys, group in _by_columns(changed).items():
                    statement = (
                        update(_PRODUCT)
                        .where(_PRODUCT.c.id == bindparam("pid"))
                        .values({k: bindparam(k) for k in keys})
                    )
                    for part in _batches(group):
                        conn.execute(statement, part)
                        done += len(part)
                        if progress:
                            progress(Progress("importing", done / max(len(checked.rows), 1), done))
            with product_index.bulk_insert(conn):
                for group in _by_columns(new).values():
                    for part in _batches(group):
                        conn.execute(insert(_PRODUCT), part)
                        done += len(part)
                        if progress:
                            progress(Progress("importing", done / max(len(checked.rows), 1), done))
    except IntegrityError as exc:
        raise SpreadsheetError(
            f"{report.path.name}: two products would share a SKU or barcode "
            "(the file swaps codes between products?); nothing was imported."
        ) from exc
    checked.applied = True
    return ImportResult(len(new), len(changed), report)


#: what a new product gets for a column the file does not have
_DEFAULTS: dict[str, object] = {
    "sku": None,
    "barcode": None,
    "tax_rate_id": None,
    "active": True,
}


def _by_columns(items: list[dict[str, object]]) -> dict[tuple[str, ...], list[dict[str, object]]]:
    """Rows grouped by the columns they set (one statement shape per group)."""
    groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for item in items:
        keys = tuple(k for k in item if k != "pid")
        groups.setdefault(keys, []).append(item)
    return groups
