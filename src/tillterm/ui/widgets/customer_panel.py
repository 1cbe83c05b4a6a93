"""The attached customer on the register: name, group, discount, loyalty, account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tillterm.core.money import format_money
from tillterm.core.typed_text import visible_text
from tillterm.ui.widgets.steady_frame import SteadyFrame

if TYPE_CHECKING:
    from tillterm.sales import SaleCustomer


def _pct(value: object) -> str:
    if value is None:
        return "none"
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


#: what of the notes fits two lines of the panel beside "Note: "
NOTE_LENGTH = 42


def _note_start(notes: str) -> str:
    """The notes' lines joined on one line, cut at a word with "…" when longer."""
    flat = " / ".join(line.strip() for line in notes.splitlines() if line.strip())
    if len(flat) <= NOTE_LENGTH:
        return flat
    cut = flat[: NOTE_LENGTH - 1].rsplit(" ", 1)[0] or flat[: NOTE_LENGTH - 1]
    return cut.rstrip(" /") + "…"


class CustomerPanel(Static, SteadyFrame):
    """Its border is redrawn only when it looks different (:class:`SteadyFrame`)."""

    DEFAULT_CSS = """
    CustomerPanel {
        height: auto;
        min-height: 7;
        border: round $secondary;
        border-title-color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Customer (F7)"
        self._shown: tuple[SaleCustomer | None, str] | None = None

    def show_loading(self) -> None:
        """Before the register's open sale is read: never "No customer" for a sale that
        will come back with one a moment later."""
        self._shown = None
        self.update(Text("Loading…", style="dim"), layout=False)

    def show(self, customer: SaleCustomer | None, currency: str) -> None:
        """Show the customer; the same customer again (most scans) changes nothing.

        The panel's size is fixed by the layout, so an update never re-lays the screen.
        """
        key = (customer, currency)
        if key == self._shown:
            return
        self._shown = key
        if customer is None:
            self.update(
                Text("No customer.\nF7 to search or scan a loyalty card.", style="dim"),
                layout=False,
            )
            return
        text = Text()
        # names and codes are data: appended (never markup), controls made visible
        text.append(visible_text(customer.display_name[:40]), style="bold")
        text.append(f"\n{visible_text(customer.customer_code)}")
        text.append(f"\nGroup: {visible_text(customer.group_name or '-')}")
        source = " (group)" if customer.discount_from_group else ""
        text.append(f"\nDiscount: {_pct(customer.discount_percent)}{source}")
        if customer.tax_exempt:
            text.append("\nTax: exempt")
        elif customer.tax_name:
            text.append(f"\nTax: {visible_text(customer.tax_name)}")
        loyalty = f"{customer.loyalty_balance} pts" if customer.loyalty_enabled else "off"
        text.append(f"\nLoyalty: {loyalty}")
        account = format_money(customer.account_balance, currency)
        if customer.on_account_allowed:
            limit = (
                format_money(customer.balance_limit, currency)
                if customer.balance_limit is not None
                else "no limit"
            )
            text.append(f"\nAccount: {account}\n  limit {limit}")
        else:
            text.append(f"\nAccount: {account} (no credit)")
        if customer.notes.strip():
            # what the cashier should know (seed 001): the start of it, two lines at most
            text.append("\nNote: ", style="bold")
            text.append(visible_text(_note_start(customer.notes)))
        if customer.archived:
            text.append("\nARCHIVED", style="bold red")
        self.update(text, layout=False)  # drawn: data appended through visible_text
