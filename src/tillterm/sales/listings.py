"""Lists of sales for the screens and the start-up: parked sales, recent completed
sales, a sale by its receipt number, the receipts a crash left unwritten, and the
register's last completed sale."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from tillterm.catalog.settings import load_settings
from tillterm.core.errors import NotFound
from tillterm.core.money import from_cents
from tillterm.i18n import _
from tillterm.sales.lifecycle import receipt_number
from tillterm.sales.reading import _view, customer_label
from tillterm.sales.receipts import render_receipt
from tillterm.sales.statements import _CUSTOMER_T, _SALE_T
from tillterm.sales.views import (
    COMPLETED,
    PARKED,
    REFUND,
    CompletedSale,
    ParkedSale,
    SaleKind,
    SaleView,
)
from tillterm.store.models import (
    Customer,
    Sale,
    SaleLine,
)


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
    # the customer comes from an outer join: None for a sale parked without one (the
    # select's types cannot say so)
    buyers: list[tuple[Sale, Customer | None, int | None]] = [tuple(row) for row in rows]
    return [
        ParkedSale(
            id=sale.id or 0,
            register_name=sale.register_name,
            customer_name=customer_label(customer) if customer is not None else None,
            line_count=int(n or 0),
            total=from_cents(sale.total_cents),
            parked_at=sale.updated_at,
        )
        for sale, customer, n in buyers
    ]


def find_sale_by_receipt(session: Session, receipt_no: str) -> SaleView:
    sale = session.exec(select(Sale).where(Sale.receipt_no == receipt_no.strip().upper())).first()
    if sale is None:
        raise NotFound(
            _("No sale with receipt number “{receipt}”.").format(receipt=receipt_no.strip())
        )
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
        sa.select(  # Core columns, more than sqlmodel's select is typed for
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
            kind=SaleKind(row.kind),
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
    kind: SaleKind
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
    return LastSale(row.receipt_no or "", SaleKind(row.kind), row.completed_at)
