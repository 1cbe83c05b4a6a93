"""F7 in the recent-sales screen: give back an item without its receipt.

An explicit, recorded choice: the item (description, price, quantity, tax rate), a
reason that is required, kept and printed, and how the money goes back — cash (F2) or
store credit (F3: on account to the customer whose card is typed or scanned in the
customer field). Tab moves between the fields; F10 asks yes/no, then the till records
the return and files its receipt; the screen closes with it and the register shows the
receipt. A field the till refuses keeps everything typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tillterm.core.money import parse_amount
from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text
from tillterm.sales import ACCOUNT, CASH, MAX_QUANTITY, NoReceiptItem
from tillterm.services.till import Finished
from tillterm.ui.messages import ScanReceived
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow
from tillterm.ui.widgets.key_footer import KeyFooter

_METHOD_WORDS: dict[str, str] = {CASH: _("Cash"), ACCOUNT: _("Store credit (on account)")}


class ReturnNoReceiptScreen(TillModal[Finished | None]):
    """The small form of a return without a receipt."""

    HELP_TITLE = _("Return without receipt")
    CSS_PATH = css("return_no_receipt.tcss")
    KEYS_WAIT_FOR = frozenset({"return"})
    BINDINGS = [
        Binding("f1", "app.show_help", _("Help")),
        Binding("f2", "pay_back('cash')", _("Cash")),
        Binding("f3", "pay_back('account')", _("Store credit")),
        Binding("f10", "record", _("Return")),
        Binding("escape", "back", _("Back")),
    ]

    @dataclass
    class Returned(Message):
        """The return is committed and its receipt filed (or why not, in the note)."""

        done: Finished

    @dataclass
    class Failed(Message):
        """Refused (no reason, unknown customer…): nothing changed, nothing lost."""

        note: str

    def __init__(self) -> None:
        super().__init__()
        self.method: str = CASH
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="noreceipt-box"):
            yield Static(plain(_("Return without receipt")), id="noreceipt-title")
            yield FormRow(
                _("Item"), Input(id="noreceipt-description", compact=True), field_name="d"
            )
            yield FormRow(
                _("Unit price"),
                Input(id="noreceipt-price", compact=True, restrict=r"[0-9.,]*"),
                field_name="p",
            )
            yield FormRow(
                _("Quantity"),
                Input(id="noreceipt-quantity", value="1", compact=True, restrict=r"[0-9]*"),
                field_name="q",
            )
            yield FormRow(
                _("Tax rate %"),
                Input(id="noreceipt-tax", compact=True, restrict=r"[0-9.,]*"),
                field_name="t",
            )
            yield FormRow(_("Reason"), Input(id="noreceipt-reason", compact=True), field_name="r")
            yield FormRow(
                _("Customer card"),
                Input(
                    id="noreceipt-customer", compact=True, placeholder=_("for store credit (F3)")
                ),
                field_name="c",
            )
            yield Static("", id="noreceipt-method")
            yield Static("", id="noreceipt-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#noreceipt-description", Input).focus()
        self._show_method()
        self._note(_("Tab moves between fields; F2 cash / F3 store credit; F10 records it."))

    def job_failed(self, group: str, error: BaseException) -> None:
        """Told and logged already: F10 works again, the form is as typed."""
        self._busy = False
        self._note(_("That did not go through; nothing was returned."), error=True)

    def _note(self, text: str, error: bool = False) -> None:
        self.query_one("#noreceipt-note", Static).update(plain(text, "bold red" if error else ""))

    def _show_method(self) -> None:
        self.query_one("#noreceipt-method", Static).update(
            plain(_("Money back: {method}").format(method=_METHOD_WORDS[self.method]), "bold")
        )

    def _value(self, name: str) -> str:
        return self.query_one(f"#noreceipt-{name}", Input).value.strip()

    def _item(self) -> NoReceiptItem:
        """The typed item; ``ValueError`` with a message the cashier can act on."""
        try:
            price = parse_amount(self._value("price"))
        except ValueError as exc:
            raise ValueError(_("Unit price: {error}").format(error=exc)) from exc
        quantity_text = self._value("quantity") or "0"
        quantity = int(quantity_text) if quantity_text.isdigit() else 0
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ValueError(
                _("Quantity: a whole number from 1 to {most}.").format(most=MAX_QUANTITY)
            )
        try:
            rate = Decimal(self._value("tax").replace(",", ".") or "x")
        except InvalidOperation as exc:
            raise ValueError(_("Tax rate: type the rate in %, e.g. 20 or 5.5.")) from exc
        return NoReceiptItem(self._value("description"), price, quantity, rate)

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        """A scanned loyalty card goes in the customer field."""
        message.stop()
        self.query_one("#noreceipt-customer", Input).value = message.code

    def action_pay_back(self, method: str) -> None:
        self.method = method
        self._show_method()

    def action_record(self) -> None:
        if self._busy:
            return
        try:
            item = self._item()
        except ValueError as exc:
            self._note(str(exc), error=True)
            self.app.bell()
            return
        reason, method, code = self._value("reason"), self.method, self._value("customer")
        if not reason:
            self._note(_("A return without a receipt needs a reason."), error=True)
            self.app.bell()
            return
        asked = _("Give back {quantity} × {item} at {price} — {method}; reason: {reason}")
        question = asked.format(
            quantity=item.quantity,
            item=item.description or "?",
            price=decimal_text(item.unit_price),
            method=_METHOD_WORDS[method].lower(),
            reason=reason,
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy = True
                self._note(_("Recording the return…"))
                services = self.services
                self.run_job(
                    "return",
                    lambda: services.till.return_without_receipt(item, reason, method, code),
                    self.Returned,
                    self.Failed,
                    description=_("recording the return without receipt"),
                    holds_keys=True,
                )

        confirm = ConfirmScreen(_("Return without receipt?"), question, _("Return"))
        self.app.push_screen(confirm, answered)

    @on(Returned)
    def _returned(self, message: Returned) -> None:
        self._busy = False
        self.dismiss(message.done)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._busy = False
        self._note(message.note, error=True)
        self.app.bell()

    def action_back(self) -> None:
        self.dismiss(None)
