"""Payments on an open sale: cash with change, card, on account within the
customer's limit, loyalty points; a payment removed again.

The checks here are the cashier-facing ones (amount due, limit, points); completion
checks them again under the write lock (:mod:`tillterm.sales.lifecycle`)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from tillterm.catalog.settings import load_settings
from tillterm.core.money import format_money, to_cents
from tillterm.core.pricing import (
    points_for_amount,
)
from tillterm.i18n import _
from tillterm.sales.reading import (
    _commit_view,
    _payments,
    _read_open,
    _reprice_totals,
    _view,
    account_balance_cents,
    customer_label,
    loyalty_balance,
)
from tillterm.sales.views import (
    ACCOUNT,
    CASH,
    LOYALTY,
    METHOD_LABELS,
    METHODS,
    PaymentRefused,
    SaleError,
    SaleView,
)
from tillterm.store.models import (
    Customer,
    Payment,
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
        raise PaymentRefused(_("Attach a customer to put the sale on account."))
    name = customer_label(customer)
    if not customer.on_account_allowed:
        raise PaymentRefused(
            _("{customer} is not allowed to buy on account.").format(customer=name)
        )
    room = _account_room_cents(session, customer, pending_cents)
    if room is not None and amount_cents > room:
        balance = account_balance_cents(session, customer.id or 0)
        raise PaymentRefused(
            _("{customer}'s account has {left} left (balance {balance}, limit {limit}).").format(
                customer=name,
                left=format_money(max(room, 0), currency),
                balance=format_money(balance, currency),
                limit=format_money(customer.balance_limit_cents or 0, currency),
            )
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
        raise PaymentRefused(_("Unknown payment method “{method}”.").format(method=method))
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
        raise PaymentRefused(_("Nothing is due on this sale."))
    cur = settings.currency
    if method == CASH:
        given = tendered if tendered is not None else amount
        given_cents = due if given is None else to_cents(given)
        if given_cents <= 0:
            raise PaymentRefused(_("The amount must be more than zero."))
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
            raise PaymentRefused(_("The amount must be more than zero."))
        if amount_cents > due:
            raise PaymentRefused(
                _("{method} cannot pay more than the {amount} due.").format(
                    method=METHOD_LABELS[method], amount=format_money(due, cur)
                )
            )
        points = 0
        if method == ACCOUNT:
            pending = sum(p.amount_cents for p in payments if p.method == ACCOUNT)
            _check_account(session, customer, amount_cents, pending, cur)
        elif method == LOYALTY:
            if customer is None:
                raise PaymentRefused(_("Attach a customer to pay with loyalty points."))
            pending_pts = sum(p.loyalty_points for p in payments if p.method == LOYALTY)
            available = loyalty_balance(session, customer.id or 0) - pending_pts
            value = settings.loyalty_point_value_cents
            points = min(points_for_amount(amount_cents, value), max(available, 0))
            if points <= 0:
                said = (
                    _("{customer} has no loyalty points to redeem for that amount.")
                    if available > 0
                    else _("{customer} has no loyalty points to redeem.")
                )
                raise PaymentRefused(said.format(customer=customer_label(customer)))
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
        raise SaleError(_("That payment is no longer on the sale."))
    session.delete(payment)
    session.flush()
    return _commit_view(session, sale_id)
