"""Sales: lines, customer, payments and the life of a sale on a named register.

Every function here is one small transaction (the caller wraps it in
``session_scope``), so each scan, quantity change or payment is on disk the moment the
screen shows it: a crash, a power cut or a dropped SSH session loses nothing, and the
next start finds the register's open sale with :func:`find_open_sale`.

States: ``open`` (being rung up), ``parked`` (put aside, resumable on any register),
``completed`` and ``voided`` (final). A register has at most one open sale: a partial
unique index (``uq_sale_open_register``) says so, and two scans that both find no sale
open both insert with ``ON CONFLICT DO NOTHING`` and then read the one that won
(:func:`_register_sale`), so they land on the same sale. A refund is a sale of its own
(``kind="refund"``) pointing at the original, so completed sales are never rewritten.

Receipt numbers (``R0000001``...) are the store's, one sequence for every register:
taken from ``receipt_counter`` in the completing transaction, after every check, so a
number belongs to a committed sale or to none (gap-free, never reused). Completion also
keeps what the sale was sold under (customer name and code, group name) and the receipt
text as printed; the file is written after the commit and ``receipt_filed_at`` records
it, so a crash in between is repaired at the next start (:func:`receipts_to_file`).

Balances are sums of ledger rows (:class:`~tillterm.store.models.LoyaltyEntry`,
:class:`~tillterm.store.models.AccountEntry`), written only when a sale completes. The checks
that guard them (balance limit, points available, refund once) run after taking a write
lock — the customer's row on PostgreSQL, the database's write lock on SQLite — so two
registers selling to one customer at once queue instead of both spending the same
points or the same credit.

Screens get frozen dataclasses (:class:`SaleView`...), never ORM rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, case, delete, func, insert, or_, text, update
from sqlmodel import Session, col, select

from tillterm.catalog.products import search_products
from tillterm.catalog.settings import StoreInfo, load_settings
from tillterm.core.errors import NotFound
from tillterm.core.folding import normalise_code
from tillterm.core.money import format_money, from_cents, to_cents
from tillterm.core.pricing import (
    LineInput,
    effective_discount,
    loyalty_points_earned,
    points_for_amount,
    price_line,
)
from tillterm.sales.receipts import render_receipt
from tillterm.sales.views import (
    ACCOUNT,
    CARD,
    CASH,
    COMPLETED,
    LOYALTY,
    MAX_QUANTITY,
    METHOD_LABELS,
    METHODS,
    OPEN,
    PARKED,
    REFUND,
    SALE,
    VOIDED,
    CompletedSale,
    LineView,
    ParkedSale,
    PaymentRefused,
    PaymentView,
    SaleCustomer,
    SaleError,
    SaleView,
    ScanOutcome,
)
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    LoyaltyEntry,
    Payment,
    Product,
    ReceiptCounter,
    Sale,
    SaleLine,
    TaxRate,
    utcnow,
)

# --------------------------------------------------------------------------- helpers


def code_key(code: str) -> str:
    """A customer code as compared (the customer core's rule, one indexed probe)."""
    return normalise_code(code)


def customer_label(row: Any) -> str:
    """How a customer is named on the register and the receipt (ORM row or Core row)."""
    name = f"{row.first_name} {row.last_name}".strip()
    return name or row.company or row.email or row.customer_code


def _sale_row(session: Session, sale_id: int) -> Sale:
    """The sale as an ORM row, read afresh (Core statements may have changed it)."""
    sale = session.get(Sale, sale_id, populate_existing=True)
    if sale is None:
        raise NotFound(f"Sale {sale_id} no longer exists.")
    return sale


def _lines(session: Session, sale_id: int) -> list[SaleLine]:
    return list(
        session.exec(
            select(SaleLine)
            .where(SaleLine.sale_id == sale_id)
            .order_by(col(SaleLine.position))
            .execution_options(populate_existing=True)
        ).all()
    )


def _payments(session: Session, sale_id: int) -> list[Payment]:
    return list(
        session.exec(
            select(Payment)
            .where(Payment.sale_id == sale_id)
            .order_by(col(Payment.id))
            .execution_options(populate_existing=True)
        ).all()
    )


def loyalty_balance(session: Session, customer_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.customer_id == customer_id
        )
    ).one()
    return int(total)


def account_balance_cents(session: Session, customer_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
            AccountEntry.customer_id == customer_id
        )
    ).one()
    return int(total)


def _year_start(now: dt.datetime | None = None) -> dt.datetime:
    """1 January, 00:00 local time, in UTC: where year-to-date spend starts."""
    local_now = (now or utcnow()).astimezone()
    start = local_now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(dt.UTC)


def year_to_date_cents(session: Session, customer_id: int, now: dt.datetime | None = None) -> int:
    """Completed sales (refunds count negative) since 1 January, local time."""
    total = session.exec(
        select(func.coalesce(func.sum(Sale.total_cents), 0)).where(
            Sale.customer_id == customer_id,
            col(Sale.completed_at) >= _year_start(now),
            Sale.state == COMPLETED,
        )
    ).one()
    return int(total)


# --------------------------------------------------------------------------- Core reads
#
# The register's hot path (a scan, a quantity, attaching a customer) reads and writes
# with SQLAlchemy Core statements built once here: no identity map, no unit of work,
# and each statement's compiled form is cached by SQLAlchemy. A scan is about ten small
# statements in one transaction (the ORM version was fourteen and ~10 ms; this is ~1 ms).
# The less frequent steps (payments, completion, refunds) keep the ORM; ORM reads of a
# sale, its lines or payments always ``populate_existing`` so they never see a copy made
# stale by a Core write earlier in the same session.

