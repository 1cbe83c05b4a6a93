"""F9 on the register: take payments — cash with change, card, on account, loyalty, split."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Self

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Input, Static

from tillterm.core.money import format_money, parse_amount
from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text
from tillterm.sales import CASH, LOYALTY, METHOD_LABELS, SaleView
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class PaymentResult:
    sale: SaleView
    complete: bool


#: what the window says while the sale it is for is still being read
READING = _("Reading the sale… type the amount given meanwhile.")


class PaymentScreen(TillModal[PaymentResult]):
    """Type an amount (empty = what is due) and press the method's key; Enter is cash.

    Payments go through the register's till, under the same lock as its scans: a
    payment and a scan queue behind each other, never interleave.

    ``reading``: F9 came while a change to the sale was still on its way and the
    database is slow to answer. The window opens at once, focused, so the amount typed
    after F9 lands here (it used to wait out the keys' limit, then went to the scan
    field behind, and its Enter paid the amount due); it says the sale is being read
    and the register hands it the sale when it is (:meth:`sale_read`). Meanwhile a
    typed amount is taken (it queues behind the change in the till), but nothing that
    means "the amount due" is: the cashier has not seen it.
    """

    HELP_TITLE = _("Payment")
    CSS_PATH = css("payment.tcss")
    #: Enter then F10: the payment just taken counts before F10 looks at what is due
    KEYS_WAIT_FOR = frozenset({"payment"})
    BINDINGS = [
        Binding("f2", "pay('cash')", _("Cash")),
        Binding("f3", "pay('card')", _("Card")),
        Binding("f4", "pay('account')", _("On account")),
        Binding("f5", "pay('loyalty')", _("Loyalty")),
        # short: at 80 columns "esc Back to sale" must fit whole beside it
        Binding("ctrl+d", "remove_payment", _("Remove"), priority=True),
        Binding("f10", "complete", _("Complete")),
        Binding("escape", "back", _("Back to sale")),
    ]

    @dataclass
    class Changed(Message):
        sale: SaleView
        note: str

    @dataclass
    class Refused(Message):
        note: str

    def __init__(self, sale: SaleView | None, *, reading: bool = False) -> None:
        super().__init__()
        self.sale = sale
        #: the sale shown may not be the one paid for yet: see the class docstring
        self.reading = reading
        #: the window has been drawn: a later resume (after F1) repaints it whole
        self._drawn = False
        #: drawn once and not yet settled: see :meth:`on_screen_resume`
        self._settling = False

    def compose(self) -> ComposeResult:
        with Vertical(id="payment-box"):
            yield Static(plain(_("Payment")), id="payment-title")
            yield Static(id="payment-summary")
            yield Input(
                placeholder=_("Amount (empty = amount due)"),
                id="payment-amount",
                restrict=r"[0-9.,€$£ ]*",
            )
            yield Static(
                plain(
                    _(
                        "Enter/F2 cash · F3 card · F4 on account · F5 loyalty · "
                        "Ctrl+D remove · F10 complete · Esc back"
                    )
                ),
                id="payment-keys",
            )
            yield Static("", id="payment-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.reading or self.sale is None:
            self._show_reading()
        else:
            self._show(self.sale, "")
        amount = self.query_one("#payment-amount", Input)
        amount.cursor_blink = False
        amount.focus()

    def on_screen_resume(self) -> None:
        """The first time, let the window be drawn once, not twice.

        On its first resume Textual lays the new window out, which draws the whole
        screen, then asks for a whole repaint besides; and the end of its mount lays it
        out again with another whole repaint: the same 80×24 frame sent twice, 6 KB of
        F9's 14.6 over SSH. The first is requested after this handler (the base
        class's runs last), so it is dropped just after the resume is handled; until
        the window is settled, a layout asked of it repaints what the layout moves
        (:meth:`refresh`). A later resume (the help closed over it) repaints whole,
        as Textual means it to.
        """
        if not self._drawn:
            self._drawn = self._settling = True
            self.call_next(self._drop_owed_repaint)
            self.call_after_refresh(self._settled)

    def _drop_owed_repaint(self) -> None:
        self._repaint_required = False

    def _settled(self) -> None:
        self._settling = False

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        """While the window settles, a layout of it repaints only what moved (the
        compositor's reflow marks those regions), not the whole screen again."""
        if self._settling and layout and not regions:
            repaint = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _show_reading(self) -> None:
        text = Text()
        reading, total_label, due_label = _("reading…"), _("Total"), _("Due")
        text.append(f"{total_label:<12}{reading:>12}\n", style="bold")
        text.append(f"{due_label:<12}{reading:>12}", style="bold")
        self.query_one("#payment-summary", Static).update(text)  # drawn: fixed labels only
        self.query_one("#payment-note", Static).update(plain(READING))

    def sale_read(self, sale: SaleView | None) -> None:
        """From the register: the change F9 came behind is done, ``sale`` is what it
        left. Ignored once a payment taken here showed a newer sale."""
        if not self.reading:
            return
        if sale is None or not sale.lines:  # the scan F9 came behind was refused
            self.sale, self.reading = None, False
            self.query_one("#payment-summary", Static).update("")
            self._refused(self.Refused(_("Nothing to pay: Esc, then scan something.")))
            return
        self._show(sale, "")

    def _show(self, sale: SaleView, note: str) -> None:
        self.sale = sale
        self.reading = False
        text = Text()
        # the currency after the number, the numbers right-aligned under one another
        number = decimal_text(sale.total)
        currency = format_money(sale.total, sale.currency)[len(number) :]
        total_label, due_label = _("Total"), _("Due")
        text.append(f"{total_label:<12}{number:>12}{currency}\n", style="bold")
        for p in sale.payments:
            extra = ""
            if p.loyalty_points:
                extra = " " + _("({points} pts)").format(points=p.loyalty_points)
            if p.tendered is not None and p.change:
                extra = " " + _("(given {amount})").format(amount=decimal_text(p.tendered))
            text.append(f"  {p.label + extra:<22}{decimal_text(p.amount):>10}\n")
        due = decimal_text(max(sale.due, Decimal(0)))
        text.append(f"{due_label:<12}{due:>12}", style="bold")
        if sale.change:
            change = _("CHANGE")
            text.append(f"\n{change:<12}{decimal_text(sale.change):>12}", style="bold reverse")
        self.query_one("#payment-summary", Static).update(text)  # drawn: amounts, method names
        if sale.due <= 0 and sale.lines:
            note = (note + " " if note else "") + _("Paid in full — F10 to complete.")
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
        if self.sale is None and not self.reading:
            self.post_message(self.Refused(_("Nothing to pay: Esc, then scan something.")))
            return
        if amount is None and self.reading:
            # empty means "the amount due", which nobody has seen yet: the field is kept
            self.post_message(
                self.Refused(_("The amount due is still being read: type the amount, or wait."))
            )
            return
        self.query_one("#payment-amount", Input).value = ""
        if self.reading and amount is not None:
            # the field empties: say where the amount went while the window waits
            note = _("{method} {amount}: taken once the sale is read.").format(
                method=METHOD_LABELS[method], amount=decimal_text(amount)
            )
            self.query_one("#payment-note", Static).update(plain(note))
        self._pay(method, amount)

    def _pay(self, method: str, amount: Decimal | None) -> None:
        services = self.services

        def taken(view: SaleView) -> PaymentScreen.Changed:
            added = view.payments[-1] if view.payments else None
            note = (
                _("{method}: {amount} taken.").format(
                    method=METHOD_LABELS[method], amount=decimal_text(added.amount)
                )
                if added
                else ""
            )
            if added is not None and method == LOYALTY:
                note = _("{points} points redeemed for {amount}.").format(
                    points=added.loyalty_points, amount=decimal_text(added.amount)
                )
            return self.Changed(view, note)

        self.run_job(
            "payment",
            lambda: services.till.pay(method, amount),
            taken,
            self.Refused,
            exclusive=False,
            description=_("taking the {method} payment").format(
                method=METHOD_LABELS[method].lower()
            ),
        )

    def action_remove_payment(self) -> None:
        if self.reading or self.sale is None:
            self.post_message(self.Refused(_("The sale is still being read.")))
            return
        if not self.sale.payments:
            self.post_message(self.Refused(_("There is no payment to remove.")))
            return
        self._remove(self.sale.payments[-1].id)

    def _remove(self, payment_id: int) -> None:
        services = self.services
        self.run_job(
            "payment",
            lambda: services.till.remove_payment(payment_id),
            lambda view: self.Changed(view, _("Payment removed.")),
            self.Refused,
            exclusive=False,
            description=_("removing the payment"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Told and logged already; the note says the payments shown are what was last
        read, so the cashier checks them before completing."""
        self.query_one("#payment-note", Static).update(
            plain(_("That did not go through: check the payments above."), "bold red")
        )

    @on(Changed)
    def _changed(self, message: Changed) -> None:
        self._show(message.sale, message.note)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        note = self.query_one("#payment-note", Static)
        note.update(plain(message.note, "bold red"))

    def action_complete(self) -> None:
        if self.reading or self.sale is None:
            self._refused(self.Refused(_("The sale is still being read: wait for the amount due.")))
            return
        if self.sale.due > 0:
            self._refused(
                self.Refused(_("{amount} is still due.").format(amount=decimal_text(self.sale.due)))
            )
            return
        self.dismiss(PaymentResult(self.sale, True))

    def action_back(self) -> None:
        if self.reading or self.sale is None:
            # the register shows the sale the change left when it is done
            self.dismiss(None)
            return
        self.dismiss(PaymentResult(self.sale, False))
