"""Refunds: a refund is a completed sale of its own (``kind="refund"``) mirroring
the original, which is never rewritten; loyalty points and account movements are
reversed, and a sale is refunded once.

A sale part of which was already returned (:mod:`tillterm.sales.returns`) is refused a
whole-sale refund rather than refunded "for what is left": the whole-sale refund
mirrors the sale exactly (its lines, its payments, its ledger movements), which is only
true of a sale nothing was taken from; the rest goes back through *Return items*, which
can return every line left and splits the money by its stated rule."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from tillterm.catalog.settings import load_settings
from tillterm.core.money import format_money
from tillterm.i18n import _, ngettext
from tillterm.sales.lifecycle import _lock_customer, _next_receipt_no, _print, _take_write_lock
from tillterm.sales.reading import _lines, _payments, loyalty_balance
from tillterm.sales.receipts import WIDTH
from tillterm.sales.returns import returning_line
from tillterm.sales.views import (
    ACCOUNT,
    CARD,
    CASH,
    COMPLETED,
    REFUND,
    SALE,
    SaleError,
    SaleView,
)
from tillterm.store.models import (
    AccountEntry,
    LoyaltyEntry,
    Payment,
    Sale,
    utcnow,
)


def refund_sale(
    session: Session, register: str, original_sale_id: int, *, width: int = WIDTH
) -> SaleView:
    """Refund a completed sale in full: a new completed ``refund`` sale mirroring it.

    Lines and payments are the original's, negated (money goes back the way it came);
    the original's loyalty and account movements are reversed by new ledger rows. A
    loyalty balance never goes below zero: if the customer has already spent the points
    the sale earned, the reversal takes what is left.
    """
    original = _take_write_lock(session, original_sale_id, (COMPLETED,))
    if original.kind != SALE:
        raise SaleError(_("A refund cannot itself be refunded."))
    already = session.exec(
        select(Sale).where(Sale.original_sale_id == original_sale_id, Sale.kind == REFUND)
    ).first()
    if already is not None and already.note.startswith("Return of"):
        raise SaleError(
            _(
                "Part of sale {receipt} was already returned ({refund}); "
                "return what is left with Return items."
            ).format(receipt=original.receipt_no, refund=already.receipt_no)
        )
    if already is not None:
        raise SaleError(
            _("Sale {receipt} has already been refunded.").format(receipt=original.receipt_no)
        )
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
        session.add(returning_line(rid, line))
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
    return _print(session, refund, load_settings(session), width)


def describe_refund(refund: SaleView) -> str:
    """What the cashier does and tells the customer after a refund, in one line."""
    cur = refund.currency
    parts = []
    for p in refund.payments:
        amount = format_money(-p.amount, cur)
        if p.method == CASH:
            parts.append(_("give back {amount} in cash").format(amount=amount))
        elif p.method == CARD:
            parts.append(_("refund {amount} to the card").format(amount=amount))
        elif p.method == ACCOUNT:
            parts.append(_("{amount} taken off the account").format(amount=amount))
    # the ledger's one reversal row: points earned taken back, points redeemed returned
    if refund.loyalty_earned < 0:
        points = -refund.loyalty_earned
        parts.append(
            ngettext(
                "{count} loyalty point taken back", "{count} loyalty points taken back", points
            ).format(count=points)
        )
    elif refund.loyalty_earned > 0:
        points = refund.loyalty_earned
        parts.append(
            ngettext(
                "{count} loyalty point given back", "{count} loyalty points given back", points
            ).format(count=points)
        )
    if not parts:
        return _("Refund {receipt}: nothing was paid.").format(receipt=refund.receipt_no)
    return _("Refund {receipt}: {what}.").format(receipt=refund.receipt_no, what="; ".join(parts))
