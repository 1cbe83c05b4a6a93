"""X and Z reports as printed text: 40 columns, a till roll, the same on screen.

A Z report is rendered once, when it is taken, and kept with its day
(:func:`tillterm.sales.drawer.take_z`): reprinting uses that text, so a report never
changes after it was printed (a store renamed, a tax rate retired, a sale completed
later change nothing on it). An X report is rendered each time it is asked for.

Times are printed in the machine's local time (the cashier's clock), stored in UTC.
"""

from __future__ import annotations

import datetime as dt

from tillterm.catalog.settings import StoreInfo
from tillterm.core.money import from_cents
from tillterm.core.typed_text import visible_text
from tillterm.sales.drawer import CASH_IN, DayFigures, z_label
from tillterm.sales.receipts import WIDTH, _row  # the same till roll as the receipts
from tillterm.sales.views import METHOD_LABELS


def _amount(cents: int) -> str:
    return f"{from_cents(cents):.2f}"


def _when(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _rate(rate: str | None) -> str:
    if rate is None:
        return "No rate"
    text = rate.rstrip("0").rstrip(".") if "." in rate else rate
    return f"{text} %"


def over_short_words(cents: int) -> str:
    """``2.00 over`` / ``1.50 short`` / ``exact``: said in words (no sign to misread, no
    colour needed)."""
    if cents > 0:
        return f"{_amount(cents)} over"
    if cents < 0:
        return f"{_amount(-cents)} short"
    return "exact"


def render_day_report(figures: DayFigures, store: StoreInfo, *, width: int = WIDTH) -> str:
    """The X report (``figures.z_no`` is ``None``) or the Z report of a register's day."""
    rule = "-" * width
    out = [visible_text(line).center(width).rstrip() for line in store.legal_lines()]
    out.append(rule)
    if figures.z_no is None:
        out.append("X REPORT (running totals)".center(width).rstrip())
    else:
        out.append(f"Z REPORT {z_label(figures.z_no)}".center(width).rstrip())
    out.append(_row("Register", visible_text(figures.register_name)[: width - 10], width))
    out.append(_row("From", _when(figures.started_at), width))
    label = "Printed" if figures.z_no is None else "Closed"
    out.append(_row(label, _when(figures.ended_at), width))
    if figures.opened_at is not None:
        out.append(_row("Drawer opened", _when(figures.opened_at), width))
    else:
        out.append(_row("Drawer", "not opened", width))
    out.append(_row("Amounts in", figures.currency, width))
    out.append(rule)
    out.append(_row(f"Sales ({figures.sales_count})", _amount(figures.sales_cents), width))
    out.append(_row(f"Refunds ({figures.refunds_count})", _amount(figures.refunds_cents), width))
    out.append(_row("NET SALES", _amount(figures.net_sales_cents), width))
    out.append(_row("Discounts given", _amount(figures.discount_cents), width))
    out.append(_row(f"Voids ({figures.voids_count})", _amount(figures.voids_cents), width))
    out.append(rule)
    out.append(_tax_row("Tax rate", "Net", "Tax", "Total", width))
    for tax in figures.taxes:
        out.append(
            _tax_row(
                _rate(tax.rate),
                _amount(tax.net_cents),
                _amount(tax.tax_cents),
                _amount(tax.net_cents + tax.tax_cents),
                width,
            )
        )
    net = sum(t.net_cents for t in figures.taxes)
    taxed = sum(t.tax_cents for t in figures.taxes)
    out.append(_tax_row("All", _amount(net), _amount(taxed), _amount(net + taxed), width))
    out.append(rule)
    out.append("Payments")
    for method in figures.payments:
        name = METHOD_LABELS.get(method.method, method.method)
        out.append(_row(f"  {name} ({method.count})", _amount(method.amount_cents), width))
    if not figures.payments:
        out.append(_row("  none", _amount(0), width))
    out.append(rule)
    out.append("Cash drawer")
    out.append(_row("  Opening float", _amount(figures.float_cents), width))
    out.append(_row("  Cash payments", _amount(figures.cash_payments_cents), width))
    for move in figures.moves:
        sign = 1 if move.kind == CASH_IN else -1
        what = "In" if move.kind == CASH_IN else "Out"
        left = f"  {what} {move.at.astimezone():%H:%M} {visible_text(move.reason)}"
        right = _amount(sign * move.amount_cents)
        out.append(_row(left[: width - len(right) - 1], right, width))
    out.append(_row("  Cash in", _amount(figures.cash_in_cents), width))
    out.append(_row("  Cash out", _amount(-figures.cash_out_cents), width))
    out.append(_row("  EXPECTED IN DRAWER", _amount(figures.expected_cash_cents), width))
    if figures.counted_cents is not None:
        out.append(_row("  Counted", _amount(figures.counted_cents), width))
        out.append(_row("  Over/short", over_short_words(figures.over_short_cents or 0), width))
    elif figures.z_no is not None:
        out.append(_row("  Counted", "not counted", width))
    out.append(rule)
    if figures.first_receipt is None:
        out.append(_row("Receipts", "none", width))
    else:
        out.append(_row("First receipt", figures.first_receipt, width))
        out.append(_row("Last receipt", figures.last_receipt or "", width))
    if figures.z_no is None:
        out.append(rule)
        out.append("Not a Z report: the day stays open.".center(width).rstrip())
    return "\n".join(out) + "\n"


def _tax_row(rate: str, net: str, tax: str, total: str, width: int) -> str:
    # 40 columns: rate 10, then three right-aligned amounts of 10
    column = (width - 10) // 3
    return f"{rate[:10]:<10}{net:>{column}}{tax:>{column}}{total:>{column}}"