_SALE_T = Sale.__table__  # type: ignore[attr-defined]
_LINE_T = SaleLine.__table__  # type: ignore[attr-defined]
_PAY_T = Payment.__table__  # type: ignore[attr-defined]
_PRODUCT_T = Product.__table__  # type: ignore[attr-defined]
_CUSTOMER_T = Customer.__table__  # type: ignore[attr-defined]
_GROUP_T = CustomerGroup.__table__  # type: ignore[attr-defined]
_TAX_T = TaxRate.__table__  # type: ignore[attr-defined]
_LOYALTY_T = LoyaltyEntry.__table__  # type: ignore[attr-defined]
_ACCOUNT_T = AccountEntry.__table__  # type: ignore[attr-defined]
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
    ytd = (
        select(func.coalesce(func.sum(_SALE_T.c.total_cents), 0))
        .where(
            _SALE_T.c.customer_id == c.c.id,
            _SALE_T.c.state == COMPLETED,
            _SALE_T.c.completed_at >= bindparam("year_start", type_=_SALE_T.c.completed_at.type),
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
            g.c.name.label("group_name"),
            g.c.discount_percent.label("group_discount"),
            t.c.id.label("tax_id"),
            t.c.name.label("tax_name"),
            t.c.rate.label("tax_rate"),
            loyalty.label("loyalty"),
            account.label("account"),
            ytd.label("ytd"),
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
        line_discount_percent=bindparam("b_line_discount"),
        discount_cents=bindparam("b_discount"),
        tax_rate=bindparam("b_rate"),
        tax_cents=bindparam("b_tax"),
        total_cents=bindparam("b_total"),
    )
)


@dataclass(frozen=True)
class _Buyer:
    """The attached customer: what pricing needs, and the panel the register shows."""

    discount: Decimal | None
    #: the customer's (or their group's) sales tax rate, overriding the items' own
    tax_rate: Decimal | None
    archived: bool
    panel: SaleCustomer


def _buyer(row: Any) -> _Buyer:
    discount = effective_discount(row.discount_percent, row.group_discount)
    limit = row.balance_limit_cents
    panel = SaleCustomer(
        id=row.id,
        customer_code=row.customer_code,
        display_name=customer_label(row),
        group_name=row.group_name,
        discount_percent=discount,
        discount_from_group=row.discount_percent is None and discount is not None,
        tax_name=row.tax_name,
        loyalty_enabled=bool(row.loyalty_enabled),
        loyalty_balance=int(row.loyalty),
        account_balance=from_cents(int(row.account)),
        on_account_allowed=bool(row.on_account_allowed),
        balance_limit=None if limit is None else from_cents(limit),
        year_to_date_spend=from_cents(int(row.ytd)),
        archived=row.archived_at is not None,
    )
    rate = None if row.tax_id is None else (row.tax_rate or Decimal(0))
    return _Buyer(discount, rate, row.archived_at is not None, panel)


def _read_buyer(session: Session, customer_id: int | None) -> _Buyer | None:
    if customer_id is None:
        return None
    row = session.execute(
        _BUYER_BY_ID, {"customer_id": customer_id, "year_start": _year_start()}
    ).first()
    return None if row is None else _buyer(row)


def _buyer_by_code(session: Session, code: str) -> _Buyer | None:
    key = code_key(code)
    if not key:
        return None
    row = session.execute(_BUYER_BY_KEY, {"key": key, "year_start": _year_start()}).first()
    return None if row is None else _buyer(row)


@dataclass
class _Line:
    """One line of an open sale while a change is worked out (``id`` ``None``: new)."""

    id: int | None
    position: int
    product_id: int | None
    description: str
    quantity: int
    unit_price_cents: int
    line_discount_percent: Decimal | None
    discount_cents: int
    tax_rate: Decimal | None
    tax_cents: int
    total_cents: int
    #: the rate the item itself is taxed at (product's, else the store default)
    item_rate: Decimal
    dirty: bool = False


def _read_lines(session: Session, sale_id: int, settings: StoreInfo) -> list[_Line]:
    default_tax = settings.default_tax.id if settings.default_tax else None
    rows = session.execute(_LINES_OF_SALE, {"sale_id": sale_id, "default_tax": default_tax})
    return [
        _Line(
            r.id,
            r.position,
            r.product_id,
            r.description,
            r.quantity,
            r.unit_price_cents,
            r.line_discount_percent,
            r.discount_cents,
            r.tax_rate,
            r.tax_cents,
            r.total_cents,
            r.item_rate if r.item_rate is not None else Decimal(0),
        )
        for r in rows
    ]


def _read_sale(session: Session, sale_id: int) -> Any:
    row = session.execute(_SALE_BY_ID, {"sale_id": sale_id}).first()
    if row is None:
        raise NotFound(f"Sale {sale_id} no longer exists.")
    return row


def _read_open(session: Session, sale_id: int) -> Any:
    row = _read_sale(session, sale_id)
    if row.state != OPEN:
        raise SaleError(f"This sale is {row.state}; it can no longer be changed.")
    return row


def _open_sale_insert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on the one-open-sale-per-register index."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return (
        dialect_insert(_SALE_T)
        .on_conflict_do_nothing(
            index_elements=[_SALE_T.c.register_name], index_where=text("state = 'open'")
        )
        .returning(_SALE_T.c.id)
    )


def _register_sale(session: Session, register: str) -> Any:
    """The register's open sale, opened (empty) when there is none.

    Two scans at the same moment (a second session on the same register name) may both
    find none: both insert, the database keeps one (``uq_sale_open_register``), and the
    other's insert does nothing, so it reads and uses the winner's sale. Never two.
    """
    name = register[:40]
    for _attempt in range(3):
        row = session.execute(_SALE_OF_REGISTER, {"register": name}).first()
        if row is not None:
            return row
        now = utcnow()
        stmt = _open_sale_insert(session.get_bind().dialect.name)
        new_id = session.execute(
            stmt.values(register_name=name, state=OPEN, kind=SALE, created_at=now, updated_at=now)
        ).scalar()
        if new_id is not None:
            return _read_sale(session, new_id)
    raise SaleError(f"Register {name} is busy in another session; try again.")


def _line_view(line: Any) -> LineView:
    return LineView(
        id=line.id or 0,
        position=line.position,
        product_id=line.product_id,
        description=line.description,
        quantity=line.quantity,
        unit_price=from_cents(line.unit_price_cents),
        line_discount_percent=line.line_discount_percent,
        gross=from_cents(line.unit_price_cents * line.quantity),
        discount=from_cents(line.discount_cents),
        tax_rate=line.tax_rate,
        tax=from_cents(line.tax_cents),
        total=from_cents(line.total_cents),
    )


def _payment_view(p: Any) -> PaymentView:
    return PaymentView(
        id=p.id or 0,
        method=p.method,
        amount=from_cents(p.amount_cents),
        tendered=None if p.tendered_cents is None else from_cents(p.tendered_cents),
        change=from_cents(p.change_cents),
        loyalty_points=p.loyalty_points,
    )


