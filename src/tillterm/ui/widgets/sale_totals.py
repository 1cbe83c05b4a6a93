"""The sale's totals on the register: subtotal, discount, tax, total, paid, due."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tillterm.sales import SaleView


class SaleTotals(Static):
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

    def show(self, sale: SaleView | None) -> None:
        if sale is None or not sale.lines:
            self.update(Text("Scan an item to start.", style="dim"))
            return
        rows = [("Items", str(sale.item_count)), ("Subtotal", f"{sale.subtotal:.2f}")]
        if sale.discount:
            rows.append(("Discount", f"-{sale.discount:.2f}"))
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
        self.update(text)
