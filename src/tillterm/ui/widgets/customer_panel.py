"""The attached customer on the register: name, group, discount, loyalty, account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tillterm.core.money import format_money
from tillterm.core.typed_text import visible_text
from tillterm.i18n import _, language, pgettext
from tillterm.ui.plain import plain_text
from tillterm.ui.widgets.steady_frame import SteadyFrame

if TYPE_CHECKING:
    from tillterm.sales import SaleCustomer


def _pct(value: object) -> str:
    if value is None:
        return pgettext("discount", "none")
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if language() == "fr":
        text = text.replace(".", ",")
    return _("{percent} %").format(percent=text)


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
        self.border_title = _("Customer (F7)")
        self._shown: tuple[SaleCustomer | None, str] | None = None

    def show_loading(self) -> None:
        """Before the register's open sale is read: never "No customer" for a sale that
        will come back with one a moment later."""
        self._shown = None
        self.update(plain_text(_("Loading…"), "dim"), layout=False)

    def show(self, customer: SaleCustomer | None, currency: str) -> None:
        """Show the customer; the same customer again (most scans) changes nothing.

        The panel's size is fixed by the layout, so an update never re-lays the screen.
        """
        key = (customer, currency)
        if key == self._shown:
            return
        self._shown = key
        if customer is None:
            none = _("No customer.\nF7 to search or scan a loyalty card.")
            self.update(plain_text(none, "dim", multiline=True), layout=False)
            return
        text = Text()
        # names and codes are data: appended (never markup), controls made visible
        text.append(visible_text(customer.display_name[:40]), style="bold")
        text.append(f"\n{visible_text(customer.customer_code)}")
        group = visible_text(customer.group_name or "-")
        text.append("\n" + _("Group: {group}").format(group=group))
        discount = _pct(customer.discount_percent)
        if customer.discount_from_group:
            discount = _("{discount} (group)").format(discount=discount)
        text.append("\n" + _("Discount: {discount}").format(discount=discount))
        if customer.tax_exempt:
            text.append("\n" + _("Tax: exempt"))
        elif customer.tax_name:
            text.append("\n" + _("Tax: {name}").format(name=visible_text(customer.tax_name)))
        loyalty = (
            _("{points} pts").format(points=customer.loyalty_balance)
            if customer.loyalty_enabled
            else _("off")
        )
        text.append("\n" + _("Loyalty: {points}").format(points=loyalty))
        account = format_money(customer.account_balance, currency)
        if customer.on_account_allowed:
            limit = (
                format_money(customer.balance_limit, currency)
                if customer.balance_limit is not None
                else _("no limit")
            )
            text.append(
                "\n" + _("Account: {balance}\n  limit {limit}").format(balance=account, limit=limit)
            )
        else:
            text.append("\n" + _("Account: {balance} (no credit)").format(balance=account))
        if customer.notes.strip():
            # what the cashier should know (seed 001): the start of it, two lines at most
            text.append("\n" + _("Note: "), style="bold")
            text.append(visible_text(_note_start(customer.notes)))
        if customer.archived:
            text.append("\n" + _("ARCHIVED"), style="bold red")
        self.update(text, layout=False)  # drawn: data appended through visible_text
