"""Tax rates as the back office keeps them: create, edit, retire, delete.

A completed sale copies the percentage of each line's tax into ``sale_line.tax_rate``
(it keeps no link to the rate's row), and the tax per rate of a report or a Z report is
grouped by that percentage. A rate whose percentage some completed sale carries was
"used": changing its percentage would make the next sales at "Standard" disagree with
the past ones under the same name, so it is refused; the store creates a new rate and
retires this one (``retired_at``), which keeps every product, group and customer that
points at it working until they are moved, and is no longer offered in any picker.
That test is by percentage, not by row: two rates at the same percentage are both
"used" once either has sold, which only ever refuses more, never less.

A rate nothing points at and no sale carries is a typing mistake: it may be edited
freely or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, exists, func, select, update
from sqlmodel import Session, col

from tillterm.core.errors import NotFound, TilltermError, ValidationFailed
from tillterm.core.money import parse_percent
from tillterm.core.typed_text import text_problem
from tillterm.i18n import _, ngettext
from tillterm.i18n.formats import decimal_text
from tillterm.store.models import (
    Customer,
    CustomerGroup,
    Product,
    Sale,
    SaleLine,
    StoreSettings,
    TaxRate,
    table_of,
    utcnow,
)

MAX_NAME = 80
_LABELS = {"name": _("Name"), "rate": _("Rate %")}


class RateKept(TilltermError):
    """A rate cannot be retired or deleted; the message says what to do instead."""


@dataclass(frozen=True)
class TaxRateRecord:
    """A rate as the Tax rates screen lists it, with what points at it."""

    id: int
    name: str
    rate: Decimal
    #: counted up to ``PRODUCTS_SHOWN + 1`` (more is shown as "1,000+ products")
    products: int
    groups: int
    #: some completed sale carries this percentage: the rate is never rewritten
    sold: bool
    retired: bool
    is_default: bool

    @property
    def referenced(self) -> bool:
        """Something still points at the row (deleting it would take their tax away)."""
        return bool(self.products or self.groups or self.is_default)

    @property
    def in_use(self) -> bool:
        return self.sold or self.referenced


def parse_rate(typed: object) -> Decimal:
    """A rate as typed ("20", "5,5", "7.25 %"): 0–100 %, at most 3 decimals.

    ``ValueError`` in a store owner's words; blank is an error too (0 is typed as 0).
    """
    try:
        rate = parse_percent(typed)
    except ValueError as exc:
        message = str(exc)
        if message == _("a discount is between 0 and 100 %"):  # the core's words, any language
            message = _("a tax rate is between 0 and 100 %")
        raise ValueError(message) from None
    if rate is None:
        raise ValueError(_("type the rate in %, e.g. 20 or 5.5 (0 for no tax)"))
    return rate


def rate_text(rate: Decimal) -> str:
    """A percentage as the owner reads and types it: ``5.5`` (``5,5`` in French), ``20``."""
    exponent = rate.normalize().as_tuple().exponent
    return decimal_text(rate, max(-exponent, 0) if isinstance(exponent, int) else 0)


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


_LINE = table_of(SaleLine)
_SALE = table_of(Sale)
_PRODUCT = table_of(Product)
#: a completed sale (or refund) has a line at this percentage (Core, compiled once: the
#: ORM's per-statement overhead was most of the cost)
_SOLD = select(
    exists().where(
        _LINE.c.tax_rate == bindparam("rate", type_=_LINE.c.tax_rate.type),
        _LINE.c.sale_id == _SALE.c.id,
        _SALE.c.state == "completed",
    )
)
#: products counted up to this many per rate: past it the list says "1,000+ products"
PRODUCTS_SHOWN = 1000
_PRODUCTS = select(func.count()).select_from(
    select(_PRODUCT.c.id)
    .where(_PRODUCT.c.tax_rate_id == bindparam("rate_id"))
    .limit(PRODUCTS_SHOWN + 1)
    .subquery()
)


def _sold(session: Session, rate: Decimal) -> bool:
    """Whether a completed sale (or refund) has a line at this percentage."""
    return bool(session.connection().execute(_SOLD, {"rate": rate}).scalar())


def list_rates(session: Session) -> list[TaxRateRecord]:
    """Every rate by name, retired ones included, with what points at it.

    Products are counted per rate up to :data:`PRODUCTS_SHOWN` on their ``tax_rate_id``
    index (counting 100,000 products exactly cost 30 ms of a 50 ms budget; "1,000+" says
    as much to someone deciding whether to retire a rate), groups in one ``GROUP BY``;
    "sold" is one ``EXISTS`` per distinct percentage on the sale lines' ``tax_rate``
    index. Customers with a rate of their own are not counted here: without an index on
    the customer table (every import and every new customer would pay for it) that read
    a million rows at each opening; deleting asks them instead.
    """
    rows = session.execute(select(TaxRate).order_by(col(TaxRate.name_key))).scalars()
    rates = list(rows)
    conn = session.connection()
    products = {
        row.id: int(conn.execute(_PRODUCTS, {"rate_id": row.id}).scalar_one()) for row in rates
    }
    group_column = col(CustomerGroup.tax_rate_id)
    groups = {
        int(rate_id): int(count)
        for rate_id, count in session.execute(
            select(group_column, func.count())
            .where(group_column.is_not(None))
            .group_by(group_column)
        )
    }
    default = session.execute(
        select(col(StoreSettings.default_tax_rate_id)).where(col(StoreSettings.id) == 1)
    ).scalar()
    sold: dict[Decimal, bool] = {}
    for row in rates:
        if row.rate not in sold:
            sold[row.rate] = _sold(session, row.rate)
    return [
        TaxRateRecord(
            id=row.id or 0,
            name=row.name,
            rate=row.rate,
            products=products[row.id],
            groups=groups.get(row.id or 0, 0),
            sold=sold[row.rate],
            retired=row.retired_at is not None,
            is_default=default is not None and default == row.id,
        )
        for row in rates
    ]


def get_rate(session: Session, rate_id: int) -> TaxRateRecord:
    for record in list_rates(session):
        if record.id == rate_id:
            return record
    raise NotFound(_("This tax rate no longer exists."))


def _check(
    session: Session, name: str, typed_rate: object, rate_id: int | None
) -> tuple[str, Decimal | None, dict[str, str]]:
    errors: dict[str, str] = {}
    name = " ".join(str(name).split())
    problem = text_problem(name, MAX_NAME) if name else _("give the rate a name")
    if problem:
        errors["name"] = problem
    else:
        clash = session.execute(
            select(col(TaxRate.id)).where(col(TaxRate.name_key) == name_key(name))
        ).scalar()
        if clash is not None and clash != rate_id:
            errors["name"] = _("there is already a tax rate named “{name}”").format(name=name)
    rate: Decimal | None = None
    try:
        rate = parse_rate(typed_rate)
    except ValueError as exc:
        errors["rate"] = str(exc)
    return name, rate, errors


def create_rate(session: Session, name: str, rate: object) -> TaxRateRecord:
    """A new rate; ``ValidationFailed`` names every problem (blank, duplicate, not 0–100).

    A store without a default tax takes the new rate as its default: a product
    without a rate of its own is sold under the default, and a new store's first
    products, entered before anyone opened the store's settings, were sold without
    any tax at all.
    """
    clean_name, clean_rate, errors = _check(session, name, rate, None)
    if errors or clean_rate is None:
        raise ValidationFailed(errors, _LABELS)
    row = TaxRate(name=clean_name, name_key=name_key(clean_name), rate=clean_rate)
    session.add(row)
    session.flush()
    session.execute(
        update(StoreSettings)
        .where(col(StoreSettings.id) == 1, col(StoreSettings.default_tax_rate_id).is_(None))
        .values(default_tax_rate_id=row.id)
    )
    return get_rate(session, row.id or 0)


def update_rate(session: Session, rate_id: int, name: str, rate: object) -> TaxRateRecord:
    """Rename a rate, or change its percentage if no completed sale carries the old one."""
    row = session.get(TaxRate, rate_id)
    if row is None:
        raise NotFound(_("This tax rate no longer exists."))
    clean_name, clean_rate, errors = _check(session, name, rate, rate_id)
    if clean_rate is not None and clean_rate != row.rate and _sold(session, row.rate):
        errors["rate"] = _(
            "{rate} % was charged on past sales and is never rewritten: "
            "create a new rate and retire this one"
        ).format(rate=rate_text(row.rate))
    if clean_rate is not None and clean_rate != row.rate and row.retired_at is not None:
        errors["rate"] = _("a retired rate is kept as it was: create a new rate")
    if errors or clean_rate is None:
        raise ValidationFailed(errors, _LABELS)
    row.name = clean_name
    row.name_key = name_key(clean_name)
    row.rate = clean_rate
    session.add(row)
    session.flush()
    return get_rate(session, rate_id)


def retire_rate(session: Session, rate_id: int) -> TaxRateRecord:
    """Offer the rate no more; what points at it keeps it until moved, sales keep theirs.

    The store's default tax cannot be retired: every product without a rate of its own
    would be sold under it, so the owner picks another default first.
    """
    record = get_rate(session, rate_id)
    if record.is_default:
        raise RateKept(
            _("{name} is the store's default tax: choose another in Store first.").format(
                name=record.name
            )
        )
    if not record.retired:
        session.execute(
            update(TaxRate).where(col(TaxRate.id) == rate_id).values(retired_at=utcnow())
        )
    return get_rate(session, rate_id)


def restore_rate(session: Session, rate_id: int) -> TaxRateRecord:
    """Offer a retired rate again (retired by mistake)."""
    get_rate(session, rate_id)
    session.execute(update(TaxRate).where(col(TaxRate.id) == rate_id).values(retired_at=None))
    return get_rate(session, rate_id)


def delete_rate(session: Session, rate_id: int) -> None:
    """Delete a rate nothing uses; one that is used is refused with what to do instead."""
    record = get_rate(session, rate_id)
    if record.sold:
        raise RateKept(
            _("{name} was charged on past sales: retire it instead of deleting it.").format(
                name=record.name
            )
        )
    if record.referenced:
        raise RateKept(
            _("{name} is in use ({use}): retire it instead.").format(
                name=record.name, use=describe_use(record)
            )
        )
    customers = session.execute(
        select(func.count()).where(col(Customer.tax_rate_id) == rate_id)
    ).scalar_one()
    if customers:
        raise RateKept(
            ngettext(
                "{name} is the tax of {count:,} customer: retire it instead.",
                "{name} is the tax of {count:,} customers: retire it instead.",
                customers,
            ).format(name=record.name, count=customers)
        )
    row = session.get(TaxRate, rate_id)
    session.delete(row)
    session.flush()


def describe_use(record: TaxRateRecord) -> str:
    """ "3 products, 1 group, store default" — what the list and the refusals say."""

    parts = []
    if record.products > PRODUCTS_SHOWN:
        parts.append(_("{count:,}+ products").format(count=PRODUCTS_SHOWN))
    elif record.products:
        parts.append(
            ngettext("{count:,} product", "{count:,} products", record.products).format(
                count=record.products
            )
        )
    if record.groups:
        parts.append(
            ngettext("{count:,} group", "{count:,} groups", record.groups).format(
                count=record.groups
            )
        )
    if record.is_default:
        parts.append(_("store default"))
    if record.sold:
        parts.append(_("sold"))
    return ", ".join(parts) or _("unused")