def _build_view(
    session: Session,
    sale: Any,
    lines: Sequence[Any],
    settings: StoreInfo,
    buyer: _Buyer | None,
    totals: tuple[int, int, int, int] | None = None,
) -> SaleView:
    """A sale as the screens see it; ``totals`` when just written, else as stored."""
    sale_id = sale.id
    payments = session.execute(_PAYMENTS_OF_SALE, {"sale_id": sale_id}).all()
    if totals is None:
        totals = (sale.subtotal_cents, sale.discount_cents, sale.tax_cents, sale.total_cents)
    earned = 0
    original_no = refunded_by = None
    panel = buyer.panel if buyer is not None else None
    if sale.state == COMPLETED:
        if buyer is not None:
            stmt = _MOVED if sale.kind == REFUND else _EARNED
            earned = int(session.execute(stmt, {"sale_id": sale_id}).scalar_one())
        if panel is not None and sale.customer_name is not None:
            # as sold: the customer may have been renamed or erased since
            panel = replace(
                panel,
                display_name=sale.customer_name,
                customer_code=sale.customer_code or panel.customer_code,
            )
        if sale.kind == REFUND and sale.original_sale_id is not None:
            original_no = session.execute(
                select(_SALE_T.c.receipt_no).where(_SALE_T.c.id == sale.original_sale_id)
            ).scalar()
        else:
            refunded_by = session.execute(
                select(_SALE_T.c.receipt_no).where(
                    _SALE_T.c.original_sale_id == sale_id, _SALE_T.c.kind == REFUND
                )
            ).scalar()
    subtotal, discount, tax, total = totals
    return SaleView(
        id=sale_id,
        register_name=sale.register_name,
        state=sale.state,
        kind=sale.kind,
        original_sale_id=sale.original_sale_id,
        receipt_no=sale.receipt_no,
        customer=panel,
        lines=tuple(_line_view(line) for line in lines),
        payments=tuple(_payment_view(p) for p in payments),
        subtotal=from_cents(subtotal),
        discount=from_cents(discount),
        tax=from_cents(tax),
        total=from_cents(total),
        paid=from_cents(sum(p.amount_cents for p in payments)),
        currency=settings.currency,
        prices_include_tax=settings.prices_include_tax,
        created_at=sale.created_at,
        completed_at=sale.completed_at,
        loyalty_earned=earned,
        original_receipt_no=original_no,
        refunded_by=refunded_by,
        receipt_text=sale.receipt_text,
    )


def _view(session: Session, sale_id: int) -> SaleView:
    """Any sale (open, completed, refund...) as stored, for showing or printing."""
    sale = _read_sale(session, sale_id)
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _build_view(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def _price(
    session: Session, sale_id: int, lines: list[_Line], settings: StoreInfo, buyer: _Buyer | None
) -> tuple[int, int, int, int]:
    """Price every line from the current customer and settings; write what changed.

    New lines are inserted, lines whose quantity or amounts changed are updated in one
    ``executemany``; the others are not touched. Returns the totals (sums of lines).
    """
    discount = buyer.discount if buyer is not None else None
    override = buyer.tax_rate if buyer is not None else None
    inclusive = settings.prices_include_tax
    subtotal = disc = tax_total = total = 0
    changed: list[dict[str, Any]] = []
    for line in lines:
        rate = override if override is not None else line.item_rate
        priced = price_line(
            LineInput(line.unit_price_cents, line.quantity, line.line_discount_percent, rate),
            discount,
            inclusive,
        )
        if (
            line.discount_cents != priced.discount_cents
            or line.tax_cents != priced.tax_cents
            or line.total_cents != priced.total_cents
            or line.tax_rate != rate
        ):
            line.discount_cents, line.tax_cents = priced.discount_cents, priced.tax_cents
            line.total_cents, line.tax_rate = priced.total_cents, rate
            line.dirty = True
        if line.id is None:
            line.id = session.execute(
                insert(_LINE_T).values(
                    sale_id=sale_id,
                    position=line.position,
                    product_id=line.product_id,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    line_discount_percent=line.line_discount_percent,
                    discount_cents=line.discount_cents,
                    tax_rate=line.tax_rate,
                    tax_cents=line.tax_cents,
                    total_cents=line.total_cents,
                )
            ).inserted_primary_key[0]
        elif line.dirty:
            changed.append(
                {
                    "b_id": line.id,
                    "b_quantity": line.quantity,
                    "b_line_discount": line.line_discount_percent,
                    "b_discount": line.discount_cents,
                    "b_rate": line.tax_rate,
                    "b_tax": line.tax_cents,
                    "b_total": line.total_cents,
                }
            )
        line.dirty = False
        subtotal += priced.gross_cents
        disc += priced.discount_cents
        tax_total += priced.tax_cents
        total += priced.total_cents
    if changed:
        session.execute(_UPDATE_LINE, changed)
    return subtotal, disc, tax_total, total


_KEEP: Any = object()


def _commit_lines(
    session: Session,
    sale: Any,
    lines: list[_Line],
    settings: StoreInfo,
    buyer: _Buyer | None,
    *,
    customer_id: Any = _KEEP,
) -> SaleView:
    """Re-price, write the lines and the sale's totals, and build the view: the tail of
    every change to an open sale (``customer_id`` when it was attached or detached)."""
    totals = _price(session, sale.id, lines, settings, buyer)
    values: dict[str, Any] = dict(
        zip(("subtotal_cents", "discount_cents", "tax_cents", "total_cents"), totals, strict=True)
    )
    values["updated_at"] = utcnow()
    if customer_id is not _KEEP:
        values["customer_id"] = customer_id
    session.execute(update(_SALE_T).where(_SALE_T.c.id == sale.id).values(**values))
    return _build_view(session, sale, lines, settings, buyer, totals)


def _commit_view(session: Session, sale_id: int) -> SaleView:
    """Re-price the sale as stored and return its view."""
    sale = _read_sale(session, sale_id)
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def _reprice_totals(session: Session, sale_id: int, settings: StoreInfo) -> tuple[int, int]:
    """Re-price before money changes hands: (total, number of lines)."""
    sale = _read_sale(session, sale_id)
    lines = _read_lines(session, sale_id, settings)
    view = _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))
    return to_cents(view.total), len(lines)


# --------------------------------------------------------------------------- open sale


