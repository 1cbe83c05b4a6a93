"""Plain-text receipts: the same text on screen and in a file.

A receipt is 40 columns (a till roll), plain ASCII-friendly text, with the customer's
name and loyalty balance when a customer is attached. Files are named by receipt number
in a receipts directory (:func:`tillterm.config.resolve_receipts_dir`), written
atomically so a crash never leaves half a receipt.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from tillterm.errors import TilltermError
from tillterm.sales import REFUND, SaleView
from tillterm.settings import StoreInfo
from tillterm.typed_text import visible_text

WIDTH = 40


def _row(left: str, right: str, width: int = WIDTH) -> str:
    space = max(width - len(left) - len(right), 1)
    return f"{left}{' ' * space}{right}"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def render_receipt(sale: SaleView, store: StoreInfo, *, width: int = WIDTH) -> str:
    """The receipt of a completed sale (or refund) as text.

    Names, codes and descriptions are data: each goes through ``visible_text``, so a
    control character stored by an older version is printed as its picture (never
    obeyed by the terminal that shows the receipt or the printer that prints it) and a
    line break in a name cannot add a line to the receipt.
    """
    rule = "-" * width
    out = [visible_text(store.name).center(width).rstrip()]
    title = "REFUND" if sale.kind == REFUND else "RECEIPT"
    out.append(f"{title} {sale.receipt_no or '-'}".center(width).rstrip())
    when = (sale.completed_at or sale.created_at).astimezone()
    register = visible_text(sale.register_name)
    out.append(_row(f"Register {register}", when.strftime("%Y-%m-%d %H:%M"), width))
    out.append(rule)
    for line in sale.lines:
        out.append(visible_text(line.description)[:width])
        out.append(
            _row(f"  {line.quantity} x {_amount(line.unit_price)}", _amount(line.gross), width)
        )
        if line.discount:
            out.append(_row("  discount", _amount(-line.discount), width))
    out.append(rule)
    out.append(_row("Subtotal", _amount(sale.subtotal), width))
    if sale.discount:
        out.append(_row("Discount", _amount(-sale.discount), width))
    if sale.prices_include_tax:
        out.append(_row("TOTAL " + store.currency, _amount(sale.total), width))
        out.append(_row("  incl. tax", _amount(sale.tax), width))
    else:
        out.append(_row("Tax", _amount(sale.tax), width))
        out.append(_row("TOTAL " + store.currency, _amount(sale.total), width))
    for payment in sale.payments:
        label = payment.label
        if payment.loyalty_points:
            label += f" ({abs(payment.loyalty_points)} pts)"
        if payment.tendered is not None and payment.change:
            out.append(_row(f"{label} tendered", _amount(payment.tendered), width))
        else:
            out.append(_row(label, _amount(payment.amount), width))
    if sale.change:
        out.append(_row("Change", _amount(sale.change), width))
    if sale.customer is not None:
        out.append(rule)
        out.append(f"Customer: {visible_text(sale.customer.display_name)}"[:width])
        out.append(f"Card: {visible_text(sale.customer.customer_code)}"[:width])
        if sale.customer.loyalty_enabled or sale.customer.loyalty_balance:
            if sale.loyalty_earned and sale.kind == REFUND:
                out.append(_row("Points reversed", f"{sale.loyalty_earned:+d}", width))
            elif sale.loyalty_earned:
                out.append(_row("Points earned", str(sale.loyalty_earned), width))
            out.append(_row("Loyalty balance", f"{sale.customer.loyalty_balance} pts", width))
        if sale.customer.account_balance:
            out.append(_row("Account balance", _amount(sale.customer.account_balance), width))
    if store.receipt_footer:
        out.append(rule)
        out.append(visible_text(store.receipt_footer).center(width).rstrip())
    return "\n".join(out) + "\n"


def write_receipt(text: str, directory: Path, receipt_no: str) -> Path:
    """Write ``<directory>/<receipt_no>.txt`` (atomically); a readable error otherwise."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{receipt_no}.txt"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        raise TilltermError(
            f"The sale is complete but its receipt could not be saved in {directory}: "
            f"{exc.strerror or exc}."
        ) from exc
    return target
