"""The sale's totals on the register: subtotal, discount, tax, total, paid, due."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tillterm.core.money import format_money
from tillterm.i18n import _, pgettext
from tillterm.i18n.formats import decimal_text
from tillterm.ui.widgets.steady_frame import SteadyFrame

if TYPE_CHECKING:
    from tillterm.sales import SaleView


def _discount_label(sale: SaleView) -> str:
    """ "Discount", or the whole-sale percentage in its place (same row: same height)."""
    if not sale.sale_discount_percent:
        return _("Discount")
    label = _("Disc {percent}%").format(percent=f"{sale.sale_discount_percent.normalize():f}")
    return label if len(label) <= 10 else _("Disc +sale")


class SaleTotals(Static, SteadyFrame):
    """Its border is redrawn only when it looks different (:class:`SteadyFrame`)."""

    DEFAULT_CSS = """
    SaleTotals {
        height: auto;
        border: round $primary;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = _("Totals")
        self._shown: Text | None = None

    def show_loading(self) -> None:
        self._set(Text(_("Loading…"), style="dim"))  # once, at start-up

    def show(self, sale: SaleView | None) -> None:
        """Show the totals; the screen is laid out again only when the height changes."""
        if sale is None or not sale.lines:
            self._set(_placeholder(_("Scan an item to start.")))
            return
        rows = [(_("Items"), str(sale.item_count)), (_("Subtotal"), decimal_text(sale.subtotal))]
        # always shown (0.00 without a discount), so attaching a customer never changes
        # the panel's height and re-lays the whole screen
        rows.append((_discount_label(sale), _minus(sale.discount)))
        if sale.customer is not None and sale.customer.tax_exempt and not sale.tax:
            # the tax part of tax-inclusive prices is taken off (README "Pricing rules")
            taken = sale.subtotal - sale.discount - sale.total
            rows.append((pgettext("totals", "Tax exempt"), _minus(taken)))
        else:
            tax = _("Tax incl.") if sale.prices_include_tax else _("Tax")
            rows.append((tax, decimal_text(sale.tax)))
        text = Text()
        for label, value in rows:
            text.append(_row(label, value) + "\n")
        total = format_money(sale.total, sale.currency)
        text.append(_row(_("TOTAL"), total), style="bold")
        if sale.payments:
            text.append("\n" + _row(_("Paid"), decimal_text(sale.paid)))
            due = decimal_text(max(sale.due, Decimal(0)))
            text.append("\n" + _row(_("Due"), due), style="bold")
            if sale.change:
                text.append("\n" + _row(_("Change"), decimal_text(sale.change)), style="bold")
        self._set(text)

    def _set(self, text: Text) -> None:
        old = self._shown
        if old is not None and _same(old, text):
            return
        self._shown = text
        same_height = old is not None and old.plain.count("\n") == text.plain.count("\n")
        self.update(text, layout=not same_height)  # drawn: amounts only


def _row(label: str, value: str) -> str:
    """One line of the panel: the label on the left, the amount on the right."""
    return f"{label:<10}{value:>14}"


def _minus(amount: Decimal) -> str:
    """A deduction: ``-1.50``, or ``0.00`` when there is none (the row is always shown)."""
    return f"-{decimal_text(amount)}" if amount else decimal_text(Decimal(0))


#: the totals' lines without a payment (items, subtotal, discount, tax, TOTAL)
TOTALS_LINES = 5


def _placeholder(note: str) -> Text:
    """``note`` as tall as the totals: a sale's first scan then changes the panel's
    text, not its height, so the screen is not laid out and redrawn again (6 KB over
    SSH for the first scan of every sale)."""
    return Text(note + "\n" * (TOTALS_LINES - 1), style="dim")


def _same(a: Text, b: Text) -> bool:
    return (a.plain, a.spans, a.style) == (b.plain, b.spans, b.style)
