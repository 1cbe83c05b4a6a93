"""The sale's totals on the register: subtotal, discount, tax, total, paid, due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tillterm.ui.widgets.steady_frame import SteadyFrame

if TYPE_CHECKING:
    from tillterm.sales import SaleView


def _discount_label(sale: SaleView) -> str:
    """ "Discount", or the whole-sale percentage in its place (same row: same height)."""
    if not sale.sale_discount_percent:
        return "Discount"
    label = f"Disc {sale.sale_discount_percent.normalize():f}%"
    return label if len(label) <= 10 else "Disc +sale"


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
        self.border_title = "Totals"
        self._shown: Text | None = None

    def show_loading(self) -> None:
        self._set(Text("Loading…", style="dim"))  # once, at start-up

    def show(self, sale: SaleView | None) -> None:
        """Show the totals; the screen is laid out again only when the height changes."""
        if sale is None or not sale.lines:
            self._set(_placeholder("Scan an item to start."))
            return
        rows = [("Items", str(sale.item_count)), ("Subtotal", f"{sale.subtotal:.2f}")]
        # always shown (0.00 without a discount), so attaching a customer never changes
        # the panel's height and re-lays the whole screen
        rows.append((_discount_label(sale), f"-{sale.discount:.2f}" if sale.discount else "0.00"))
        if sale.customer is not None and sale.customer.tax_exempt and not sale.tax:
            # the tax part of tax-inclusive prices is taken off (README "Pricing rules")
            taken = sale.subtotal - sale.discount - sale.total
            rows.append(("Tax exempt", f"-{taken:.2f}" if taken else "0.00"))
        else:
            rows.append(("Tax incl." if sale.prices_include_tax else "Tax", f"{sale.tax:.2f}"))
        text = Text()
        for label, value in rows:
            text.append(f"{label:<10}{value:>14}\n")
        text.append(f"{'TOTAL':<10}{sale.total:>10.2f} {sale.currency}", style="bold")
        if sale.payments:
            text.append(f"\n{'Paid':<10}{sale.paid:>14.2f}")
            text.append(f"\n{'Due':<10}{max(sale.due, 0):>14.2f}", style="bold")
            if sale.change:
                text.append(f"\n{'Change':<10}{sale.change:>14.2f}", style="bold")
        self._set(text)

    def _set(self, text: Text) -> None:
        old = self._shown
        if old is not None and _same(old, text):
            return
        self._shown = text
        same_height = old is not None and old.plain.count("\n") == text.plain.count("\n")
        self.update(text, layout=not same_height)  # drawn: amounts only


#: the totals' lines without a payment (items, subtotal, discount, tax, TOTAL)
TOTALS_LINES = 5


def _placeholder(note: str) -> Text:
    """``note`` as tall as the totals: a sale's first scan then changes the panel's
    text, not its height, so the screen is not laid out and redrawn again (6 KB over
    SSH for the first scan of every sale)."""
    return Text(note + "\n" * (TOTALS_LINES - 1), style="dim")


def _same(a: Text, b: Text) -> bool:
    return (a.plain, a.spans, a.style) == (b.plain, b.spans, b.style)