def find_open_sale(session: Session, register: str) -> SaleView | None:
    """The register's open sale, as left by the last run (or ``None``)."""
    row = session.execute(_SALE_OF_REGISTER, {"register": register[:40]}).first()
    return None if row is None else _view(session, row.id)


def ensure_open_sale(session: Session, register: str) -> int:
    """The register's open sale id, opening an empty sale when there is none."""
    return int(_register_sale(session, register).id)


def get_sale(session: Session, sale_id: int) -> SaleView:
    return _view(session, sale_id)


# --------------------------------------------------------------------------- lines


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise SaleError("The quantity must be at least 1 (Ctrl+D removes the line).")
    if quantity > MAX_QUANTITY:
        raise SaleError(f"The quantity cannot be more than {MAX_QUANTITY}.")


def _next_position(lines: Sequence[_Line]) -> int:
    return max((line.position for line in lines), default=0) + 1


def _add_product_line(lines: list[_Line], product: Any, quantity: int) -> None:
    """Add to the product's line at the same price (no line discount), or a new line."""
    _check_quantity(quantity)
    for line in lines:
        if (
            line.product_id == product.id
            and line.unit_price_cents == product.price_cents
            and line.line_discount_percent is None
        ):
            _check_quantity(line.quantity + quantity)
            line.quantity += quantity
            line.dirty = True
            return
    lines.append(
        _Line(
            id=None,
            position=_next_position(lines),
            product_id=product.id,
            description=product.name[:200],
            quantity=quantity,
            unit_price_cents=product.price_cents,
            line_discount_percent=None,
            discount_cents=0,
            tax_rate=None,
            tax_cents=0,
            total_cents=0,
            item_rate=product.rate if product.rate is not None else Decimal(0),
        )
    )


def _default_tax(settings: StoreInfo) -> int | None:
    return settings.default_tax.id if settings.default_tax else None


def add_product(session: Session, sale_id: int, product_id: int, quantity: int = 1) -> SaleView:
    """Add a product (a second scan of the same product adds to its line)."""
    sale = _read_open(session, sale_id)
    settings = load_settings(session)
    product = session.execute(
        _PRODUCT_BY_ID, {"product_id": product_id, "default_tax": _default_tax(settings)}
    ).first()
    if product is None or not product.active:
        raise SaleError("This product is no longer sold.")
    lines = _read_lines(session, sale_id, settings)
    _add_product_line(lines, product, quantity)
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def add_misc_item(
    session: Session, sale_id: int, price: Decimal, description: str = "", quantity: int = 1
) -> SaleView:
    """An open-price item: whatever the cashier types, at the store's default tax."""
    sale = _read_open(session, sale_id)
    _check_quantity(quantity)
    if price <= 0:
        raise SaleError("An open-price item needs a price above zero.")
    if price >= Decimal("1000000"):
        raise SaleError("That price is too large for one item.")
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    lines.append(
        _Line(
            id=None,
            position=_next_position(lines),
            product_id=None,
            description=(" ".join(description.split()) or "Misc item")[:200],
            quantity=quantity,
            unit_price_cents=to_cents(price),
            line_discount_percent=None,
            discount_cents=0,
            tax_rate=None,
            tax_cents=0,
            total_cents=0,
            item_rate=settings.default_tax.rate if settings.default_tax else Decimal(0),
        )
    )
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def _change_line(
    session: Session, sale_id: int, line_id: int, change: Callable[[_Line], None]
) -> SaleView:
    sale = _read_open(session, sale_id)
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    line = next((ln for ln in lines if ln.id == line_id), None)
    if line is None:
        raise SaleError("That line is no longer on the sale.")
    change(line)
    line.dirty = True
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def set_quantity(session: Session, sale_id: int, line_id: int, quantity: int) -> SaleView:
    _check_quantity(quantity)

    def change(line: _Line) -> None:
        line.quantity = quantity

    return _change_line(session, sale_id, line_id, change)


def change_quantity(session: Session, sale_id: int, line_id: int, delta: int) -> SaleView:
    """``+``/``-`` on a line; going below 1 is refused (removing is a separate key)."""

    def change(line: _Line) -> None:
        _check_quantity(line.quantity + delta)
        line.quantity += delta

    return _change_line(session, sale_id, line_id, change)


def set_line_discount(
    session: Session, sale_id: int, line_id: int, percent: Decimal | None
) -> SaleView:
    if percent is not None and not (Decimal(0) <= percent <= Decimal(100)):
        raise SaleError("A discount is a percentage between 0 and 100.")
    if percent is not None and percent != percent.quantize(Decimal("0.001")):
        raise SaleError("A discount has at most three decimals.")

    def change(line: _Line) -> None:
        line.line_discount_percent = percent or None

    return _change_line(session, sale_id, line_id, change)


def remove_line(session: Session, sale_id: int, line_id: int) -> SaleView:
    sale = _read_open(session, sale_id)
    deleted = session.execute(
        delete(_LINE_T).where(_LINE_T.c.id == line_id, _LINE_T.c.sale_id == sale_id)
    )
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise SaleError("That line is no longer on the sale.")
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


# --------------------------------------------------------------------------- customer


def _attach(session: Session, sale: Any, buyer: _Buyer, settings: StoreInfo) -> SaleView:
    if buyer.archived:
        raise SaleError(f"{buyer.panel.display_name} is archived and cannot be attached.")
    lines = _read_lines(session, sale.id, settings)
    return _commit_lines(session, sale, lines, settings, buyer, customer_id=buyer.panel.id)


def attach_customer(session: Session, sale_id: int, customer_id: int) -> SaleView:
    """Attach a customer and re-price at once with their discount and tax."""
    sale = _read_open(session, sale_id)
    buyer = _read_buyer(session, customer_id)
    if buyer is None:
        raise NotFound("That customer no longer exists.")
    return _attach(session, sale, buyer, load_settings(session))


def detach_customer(session: Session, sale_id: int) -> SaleView:
    sale = _read_open(session, sale_id)
    payments = session.execute(_PAYMENTS_OF_SALE, {"sale_id": sale_id}).all()
    if any(p.method in (ACCOUNT, LOYALTY) for p in payments):
        raise SaleError("Remove the on-account or loyalty payment before detaching the customer.")
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _commit_lines(session, sale, lines, settings, None, customer_id=None)


