"""Ctrl+T on the register: recent sales of every register, to look at and refund.

The receipt-number field has the focus: type or scan the number printed on the
customer's receipt and press Enter, or move through the list with the arrows and press
Enter. The chosen sale's receipt is shown; F10 refunds the whole sale after a yes/no
question, and the screen closes with the refund (the register shows its receipt). F6
returns some of its items instead (:mod:`~tillterm.ui.screens.return_lines`), and F7,
from anywhere here, gives back an item without its receipt
(:mod:`~tillterm.ui.screens.return_no_receipt`); both close this screen with their
refund in the same way.
A refund reverses the sale's loyalty points and account movement (see
:func:`tillterm.sales.refund_sale`); a sale is refunded once. Listing, opening and
refunding go through the register's :class:`~tillterm.services.till.Till`, which files
the refund's receipt the same way the register files a sale's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tillterm.core.money import format_money
from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text
from tillterm.sales import REFUND, CompletedSale, SaleView
from tillterm.services.till import Finished
from tillterm.ui.messages import ScanReceived
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.pick_list import PickList
from tillterm.ui.widgets.text_view import TextView


@dataclass(frozen=True)
class RefundDone:
    """What the screen hands back to the register after a refund."""

    refund: SaleView
    receipt: str
    note: str


class RecentSalesScreen(TillModal[RefundDone | None]):
    """Pick a completed sale (list or receipt number), see its receipt, refund it."""

    HELP_TITLE = _("Recent sales")
    CSS_PATH = css("recent_sales.tcss")
    #: Enter picks in the list, F10 refunds the sale shown: keys wait for them
    KEYS_WAIT_FOR = frozenset({"recent"})
    BINDINGS = [
        # a modal screen hides the app's keys: its own F1 lists these
        Binding("f1", "app.show_help", _("Help")),
        Binding("enter", "open", _("Show receipt")),
        Binding("up", "move(-1)", _("Previous sale / scroll"), show=False),
        Binding("down", "move(1)", _("Next sale / scroll"), show=False),
        Binding("f6", "return_items", _("Return items")),
        Binding("f7", "return_without_receipt", _("No receipt")),
        Binding("f10", "refund", _("Refund sale")),
        Binding("escape", "back", _("Back")),
    ]

    @dataclass
    class Listed(Message):
        """The recent completed sales were read."""

        sales: list[CompletedSale]

    @dataclass
    class Opened(Message):
        """A sale was found; its receipt as text."""

        sale: SaleView
        receipt: str

    @dataclass
    class Refunded(Message):
        """The refund is committed and its receipt written (or why it was not)."""

        done: RefundDone

    @dataclass
    class Failed(Message):
        """Not found, already refunded, database busy…: nothing changed."""

        note: str

    def __init__(self, register: str) -> None:
        super().__init__()
        self.register = register
        self.sale: SaleView | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="recent-box"):
            yield Static(plain(_("Recent sales — refund")), id="recent-title")
            field = Input(
                placeholder=_("Receipt number (type or scan), Enter"), id="recent-receipt"
            )
            field.cursor_blink = False
            yield field
            listed = PickList(id="recent-list", markup=False)
            listed.can_focus = False  # the field keeps it
            yield listed
            # set as they are made, not once mounted: each change then was a restyle
            # and a layout more before the first page (issue 17)
            view = TextView(id="recent-receipt-text")
            view.display = False
            yield view
            yield Static(plain(_("Loading…")), id="recent-note")
        yield KeyFooter()
        # read while the window is mounted and laid out: in by its first frame (issue 17)
        self._list(first=True)

    def on_mount(self) -> None:
        self.query_one("#recent-receipt", Input).focus()

    # ----------------------------------------------------------------- workers

    def _list(self, *, first: bool = False) -> None:
        services = self.services
        run = partial(self.first_read, show=self._listed) if first else self.run_job
        run(
            "recent",
            lambda: services.till.completed(),
            self.Listed,
            self.Failed,
            description=_("listing the recent sales"),
        )

    def _open(self, sale_id: int | None, receipt_no: str) -> None:
        services = self.services
        self.run_job(
            "recent",
            lambda: services.till.show_completed(sale_id=sale_id, receipt_no=receipt_no),
            lambda shown: self.Opened(shown.sale, shown.receipt),
            self.Failed,
            description=_("opening the sale's receipt"),
        )

    def _refund(self, sale_id: int) -> None:
        """Refund through the till: the refund is committed, then its receipt is filed
        (the same :meth:`~tillterm.services.till.Till.finish` as a sale's)."""
        services = self.services
        self.run_job(
            "recent",
            lambda: services.till.finish(refund_of=sale_id),
            lambda done: self.Refunded(RefundDone(done.sale, done.receipt, done.note)),
            self.Failed,
            description=_("refunding the sale"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Told and logged already: F10 works again, and the note no longer says
        "Refunding…" (the list or the receipt shown is what was last read)."""
        self._busy = False
        self._note(_("That did not go through; Esc goes back to the list."), error=True)

    # ----------------------------------------------------------------- showing

    def _note(self, text: str, error: bool = False) -> None:
        self.query_one("#recent-note", Static).update(plain(text, "bold red" if error else ""))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        options = self.query_one("#recent-list", OptionList)
        options.clear_options()
        listed: list[Option] = []
        for sale in message.sales:
            when = sale.completed_at.astimezone().strftime("%d/%m %H:%M")
            who = (sale.customer_name or "-")[:20]
            mark = _("REFUND") if sale.kind == REFUND else (_("refunded") if sale.refunded else "")
            label = (
                f"{sale.receipt_no:<9} {when}  {sale.register_name[:8]:<8} {who:<20} "
                f"{decimal_text(sale.total):>9} {mark}"
            )
            listed.append(Option(plain(label), id=str(sale.id)))
        # one refresh for the list, not one per sale
        options.add_options(listed)  # drawn: Options of plain labels
        if message.sales:
            options.highlighted = 0
            self._note(_("Enter shows the highlighted sale (or the receipt number typed)."))
        else:
            self._note(_("No completed sales yet."))

    @on(Opened)
    def _opened(self, message: Opened) -> None:
        self.sale = message.sale
        view = self.query_one("#recent-receipt-text", TextView)
        view.set_text(message.receipt)
        self.query_one("#recent-list").display = False
        view.display = True
        sale = message.sale
        if sale.kind == REFUND:
            self._note(
                _("{receipt} is a refund; it cannot be refunded. Esc back.").format(
                    receipt=sale.receipt_no
                )
            )
        elif sale.refunded_by:
            self._note(
                _("{receipt} was refunded by {refund}; F6 returns what is left. Esc back.").format(
                    receipt=sale.receipt_no, refund=sale.refunded_by
                )
            )
        else:
            self._note(
                _("F10 refunds {receipt} ({total}), F6 returns items. Esc back.").format(
                    receipt=sale.receipt_no, total=format_money(sale.total, sale.currency)
                )
            )

    @on(Refunded)
    def _refunded(self, message: Refunded) -> None:
        self._busy = False
        self.dismiss(message.done)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._busy = False
        self._note(message.note, error=True)
        self.app.bell()

    # ----------------------------------------------------------------- keys

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        """A scanned receipt barcode opens that sale."""
        message.stop()
        self._open(None, message.code)

    def action_open(self) -> None:
        field = self.query_one("#recent-receipt", Input)
        text = field.value.strip()
        if text:
            field.value = ""
            self._open(None, text)
            return
        options = self.query_one("#recent-list", OptionList)
        if self.sale is None and options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            self._open(int(option.id or 0), "")

    @on(Input.Submitted, "#recent-receipt")
    def _submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self.action_open()

    def action_move(self, delta: int) -> None:
        if self.sale is not None:
            view = self.query_one("#recent-receipt-text", TextView)
            view.scroll_relative(y=delta, animate=False)
            return
        options = self.query_one("#recent-list", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else 0
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def action_refund(self) -> None:
        sale = self.sale
        if sale is None:
            self._note(_("Choose a sale first (Enter), then F10 refunds it."), error=True)
            return
        if sale.kind == REFUND:
            self._note(
                _("{receipt} is a refund; it cannot be refunded.").format(receipt=sale.receipt_no),
                error=True,
            )
            return
        if self._busy:
            return
        total = format_money(sale.total, sale.currency)
        if sale.customer:
            question = _(
                "Refund all of {receipt} to {customer}: {total} back the way it was paid; "
                "loyalty points and account movements are reversed."
            ).format(receipt=sale.receipt_no, customer=sale.customer.display_name, total=total)
        else:
            question = _(
                "Refund all of {receipt}: {total} back the way it was paid; "
                "loyalty points and account movements are reversed."
            ).format(receipt=sale.receipt_no, total=total)

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy = True
                self._note(_("Refunding…"))
                self._refund(sale.id)

        self.app.push_screen(ConfirmScreen(_("Refund this sale?"), question, _("Refund")), answered)

    def _returned(self, done: Finished | None) -> None:
        """A return screen closed: with a refund, this screen closes with it too."""
        if done is not None:
            self.dismiss(RefundDone(done.sale, done.receipt, done.note))

    def action_return_items(self) -> None:
        sale = self.sale
        if sale is None:
            self._note(_("Choose a sale first (Enter), then F6 returns items of it."), error=True)
            return
        if sale.kind == REFUND:
            self._note(
                _("{receipt} is a refund; it cannot be returned.").format(receipt=sale.receipt_no),
                error=True,
            )
            return
        from tillterm.ui.screens.return_lines import ReturnLinesScreen

        self.app.push_screen(ReturnLinesScreen(sale.id), self._returned)

    def action_return_without_receipt(self) -> None:
        from tillterm.ui.screens.return_no_receipt import ReturnNoReceiptScreen

        self.app.push_screen(ReturnNoReceiptScreen(), self._returned)

    def action_back(self) -> None:
        if self.sale is not None:  # from the receipt back to the list
            self.sale = None
            self.query_one("#recent-receipt-text").display = False
            self.query_one("#recent-list").display = True
            self.query_one("#recent-receipt", Input).focus()
            self._list()
            return
        self.dismiss(None)
