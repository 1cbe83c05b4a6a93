"""The sale's hot statements, compiled once: reads and writes of a sale, its lines,
its products and its buyer that a scan runs (Core, not the ORM, for speed).

Kept apart so the basket, the lifecycle and the listings share one copy of each
statement, and so that reading them does not mean reading the use cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, case, func, or_, select, update

from tillterm.sales.views import (
    COMPLETED,
    OPEN,
)
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    LoyaltyEntry,
    OpeningSpend,
    Payment,
    Product,
    Sale,
    SaleLine,
    TaxRate,
    table_of,
)

# --------------------------------------------------------------------------- Core reads
#
# The register's hot path (a scan, a quantity, attaching a customer) reads and writes
# with SQLAlchemy Core statements built once here: no identity map, no unit of work,
# and each statement's compiled form is cached by SQLAlchemy. A scan is about ten small
# statements in one transaction (the ORM version was fourteen and ~10 ms; this is ~1 ms).
# The less frequent steps (payments, completion, refunds) keep the ORM; ORM reads of a
# sale, its lines or payments always ``populate_existing`` so they never see a copy made
# stale by a Core write earlier in the same session.

_SALE_T = table_of(Sale)
_LINE_T = table_of(SaleLine)
_PAY_T = table_of(Payment)
_PRODUCT_T = table_of(Product)
_CUSTOMER_T = table_of(Customer)
_GROUP_T = table_of(CustomerGroup)
_TAX_T = table_of(TaxRate)
_LOYALTY_T = table_of(LoyaltyEntry)
_ACCOUNT_T = table_of(AccountEntry)
_OPENING_SPEND_T = table_of(OpeningSpend)
#: the tax rate an item is sold at: the product's own, else the store default
_ITEM_TAX = _TAX_T.alias("item_tax")
_ITEM_TAX_JOIN = _ITEM_TAX.c.id == func.coalesce(
    _PRODUCT_T.c.tax_rate_id, bindparam("default_tax", type_=Integer)
)

_SALE_BY_ID = select(_SALE_T).where(_SALE_T.c.id == bindparam("sale_id"))
_SALE_OF_REGISTER = (
    select(_SALE_T)
    .where(_SALE_T.c.register_name == bindparam("register"), _SALE_T.c.state == OPEN)
    .order_by(_SALE_T.c.id.desc())
    .limit(1)
)
_LINES_OF_SALE = (
    select(*_LINE_T.c, _ITEM_TAX.c.rate.label("item_rate"))
    .select_from(
        _LINE_T.outerjoin(_PRODUCT_T, _PRODUCT_T.c.id == _LINE_T.c.product_id).outerjoin(
            _ITEM_TAX, _ITEM_TAX_JOIN
        )
    )
    .where(_LINE_T.c.sale_id == bindparam("sale_id"))
    .order_by(_LINE_T.c.position)
)
_PAYMENTS_OF_SALE = (
    select(_PAY_T).where(_PAY_T.c.sale_id == bindparam("sale_id")).order_by(_PAY_T.c.id)
)
_PRODUCT_COLUMNS = (
    _PRODUCT_T.c.id,
    _PRODUCT_T.c.name,
    _PRODUCT_T.c.price_cents,
    _PRODUCT_T.c.active,
    _ITEM_TAX.c.rate,
)
_PRODUCT_FROM = _PRODUCT_T.outerjoin(_ITEM_TAX, _ITEM_TAX_JOIN)
#: barcode, else SKU as typed, else SKU in upper case: three unique-index probes
_PRODUCT_BY_CODE = (
    select(*_PRODUCT_COLUMNS)
    .select_from(_PRODUCT_FROM)
    .where(
        or_(
            _PRODUCT_T.c.barcode == bindparam("code"),
            _PRODUCT_T.c.sku == bindparam("code"),
            _PRODUCT_T.c.sku == bindparam("upper"),
        ),
        _PRODUCT_T.c.active.is_(True),
    )
    .order_by(
        case(
            (_PRODUCT_T.c.barcode == bindparam("code"), 0),
            (_PRODUCT_T.c.sku == bindparam("code"), 1),
            else_=2,
        )
    )
    .limit(1)
)
_PRODUCT_BY_ID = (
    select(*_PRODUCT_COLUMNS)
    .select_from(_PRODUCT_FROM)
    .where(_PRODUCT_T.c.id == bindparam("product_id"))
)


def _buyer_statement(where: Any) -> Any:
    """A customer as the register needs them — pricing, panel and balances — in one read."""
    c, g, t = _CUSTOMER_T, _GROUP_T, _TAX_T
    loyalty = (
        select(func.coalesce(func.sum(_LOYALTY_T.c.points), 0))
        .where(_LOYALTY_T.c.customer_id == c.c.id)
        .scalar_subquery()
    )
    account = (
        select(func.coalesce(func.sum(_ACCOUNT_T.c.amount_cents), 0))
        .where(_ACCOUNT_T.c.customer_id == c.c.id)
        .scalar_subquery()
    )
    year_start = bindparam("year_start", type_=_SALE_T.c.completed_at.type)
    ytd = (
        select(func.coalesce(func.sum(_SALE_T.c.total_cents), 0))
        .where(
            _SALE_T.c.customer_id == c.c.id,
            _SALE_T.c.state == COMPLETED,
            _SALE_T.c.completed_at >= year_start,
        )
        .scalar_subquery()
    )
    # the old system's year-to-date figure (an opening import) counts in its own year
    opening_spend = (
        select(func.coalesce(func.sum(_OPENING_SPEND_T.c.amount_cents), 0))
        .where(
            _OPENING_SPEND_T.c.customer_id == c.c.id,
            _OPENING_SPEND_T.c.as_of >= year_start,
        )
        .scalar_subquery()
    )
    return (
        select(
            c.c.id,
            c.c.customer_code,
            c.c.first_name,
            c.c.last_name,
            c.c.company,
            c.c.email,
            c.c.discount_percent,
            c.c.loyalty_enabled,
            c.c.on_account_allowed,
            c.c.balance_limit_cents,
            c.c.archived_at,
            c.c.tax_exempt,
            # the start of the notes only: the panel shows a few lines, a scan reads no more
            func.substr(c.c.notes, 1, 400).label("notes"),
            g.c.name.label("group_name"),
            g.c.discount_percent.label("group_discount"),
            t.c.id.label("tax_id"),
            t.c.name.label("tax_name"),
            t.c.rate.label("tax_rate"),
            loyalty.label("loyalty"),
            account.label("account"),
            (ytd + opening_spend).label("ytd"),
        )
        .select_from(
            c.outerjoin(g, g.c.id == c.c.group_id).outerjoin(
                t, t.c.id == func.coalesce(c.c.tax_rate_id, g.c.tax_rate_id)
            )
        )
        .where(where)
    )


_BUYER_BY_ID = _buyer_statement(_CUSTOMER_T.c.id == bindparam("customer_id"))
_BUYER_BY_KEY = _buyer_statement(_CUSTOMER_T.c.code_key == bindparam("key"))
_EARNED = select(func.coalesce(func.sum(_LOYALTY_T.c.points), 0)).where(
    _LOYALTY_T.c.sale_id == bindparam("sale_id"), _LOYALTY_T.c.points > 0
)
_MOVED = select(func.coalesce(func.sum(_LOYALTY_T.c.points), 0)).where(
    _LOYALTY_T.c.sale_id == bindparam("sale_id")
)
_UPDATE_LINE = (
    update(_LINE_T)
    .where(_LINE_T.c.id == bindparam("b_id"))
    .values(
        quantity=bindparam("b_quantity"),
        unit_price_cents=bindparam("b_unit_price"),
        list_price_cents=bindparam("b_list_price"),
        price_reason=bindparam("b_price_reason"),
        line_discount_percent=bindparam("b_line_discount"),
        discount_cents=bindparam("b_discount"),
        tax_rate=bindparam("b_rate"),
        tax_cents=bindparam("b_tax"),
        total_cents=bindparam("b_total"),
    )
)