def find_customer_row(session: Session, code: str) -> Customer | None:
    key = code_key(code)
    if not key:
        return None
    return session.exec(select(Customer).where(Customer.code_key == key)).first()


# --------------------------------------------------------------------------- scans


def scan_code(
    session: Session, register: str, code: str, *, replace_customer: bool = True
) -> ScanOutcome:
    """A scanned or typed code: a product barcode/SKU adds the product, a customer code
    (a loyalty card) attaches the customer, anything else changes nothing.

    With ``replace_customer=False`` another customer's card, while a customer is on the
    sale, changes nothing either: the outcome is ``"other customer"`` (with its id), for
    the register to ask the cashier first. Read in the same transaction, so a card
    scanned right after another is compared with the customer really on the sale.

    About ten Core statements in the caller's one transaction: settings, the code as a
    product (barcode or SKU, one statement), else as a customer card, the register's
    open sale and its lines, the customer, then the writes and the payments.
    """
    code = code.strip()
    if not code:
        return ScanOutcome("unknown", None, "Nothing was scanned.")
    settings = load_settings(session)
    product = session.execute(
        _PRODUCT_BY_CODE,
        {"code": code, "upper": code.upper(), "default_tax": _default_tax(settings)},
    ).first()
    if product is not None:
        sale = _register_sale(session, register)
        lines = _read_lines(session, sale.id, settings)
        _add_product_line(lines, product, 1)
        buyer = _read_buyer(session, sale.customer_id)
        view = _commit_lines(session, sale, lines, settings, buyer)
        return ScanOutcome("product", view, f"Added {product.name}.")
    buyer = _buyer_by_code(session, code)
    if buyer is not None:
        if buyer.archived:
            raise SaleError(f"{buyer.panel.display_name} is archived and cannot be attached.")
        sale = _register_sale(session, register)
        if not replace_customer and sale.customer_id not in (None, buyer.panel.id):
            current = _read_buyer(session, sale.customer_id)
            on_sale = current.panel.display_name if current else "another customer"
            return ScanOutcome(
                "other customer",
                None,
                f"Card of {buyer.panel.display_name[:24]}; {on_sale[:24]} is on this sale.",
                customer_id=buyer.panel.id,
            )
        view = _attach(session, sale, buyer, settings)
        return ScanOutcome("customer", view, f"Customer: {buyer.panel.display_name}.")
    return ScanOutcome("unknown", None, f"No customer or product with code “{code}”.")


def enter_text(
    session: Session, register: str, text: str, *, replace_customer: bool = True
) -> ScanOutcome:
    """What the cashier typed in the scan field and confirmed with Enter.

    A code is tried first (barcode, SKU, customer code; ``replace_customer`` as in
    :func:`scan_code`); otherwise the text is a product name and the matches are
    returned for the cashier to pick (one match is added).
    """
    outcome = scan_code(session, register, text, replace_customer=replace_customer)
    if outcome.kind != "unknown":
        return outcome
    matches = tuple(search_products(session, text, limit=20))
    if len(matches) == 1:
        sale_id = ensure_open_sale(session, register)
        return ScanOutcome(
            "product", add_product(session, sale_id, matches[0].id), f"Added {matches[0].name}."
        )
    if matches:
        return ScanOutcome("matches", None, f"{len(matches)} products match.", matches)
    return ScanOutcome(
        "unknown", None, f"No customer or product with code or name “{text.strip()}”."
    )


# --------------------------------------------------------------------------- payments


def _account_room_cents(session: Session, customer: Customer, pending_cents: int) -> int | None:
    """How much more may go on the account (``None`` = no limit)."""
    if customer.balance_limit_cents is None:
        return None
    balance = account_balance_cents(session, customer.id or 0)
    return customer.balance_limit_cents - balance - pending_cents


def _check_account(
    session: Session,
    customer: Customer | None,
    amount_cents: int,
    pending_cents: int,
    currency: str,
) -> None:
    if customer is None:
        raise PaymentRefused("Attach a customer to put the sale on account.")
    name = customer_label(customer)
    if not customer.on_account_allowed:
        raise PaymentRefused(f"{name} is not allowed to buy on account.")
    room = _account_room_cents(session, customer, pending_cents)
    if room is not None and amount_cents > room:
        balance = account_balance_cents(session, customer.id or 0)
        raise PaymentRefused(
            f"{name}'s account has {format_money(max(room, 0), currency)} left "
            f"(balance {format_money(balance, currency)}, "
            f"limit {format_money(customer.balance_limit_cents or 0, currency)})."
        )


def add_payment(
    session: Session,
    sale_id: int,
    method: str,
    amount: Decimal | None = None,
    *,
    tendered: Decimal | None = None,
) -> SaleView:
    """Record a payment. ``amount`` ``None`` means "whatever is due".

    Cash takes ``tendered`` (or ``amount``) and gives change; card, account and loyalty
    can never pay more than is due. Loyalty pays in whole points at the store's rate.
    """
    if method not in METHODS:
        raise PaymentRefused(f"Unknown payment method “{method}”.")
    sale = _read_open(session, sale_id)
    settings = load_settings(session)
    customer = (
        session.get(Customer, sale.customer_id, populate_existing=True)
        if sale.customer_id
        else None
    )
    total, _count = _reprice_totals(session, sale_id, settings)
    payments = _payments(session, sale_id)
    due = total - sum(p.amount_cents for p in payments)
    if due <= 0:
        raise PaymentRefused("Nothing is due on this sale.")
    cur = settings.currency
    if method == CASH:
        given = tendered if tendered is not None else amount
        given_cents = due if given is None else to_cents(given)
        if given_cents <= 0:
            raise PaymentRefused("The amount must be more than zero.")
        pay = min(given_cents, due)
        row = Payment(
            sale_id=sale_id,
            method=CASH,
            amount_cents=pay,
            tendered_cents=given_cents,
            change_cents=given_cents - pay,
        )
    else:
        amount_cents = due if amount is None else to_cents(amount)
        if amount_cents <= 0:
            raise PaymentRefused("The amount must be more than zero.")
        if amount_cents > due:
            raise PaymentRefused(
                f"{METHOD_LABELS[method]} cannot pay more than the {format_money(due, cur)} due."
            )
        points = 0
        if method == ACCOUNT:
            pending = sum(p.amount_cents for p in payments if p.method == ACCOUNT)
            _check_account(session, customer, amount_cents, pending, cur)
        elif method == LOYALTY:
            if customer is None:
                raise PaymentRefused("Attach a customer to pay with loyalty points.")
            pending_pts = sum(p.loyalty_points for p in payments if p.method == LOYALTY)
            available = loyalty_balance(session, customer.id or 0) - pending_pts
            value = settings.loyalty_point_value_cents
            points = min(points_for_amount(amount_cents, value), max(available, 0))
            if points <= 0:
                raise PaymentRefused(
                    f"{customer_label(customer)} has no loyalty points to redeem"
                    + (" for that amount." if available > 0 else ".")
                )
            amount_cents = points * value
        row = Payment(
            sale_id=sale_id, method=method, amount_cents=amount_cents, loyalty_points=points
        )
    session.add(row)
    session.flush()
    return _view(session, sale_id)


