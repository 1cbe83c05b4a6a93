"""Which kept receipt to print again: the register's last one, or one by its number.

A copy is the text kept when the sale completed (``sale.receipt_text``), never the sale
rendered again: prices, the store's details or a customer's name may have changed
since, and a copy must say what the original said.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from tillterm.core.errors import NotFound
from tillterm.i18n import _
from tillterm.sales.views import CASH, COMPLETED, SaleView
from tillterm.store.models import Sale, table_of

_SALE = table_of(Sale)


@dataclass(frozen=True)
class KeptReceipt:
    receipt_no: str
    text: str


def kept_receipt(session: Session, register: str, receipt_no: str = "") -> KeptReceipt:
    """The receipt numbered ``receipt_no`` (any register's), else ``register``'s last."""
    query = select(_SALE.c.receipt_no, _SALE.c.receipt_text).where(_SALE.c.state == COMPLETED)
    if receipt_no.strip():
        query = query.where(_SALE.c.receipt_no == receipt_no.strip().upper())
    else:
        query = query.where(_SALE.c.register_name == register[:40]).order_by(
            _SALE.c.completed_at.desc(), _SALE.c.id.desc()
        )
    row = session.execute(query.limit(1)).first()
    if row is None:
        if receipt_no.strip():
            raise NotFound(
                _("No completed sale with receipt number “{number}”.").format(
                    number=receipt_no.strip()
                )
            )
        raise NotFound(
            _("Register {register} has no completed sale yet: nothing to reprint.").format(
                register=register
            )
        )
    if row.receipt_text is None:
        raise NotFound(
            _(
                "Receipt {number} was completed before receipts were kept: "
                "there is no copy to print."
            ).format(number=row.receipt_no)
        )
    return KeptReceipt(row.receipt_no or "", row.receipt_text)


def had_cash(sale: SaleView) -> bool:
    """Cash changed hands (paid, or given back by a refund): the drawer must open."""
    return any(payment.method == CASH for payment in sale.payments)
