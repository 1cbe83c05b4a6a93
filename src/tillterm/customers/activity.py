"""A customer's activity: spend, balances and the latest movements, from the ledgers."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlmodel import Session

from tillterm.core.errors import NotFound
from tillterm.core.money import from_cents
from tillterm.customers.records import AccountLine, CustomerActivity, LedgerLine, SaleBrief
from tillterm.store.models import AccountEntry, Customer, LoyaltyEntry, Sale


def _year_start() -> dt.datetime:
    today = dt.date.today()
    return dt.datetime.combine(dt.date(today.year, 1, 1), dt.time.min).astimezone(dt.UTC)


@functools.cache
def _activity_statements() -> tuple[Any, ...]:
    """The activity's statements, built once with bound parameters (``cid``, ``since``,
    ``recent``): building them on every opening cost more than running them."""
    cid, since, recent = bindparam("cid"), bindparam("since"), bindparam("recent")
    is_refund = Sale.kind == "refund"
    exists = select(Customer.id).where(Customer.id == cid)
    totals = select(
        func.coalesce(
            func.sum(
                case((and_(~is_refund, Sale.completed_at >= since), Sale.total_cents), else_=0)
            ),
            0,
        ),
        func.coalesce(
            func.sum(
                case(
                    (and_(is_refund, Sale.completed_at >= since), func.abs(Sale.total_cents)),
                    else_=0,
                )
            ),
            0,
        ),
        func.count(case((~is_refund, Sale.id))),
    ).where(Sale.customer_id == cid, Sale.state == "completed")
    loyalty = select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.customer_id == cid
    )
    account = select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
        AccountEntry.customer_id == cid
    )
    when = func.coalesce(Sale.completed_at, Sale.created_at)
    sales = (
        select(Sale.id, Sale.receipt_no, Sale.completed_at, Sale.total_cents, Sale.state, Sale.kind)
        .where(Sale.customer_id == cid)
        .order_by(when.desc(), Sale.id.desc())
        .limit(recent)
    )
    loyalty_rows = (
        select(
            LoyaltyEntry.created_at, LoyaltyEntry.points, LoyaltyEntry.reason, LoyaltyEntry.sale_id
        )
        .where(LoyaltyEntry.customer_id == cid)
        .order_by(LoyaltyEntry.created_at.desc(), LoyaltyEntry.id.desc())
        .limit(recent)
    )
    account_rows = (
        select(
            AccountEntry.created_at,
            AccountEntry.amount_cents,
            AccountEntry.reason,
            AccountEntry.sale_id,
        )
        .where(AccountEntry.customer_id == cid)
        .order_by(AccountEntry.created_at.desc(), AccountEntry.id.desc())
        .limit(recent)
    )
    return exists, totals, loyalty, account, sales, loyalty_rows, account_rows


def customer_activity(session: Session, customer_id: int, *, recent: int = 20) -> CustomerActivity:
    """Year-to-date spend, balances and the latest movements, summed from the ledgers.

    Year-to-date spend counts completed sales since 1 January (local time), minus
    completed refunds, whatever sign a refund's total is stored with.
    """
    exists, totals, loyalty, account, sales, loyalty_rows, account_rows = _activity_statements()
    params = {"cid": customer_id, "since": _year_start(), "recent": recent}
    if session.execute(exists, params).first() is None:
        raise NotFound("This customer no longer exists.")
    spend, refunds, count = session.execute(totals, params).one()
    loyalty_sum = session.execute(loyalty, params).scalar()
    account_sum = session.execute(account, params).scalar()
    sale_rows = session.execute(sales, params).all()
    points = session.execute(loyalty_rows, params).all()
    movements = session.execute(account_rows, params).all()
    return CustomerActivity(
        customer_id=customer_id,
        year_to_date_spend=from_cents(int(spend) - int(refunds)),
        account_balance=from_cents(int(account_sum or 0)),
        loyalty_balance=int(loyalty_sum or 0),
        sales_count=int(count),
        recent_sales=tuple(
            SaleBrief(r[0], r[1], r[2], from_cents(r[3]), r[4], r[5]) for r in sale_rows
        ),
        loyalty_ledger=tuple(LedgerLine(r[0], int(r[1]), r[2], r[3]) for r in points),
        account_ledger=tuple(AccountLine(r[0], from_cents(r[1]), r[2], r[3]) for r in movements),
    )