def remove_payment(session: Session, sale_id: int, payment_id: int) -> SaleView:
    _read_open(session, sale_id)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.sale_id != sale_id:
        raise SaleError("That payment is no longer on the sale.")
    session.delete(payment)
    session.flush()
    return _commit_view(session, sale_id)


# --------------------------------------------------------------------------- park / void


def park_sale(session: Session, sale_id: int) -> SaleView:
    sale = _sale_row(session, sale_id)
    if sale.state != OPEN:
        raise SaleError(f"This sale is {sale.state}; it can no longer be changed.")
    if not _lines(session, sale_id):
        raise SaleError("There is nothing to park.")
    if _payments(session, sale_id):
        raise SaleError("A sale with payments cannot be parked; complete it or remove them.")
    sale.state = PARKED
    sale.updated_at = utcnow()
    session.add(sale)
    session.flush()
    return _view(session, sale_id)


def list_parked(session: Session, *, limit: int = 100) -> list[ParkedSale]:
    """Parked sales of every register, the most recent first."""
    counts = (
        select(SaleLine.sale_id, func.count().label("n")).group_by(col(SaleLine.sale_id)).subquery()
    )
    rows = session.exec(
        select(Sale, Customer, counts.c.n)
        .join(Customer, col(Customer.id) == Sale.customer_id, isouter=True)
        .join(counts, counts.c.sale_id == Sale.id, isouter=True)
        .where(Sale.state == PARKED)
        .order_by(col(Sale.updated_at).desc())
        .limit(limit)
    ).all()
    return [
        ParkedSale(
            id=sale.id or 0,
            register_name=sale.register_name,
            customer_name=customer_label(customer) if customer is not None else None,
            line_count=int(n or 0),
            total=from_cents(sale.total_cents),
            parked_at=sale.updated_at,
        )
        for sale, customer, n in rows
    ]


def resume_sale(session: Session, register: str, sale_id: int) -> SaleView:
    """Bring a parked sale back on this register; the sale in progress is parked
    (or dropped if it is empty)."""
    sale = _sale_row(session, sale_id)
    if sale.state != PARKED:
        raise SaleError("That sale is no longer parked (another register may have resumed it).")
    current = session.exec(
        select(Sale)
        .where(Sale.register_name == register, Sale.state == OPEN)
        .execution_options(populate_existing=True)
    ).all()
    for other in current:
        if _lines(session, other.id or 0) and not _payments(session, other.id or 0):
            other.state = PARKED
            other.updated_at = utcnow()
            session.add(other)
        elif _lines(session, other.id or 0):
            raise SaleError("The sale in progress has payments; complete it first.")
        else:
            session.delete(other)
    # the sale in progress is out of the way before this one opens (one open per register)
    session.flush()
    sale.state = OPEN
    sale.register_name = register[:40]
    session.add(sale)
    session.flush()
    return _commit_view(session, sale_id)


def void_sale(session: Session, sale_id: int) -> SaleView:
    """Void an open or parked sale. Its lines and payments stay on record (the money
    taken is in the day's payments; :func:`describe_void` says what to hand back)."""
    sale = _sale_row(session, sale_id)
    if sale.state not in (OPEN, PARKED):
        raise SaleError(f"A {sale.state} sale cannot be voided.")
    sale.state = VOIDED
    sale.updated_at = utcnow()
    session.add(sale)
    session.flush()
    return _view(session, sale_id)


def describe_void(sale: SaleView) -> str:
    """What voiding this sale means for the money taken on it, in one sentence.

    Cash and card were really taken, so they are handed back; on-account and loyalty
    payments only move the ledgers at completion, so nothing was charged.
    """
    cur = sale.currency
    parts = []
    cash = sum((p.amount for p in sale.payments if p.method == CASH), Decimal("0.00"))
    card = sum((p.amount for p in sale.payments if p.method == CARD), Decimal("0.00"))
    if cash:
        parts.append(f"give back {format_money(cash, cur)} in cash")
    if card:
        parts.append(f"refund {format_money(card, cur)} to the card")
    if any(p.method in (ACCOUNT, LOYALTY) for p in sale.payments):
        parts.append("nothing was charged to the account or the loyalty points")
    return "; ".join(parts)


# --------------------------------------------------------------------------- completion


def _take_write_lock(session: Session, sale_id: int, states: tuple[str, ...]) -> Sale:
    """Start the transaction with a write, so every check after it sees the latest rows.

    On SQLite the first write takes the database's write lock (waiting up to the busy
    timeout) before anything is read; on PostgreSQL it locks the sale row, and
    :func:`_lock_customer` then serialises per customer.
    """
    result = session.execute(
        update(Sale)
        .where(col(Sale.id) == sale_id, col(Sale.state).in_(states))
        .values(state=Sale.state)
    )
    sale = session.get(Sale, sale_id, populate_existing=True)
    if sale is None:
        raise NotFound(f"Sale {sale_id} no longer exists.")
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise SaleError(f"This sale is {sale.state}; it can no longer be changed.")
    return sale


