"""The life of a sale: park, resume, void, complete (with its receipt number).

Receipt numbers are the store's, taken in the completing transaction after every
check, so a number belongs to a committed sale or to none. Completion runs its
balance checks after taking a write lock, so two registers selling to one customer
queue instead of both spending the same points or credit.

Every register action that changes a sale leaves its idempotency key on it
(:func:`stamp_change`, in the action's own transaction): an action retried after the
connection dropped while its COMMIT was in flight first asks :func:`sale_changed_by`,
and a sale already carrying the key is the action done — completed once, one receipt
number, one line added."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, select

from tillterm.catalog.settings import StoreInfo, load_settings
from tillterm.core.errors import NotFound
from tillterm.core.money import format_money
from tillterm.core.pricing import (
    loyalty_points_earned,
)
from tillterm.i18n import _
from tillterm.sales.payments import _check_account
from tillterm.sales.reading import (
    _commit_view,
    _lines,
    _payments,
    _reprice_totals,
    _sale_row,
    _view,
    customer_label,
    loyalty_balance,
)
from tillterm.sales.receipts import WIDTH, render_receipt
from tillterm.sales.views import (
    ACCOUNT,
    CARD,
    CASH,
    COMPLETED,
    LOYALTY,
    OPEN,
    PARKED,
    VOIDED,
    PaymentRefused,
    SaleError,
    SaleView,
    no_longer_changed,
)
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    LoyaltyEntry,
    ReceiptCounter,
    Sale,
    table_of,
    utcnow,
)

# --------------------------------------------------------------------------- park / void


def park_sale(session: Session, sale_id: int) -> SaleView:
    sale = _sale_row(session, sale_id)
    if sale.state != OPEN:
        raise SaleError(no_longer_changed(sale.state))
    if not _lines(session, sale_id):
        raise SaleError(_("There is nothing to park."))
    if _payments(session, sale_id):
        raise SaleError(_("A sale with payments cannot be parked; complete it or remove them."))
    sale.state = PARKED
    sale.updated_at = utcnow()
    session.add(sale)
    session.flush()
    return _view(session, sale_id)


def resume_sale(session: Session, register: str, sale_id: int) -> SaleView:
    """Bring a parked sale back on this register; the sale in progress is parked
    (or dropped if it is empty)."""
    sale = _sale_row(session, sale_id)
    if sale.state != PARKED:
        raise SaleError(_("That sale is no longer parked (another register may have resumed it)."))
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
            raise SaleError(_("The sale in progress has payments; complete it first."))
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
        said = (
            _("A completed sale cannot be voided.")
            if sale.state == COMPLETED
            else _("A voided sale cannot be voided.")
            if sale.state == VOIDED
            else f"A {sale.state} sale cannot be voided."
        )
        raise SaleError(said)
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
        parts.append(_("give back {amount} in cash").format(amount=format_money(cash, cur)))
    if card:
        parts.append(_("refund {amount} to the card").format(amount=format_money(card, cur)))
    if any(p.method in (ACCOUNT, LOYALTY) for p in sale.payments):
        parts.append(_("nothing was charged to the account or the loyalty points"))
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
        raise NotFound(_("Sale {sale} no longer exists.").format(sale=sale_id))
    if result.rowcount == 0:  # type: ignore[attr-defined]  # execute() -> Result, is a CursorResult
        raise SaleError(no_longer_changed(sale.state))
    return sale


def _lock_customer(session: Session, customer_id: int) -> Customer | None:
    stmt = (
        select(Customer).where(Customer.id == customer_id).execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def complete_sale(session: Session, sale_id: int, *, width: int = WIDTH) -> SaleView:
    """Close the sale: check it is paid, write the ledgers, give it a receipt number;
    its receipt is rendered ``width`` columns wide (the register's paper) and kept."""
    sale = _take_write_lock(session, sale_id, (OPEN,))
    customer = _lock_customer(session, sale.customer_id) if sale.customer_id else None
    if customer is not None and customer.archived_at is not None:
        raise SaleError(
            _(
                "{customer} was archived while this sale was open; "
                "detach the customer (Ctrl+U) to complete the sale."
            ).format(customer=customer_label(customer))
        )
    settings = load_settings(session)
    _total, line_count = _reprice_totals(session, sale_id, settings)
    sale = _sale_row(session, sale_id)  # with the totals just written
    if not line_count:
        raise SaleError(_("There is nothing to sell yet."))
    payments = _payments(session, sale_id)
    paid = sum(p.amount_cents for p in payments)
    cur = settings.currency
    if paid < sale.total_cents:
        raise SaleError(
            _("{amount} is still due.").format(amount=format_money(sale.total_cents - paid, cur))
        )
    if paid > sale.total_cents:
        raise SaleError(
            _("The payments are {amount} more than the total; remove one.").format(
                amount=format_money(paid - sale.total_cents, cur)
            )
        )
    on_account = sum(p.amount_cents for p in payments if p.method == ACCOUNT)
    redeemed = sum(p.loyalty_points for p in payments if p.method == LOYALTY)
    loyalty_paid = sum(p.amount_cents for p in payments if p.method == LOYALTY)
    if customer is None and (on_account or redeemed):
        raise SaleError(_("On-account and loyalty payments need the customer attached."))
    if customer is not None and on_account:
        _check_account(session, customer, on_account, 0, cur)
    if customer is not None and redeemed and loyalty_balance(session, customer.id or 0) < redeemed:
        raise PaymentRefused(
            _(
                "{customer} no longer has {points} points "
                "(spent at another register?); remove the loyalty payment."
            ).format(customer=customer_label(customer), points=redeemed)
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
    return _print(session, sale, settings, width)


def stamp_change(session: Session, sale_id: int, key: str) -> None:
    """Mark sale ``sale_id`` as changed by the action ``key`` (in that action's
    transaction: it commits with the change or not at all).

    A plain table UPDATE (no ORM bookkeeping: nothing in the session reads the key).
    """
    sale = table_of(Sale)
    session.execute(update(sale).where(sale.c.id == sale_id).values(change_key=key))


def sale_changed_by(session: Session, key: str) -> int | None:
    """The sale the action ``key`` last changed, if that action committed."""
    return session.exec(select(Sale.id).where(Sale.change_key == key)).first()


def _next_receipt_no(session: Session) -> str:
    """The store's next receipt number, taken in the caller's transaction.

    The counter row stays locked until that transaction ends (on SQLite the whole
    database is), so two registers completing at once get consecutive numbers, and a
    rollback gives the number back: no gap, no duplicate.
    """
    counter = table_of(ReceiptCounter)
    number = session.execute(
        update(counter)
        .where(counter.c.id == 1)
        .values(last_no=counter.c.last_no + 1)
        .returning(counter.c.last_no)
    ).scalar()
    if number is None:
        raise SaleError(_("The receipt counter is missing from the database; run the upgrade."))
    return receipt_number(int(number))


def receipt_number(number: int) -> str:
    """How receipt number ``number`` is printed: ``R0000042``."""
    return f"R{number:07d}"


def _print(session: Session, sale: Sale, settings: StoreInfo, width: int = WIDTH) -> SaleView:
    """Render the just-completed sale's receipt, ``width`` columns (the register's
    paper), and keep the text with the sale: printed again, it is that text."""
    view = _view(session, sale.id or 0)
    printed = render_receipt(view, settings, width=width)
    sale.receipt_text = printed
    session.add(sale)
    session.flush()
    return replace(view, receipt_text=printed)
