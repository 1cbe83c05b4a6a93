"""Exporting products: the product import's template, in .csv or .xlsx.

The headers are the import's field names (``name``, ``sku``, ``barcode``, ``price``,
``tax_rate``, ``active``), so an exported file edited in a spreadsheet imports back as
it is: products are matched by SKU, then barcode. Written with the customer export's
writers (UTF-8 with BOM and CRLF for CSV; every cell text in .xlsx), each cell made
inert (a name starting with ``=`` never runs as a formula), through
:mod:`tillterm.store.private_files` (mode 0600, whole or not at all).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tillterm.core.money import from_cents
from tillterm.i18n import _
from tillterm.spreadsheet.cells import neutralise
from tillterm.spreadsheet.export import EXPORT_SUFFIXES
from tillterm.spreadsheet.export_writer import CsvWriter, XlsxWriter
from tillterm.spreadsheet.product_columns import FIELDS
from tillterm.spreadsheet.reading import SpreadsheetError
from tillterm.store.engine import session_scope
from tillterm.store.models import Product, TaxRate, table_of
from tillterm.store.private_files import private_output

#: rows read and written at a time
CHUNK = 20_000


def export_products(
    engine: Engine, target: str | os.PathLike[str], *, overwrite: bool = False
) -> int:
    """Write every product (inactive ones too, ``active`` says which) to ``target``;
    the number written. Raises :class:`SpreadsheetError` or ``OutputExists``."""
    import polars as pl

    path = Path(target).expanduser()
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise SpreadsheetError(
            _("{file}: products are exported to .csv or .xlsx.").format(file=path.name)
        )
    product, tax = table_of(Product), table_of(TaxRate)
    query = (
        select(
            product.c.name,
            product.c.sku,
            product.c.barcode,
            product.c.price_cents,
            tax.c.name,
            product.c.active,
        )
        .select_from(product.outerjoin(tax, tax.c.id == product.c.tax_rate_id))
        .order_by(product.c.id)
    )
    count = 0
    try:
        with session_scope(engine) as session, private_output(path, overwrite=overwrite) as fh:
            writer: CsvWriter | XlsxWriter = (
                XlsxWriter(fh, FIELDS, sheet="Products")
                if suffix == ".xlsx"
                else CsvWriter(fh, FIELDS)
            )
            with writer:
                result = session.connection().execute(query)
                while chunk := result.fetchmany(CHUNK):
                    rows = [
                        (
                            neutralise(name),
                            neutralise(sku or ""),
                            neutralise(barcode or ""),
                            f"{from_cents(cents)}",
                            neutralise(rate or ""),
                            "yes" if active else "no",
                        )
                        for name, sku, barcode, cents, rate, active in chunk
                    ]
                    writer.write(pl.DataFrame(rows, schema=list(FIELDS), orient="row"))
                    count += len(rows)
    except OSError as exc:
        raise SpreadsheetError(
            _("Cannot write {file}: {reason}.").format(file=path, reason=exc.strerror or exc)
        ) from exc
    return count