def _lock_customer(session: Session, customer_id: int) -> Customer | None:
    stmt = (
        select(Customer).where(Customer.id == customer_id).execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def complete_sale(session: Session, sale_id: int) -> SaleView:
    """Close the sale: check it is paid, write the ledgers, give it a receipt number."""
    sale = _take_write_lock(session, sale_id, (OPEN,))
    customer = _lock_customer(session, sale.customer_id) if sale.customer_id else None
    if customer is not None and customer.archived_at is not None:
        raise SaleError(
            f"{customer_label(customer)} was archived while this sale was open; "
            "detach the customer (Ctrl+U) to complete the sale."
        )
    settings = load_settings(session)
    _total, line_count = _reprice_totals(session, sale_id, settings)
    sale = _sale_row(session, sale_id)  # with the totals just written
    if not line_count:
        raise SaleError("There is nothing to sell yet.")
    payments = _payments(session, sale_id)
    paid = sum(p.amount_cents for p in payments)
    cur = settings.currency
    if paid < sale.total_cents:
        raise SaleError(f"{format_money(sale.total_cents - paid, cur)} is still due.")
    if paid > sale.total_cents:
        raise SaleError(
            f"The payments are {format_money(paid - sale.total_cents, cur)} more than the "
            "total; remove one."
        )
    on_account = sum(p.amount_cents for p in payments if p.method == ACCOUNT)
    redeemed = sum(p.loyalty_points for p in payments if p.method == LOYALTY)
    loyalty_paid = sum(p.amount_cents for p in payments if p.method == LOYALTY)
    if customer is None and (on_account or redeemed):
        raise SaleError("On-account and loyalty payments need the customer attached.")
    if customer is not None and on_account:
        _check_account(session, customer, on_account, 0, cur)
    if customer is not None and redeemed and loyalty_balance(session, customer.id or 0) < redeemed:
        raise PaymentRefused(
            f"{customer_label(customer)} no longer has {redeemed} points "
            "(spent at another register?); remove the loyalty payment."
        )
    # every check has passed: only now take the store's next number
    sale.receipt_no = _next_receipt_no(session)
    now = utcnow()
    if customer is not None:
        cid = customer.id or 0
        if on_account:
            session.add(
                AccountEntry(
                    customer_id=cid,
                    sale_id=sale_id,
                    amount_cents=on_account,
                    reason=f"Sale {sale.receipt_no}",
                    created_at=now,
                )
            )
        if redeemed:
            session.add(
                LoyaltyEntry(
                    customer_id=cid,
                    sale_id=sale_id,
                    points=-redeemed,
                    reason=f"Redeemed on {sale.receipt_no}",
                    created_at=now,
                )
            )
        earned = (
            loyalty_points_earned(sale.total_cents - loyalty_paid, settings.loyalty_points_per_unit)
            if customer.loyalty_enabled
            else 0
        )
        if earned:
            session.add(
                LoyaltyEntry(
                    customer_id=cid,
                    sale_id=sale_id,
                    points=earned,
                    reason=f"Earned on {sale.receipt_no}",
                    created_at=now,
                )
            )
        sale.group_id = customer.group_id
        sale.customer_name = customer_label(customer)[:200]
        sale.customer_code = customer.customer_code
        if customer.group_id is not None:
            group = session.get(CustomerGroup, customer.group_id)
            sale.group_name = group.name if group is not None else None
    sale.state = COMPLETED
    sale.completed_at = now
    sale.updated_at = now
    session.add(sale)
    session.flush()
    return _print(session, sale, settings)


def _next_receipt_no(session: Session) -> str:
    """The store's next receipt number, taken in the caller's transaction.

    The counter row stays locked until that transaction ends (on SQLite the whole
    database is), so two registers completing at once get consecutive numbers, and a
    rollback gives the number back: no gap, no duplicate.
    """
    counter = ReceiptCounter.__table__  # type: ignore[attr-defined]
    number = session.execute(
        update(counter)
        .where(counter.c.id == 1)
        .values(last_no=counter.c.last_no + 1)
        .returning(counter.c.last_no)
    ).scalar()
    if number is None:
        raise SaleError("The receipt counter is missing from the database; run the upgrade.")
    return receipt_number(int(number))


def receipt_number(number: int) -> str:
    """How receipt number ``number`` is printed: ``R0000042``."""
    return f"R{number:07d}"


def _print(session: Session, sale: Sale, settings: StoreInfo) -> SaleView:
    """Render the just-completed sale's receipt and keep the text with the sale."""
    view = _view(session, sale.id or 0)
    printed = render_receipt(view, settings)
    sale.receipt_text = printed
    session.add(sale)
    session.flush()
    return replace(view, receipt_text=printed)


def refund_sale(session: Session, register: str, original_sale_id: int) -> SaleView:
    """Refund a completed sale in full: a new completed ``refund`` sale mirroring it.

    Lines and payments are the original's, negated (money goes back the way it came);
    the original's loyalty and account movements are reversed by new ledger rows. A
    loyalty balance never goes below zero: if the customer has already spent the points
    the sale earned, the reversal takes what is left.
    """
    original = _take_write_lock(session, original_sale_id, (COMPLETED,))
    if original.kind != SALE:
        raise SaleError("A refund cannot itself be refunded.")
    already = session.exec(
        select(Sale.id).where(Sale.original_sale_id == original_sale_id, Sale.kind == REFUND)
    ).first()
    if already is not None:
        raise SaleError(f"Sale {original.receipt_no} has already been refunded.")
    customer = _lock_customer(session, original.customer_id) if original.customer_id else None
    now = utcnow()
    refund = Sale(
        register_name=register[:40],
        state=COMPLETED,
        kind=REFUND,
        original_sale_id=original_sale_id,
        customer_id=original.customer_id,
        group_id=original.group_id,
        customer_name=original.customer_name,
        customer_code=original.customer_code,
        group_name=original.group_name,
        subtotal_cents=-original.subtotal_cents,
        discount_cents=-original.discount_cents,
        tax_cents=-original.tax_cents,
        total_cents=-original.total_cents,
        note=f"Refund of {original.receipt_no}",
        created_at=now,
        updated_at=now,
        completed_at=now,
    )
    session.add(refund)
    session.flush()
    rid = refund.id or 0
    refund.receipt_no = _next_receipt_no(session)
    for line in _lines(session, original_sale_id):
        session.add(
            SaleLine(
                sale_id=rid,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                quantity=-line.quantity,
                unit_price_cents=line.unit_price_cents,
                line_discount_percent=line.line_discount_percent,
                discount_cents=-line.discount_cents,
                tax_rate=line.tax_rate,
                tax_cents=-line.tax_cents,
                total_cents=-line.total_cents,
            )
        )
    for p in _payments(session, original_sale_id):
        session.add(
            Payment(
                sale_id=rid,
                method=p.method,
                amount_cents=-p.amount_cents,
                tendered_cents=None if p.tendered_cents is None else -p.amount_cents,
                change_cents=0,
                loyalty_points=-p.loyalty_points,
                created_at=now,
            )
        )
    if customer is not None:
        cid = customer.id or 0
        moved = session.exec(
            select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
                AccountEntry.sale_id == original_sale_id
            )
        ).one()
        if moved:
            session.add(
                AccountEntry(
                    customer_id=cid,
                    sale_id=rid,
                    amount_cents=-int(moved),
                    reason=f"Refund of {original.receipt_no}",
                    created_at=now,
                )
            )
        points = int(
            session.exec(
                select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                    LoyaltyEntry.sale_id == original_sale_id
                )
            ).one()
        )
        if points:
            reversal = -points
            balance = loyalty_balance(session, cid)
            reason = f"Refund of {original.receipt_no}"
            if balance + reversal < 0:
                reversal = -balance
                reason += " (capped at balance)"
            if reversal:
                session.add(
                    LoyaltyEntry(
                        customer_id=cid,
                        sale_id=rid,
                        points=reversal,
                        reason=reason,
                        created_at=now,
                    )
                )
    session.add(refund)
    session.flush()
    return _print(session, refund, load_settings(session))


