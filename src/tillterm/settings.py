"""The store's settings, read from and written to the database.

Settings live in the database (not a config file) so every register of a store sees the
same name, currency, tax and loyalty rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from tillterm.models import StoreSettings, TaxRate


@dataclass(frozen=True)
class TaxInfo:
    id: int
    name: str
    rate: Decimal


@dataclass(frozen=True)
class StoreInfo:
    """Plain settings for screens and pricing (no ORM row escapes the domain)."""

    name: str
    currency: str
    default_tax: TaxInfo | None
    prices_include_tax: bool
    loyalty_points_per_unit: Decimal
    loyalty_point_value_cents: int
    receipt_footer: str


def _row(session: Session) -> StoreSettings:
    row = session.get(StoreSettings, 1)
    if row is None:
        row = StoreSettings(id=1)
        session.add(row)
        session.flush()
    return row


def tax_info(session: Session, tax_rate_id: int | None) -> TaxInfo | None:
    if tax_rate_id is None:
        return None
    tax = session.get(TaxRate, tax_rate_id)
    return None if tax is None else TaxInfo(tax.id or 0, tax.name, tax.rate)


def load_settings(session: Session) -> StoreInfo:
    row = _row(session)
    return StoreInfo(
        name=row.name,
        currency=row.currency,
        default_tax=tax_info(session, row.default_tax_rate_id),
        prices_include_tax=row.prices_include_tax,
        loyalty_points_per_unit=row.loyalty_points_per_unit or Decimal(0),
        loyalty_point_value_cents=row.loyalty_point_value_cents,
        receipt_footer=row.receipt_footer,
    )


_EDITABLE = {
    "name",
    "currency",
    "default_tax_rate_id",
    "prices_include_tax",
    "loyalty_points_per_unit",
    "loyalty_point_value_cents",
    "receipt_footer",
}


def update_settings(session: Session, **changes: object) -> StoreInfo:
    """Change some settings; unknown names are a programming error."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise TypeError(f"unknown store settings: {sorted(unknown)}")
    row = _row(session)
    for key, value in changes.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return load_settings(session)


def list_tax_rates(session: Session) -> list[TaxInfo]:
    from sqlmodel import select

    return [
        TaxInfo(t.id or 0, t.name, t.rate)
        for t in session.exec(select(TaxRate).order_by(TaxRate.name)).all()
    ]


def ensure_tax_rate(session: Session, name: str, rate: Decimal) -> TaxInfo:
    """Find a tax rate by name (case-insensitive) or create it."""
    from sqlmodel import select

    key = name.strip().casefold()
    tax = session.exec(select(TaxRate).where(TaxRate.name_key == key)).first()
    if tax is None:
        tax = TaxRate(name=name.strip(), name_key=key, rate=rate)
        session.add(tax)
        session.flush()
    return TaxInfo(tax.id or 0, tax.name, tax.rate)
