"""Reading a sale and pricing it: the buyer, the lines, the frozen :class:`SaleView`
built from them, the register's open sale, and the ledger balances.

Every use case (basket, payments, lifecycle, refunds) ends by handing a view back;
this is the one place that builds it, so the screens see one shape of a sale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, text, update
from sqlmodel import Session, col, select

from tillterm.catalog.settings import StoreInfo, load_settings
from tillterm.core.errors import NotFound
from tillterm.core.folding import normalise_code
from tillterm.core.money import from_cents, to_cents
from tillterm.core.pricing import (
    LineInput,
    combined_discount,
    effective_discount,
    price_line,
)
from tillterm.i18n import _
from tillterm.sales.statements import (
    _BUYER_BY_ID,
    _BUYER_BY_KEY,
    _EARNED,
    _LINE_T,
    _LINES_OF_SALE,
    _MOVED,
    _PAYMENTS_OF_SALE,
    _SALE_BY_ID,
    _SALE_OF_REGISTER,
    _SALE_T,
    _UPDATE_LINE,
)
from tillterm.sales.views import (
    COMPLETED,
    OPEN,
    REFUND,
    SALE,
    LineView,
    PaymentMethod,
    PaymentView,
    SaleCustomer,
    SaleError,
    SaleKind,
    SaleState,
    SaleView,
    no_longer_changed,
)
from tillterm.store.models import (
    AccountEntry,
    LoyaltyEntry,
    OpeningSpend,
    Payment,
    Sale,
    SaleLine,
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
        raise NotFound(_("Sale {sale} no longer exists.").format(sale=sale_id))
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
    """Completed sales (refunds count negative) since 1 January, local time, plus the
    year-to-date spend an opening import brought over this year (its reversal included).
    """
    since = _year_start(now)
    total = session.exec(
        select(func.coalesce(func.sum(Sale.total_cents), 0)).where(
            Sale.customer_id == customer_id,
            col(Sale.completed_at) >= since,
            Sale.state == COMPLETED,
        )
    ).one()
    opening = session.exec(
        select(func.coalesce(func.sum(OpeningSpend.amount_cents), 0)).where(
            OpeningSpend.customer_id == customer_id,
            col(OpeningSpend.as_of) >= since,
        )
    ).one()
    return int(total) + int(opening)


@dataclass(frozen=True)
class _Buyer:
    """The attached customer: what pricing needs, and the panel the register shows."""

    discount: Decimal | None
    #: the customer's (or their group's) sales tax rate, overriding the items' own
    tax_rate: Decimal | None
    archived: bool
    panel: SaleCustomer
    #: the customer buys without tax: no line of theirs carries any
    tax_exempt: bool = False


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
        tax_exempt=bool(row.tax_exempt),
        notes=row.notes or "",
    )
    rate = None if row.tax_id is None else (row.tax_rate or Decimal(0))
    return _Buyer(discount, rate, row.archived_at is not None, panel, bool(row.tax_exempt))


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
    if row is not None and row.archived_at is not None:
        # an old card of a customer merged into another attaches the one kept
        survivor = _survivor_of(session, int(row.id))
        if survivor is not None:
            return _read_buyer(session, survivor)
    return None if row is None else _buyer(row)


#: whom a customer was merged into, while that merge stands (``customers.merging``)
_MERGED_INTO = text(
    "SELECT m.survivor_id FROM customer_merge_absorbed a JOIN customer_merge m "
    "ON m.id = a.merge_id WHERE a.customer_id = :cid AND m.undone_at IS NULL"
)


def _survivor_of(session: Session, customer_id: int) -> int | None:
    """The customer kept, following merges of merges (only archived customers ask)."""
    found: int | None = None
    for _hop in range(32):
        survivor = session.execute(_MERGED_INTO, {"cid": customer_id}).scalar()
        if survivor is None:
            break
        found = customer_id = int(survivor)
    return found


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
    #: the listed price when the cashier changed it, and why
    list_price_cents: int | None = None
    price_reason: str = ""


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
            list_price_cents=r.list_price_cents,
            price_reason=r.price_reason or "",
        )
        for r in rows
    ]


def _read_sale(session: Session, sale_id: int) -> Any:
    row = session.execute(_SALE_BY_ID, {"sale_id": sale_id}).first()
    if row is None:
        raise NotFound(_("Sale {sale} no longer exists.").format(sale=sale_id))
    return row


def _read_open(session: Session, sale_id: int) -> Any:
    row = _read_sale(session, sale_id)
    if row.state != OPEN:
        raise SaleError(no_longer_changed(row.state))
    return row


def _open_sale_insert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on the one-open-sale-per-register index."""
    from sqlalchemy.dialects import postgresql, sqlite

    # the two dialects' inserts are different classes with the same ON CONFLICT method
    dialect_insert: Callable[[Any], Any] = (
        postgresql.insert if dialect == "postgresql" else sqlite.insert
    )
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
    raise SaleError(
        _("Register {register} is busy in another session; try again.").format(register=name)
    )


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
        list_price=None if line.list_price_cents is None else from_cents(line.list_price_cents),
        price_reason=line.price_reason or "",
    )


