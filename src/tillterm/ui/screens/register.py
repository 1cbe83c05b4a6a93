"""F2: the register — scan, attach a customer, pay, complete (SPEC §6).

The scan field has the focus from the start and keeps it: codes and product names are
typed or scanned there, arrows move through the lines (or through the matches when a
list is open), ``+``/``-`` on the empty field change the selected line's quantity.
F7 moves to the customer field, where typing searches customers like the Customers
screen does.

Every change is one :class:`~tillterm.services.till.Till` call run as a job (its own
transaction); the screen only shows the :class:`~tillterm.sales.SaleView` it hands back.
Changes to the sale run one at a time (the till's lock, not ``exclusive``: a second
scan must queue behind the first, never cancel it); searches are ``exclusive``, since
only the latest text matters. The till (and with it the ORM) is first reached from a
job, never on the UI thread: the first frame does not wait for it.

When the database server goes away, the till retries the change and tells the screen
(:class:`ServerLinkChanged`): the status line says "Server unreachable — retrying", the
sale stays on screen as the database last had it, and the cashier's next actions queue
behind the retried one; a notification says it when a window covers the status line.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tillterm.core.errors import TilltermError
from tillterm.core.money import format_money, parse_amount, parse_percent
from tillterm.core.typed_text import describe_character, first_forbidden
from tillterm.i18n import _, ngettext
from tillterm.i18n.formats import decimal_text
from tillterm.scanner.barcodes import gtin_check_ok
from tillterm.ui.messages import CustomerAttachRequested, ScanReceived
from tillterm.ui.new_customer import open_new_customer_form
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.customer_panel import CustomerPanel
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.register_input import RegisterInput
from tillterm.ui.widgets.sale_lines import SaleLines
from tillterm.ui.widgets.sale_totals import SaleTotals
from tillterm.ui.widgets.steady_frame import SteadyInput
from tillterm.ui.widgets.suggestions import Suggestions
from tillterm.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from tillterm.catalog.products import ProductInfo
    from tillterm.sales import RegisterClaim, SaleView, ScanOutcome
    from tillterm.services.printing import Printed
    from tillterm.services.till import LinkState, Till
    from tillterm.ui.screens.payment import PaymentResult, PaymentScreen

SEARCH_LIMIT = 8
#: ``3*`` typed in the scan field, waiting for a scan (the sales domain checks the number)
_TYPED_QUANTITY = re.compile(r"\s*(\d{1,6})\s*\*\s*")


#: what the sale panel and the status line say until the register's open sale is read
OPENING = _("Opening the register…")

#: how often the register checks it still holds its name (a server restart lets it go)
CLAIM_CHECK_S = 5.0
#: F9 behind a change to the sale still on its way: how long it waits for the change
#: before the payment window opens anyway, saying the sale is being read (see
#: :meth:`RegisterScreen.action_pay`)
PAYMENT_READ_WAIT_S = 0.5


class RegisterScreen(TillScreen[None]):
    HELP_TITLE = _("Register")
    #: the scan field's typed commands, for F1 (the placeholder has room for two)
    HELP_TYPED = (
        (_("3*code"), _("three of the item: 3*, then scan or type it")),
        (_("=12.50 text"), _("an open-price item at 12.50")),
        ("%10", _("10 % off the selected line")),
        (_("%%10 why"), _("10 % off the whole sale (%%0 takes it off)")),
        (_("@8.00 why"), _("sell the selected line at 8.00, for a reason")),
    )
    CSS_PATH = css("register.tcss")
    BINDINGS = [
        Binding("f6", "parked_sales", _("Parked")),
        Binding("f7", "focus_customer", _("Customer")),
        Binding("f8", "park_sale", _("Park")),
        Binding("f9", "pay", _("Pay")),
        Binding("f10", "complete_sale", _("Complete")),
        Binding("ctrl+d", "remove_line", _("Remove line"), priority=True),
        Binding("ctrl+u", "detach_customer", _("Detach customer"), priority=True, show=False),
        Binding("plus", "step_quantity(1)", _("Quantity +1"), key_display="+", show=False),
        Binding("minus", "step_quantity(-1)", _("Quantity -1"), key_display="-", show=False),
        Binding("up", "cursor(-1)", _("Previous line/match"), show=False),
        Binding("down", "cursor(1)", _("Next line/match"), show=False),
        Binding("escape", "back_to_scan", _("Close list / back to scan"), show=False),
        Binding("ctrl+o", "misc_item", _("Open-price item"), priority=True, show=False),
        Binding("ctrl+r", "sales_report", _("Sales report"), show=False),
        Binding("ctrl+g", "drawer", _("Drawer & day (float, cash in/out, X/Z)"), show=False),
        Binding("ctrl+t", "recent_sales", _("Recent sales / refund"), priority=True, show=False),
        Binding("f12", "void_sale", _("Void sale"), show=False),
        Binding("ctrl+n", "new_customer", _("New customer (the unknown card)"), show=False),
        Binding("ctrl+y", "replace_customer", _("Replace the customer (card scanned)"), show=False),
        Binding("ctrl+l", "reprint_receipt", _("Reprint last receipt"), priority=True, show=False),
    ]

    # ----------------------------------------------------------------- messages

    @dataclass
    class SaleShown(Message):
        """The sale changed (or was loaded): show it."""

        sale: SaleView | None
        note: str = ""

    @dataclass
    class UnknownScanned(Message):
        """A scanned code is neither a customer's card nor a product."""

        code: str

    @dataclass
    class OtherCardScanned(Message):
        """Another customer's card while a customer is on the sale: ask before replacing."""

        customer_id: int
        note: str

    @dataclass
    class Failed(Message):
        """A change was refused or the database said no; the sale is unchanged."""

        note: str

    @dataclass
    class ProductsMatched(Message):
        text: str
        products: tuple[ProductInfo, ...]
        #: typed in front of the name (``3*crois``): added with the product picked
        quantity: int = 1

    @dataclass
    class CustomersMatched(Message):
        text: str
        customers: tuple[Any, ...]

    @dataclass
    class SaleCompleted(Message):
        sale: SaleView
        receipt: str
        note: str

    @dataclass
    class RegisterTaken(Message):
        """Another live session holds this register's name: ask for another."""

        name: str

    @dataclass
    class ServerLinkChanged(Message):
        """The database server became unreachable (a change is being retried) or is back."""

        reachable: bool
        note: str

    class ClaimChecked(Message):
        """This session holds the register's name (again) after the server came back."""

    @dataclass
    class SaleVoided(Message):
        """The sale is voided; ``note`` says what to hand back."""

        note: str

    def __init__(self) -> None:
        super().__init__()
        self.sale: SaleView | None = None
        self.selected_line: int | None = None
        self._customer_text = ""
        #: the quantity typed before the name whose matches are on show (``3*crois``)
        self._match_quantity = 1
        #: this session's hold on the register name, handed over by the start-up worker
        #: under ``_claim_lock``: the screen may close (Ctrl+Q during an upgrade) before
        #: the claim is taken, and then the worker lets it go at once
        self._claim: RegisterClaim | None = None
        self._claim_lock = threading.Lock()
        self._closed = False
        #: the text the customer suggestions on show were found for
        self._suggested_for = ""
        #: Enter was pressed in the customer field before its matches arrived
        self._customer_enter_pending = ""
        #: what the status line offers, answered only by a key no scanner types
        self._unknown_code: str | None = None
        self._other_customer: int | None = None
        #: the till this screen watches for the server going away (set by start-up)
        self._till: Till | None = None
        #: the server is unreachable (a change is being retried)
        self._server_lost = False
        #: the open sale has not been read yet (the screen says :data:`OPENING`)
        self._loading = False
        #: what the status line says
        self._status_note = ""
        #: F9 waits for a change to the sale (:meth:`action_pay`); the window opened
        #: meanwhile, saying the sale is being read, once the wait got long
        self._payment_waits = False
        self._payment_reading: PaymentScreen | None = None

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="register-top"):
            yield RegisterInput(
                placeholder=_("Scan or type barcode, SKU, name; =12.50 misc; %10 discount"),
                id="scan-input",
            )
            yield SteadyInput(placeholder=_("F7 Customer: name, phone…"), id="customer-input")
        with Horizontal(id="register-body"):
            with Vertical(id="register-left"):
                yield Suggestions(id="suggestions")
                yield SaleLines(id="sale-lines")
            with Vertical(id="register-right"):
                yield CustomerPanel(id="customer-panel")
                yield SaleTotals(id="sale-totals")
        yield Static("", id="register-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False  # no redraw twice a second over SSH
        self.query_one("#scan-input", RegisterInput).focus()
        self._show_loading()
        self._start_up(self._register)
        self.set_interval(CLAIM_CHECK_S, self._reclaim)

    def _show_loading(self) -> None:
        """Until the register's open sale is read, the screen says so: a sale that comes
        back a moment later must not be shown as "New sale, no customer" meanwhile.
        Keys and scans are taken all the same; they queue behind the start-up."""
        self._loading = True
        self.query_one("#sale-lines", SaleLines).border_title = OPENING
        self.query_one(CustomerPanel).show_loading()
        self.query_one(SaleTotals).show_loading()
        self._status(OPENING)

    def on_unmount(self) -> None:
        with self._claim_lock:
            self._closed = True
            claim, self._claim = self._claim, None
            till, self._till = self._till, None
        if till is not None:
            # tillterm is closing: a change still retrying gives up (its thread would
            # otherwise keep the process alive until the server came back)
            till.unwatch_link(self._link_changed)
            till.close()
        if claim is not None:
            claim.release()

    def _watch_server(self, till: Till) -> None:
        """From the start-up worker: be told when the server goes away and comes back."""
        with self._claim_lock:
            closed = self._closed
            if not closed and self._till is not till:
                self._till = till
                till.watch_link(self._link_changed)
        if closed:  # tillterm closed while the register was starting
            till.close()

    def _link_changed(self, state: LinkState) -> None:
        """Told by the till, from the thread of the change being retried."""
        self.post_message(self.ServerLinkChanged(state.reachable, state.note))

    def _keep_claim(self, claim: RegisterClaim) -> None:
        """Hold ``claim`` (from the start-up worker); release it if the screen has gone."""
        stale: RegisterClaim | None
        with self._claim_lock:
            if self._closed:
                stale = claim
            else:
                stale = self._claim
                self._claim = claim
                if stale is claim:
                    stale = None
        if stale is not None:  # the screen has gone, or a new name replaced the old one
            stale.release()

    @property
    def _register(self) -> str:
        return str(getattr(self.app, "register_name", "till"))

    # ----------------------------------------------------------------- jobs

    def _change(self, change: Callable[[Till], SaleView | None], note: str, doing: str) -> None:
        """Run one change to the sale through the till and show the sale it leaves.

        Never ``exclusive``: a second scan queues behind the first (the till's lock),
        it never cancels it. ``doing`` names the change for the one line the cashier
        reads if it fails unexpectedly ("Unexpected error while adding the item…").
        """
        services = self.services
        self.run_job(
            "sale",
            lambda: change(services.till),
            lambda view: self.SaleShown(view, note),
            self.Failed,
            exclusive=False,
            description=doing,
        )

    def _enter(self, text: str, typed: bool, scanned: bool, quantity: int = 1) -> None:
        """A code or a name from the scan field (``typed``: names too), or a code scanned.

        Another customer's card never replaces the one on the sale here: the cashier is
        asked first (``OtherCardScanned``).
        """
        services = self.services

        def answer(outcome: ScanOutcome) -> Message:
            if outcome.kind == "matches":
                return self.ProductsMatched(text, outcome.matches, outcome.quantity)
            if outcome.kind == "other customer" and outcome.customer_id is not None:
                return self.OtherCardScanned(outcome.customer_id, outcome.message)
            if outcome.kind == "unknown" and scanned and text.strip():
                return self.UnknownScanned(text.strip())
            if outcome.view is None:
                return self.Failed(outcome.message)
            return self.SaleShown(outcome.view, outcome.message)

        self.run_job(
            "sale",
            lambda: services.till.enter(text, typed=typed, quantity=quantity),
            answer,
            self.Failed,
            exclusive=False,
            description=_("adding “{text}” to the sale").format(text=text.strip()[:40]),
        )

    def _search_customers(self, text: str) -> None:
        services = self.services
        self.run_job(
            "customer-search",
            lambda: services.till.search_customers(text, SEARCH_LIMIT),
            lambda found: self.CustomersMatched(text, tuple(found)),
            self.Failed,
            description=_("searching customers"),
        )

    def _start_up(self, name: str) -> None:
        """Claim the register's name, write receipt files a crash left unwritten, reopen
        the open sale and say which sale completed last (so a restarted till never looks
        as if its last sale had not happened)."""
        services = self.services

        def start() -> Message:
            # wait for the database first (the app opens it once the first frame is
            # drawn): building the till imports the ORM, and doing that in a thread
            # while the register is being drawn held the GIL and delayed the first frame
            services.engine()
            till = services.till
            self._watch_server(till)
            try:
                claim = till.claim(name)
            except TilltermError as exc:
                # unknown: carry on under this name rather than stop the till
                self.post_message(self.Failed(str(exc)))
            else:
                if claim is None:
                    return self.RegisterTaken(name)
                self._keep_claim(claim)
            started = till.start_up(name)
            return self.SaleShown(started.sale, started.note)

        self.run_job(
            "sale",
            start,
            lambda message: message,
            self.Failed,
            exclusive=False,
            description=_("opening the register"),
        )

    def _complete(self) -> None:
        services = self.services
        self.run_job(
            "sale",
            lambda: services.till.finish(),
            lambda done: self.SaleCompleted(done.sale, done.receipt, done.note),
            self.Failed,
            exclusive=False,
            description=_("completing the sale"),
            holds_keys=True,  # the receipt opens: keys typed after F10 go to it
        )

    def _void(self) -> None:
        services = self.services
        self.run_job(
            "sale",
            lambda: services.till.void(),
            lambda voided: self.SaleVoided(voided.note),
            self.Failed,
            exclusive=False,
            description=_("voiding the sale"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Already told in one line and logged: nothing on the register waits for it.

        The sale on screen is what the database last said (a failed change changed
        nothing); an Enter waiting for a customer search would wait forever.
        """
        if group == "customer-search":
            self._customer_enter_pending = ""
        self._status("")

    # ----------------------------------------------------------------- showing

    def _status(self, note: str, error: bool = False) -> None:
        self._status_note = note
        status = self.query_one("#register-status", Static)
        status.update(plain(note, "bold red" if error else ""), layout=False)  # height 1
        status.set_class(error, "-error")

    def _show(self, sale: SaleView | None) -> None:
        """Show the sale, touching only what changed.

        A scan changes one line (or adds one) and the totals: the lines widget redraws
        only rows whose text changed and the panels skip an identical update, so a
        20-line sale redraws as fast as a 1-line one, and nothing re-lays the screen.
        """
        old = self.sale
        self.sale = sale
        table = self.query_one("#sale-lines", SaleLines)
        lines = sale.lines if sale else ()
        table.set_rows([(str(line.id), _cells(line)) for line in lines])
        self.selected_line = _pick_selected(old, sale, self.selected_line)
        index = None
        if self.selected_line is not None:
            index = next(i for i, ln in enumerate(lines) if ln.id == self.selected_line)
        table.move_cursor(index)
        currency = sale.currency if sale else "EUR"
        self.query_one(CustomerPanel).show(sale.customer if sale else None, currency)
        self.query_one(SaleTotals).show(sale)
        title = _("Sale {id}").format(id=sale.id) if sale and sale.lines else _("New sale")
        if table.border_title != title:
            table.border_title = title

    @on(SaleShown)
    def _sale_shown(self, message: SaleShown) -> None:
        self._show(message.sale)
        if message.note:
            self._status(message.note)
        elif self._loading and self._status_note == OPENING:
            self._status("")
        self._loading = False

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._status(message.note, error=True)
        self.app.bell()

    @on(ServerLinkChanged)
    def _server_link_changed(self, message: ServerLinkChanged) -> None:
        """The server went away (the sale on screen stays: the change is retried and
        the cashier's next ones queue behind it) or came back."""
        self._status(message.note, error=not message.reachable)
        lost = not message.reachable
        if lost != self._server_lost:
            self._server_lost = lost
            if self.app.screen is not self:  # the payment window hides the status line
                self.notify(message.note, severity="error" if lost else "information")
        if message.reachable:
            self._reclaim()

    def _reclaim(self) -> None:
        """Hold this register's name again if a server restart let it go.

        Asked when the server comes back, and every :data:`CLAIM_CHECK_S` seconds: a
        restart between two scans goes unnoticed by the till (the pool reconnects), but
        it ends the session that held the name. A check that fails is tried again next
        time (the till tells the cashier when the server is unreachable).
        """
        with self._claim_lock:
            claim = self._claim
        if claim is None or self._server_lost:
            return
        if self.jobs_running("claim"):
            # a check still on its way (a slow server after a restart): a second one
            # would see the name held by the session the first just took, and ask the
            # cashier to rename a register that is theirs
            return
        till = self.services.till

        def check() -> Message:
            kept = till.reclaim(claim)
            if kept is None:
                return self.RegisterTaken(claim.name)
            if kept is not claim:
                self._keep_claim(kept)
            return self.ClaimChecked()

        self.run_job(
            "claim",
            check,
            lambda message: message,
            lambda _error: self.ClaimChecked(),
            description=_("holding the register's name again"),
        )

    @on(UnknownScanned)
    def _unknown_scanned(self, message: UnknownScanned) -> None:
        """Say so in the status line; Ctrl+N (no scanner types it) makes it a new card.

        Never a dialog: the next scan's Enter would answer it, and the product scanned
        would become a loyalty card. The scan field keeps the focus; the next scan is
        just the next scan (and withdraws the offer).
        """
        code = message.code
        self._unknown_code = code
        if gtin_check_ok(code) and not code.startswith("2"):
            # a valid retail barcode outside the in-store range: a product, not a card
            note = _(
                "Product {code} is not in the catalogue. Ctrl+N: a customer card instead."
            ).format(code=code)
        else:
            note = _("No product or card “{code}”. Ctrl+N: new customer with this card.").format(
                code=code
            )
        self._status(note, error=True)
        self.app.bell()

    @on(OtherCardScanned)
    def _other_card_scanned(self, message: OtherCardScanned) -> None:
        self._other_customer = message.customer_id
        self._status(_("{note} Ctrl+Y: replace.").format(note=message.note), error=True)
        self.app.bell()

    def _withdraw_offers(self) -> None:
        """A new scan or entry: what the status line offered no longer applies."""
        self._unknown_code = None
        self._other_customer = None

    def action_new_customer(self) -> None:
        """A new customer: with the unknown card just scanned, if the status line offers it."""
        code, self._unknown_code = self._unknown_code, None
        prefill = {"customer_code": code} if code else {}
        open_new_customer_form(self, "", self._attach_customer, prefill=prefill)

    def action_replace_customer(self) -> None:
        """Put the customer whose card was just scanned on the sale instead."""
        customer_id, self._other_customer = self._other_customer, None
        if customer_id is None:
            self._status(_("No other customer's card was scanned."), error=True)
            return
        self._attach_customer(customer_id)

    @on(SaleCompleted)
    def _completed(self, message: SaleCompleted) -> None:
        self._show(None)
        change = message.sale.change
        done = _("Sale {receipt} complete.").format(receipt=message.sale.receipt_no)
        if change:
            done += " " + _("Change {amount}.").format(amount=decimal_text(change))
        self._status(done)
        self.app.push_screen(ReceiptScreen(message.receipt, message.note), self._after_receipt)
        self._print_receipt(message.sale)

    def _after_receipt(self, _result: None) -> None:
        self.query_one("#scan-input", RegisterInput).focus()

    @on(SaleVoided)
    def _voided(self, message: SaleVoided) -> None:
        self._show(None)
        self._status(message.note)

    @on(RegisterTaken)
    def _register_taken(self, message: RegisterTaken) -> None:
        from tillterm.ui.screens.confirm import KeyPromptScreen

        self._status(
            _("Register {name} is open in another session.").format(name=message.name),
            error=True,
        )
        question = _(
            "Register “{name}” is already open in another session (another SSH "
            "login, or a till cloned with the same name). Two sessions on one register "
            "would ring up the same sale. Name this register, then F10 (Esc quits):"
        ).format(name=message.name)
        self.app.push_screen(
            KeyPromptScreen(
                _("Register in use"), question, f"{message.name}-2"[:40], _("Use this name")
            ),
            self._renamed,
        )

    def _renamed(self, name: str | None) -> None:
        from tillterm.sales import clean_name

        name = clean_name(name or "")
        if not name:
            app: Any = self.app
            app.startup_error = _(
                "register {name} is open in another session; "
                "start with --register NAME (or TILLTERM_REGISTER) to use another name."
            ).format(name=self._register)
            self.app.exit(1, return_code=1)
            return
        app = self.app
        app.register_name = name
        info = getattr(app, "db_info", None)
        app.sub_title = f"{name} · {info.label}" if info is not None else name
        self._status(
            _("This session is register {name} (--register {name} next time).").format(name=name)
        )
        self._start_up(name)

    # ----------------------------------------------------------------- scan field

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        """A scan, whichever field has the focus (the customer field too).

        Read through evdev it is a code; typed into the terminal at scanner speed it is
        whatever was typed, taken exactly as if typed and confirmed with Enter
        (``=12.50 gift wrap``, ``%10``, a name).
        """
        message.stop()
        self._hide_suggestions()
        field = self.query_one("#customer-input", Input)
        if field.has_focus:
            # after the field has put back what the scan typed into it (its own queue)
            field.call_later(self._leave_customer_field)
            self.query_one("#scan-input", RegisterInput).focus()
        self._take(
            message.code,
            typed=message.source == "terminal",
            scanned=True,
            quantity=self._take_typed_quantity(),
        )

    def _take_typed_quantity(self) -> int:
        """``3*`` typed before a scan: the quantity for the scanned item (the field is
        emptied: the star was for this scan)."""
        scan = self.query_one("#scan-input", RegisterInput)
        typed = _TYPED_QUANTITY.fullmatch(scan.value)
        if typed is None:
            return 1
        with scan.prevent(Input.Changed):
            scan.value = ""
        return int(typed.group(1))

    @on(Input.Submitted, "#scan-input")
    def _scan_submitted(self, message: Input.Submitted) -> None:
        suggestions = self.query_one(Suggestions)
        if suggestions.kind == "products" and suggestions.pick():
            return
        text = message.value
        message.input.value = ""
        self._take(text, typed=True, scanned=False)

    def _take(self, text: str, *, typed: bool, scanned: bool, quantity: int = 1) -> None:
        """What the scan field was given: an open-price item, a discount, a changed price,
        a code or a name (``quantity``: a ``3*`` typed before a scan)."""
        text = text.strip()
        if not text:
            return
        self._withdraw_offers()
        bad = first_forbidden(text)
        if bad is not None:  # a lone surrogate, a pasted control character: not a code
            self._status(
                _(
                    "Not understood: character {position} is {character}. Type or scan it again."
                ).format(position=bad[0], character=describe_character(bad[1])),
                error=True,
            )
            self.app.bell()
            return
        if quantity != 1 and typed:  # a wedge scan after 3*: one text, as if typed whole
            text, quantity = f"{quantity}*{text}", 1
        if text.startswith("="):
            self._misc_from_text(text[1:])
        elif text.startswith("%%"):
            self._sale_discount_from_text(text[2:])
        elif text.startswith("%"):
            self._discount_from_text(text[1:])
        elif text.startswith("@"):
            self._price_from_text(text[1:])
        else:
            self._enter(text, typed, scanned, quantity)

    @on(Input.Changed, "#scan-input")
    def _scan_changed(self, message: Input.Changed) -> None:
        if self.query_one(Suggestions).kind == "products":
            self._hide_suggestions()

    @on(RegisterInput.QuantityStepped)
    def _stepped(self, message: RegisterInput.QuantityStepped) -> None:
        self.action_step_quantity(message.delta)

    def _misc_from_text(self, text: str) -> None:
        amount, _sep, description = text.strip().partition(" ")
        try:
            price = parse_amount(amount)
        except ValueError as exc:
            self._status(_("{error}, e.g. =12.50 gift wrap.").format(error=exc), error=True)
            return
        what = description.strip() or _("misc item")
        self._change(
            lambda till: till.add_misc_item(price, description),
            _("Added {what}.").format(what=what),
            _("adding an open-price item"),
        )

    def _discount_from_text(self, text: str) -> None:
        line_id = self.selected_line
        sale = self.sale
        if sale is None or line_id is None:
            self._status(_("Select a line first, then type %10 for 10 % off it."), error=True)
            return
        try:
            percent = parse_percent(text) or Decimal(0)
        except ValueError as exc:
            self._status(
                _("{error}: type %10 for 10 % off the selected line.").format(error=exc),
                error=True,
            )
            return
        self._change(
            lambda till: till.set_line_discount(line_id, percent),
            _("Line discount {percent} %.").format(percent=_percent_text(percent)),
            _("discounting the line"),
        )

    def _sale_discount_from_text(self, text: str) -> None:
        amount, _sep, reason = text.strip().partition(" ")
        if self.sale is None or not self.sale.lines:
            self._status(_("Scan an item first, then type %%10 for 10 % off the sale."), error=True)
            return
        try:
            percent = parse_percent(amount) or Decimal(0)
        except ValueError as exc:
            self._status(
                _("{error}: type %%10 regular for 10 % off the sale.").format(error=exc),
                error=True,
            )
            return
        done = (
            _("{percent} % off the sale.").format(percent=_percent_text(percent))
            if percent
            else _("Sale discount removed.")
        )
        self._change(
            lambda till: till.set_sale_discount(percent, reason),
            done,
            _("discounting the sale"),
        )

    def _price_from_text(self, text: str) -> None:
        line_id = self.selected_line
        if self.sale is None or line_id is None:
            self._status(_("Select a line first, then type @8.00 damaged box."), error=True)
            return
        amount, _sep, reason = text.strip().partition(" ")
        try:
            price = parse_amount(amount)
        except ValueError as exc:
            self._status(
                _("{error}: type @8.00 and the reason, e.g. @8.00 damaged box.").format(error=exc),
                error=True,
            )
            return
        self._change(
            lambda till: till.override_price(line_id, price, reason),
            _("Price changed to {price}.").format(price=decimal_text(price)),
            _("changing the price"),
        )

    # ----------------------------------------------------------------- customer field

    @on(Input.Changed, "#customer-input")
    def _customer_changed(self, message: Input.Changed) -> None:
        if not message.input.has_focus:
            return  # not the cashier typing: a scan's keys being taken back out
        text = message.value.strip()
        self._customer_text = text
        if not text:
            self._hide_suggestions()
            return
        self._search_customers(text)

    @on(CustomersMatched)
    def _customers_matched(self, message: CustomersMatched) -> None:
        if message.text != self._customer_text:
            return  # typed on since
        options = [(f"customer:{c.id}", _customer_label(c)) for c in message.customers]
        options.append(("new", _("Add “{text}” as a new customer").format(text=message.text)))
        suggestions = self.query_one(Suggestions)
        suggestions.show("customers", options)
        self._suggested_for = message.text
        if self._customer_enter_pending == message.text:
            self._customer_enter_pending = ""
            suggestions.pick()  # Enter came first: it picks now, as if it had come after

    @on(Input.Submitted, "#customer-input")
    def _customer_submitted(self) -> None:
        """Enter picks the highlighted match for the text as typed; if that search is
        still running, the pick happens when it answers (never "press Enter again")."""
        text = self._customer_text
        suggestions = self.query_one(Suggestions)
        if suggestions.kind == "customers" and self._suggested_for == text and suggestions.pick():
            return
        if text:
            self._customer_enter_pending = text
            self._status(_("Looking up “{text}”…").format(text=text))

    @on(Suggestions.Picked)
    def _picked(self, message: Suggestions.Picked) -> None:
        self._hide_suggestions()
        if message.kind == "products":
            product_id = int(message.option_id.split(":", 1)[1])
            quantity, self._match_quantity = self._match_quantity, 1
            self._change(
                lambda till: till.add_product(product_id, quantity),
                _("Added."),
                _("adding the product"),
            )
            self.query_one("#scan-input", Input).value = ""
            return
        text = self._customer_text
        self._clear_customer_field()
        if message.option_id == "new":
            open_new_customer_form(self, text, self._attach_customer)
            return
        self._attach_customer(int(message.option_id.split(":", 1)[1]))

    @on(CustomerAttachRequested)
    def _attach_requested(self, message: CustomerAttachRequested) -> None:
        """ "Attach to sale" from a customer's profile."""
        self._attach_customer(message.customer_id)

    def _attach_customer(self, customer_id: int) -> None:
        self._change(
            lambda till: till.attach_customer(customer_id),
            _("Customer attached."),
            _("attaching the customer"),
        )
        self.query_one("#scan-input", RegisterInput).focus()

    def _leave_customer_field(self) -> None:
        """A card was scanned in the customer field: the search typed there is over."""
        self._clear_customer_field()
        if self.query_one(Suggestions).kind == "customers":
            self._hide_suggestions()

    def _clear_customer_field(self) -> None:
        field = self.query_one("#customer-input", Input)
        with field.prevent(Input.Changed):
            field.value = ""
        self._customer_text = ""
        self._customer_enter_pending = ""

    @on(ProductsMatched)
    def _products_matched(self, message: ProductsMatched) -> None:
        options = [
            (f"product:{p.id}", f"{p.name[:34]:<34} {decimal_text(p.price):>8}")
            for p in message.products
        ]
        self.query_one(Suggestions).show("products", options)
        self._match_quantity = message.quantity
        scan = self.query_one("#scan-input", RegisterInput)
        with scan.prevent(Input.Changed):
            scan.value = message.text
        # what is typed next goes after the text, as it was typed (the cursor stayed at
        # the start of the field emptied by Enter: "50" made "502*pain")
        scan.cursor_position = len(message.text)
        self._status(
            ngettext(
                "{count} product matches “{text}”: ↑↓ and Enter.",
                "{count} products match “{text}”: ↑↓ and Enter.",
                len(options),
            ).format(count=len(options), text=message.text)
        )

    def _hide_suggestions(self) -> None:
        self.query_one(Suggestions).hide()

    # ----------------------------------------------------------------- actions

    def action_cursor(self, delta: int) -> None:
        suggestions = self.query_one(Suggestions)
        if suggestions.shown:
            suggestions.move(delta)
            return
        if self.sale is None or not self.sale.lines:
            return
        ids = [line.id for line in self.sale.lines]
        index = ids.index(self.selected_line) if self.selected_line in ids else len(ids) - 1
        index = max(0, min(len(ids) - 1, index + delta))
        self.selected_line = ids[index]
        self.query_one("#sale-lines", SaleLines).move_cursor(index)

    def action_back_to_scan(self) -> None:
        self._hide_suggestions()
        self._withdraw_offers()
        self._clear_customer_field()
        self.query_one("#scan-input", RegisterInput).focus()

    def action_focus_customer(self) -> None:
        self.query_one("#customer-input", Input).focus()

    def _on_line(self) -> int | None:
        if self.sale is None or self.selected_line is None:
            self._status(_("There is no line to change."), error=True)
            return None
        return self.selected_line

    def action_step_quantity(self, delta: int) -> None:
        line_id = self._on_line()
        if line_id is not None:
            self._change(
                lambda till: till.change_quantity(line_id, delta), "", _("changing the quantity")
            )

    def action_remove_line(self) -> None:
        line_id = self._on_line()
        if line_id is not None:
            self._change(
                lambda till: till.remove_line(line_id), _("Line removed."), _("removing the line")
            )

    def action_detach_customer(self) -> None:
        sale = self.sale
        if sale is None or sale.customer is None:
            self._status(_("No customer is attached."), error=True)
            return
        self._change(
            lambda till: till.detach_customer(),
            _("Customer detached."),
            _("detaching the customer"),
        )

    def action_misc_item(self) -> None:
        scan = self.query_one("#scan-input", RegisterInput)
        scan.focus()
        scan.value = "="
        scan.cursor_position = 1
        self._status(_("Open-price item: type the price and a description, e.g. =12.50 gift wrap"))

    def action_park_sale(self) -> None:
        if self.after_jobs("sale", self.action_park_sale):
            return  # a change to the sale is on its way: act on the sale it leaves
        sale = self.sale
        if sale is None or not sale.lines:
            self._status(_("There is nothing to park."), error=True)
            return

        def park(till: Till) -> None:
            till.park()

        self._change(
            park, _("Sale {id} parked (F6 to resume).").format(id=sale.id), _("parking the sale")
        )

    def action_parked_sales(self) -> None:
        """The parked sales, once a change on its way is done: F6 right after F8 must
        list the sale being parked (read before the park commits, the list missed it and
        the Enter typed after F6 picked nothing). Keys typed meanwhile wait too."""
        from tillterm.ui.screens.parked_sales import ParkedSalesScreen

        if self.after_jobs("sale", self.action_parked_sales):
            return
        self.app.push_screen(ParkedSalesScreen(), self._resume)

    def _resume(self, sale_id: int | None) -> None:
        if sale_id is None:
            return
        self._change(
            lambda till: till.resume(sale_id),
            _("Sale {id} resumed.").format(id=sale_id),
            _("resuming the sale"),
        )

    def action_pay(self) -> None:
        """Open the payment window for the sale on screen, or the one a change on its way
        leaves (a scan just before F9).

        F9 waits for that change, and the keys typed after it wait too
        (``keys_wait``), so the window shows the right amount due the moment it opens.
        A database that does not answer (held by another register, a server hanging)
        must not keep the window shut: after :data:`PAYMENT_READ_WAIT_S` it opens anyway,
        focused, saying the sale is being read, and the amount typed after F9 goes into
        it (it used to wait out the keys' limit of 3 s, then land in the scan field, and
        its Enter paid the amount due). The window is handed the sale when the change
        is done.
        """
        if not self.jobs_running("sale"):
            self._open_payment()
            return
        if self._payment_waits:
            return  # F9 twice: one window
        self._payment_waits = True
        timer = self.set_timer(PAYMENT_READ_WAIT_S, self._open_payment_reading, name="F9 wait")

        def read() -> None:
            timer.stop()
            self._payment_waits = False
            window, self._payment_reading = self._payment_reading, None
            if window is None:
                self._open_payment()
            elif window in self.app.screen_stack:
                window.sale_read(self.sale)

        self.after_jobs("sale", read)

    def _open_payment(self) -> None:
        sale = self.sale
        if sale is None or not sale.lines:
            self._status(_("Scan something before taking a payment."), error=True)
            return
        from tillterm.ui.screens.payment import PaymentScreen

        self.app.push_screen(PaymentScreen(sale), self._paid)

    def _open_payment_reading(self) -> None:
        """F9's change is taking long: the window opens now and is handed the sale later."""
        if not self._payment_waits or self._payment_reading is not None:
            return
        if self.app.screen is not self:
            return  # something else opened meanwhile: the window opens when the change is done
        from tillterm.ui.screens.payment import PaymentScreen

        window = PaymentScreen(self.sale, reading=True)
        self._payment_reading = window
        self.app.push_screen(window, self._paid)

    def _paid(self, result: PaymentResult | None) -> None:
        self.query_one("#scan-input", RegisterInput).focus()
        if result is None:
            return
        self._show(result.sale)
        if result.complete:
            self._complete()
        elif result.sale.due > 0 and result.sale.payments:
            self._status(_("{amount} still due.").format(amount=decimal_text(result.sale.due)))

    def action_complete_sale(self) -> None:
        if self.after_jobs("sale", self.action_complete_sale):
            return  # a change to the sale is on its way: act on the sale it leaves
        sale = self.sale
        if sale is None or not sale.lines:
            self._status(_("There is nothing to complete."), error=True)
            return
        if sale.due > 0:
            self._status(
                _("{amount} is still due: F9 to take the payment.").format(
                    amount=decimal_text(sale.due)
                ),
                error=True,
            )
            return
        self._complete()

    def action_void_sale(self) -> None:
        """Ask first (F12 again voids: no scanner can type it), saying what to hand back."""
        if self.after_jobs("sale", self.action_void_sale):
            return  # a change to the sale is on its way: act on the sale it leaves
        sale = self.sale
        if sale is None or not (sale.lines or sale.payments):
            self._status(_("There is no sale to void."), error=True)
            return
        from tillterm.ui.screens.confirm import KeyConfirmScreen

        taken = ""
        if sale.payments:
            from tillterm.sales import describe_void

            back = describe_void(sale)
            taken = " " + _("Money was taken: {back}. The payments stay on record.").format(
                back=back
            )
        question = ngettext(
            "Void sale {id} ({count} item, {total})?{taken} F12 voids it; N or Esc keeps it.",
            "Void sale {id} ({count} items, {total})?{taken} F12 voids it; N or Esc keeps it.",
            sale.item_count,
        ).format(
            id=sale.id,
            count=sale.item_count,
            total=format_money(sale.total, sale.currency),
            taken=taken,
        )

        def answered(yes: bool | None) -> None:
            self.query_one("#scan-input", RegisterInput).focus()
            if yes:
                self._void()
            else:
                self._status(_("Sale {id} kept.").format(id=sale.id))

        self.app.push_screen(
            KeyConfirmScreen(_("Void this sale?"), question, _("Void"), _("Keep")), answered
        )

    def action_sales_report(self) -> None:
        from tillterm.ui.screens.sales_report import SalesReportScreen

        self.app.push_screen(SalesReportScreen())

    def action_drawer(self) -> None:
        from tillterm.ui.screens.drawer import DrawerScreen

        self.app.push_screen(DrawerScreen())

    def action_recent_sales(self) -> None:
        from tillterm.ui.screens.recent_sales import RecentSalesScreen

        self.app.push_screen(RecentSalesScreen(self._register), self._refunded)

    def _refunded(self, done: Any) -> None:
        """Back from the recent sales: show the refund's receipt, say what to give back."""
        self.query_one("#scan-input", RegisterInput).focus()
        if done is None:
            return
        self._status(done.note)
        self.app.push_screen(ReceiptScreen(done.receipt, done.note), self._after_receipt)
        self._print_receipt(done.refund)

    # ----------------------------------------------------------------- paper

    @dataclass
    class ReceiptPrinted(Message):
        """A receipt went to the printer (or did not: ``printed.ok`` is False)."""

        printed: Printed | None

    def _print_receipt(self, sale: SaleView | None = None) -> None:
        """Print the sale's kept receipt (``None``: a copy of the register's last) in a
        job of its own, after the commit: the sale is complete whatever the paper does.
        Not ``exclusive``: a reprint queues behind the receipt, never cancels it."""
        services, register = self.services, self._register
        self.run_job(
            "printer",
            lambda: (
                services.printer.reprint(register)
                if sale is None
                else services.printer.print_sale(sale)
            ),
            self.ReceiptPrinted,
            exclusive=False,
            description=_("printing the receipt"),
        )

    @on(ReceiptPrinted)
    def _printed(self, message: ReceiptPrinted) -> None:
        printed = message.printed
        if printed is None:  # no printer configured: nothing changes
            return
        note = (
            _("{note} — Ctrl+L to reprint").format(note=printed.note)
            if printed.retry
            else printed.note
        )
        shown = self._status_note
        if printed.ok and printed.receipt_no and printed.receipt_no in shown:
            # "Sale R0000042 complete. Change 5.50." keeps the change in sight
            self._status(_("{shown} Printed.").format(shown=shown))
        else:
            self._status(note, error=not printed.ok)
        if isinstance(self.app.screen, ReceiptScreen):
            self.app.screen.show_printed(note, printed.ok)

    def action_reprint_receipt(self) -> None:
        """Ctrl+L: the register's last receipt again, marked COPY (as kept, no drawer)."""
        self._status(_("Printing a copy of the last receipt…"))
        self._print_receipt()


def _cells(line: Any) -> tuple[str, ...]:
    """A sale line's cells as plain strings (compared to skip unchanged cells)."""
    disc = decimal_text(line.discount) if line.discount else ""
    return (
        line.description,  # the lines widget fits it to its column (cut in the middle)
        str(line.quantity),
        # a price the cashier changed is starred (the receipt says what it was, and why)
        decimal_text(line.unit_price) + ("*" if line.list_price is not None else ""),
        disc,
        decimal_text(line.total),
    )


def _percent_text(percent: Decimal) -> str:
    """``10`` or ``12.5`` (``12,5`` in French): a percentage without trailing zeros."""
    return decimal_text(percent, _places(percent))


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _customer_label(customer: Any) -> str:
    contact = customer.phone or customer.email
    place = " ".join(x for x in (customer.postal_code, customer.city) if x)
    parts = [customer.display_name[:26], contact[:18], place[:16]]
    return " · ".join(p for p in parts if p)


def _pick_selected(old: SaleView | None, new: SaleView | None, current: int | None) -> int | None:
    """The line to select after a change: a new or changed line, else the same one."""
    if new is None or not new.lines:
        return None
    before = {line.id: line.quantity for line in old.lines} if old and old.id == new.id else {}
    for line in new.lines:
        if before and (line.id not in before or before[line.id] != line.quantity):
            return line.id
    ids = [line.id for line in new.lines]
    if current in ids:
        return current
    return ids[-1]
