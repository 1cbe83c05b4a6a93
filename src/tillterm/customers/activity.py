"""A customer's activity: spend, balances and the latest movements, from the ledgers."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col

from tillterm.core.errors import NotFound
from tillterm.core.money import from_cents
from tillterm.customers.records import AccountLine, CustomerActivity, LedgerLine, SaleBrief
from tillterm.i18n import _
from tillterm.store.models import AccountEntry, Customer, LoyaltyEntry, OpeningSpend, Sale


def _year_start() -> dt.datetime:
    today = dt.date.today()
    return dt.datetime.combine(dt.date(today.year, 1, 1), dt.time.min).astimezone(dt.UTC)


@functools.cache
def _activity_statements() -> tuple[Any, ...]:
    """The activity's statements, built once with bound parameters (``cid``, ``since``,
    ``recent``): building them on every opening cost more than running them."""
    cid: BindParameter[int] = bindparam("cid")
    since: BindParameter[dt.datetime] = bindparam("since")
    recent: BindParameter[int] = bindparam("recent")
    sale_id, sale_customer, completed_at = (
        col(Sale.id),
        col(Sale.customer_id),
        col(Sale.completed_at),
    )
    total = col(Sale.total_cents)
    is_refund = col(Sale.kind) == "refund"
    exists = select(col(Customer.id)).where(col(Customer.id) == cid)
    totals = select(
        func.coalesce(
            func.sum(case((and_(~is_refund, completed_at >= since), total), else_=0)),
            0,
        ),
        func.coalesce(
            func.sum(case((and_(is_refund, completed_at >= since), func.abs(total)), else_=0)),
            0,
        ),
        func.count(case((~is_refund, sale_id))),
    ).where(sale_customer == cid, col(Sale.state) == "completed")
    # the old system's year-to-date figure (an opening import) counts in its own year
    opening_spend = select(func.coalesce(func.sum(col(OpeningSpend.amount_cents)), 0)).where(
        col(OpeningSpend.customer_id) == cid, col(OpeningSpend.as_of) >= since
    )
    loyalty = select(func.coalesce(func.sum(col(LoyaltyEntry.points)), 0)).where(
        col(LoyaltyEntry.customer_id) == cid
    )
    account = select(func.coalesce(func.sum(col(AccountEntry.amount_cents)), 0)).where(
        col(AccountEntry.customer_id) == cid
    )
    when = func.coalesce(completed_at, col(Sale.created_at))
    sales = (
        select(
            sale_id,
            col(Sale.receipt_no),
            completed_at,
            total,
            col(Sale.state),
            col(Sale.kind),
        )
        .where(sale_customer == cid)
        .order_by(when.desc(), sale_id.desc())
        .limit(recent)
    )
    loyalty_rows = (
        select(
            col(LoyaltyEntry.created_at),
            col(LoyaltyEntry.points),
            col(LoyaltyEntry.reason),
            col(LoyaltyEntry.sale_id),
        )
        .where(col(LoyaltyEntry.customer_id) == cid)
        .order_by(col(LoyaltyEntry.created_at).desc(), col(LoyaltyEntry.id).desc())
        .limit(recent)
    )
    account_rows = (
        select(
            col(AccountEntry.created_at),
            col(AccountEntry.amount_cents),
            col(AccountEntry.reason),
            col(AccountEntry.sale_id),
        )
        .where(col(AccountEntry.customer_id) == cid)
        .order_by(col(AccountEntry.created_at).desc(), col(AccountEntry.id).desc())
        .limit(recent)
    )
    return exists, totals, opening_spend, loyalty, account, sales, loyalty_rows, account_rows


def customer_activity(session: Session, customer_id: int, *, recent: int = 20) -> CustomerActivity:
    """Year-to-date spend, balances and the latest movements, summed from the ledgers.

    Year-to-date spend counts completed sales since 1 January (local time), minus
    completed refunds, whatever sign a refund's total is stored with, plus the
    year-to-date spend an opening import brought over this year.
    """
    statements = _activity_statements()
    exists, totals, opening_spend, loyalty, account, sales, loyalty_rows, account_rows = statements
    params = {"cid": customer_id, "since": _year_start(), "recent": recent}
    if session.execute(exists, params).first() is None:
        raise NotFound(_("This customer no longer exists."))
    spend, refunds, count = session.execute(totals, params).one()
    opening = session.execute(opening_spend, params).scalar()
    loyalty_sum = session.execute(loyalty, params).scalar()
    account_sum = session.execute(account, params).scalar()
    sale_rows = session.execute(sales, params).all()
    points = session.execute(loyalty_rows, params).all()
    movements = session.execute(account_rows, params).all()
    return CustomerActivity(
        customer_id=customer_id,
        year_to_date_spend=from_cents(int(spend) - int(refunds) + int(opening or 0)),
        account_balance=from_cents(int(account_sum or 0)),
        loyalty_balance=int(loyalty_sum or 0),
        sales_count=int(count),
        recent_sales=tuple(
            SaleBrief(r[0], r[1], r[2], from_cents(r[3]), r[4], r[5]) for r in sale_rows
        ),
        loyalty_ledger=tuple(LedgerLine(r[0], int(r[1]), r[2], r[3]) for r in points),
        account_ledger=tuple(AccountLine(r[0], from_cents(r[1]), r[2], r[3]) for r in movements),
    )