def _payment_view(p: Any) -> PaymentView:
    return PaymentView(
        id=p.id or 0,
        method=PaymentMethod(p.method),
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
            # a sale may be returned piece by piece: every refund of it, in order
            refunded_by = (
                ", ".join(
                    no or "-"
                    for no in session.execute(
                        select(_SALE_T.c.receipt_no)
                        .where(_SALE_T.c.original_sale_id == sale_id, _SALE_T.c.kind == REFUND)
                        .order_by(_SALE_T.c.id)
                    ).scalars()
                )
                or None
            )
    subtotal, discount, tax, total = totals
    return SaleView(
        id=sale_id,
        register_name=sale.register_name,
        state=SaleState(sale.state),
        kind=SaleKind(sale.kind),
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
        sale_discount_percent=sale.sale_discount_percent,
        discount_reason=sale.discount_reason or "",
        note=sale.note or "",
    )


def _view(session: Session, sale_id: int) -> SaleView:
    """Any sale (open, completed, refund...) as stored, for showing or printing."""
    sale = _read_sale(session, sale_id)
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _build_view(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def _price(
    session: Session,
    sale_id: int,
    lines: list[_Line],
    settings: StoreInfo,
    buyer: _Buyer | None,
    sale_discount: Decimal | None = None,
) -> tuple[int, int, int, int]:
    """Price every line from the current customer and settings; write what changed.

    New lines are inserted, lines whose quantity or amounts changed are updated in one
    ``executemany``; the others are not touched. Returns the totals (sums of lines).
    The whole-sale discount compounds with the customer's (and so with each line's): one
    rounded discount per line, so the receipt still adds up line by line.
    """
    discount = buyer.discount if buyer is not None else None
    if sale_discount:
        discount = combined_discount(discount, sale_discount)
    override = buyer.tax_rate if buyer is not None else None
    exempt = buyer is not None and buyer.tax_exempt
    inclusive = settings.prices_include_tax
    subtotal = disc = tax_total = total = 0
    changed: list[dict[str, Any]] = []
    for line in lines:
        rate = override if override is not None else line.item_rate
        priced = price_line(
            LineInput(line.unit_price_cents, line.quantity, line.line_discount_percent, rate),
            discount,
            inclusive,
            tax_exempt=exempt,
        )
        if exempt:  # the line carries no tax: its rate is on file as 0 %
            rate = Decimal(0)
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
            # an INSERT's result is a CursorResult; Session.execute is typed for any statement
            result: Any = session.execute(
                insert(_LINE_T).values(
                    sale_id=sale_id,
                    position=line.position,
                    product_id=line.product_id,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    list_price_cents=line.list_price_cents,
                    price_reason=line.price_reason,
                    line_discount_percent=line.line_discount_percent,
                    discount_cents=line.discount_cents,
                    tax_rate=line.tax_rate,
                    tax_cents=line.tax_cents,
                    total_cents=line.total_cents,
                )
            )
            line.id = result.inserted_primary_key[0]
        elif line.dirty:
            changed.append(
                {
                    "b_id": line.id,
                    "b_quantity": line.quantity,
                    "b_unit_price": line.unit_price_cents,
                    "b_list_price": line.list_price_cents,
                    "b_price_reason": line.price_reason,
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
    totals = _price(session, sale.id, lines, settings, buyer, sale.sale_discount_percent)
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
