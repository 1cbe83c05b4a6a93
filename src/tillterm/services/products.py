"""The product use cases, for the back office and the CLI: one transaction each.

The products screen lists and searches (``page``), opens one (``open``) and saves a
form (``save``: :class:`ProductSaved` or :class:`ProductInvalid`, by field, never an
exception for what was typed); the same service checks and applies a product
spreadsheet and exports the catalogue. Screens get plain frozen dataclasses
(:class:`~tillterm.catalog.products.ProductInfo`), never ORM rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tillterm.catalog import products
from tillterm.catalog.products import ProductDraft, ProductInfo
from tillterm.core.errors import ValidationFailed
from tillterm.i18n import _
from tillterm.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.spreadsheet.import_report import ImportResult, ProgressCallback
    from tillterm.spreadsheet.product_import import ProductImport

#: a page of the products screen
PAGE = 50


@dataclass(frozen=True)
class ProductSaved:
    product: ProductInfo
    created: bool


@dataclass(frozen=True)
class ProductInvalid:
    """What to correct, by field (``name``, ``sku``, ``barcode``, ``price``, ``tax_rate``)."""

    errors: dict[str, str]
    message: str


@dataclass(frozen=True)
class TaxChoice:
    id: int
    name: str
    rate: Decimal
    retired: bool = False

    @property
    def label(self) -> str:
        rate = f"{self.rate.normalize():f}"
        if self.retired:
            return _("{name} ({rate} %) — retired").format(name=self.name, rate=rate)
        return f"{self.name} ({rate} %)"


class ProductCare:
    """Products for the back office (imported lazily by :class:`Services`)."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def page(self, text: str = "", *, limit: int = PAGE) -> list[ProductInfo]:
        """Products matching ``text`` (every product, inactive ones too), first page."""
        with session_scope(self._engine()) as session:
            return products.search_products(session, text, limit=limit, active_only=False)

    def open(self, product_id: int) -> ProductInfo:
        with session_scope(self._engine()) as session:
            return products.get_product(session, product_id)

    def tax_choices(self, keep: int | None = None) -> list[TaxChoice]:
        """The active rates, and ``keep`` (a product's current rate) even if retired."""
        from sqlmodel import select

        from tillterm.store.models import TaxRate

        with session_scope(self._engine()) as session:
            choices = [TaxChoice(i, n, r) for i, n, r in products.active_tax_rates(session)]
            if keep is not None and all(c.id != keep for c in choices):
                row = session.exec(select(TaxRate).where(TaxRate.id == keep)).first()
                if row is not None:
                    choices.append(TaxChoice(keep, row.name, row.rate, retired=True))
            return choices

    def save(
        self, draft: ProductDraft, product_id: int | None = None
    ) -> ProductSaved | ProductInvalid:
        try:
            with session_scope(self._engine()) as session:
                saved = products.save_product(session, draft, product_id)
        except ValidationFailed as exc:
            return ProductInvalid(exc.errors, str(exc))
        return ProductSaved(saved, created=product_id is None)

    def check_import(
        self, path: str | os.PathLike[str], *, progress: ProgressCallback | None = None
    ) -> ProductImport:
        """Read and check a product spreadsheet (nothing written)."""
        from tillterm.spreadsheet.product_import import check_products

        return check_products(self._engine(), path, progress=progress)

    def apply_import(
        self,
        checked: ProductImport,
        *,
        allow_warnings: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Write a checked product spreadsheet, all or nothing."""
        from tillterm.spreadsheet.product_import import apply_products

        return apply_products(
            self._engine(), checked, allow_warnings=allow_warnings, progress=progress
        )

    def export(self, target: str | os.PathLike[str], *, overwrite: bool = False) -> int:
        """Every product to a .csv or .xlsx (the import template); how many."""
        from tillterm.spreadsheet.product_export import export_products

        return export_products(self._engine(), target, overwrite=overwrite)
