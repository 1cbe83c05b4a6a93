"""Reports: sales by customer group over a date range (SPEC §2, seed 000).

A sale is counted in the group its customer belonged to when it completed, under the
name the group had then (``sale.group_name``, kept with the sale): moving a customer
between groups, renaming a group or deleting it never rewrites history (a deleted
group's past sales stay under its name, not under "No group").
Refunds count against their group's revenue and discount (their amounts are negative)
but are not counted as sales. Dates are the store's local calendar days, inclusive.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from tillterm.core.errors import TilltermError
from tillterm.core.money import from_cents
from tillterm.i18n import _
from tillterm.store.models import CustomerGroup, Sale

NO_GROUP = _("No group")
NO_CUSTOMER = _("No customer")


@dataclass(frozen=True)
class GroupSales:
    group_id: int | None
    group_name: str
    sales_count: int
    refunds_count: int
    revenue: Decimal
    discount: Decimal


@dataclass(frozen=True)
class GroupReport:
    date_from: dt.date
    date_to: dt.date
    rows: tuple[GroupSales, ...]

    @property
    def total(self) -> GroupSales:
        return GroupSales(
            None,
            _("Total"),
            sum(r.sales_count for r in self.rows),
            sum(r.refunds_count for r in self.rows),
            sum((r.revenue for r in self.rows), Decimal("0.00")),
            sum((r.discount for r in self.rows), Decimal("0.00")),
        )


def _local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min).astimezone().astimezone(dt.UTC)


def sales_by_group(session: Session, date_from: dt.date, date_to: dt.date) -> GroupReport:
    """Completed sales per customer group between two local dates (inclusive)."""
    if date_to < date_from:
        raise TilltermError(_("The end date is before the start date."))
    start = _local_start(date_from)
    end = _local_start(date_to + dt.timedelta(days=1))
    is_sale = case((col(Sale.kind) == "sale", 1), else_=0)
    has_customer = case((col(Sale.customer_id).is_(None), 0), else_=1)
    stmt = (
        sa.select(  # six columns: more than sqlmodel's select is typed for
            col(Sale.group_name),
            has_customer.label("with_customer"),
            func.sum(is_sale),
            func.sum(1 - is_sale),
            func.sum(Sale.total_cents),
            func.sum(Sale.discount_cents),
        )
        .where(
            col(Sale.state) == "completed",
            col(Sale.completed_at) >= start,
            col(Sale.completed_at) < end,
        )
        .group_by(col(Sale.group_name), has_customer)
    )
    ids = {g.name: g.id for g in session.exec(select(CustomerGroup)).all()}
    merged: dict[tuple[int | None, str], list[int]] = {}
    for group_name, with_customer, sales, refunds, revenue, discount in session.execute(stmt).all():
        if group_name is not None:
            key = (ids.get(group_name), group_name)
        else:
            key = (None, NO_GROUP if with_customer else NO_CUSTOMER)
        acc = merged.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate((sales, refunds, revenue, discount)):
            acc[i] += int(value or 0)
    special = (NO_GROUP, NO_CUSTOMER)
    order = sorted(
        merged.items(), key=lambda kv: (kv[0][1] in special, kv[0][1] == NO_CUSTOMER, kv[0][1])
    )
    rows = tuple(
        GroupSales(gid, name, s, r, from_cents(rev), from_cents(disc))
        for (gid, name), (s, r, rev, disc) in order
    )
    return GroupReport(date_from, date_to, rows)


def report_csv(report: GroupReport) -> str:
    """The report as CSV (header row, one row per group, a total row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["group", "sales", "refunds", "revenue", "discount"])
    for row in (*report.rows, report.total):
        writer.writerow(
            [
                row.group_name,
                row.sales_count,
                row.refunds_count,
                f"{row.revenue:.2f}",
                f"{row.discount:.2f}",
            ]
        )
    return buffer.getvalue()