def describe_refund(refund: SaleView) -> str:
    """What the cashier does and tells the customer after a refund, in one line."""
    cur = refund.currency
    parts = []
    for p in refund.payments:
        amount = format_money(-p.amount, cur)
        if p.method == CASH:
            parts.append(f"give back {amount} in cash")
        elif p.method == CARD:
            parts.append(f"refund {amount} to the card")
        elif p.method == ACCOUNT:
            parts.append(f"{amount} taken off the account")
    # the ledger's one reversal row: points earned taken back, points redeemed returned
    if refund.loyalty_earned < 0:
        parts.append(f"{-refund.loyalty_earned} loyalty points taken back")
    elif refund.loyalty_earned > 0:
        parts.append(f"{refund.loyalty_earned} loyalty points given back")
    what = "; ".join(parts) if parts else "nothing was paid"
    return f"Refund {refund.receipt_no}: {what}."


def find_sale_by_receipt(session: Session, receipt_no: str) -> SaleView:
    sale = session.exec(select(Sale).where(Sale.receipt_no == receipt_no.strip().upper())).first()
    if sale is None:
        raise NotFound(f"No sale with receipt number “{receipt_no.strip()}”.")
    return _view(session, sale.id or 0)


def list_completed(session: Session, *, limit: int = 50) -> list[CompletedSale]:
    """The last completed sales and refunds of every register, the latest first.

    A customer may bring an item back to any till, so the list is the store's, not one
    register's; one statement over the ``(state, completed_at)`` index.
    """
    s, c = _SALE_T, _CUSTOMER_T
    refund = _SALE_T.alias("refund")
    refunded = (
        select(refund.c.id).where(refund.c.original_sale_id == s.c.id, refund.c.kind == REFUND)
    ).exists()
    rows = session.execute(
        select(
            s.c.id,
            s.c.receipt_no,
            s.c.kind,
            s.c.register_name,
            s.c.total_cents,
            s.c.completed_at,
            c.c.id.label("customer_id"),
            c.c.first_name,
            c.c.last_name,
            c.c.company,
            c.c.email,
            c.c.customer_code,
            s.c.customer_name.label("sold_to"),
            refunded.label("refunded"),
        )
        .select_from(s.outerjoin(c, c.c.id == s.c.customer_id))
        .where(s.c.state == COMPLETED)
        .order_by(s.c.completed_at.desc(), s.c.id.desc())
        .limit(limit)
    ).all()
    return [
        CompletedSale(
            id=row.id,
            receipt_no=row.receipt_no or "",
            kind=row.kind,
            register_name=row.register_name,
            customer_name=(None if row.customer_id is None else row.sold_to or customer_label(row)),
            total=from_cents(row.total_cents),
            completed_at=row.completed_at,
            refunded=bool(row.refunded),
        )
        for row in rows
    ]


def recent_sales(session: Session, register: str, *, limit: int = 20) -> list[SaleView]:
    """The register's last completed sales (for reprinting or refunding)."""
    rows = session.exec(
        select(Sale)
        .where(Sale.register_name == register, Sale.state == COMPLETED)
        .order_by(col(Sale.completed_at).desc())
        .limit(limit)
    ).all()
    return [_view(session, s.id or 0) for s in rows]


# --------------------------------------------------------------------------- receipt files


@dataclass(frozen=True)
class ReceiptToFile:
    """A completed sale whose receipt file was never written (or not known to be)."""

    sale_id: int
    receipt_no: str
    text: str


def receipts_to_file(session: Session, register: str) -> list[ReceiptToFile]:
    """This register's completed sales whose receipt file was not written.

    A crash (or a full disk) between the commit and the file leaves such a sale; its
    receipt is written again from the text kept at completion, never re-rendered from
    today's customer or settings.
    """
    rows = session.execute(
        select(_SALE_T.c.id, _SALE_T.c.receipt_no, _SALE_T.c.receipt_text)
        .where(
            _SALE_T.c.register_name == register[:40],
            _SALE_T.c.state == COMPLETED,
            _SALE_T.c.receipt_filed_at.is_(None),
        )
        .order_by(_SALE_T.c.id)
    ).all()
    out = []
    for row in rows:
        printed = row.receipt_text
        if printed is None:  # completed by an older version: as close as can be
            printed = render_receipt(_view(session, row.id), load_settings(session))
        out.append(ReceiptToFile(row.id, row.receipt_no or receipt_number(row.id), printed))
    return out


@dataclass(frozen=True)
class LastSale:
    receipt_no: str
    kind: str
    completed_at: dt.datetime


def last_completed(session: Session, register: str) -> LastSale | None:
    """The register's latest completed sale or refund: what the register says at start-up,
    so a cashier whose till restarted knows whether the last sale went through."""
    row = session.execute(
        select(_SALE_T.c.receipt_no, _SALE_T.c.kind, _SALE_T.c.completed_at)
        .where(_SALE_T.c.register_name == register[:40], _SALE_T.c.state == COMPLETED)
        .order_by(_SALE_T.c.completed_at.desc(), _SALE_T.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return LastSale(row.receipt_no or "", row.kind, row.completed_at)
