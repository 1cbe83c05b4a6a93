"""F9 on the register: take payments — cash with change, card, on account, loyalty, split."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tillterm.core.errors import TilltermError
from tillterm.core.money import parse_amount
from tillterm.sales import CASH, LOYALTY, METHOD_LABELS, SaleView, add_payment
from tillterm.sales import remove_payment as remove_payment_row
from tillterm.store.engine import session_scope
from tillterm.ui.plain import plain
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter

#: one lock per process: payments on one sale are taken one at a time
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PaymentResult:
    sale: SaleView
    complete: bool


class PaymentScreen(ModalScreen[PaymentResult]):
    """Type an amount (empty = what is due) and press the method's key; Enter is cash."""

    HELP_TITLE = "Payment"
    CSS_PATH = css("payment.tcss")
    BINDINGS = [
        Binding("f2", "pay('cash')", "Cash"),
        Binding("f3", "pay('card')", "Card"),
        Binding("f4", "pay('account')", "On account"),
        Binding("f5", "pay('loyalty')", "Loyalty"),
        Binding("ctrl+d", "remove_payment", "Remove payment", priority=True),
        Binding("f10", "complete", "Complete"),
        Binding("escape", "back", "Back to sale"),
    ]

    @dataclass
    class Changed(Message):
        sale: SaleView
        note: str

    @dataclass
    class Refused(Message):
        note: str

    def __init__(self, sale: SaleView) -> None:
        super().__init__()
        self.sale = sale

    def compose(self) -> ComposeResult:
        with Vertical(id="payment-box"):
            yield Static("Payment", id="payment-title")
            yield Static(id="payment-summary")
            yield Input(
                placeholder="Amount (empty = amount due)",
                id="payment-amount",
                restrict=r"[0-9.,€$£ ]*",
            )
            yield Static(
                "Enter/F2 cash · F3 card · F4 on account · F5 loyalty · "
                "Ctrl+D remove · F10 complete · Esc back",
                id="payment-keys",
            )
            yield Static("", id="payment-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show(self.sale, "")
        amount = self.query_one("#payment-amount", Input)
        amount.cursor_blink = False
        amount.focus()

    def _show(self, sale: SaleView, note: str) -> None:
        self.sale = sale
        text = Text()
        text.append(f"{'Total':<12}{sale.total:>12.2f} {sale.currency}\n", style="bold")
        for p in sale.payments:
            extra = f" ({p.loyalty_points} pts)" if p.loyalty_points else ""
            if p.tendered is not None and p.change:
                extra = f" (given {p.tendered:.2f})"
            text.append(f"  {p.label + extra:<22}{p.amount:>10.2f}\n")
        text.append(f"{'Due':<12}{max(sale.due, Decimal(0)):>12.2f}", style="bold")
        if sale.change:
            text.append(f"\n{'CHANGE':<12}{sale.change:>12.2f}", style="bold reverse")
        self.query_one("#payment-summary", Static).update(text)  # drawn: amounts, method names
        if sale.due <= 0 and sale.lines:
            note = (note + " " if note else "") + "Paid in full — F10 to complete."
        self.query_one("#payment-note", Static).update(plain(note))

    def _amount(self) -> Decimal | None:
        raw = self.query_one("#payment-amount", Input).value.strip()
        return parse_amount(raw) if raw else None

    @on(Input.Submitted, "#payment-amount")
    def _submitted(self) -> None:
        self.action_pay(CASH)

    def action_pay(self, method: str) -> None:
        try:
            amount = self._amount()
        except ValueError as exc:
            self.post_message(self.Refused(str(exc)))
            return
        self.query_one("#payment-amount", Input).value = ""
        self._pay(method, amount)

    @work(thread=True, exit_on_error=False, group="payment")
    def _pay(self, method: str, amount: Decimal | None) -> None:
        try:
            with _LOCK, session_scope(self.app.engine) as session:  # type: ignore[attr-defined]
                if method == CASH:
                    view = add_payment(session, self.sale.id, CASH, tendered=amount)
                else:
                    view = add_payment(session, self.sale.id, method, amount)
        except TilltermError as exc:
            self.post_message(self.Refused(str(exc)))
            return
        added = view.payments[-1] if view.payments else None
        note = f"{METHOD_LABELS[method]}: {added.amount:.2f} taken." if added else ""
        if added is not None and method == LOYALTY:
            note = f"{added.loyalty_points} points redeemed for {added.amount:.2f}."
        self.post_message(self.Changed(view, note))

    def action_remove_payment(self) -> None:
        if not self.sale.payments:
            self.post_message(self.Refused("There is no payment to remove."))
            return
        self._remove(self.sale.payments[-1].id)

    @work(thread=True, exit_on_error=False, group="payment")
    def _remove(self, payment_id: int) -> None:
        try:
            with _LOCK, session_scope(self.app.engine) as session:  # type: ignore[attr-defined]
                view = remove_payment_row(session, self.sale.id, payment_id)
        except TilltermError as exc:
            self.post_message(self.Refused(str(exc)))
            return
        self.post_message(self.Changed(view, "Payment removed."))

    @on(Changed)
    def _changed(self, message: Changed) -> None:
        self._show(message.sale, message.note)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        note = self.query_one("#payment-note", Static)
        note.update(plain(message.note, "bold red"))

    def action_complete(self) -> None:
        if self.sale.due > 0:
            self._refused(self.Refused(f"{self.sale.due:.2f} is still due."))
            return
        self.dismiss(PaymentResult(self.sale, True))

    def action_back(self) -> None:
        self.dismiss(PaymentResult(self.sale, False))
