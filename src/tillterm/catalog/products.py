"""Finding products: by barcode or SKU (exact, one index probe) or by name.

A scan must resolve in well under a millisecond at 50,000 products, so codes go through
the unique indexes on ``barcode`` and ``sku``. Name search is a prefix search over the
``name`` index: on SQLite the index is binary-collated, so the typed prefix is looked up
as a few case variants ("caf", "Caf", "CAF"), each an index range scan, instead of a
case-insensitive ``LIKE`` that would read every row. Only when no name starts with the
text does a (bounded) substring scan run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from tillterm.core.money import from_cents
from tillterm.store.models import Product

#: sorts after every character a product name can contain: the end of a prefix range
_HIGH = "\U0010ffff"


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str | None
    barcode: str | None
    name: str
    price: Decimal
    tax_rate_id: int | None

    @property
    def code(self) -> str:
        return self.barcode or self.sku or ""


def _info(row: Product) -> ProductInfo:
    return ProductInfo(
        id=row.id or 0,
        sku=row.sku,
        barcode=row.barcode,
        name=row.name,
        price=from_cents(row.price_cents),
        tax_rate_id=row.tax_rate_id,
    )


def find_product_row(session: Session, code: str) -> Product | None:
    """The active product whose barcode or SKU is ``code`` (SKUs also in upper case)."""
    code = code.strip()
    if not code:
        return None
    for column, value in (
        (Product.barcode, code),
        (Product.sku, code),
        (Product.sku, code.upper()),
    ):
        row = session.exec(
            select(Product).where(column == value, col(Product.active).is_(True))
        ).first()
        if row is not None:
            return row
    return None


def find_product(session: Session, code: str) -> ProductInfo | None:
    row = find_product_row(session, code)
    return None if row is None else _info(row)


def _case_variants(text: str) -> list[str]:
    variants = [text, text.lower(), text.capitalize(), text.upper(), text.title()]
    seen: list[str] = []
    for value in variants:
        if value not in seen:
            seen.append(value)
    return seen


def search_products(session: Session, text: str, *, limit: int = 20) -> list[ProductInfo]:
    """Active products whose name starts with ``text`` (case-insensitive), by name.

    Falls back to "name contains" when nothing starts with it.
    """
    text = " ".join(text.split())
    if not text:
        return []
    active = col(Product.active).is_(True)
    if session.get_bind().dialect.name == "sqlite":
        ranges = [
            (col(Product.name) >= v) & (col(Product.name) < v + _HIGH) for v in _case_variants(text)
        ]
        prefix = or_(*ranges)
    else:
        prefix = func.lower(Product.name).like(_like_escape(text.lower()) + "%", escape="\\")
    rows = session.exec(
        select(Product).where(prefix, active).order_by(col(Product.name)).limit(limit)
    ).all()
    if not rows:
        pattern = "%" + _like_escape(text.lower()) + "%"
        rows = session.exec(
            select(Product)
            .where(func.lower(Product.name).like(pattern, escape="\\"), active)
            .order_by(col(Product.name))
            .limit(limit)
        ).all()
    return [_info(r) for r in rows]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
