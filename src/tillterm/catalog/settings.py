"""The store's settings, read from and written to the database.

Settings live in the database (not a config file) so every register of a store sees the
same name, currency, tax and loyalty rates.

Every change at the register prices with the settings as they are *now* (another
register or the back office may have just changed the tax mode), so they are read on
each change, not cached: one Core statement (the row joined with its default tax rate)
costs ~0.05 ms, which is all a cache could save. The ORM read it replaced cost ~1 ms
(two identity-map loads per scan). A per-engine cache with a version check would need
the same round trip to check the version; a TTL cache would price with stale tax rates
for the TTL after a change; neither is worth it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select as core_select
from sqlalchemy.sql import ColumnElement, Executable
from sqlmodel import Session

from tillterm.i18n import _
from tillterm.store.models import StoreSettings, TaxRate, table_of


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
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    phone: str = ""
    company_reg_no: str = ""
    vat_number: str = ""

    def legal_lines(self) -> list[str]:
        """The seller's identity as printed at the top of a receipt or report."""
        place = " ".join(part for part in (self.postal_code, self.city) if part)
        lines = [self.name, self.address_line1, self.address_line2, place, self.country]
        if self.phone:
            lines.append(_("Tel. {phone}").format(phone=self.phone))
        if self.company_reg_no:
            lines.append(_("Reg. no. {number}").format(number=self.company_reg_no))
        if self.vat_number:
            lines.append(_("VAT no. {number}").format(number=self.vat_number))
        return [line for line in lines if line]


#: the seller's details, in the order the settings row and ``StoreInfo`` hold them
LEGAL_FIELDS = (
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "phone",
    "company_reg_no",
    "vat_number",
)


def _create_row(session: Session) -> None:
    """Create the settings row with its defaults, unless someone else just did.

    A brand-new database has none; the app's settings reader and the register's first
    change both get here at start-up, in two threads (or two registers at once), and a
    plain INSERT made one of them fail on the primary key.
    """
    defaults = StoreSettings(id=1).model_dump()
    statement: Executable
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(_S).values(**defaults).on_conflict_do_nothing(index_elements=["id"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = (
            sqlite_insert(_S).values(**defaults).on_conflict_do_nothing(index_elements=["id"])
        )
    session.execute(statement)


def _row(session: Session) -> StoreSettings:
    row = session.get(StoreSettings, 1)
    if row is None:
        _create_row(session)
        row = session.get(StoreSettings, 1)
        assert row is not None
    return row


def tax_info(session: Session, tax_rate_id: int | None) -> TaxInfo | None:
    if tax_rate_id is None:
        return None
    tax = session.get(TaxRate, tax_rate_id)
    return None if tax is None else TaxInfo(tax.id or 0, tax.name, tax.rate)


_S = table_of(StoreSettings)
_T = table_of(TaxRate)
#: the settings row with its default tax rate, in one statement (compiled once, cached)
_READ = (
    core_select(
        _S.c.name,
        _S.c.currency,
        _S.c.prices_include_tax,
        _S.c.loyalty_points_per_unit,
        _S.c.loyalty_point_value_cents,
        _S.c.receipt_footer,
        *(_S.c[name] for name in LEGAL_FIELDS),
        _T.c.id,
        _T.c.name,
        _T.c.rate,
    )
    .select_from(_S.outerjoin(_T, _T.c.id == _S.c.default_tax_rate_id))
    .where(_S.c.id == 1)
)


def load_settings(session: Session) -> StoreInfo:
    """The store's settings as stored now (Core: no identity map, so never stale)."""
    row = session.execute(_READ).first()
    if row is None:  # a brand-new database: create the row with its defaults
        _create_row(session)
        row = session.execute(_READ).first()
        assert row is not None
    name, currency, inclusive, per_unit, point_value, footer = row[:6]
    legal = dict(zip(LEGAL_FIELDS, row[6 : 6 + len(LEGAL_FIELDS)], strict=True))
    tax_id, tax_name, rate = row[6 + len(LEGAL_FIELDS) :]
    return StoreInfo(
        name=name,
        currency=currency,
        default_tax=None if tax_id is None else TaxInfo(tax_id, tax_name, rate),
        prices_include_tax=bool(inclusive),
        loyalty_points_per_unit=per_unit or Decimal(0),
        loyalty_point_value_cents=point_value,
        receipt_footer=footer,
        **legal,
    )


_EDITABLE = {
    "name",
    "currency",
    "default_tax_rate_id",
    "prices_include_tax",
    "loyalty_points_per_unit",
    "loyalty_point_value_cents",
    "receipt_footer",
    *LEGAL_FIELDS,
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


def list_tax_rates(session: Session, *, keep: int | None = None) -> list[TaxInfo]:
    """The rates a picker offers (store default, product, group, customer), by name.

    Retired rates are left out: they are kept only for what already points at them.
    ``keep`` is the rate the record being edited already has: offered even retired
    (marked so), or opening and saving the form would quietly take it away.
    """
    from sqlmodel import col, or_, select

    offered: ColumnElement[bool] = col(TaxRate.retired_at).is_(None)
    if keep is not None:
        offered = or_(offered, col(TaxRate.id) == keep)
    rows = session.exec(select(TaxRate).where(offered).order_by(col(TaxRate.name))).all()
    return [
        TaxInfo(
            t.id or 0,
            _("{name} (retired)").format(name=t.name) if t.retired_at else t.name,
            t.rate,
        )
        for t in rows
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
