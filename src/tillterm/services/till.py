"""The register's use cases: one :class:`Till` per register, shared by its screens.

A register screen used to open its own sessions, guard one sale with two locks (its
own and the payment window's), and write "complete, render, write the receipt file"
a second time in the refund screen. The :class:`Till` is the one place that does it:
every register action is one method that opens its own transaction and hands back a
:class:`~tillterm.sales.SaleView` (or a small outcome), so the screens only show what
they get and the CLI could ring up a sale the same way.

The till owns the register's open sale id and the ONE lock that serialises changes
to it: a scan, a payment from the payment window and a completion queue behind each
other, never interleave. Reads that do not change the sale (searches, lists, the
report) take no lock: a customer search never waits behind a completion.

When the server goes away
-------------------------
Every action waits for the server at most :attr:`PgTimeouts.answer` seconds (the
client's own clock, :func:`~tillterm.store.deadline.answer_within`: a paused server
answers nothing and times nothing out). A change that meets a lost or silent server is
not dropped: the till tells its watchers ("Server unreachable — retrying", the register's
status line), waits with a growing backoff and tries again, holding the lock, so the
cashier's next actions queue behind it in order and nothing is lost while the register
runs. The pool drops the dead connections (pre-ping, and every connection older than
a lost one), so the register carries on by itself when the server is back.

Each change carries an idempotency key made before its first attempt. Its transaction
stamps the key on the sale it changed; a retry first looks for a sale carrying it, and
if the earlier attempt did commit (only its answer was lost) takes the sale as it is
instead of changing it again: a completion happens once, with one receipt number.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from sqlalchemy.exc import DBAPIError

from tillterm import sales
from tillterm.catalog.settings import load_settings
from tillterm.core.errors import TilltermError
from tillterm.customers import search_customers
from tillterm.i18n import N_, _, language, ngettext
from tillterm.sales.receipts import WIDTH
from tillterm.store.config import PgTimeouts, resolve_pg_timeouts, resolve_receipts_dir
from tillterm.store.deadline import answer_within
from tillterm.store.engine import DatabaseUnreachable, session_scope, translate

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from tillterm.customers import CustomerSummary

T = TypeVar("T")

#: the first wait before a change is tried again, doubled at each failure up to the last
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 4.0
#: why a sale shown for a refund is refused, a whole sentence per state it can be in
_NOT_REFUNDABLE: dict[str, str] = {
    sales.OPEN: N_("Sale {sale} is open: only a completed sale can be refunded."),
    sales.PARKED: N_("Sale {sale} is parked: only a completed sale can be refunded."),
    sales.VOIDED: N_("Sale {sale} is voided: only a completed sale can be refunded."),
}


def _seconds(delay: float) -> str:
    """A wait as the status line says it: ``0.25`` (``0,25`` in French)."""
    said = f"{delay:g}"
    return said.replace(".", ",") if language() == "fr" else said


@dataclass(frozen=True)
class LinkState:
    """What the till knows of its database server, for a status line.

    ``reachable`` is False while a change is being retried; ``waiting`` counts the
    register's actions queued behind it (none is lost while the register runs);
    ``reason`` is the driver's error in words, for whoever looks after the till.
    """

    reachable: bool
    note: str
    waiting: int = 0
    reason: str = ""


#: told of every change of :class:`LinkState`, from the thread running the action
LinkWatcher = Callable[[LinkState], None]


def _answer_timeout() -> float:
    """The environment's answer timeout. A bad value refuses to open a PostgreSQL store
    (the engine reads it first, and says so); on SQLite, where it means nothing, it
    must not stop the register."""
    try:
        return resolve_pg_timeouts().answer
    except TilltermError:
        return PgTimeouts().answer


def _sale_of(result: object) -> int | None:
    """The sale a change's result shows (``None``: the change wrote nothing)."""
    view = result.view if isinstance(result, sales.ScanOutcome) else result
    return view.id if isinstance(view, sales.SaleView) else None


def _landed_view(session: Session, sale_id: int) -> sales.SaleView:
    return sales.get_sale(session, sale_id)


def _landed_scan(session: Session, sale_id: int) -> sales.ScanOutcome:
    return sales.ScanOutcome("saved", sales.get_sale(session, sale_id), "")


@dataclass(frozen=True)
class Finished:
    """A sale completed (or a refund made), its receipt as printed and what became of it.

    ``note`` says where the receipt file went (or why it did not, and that it is written
    again at the next start); for a refund it starts with what to give back.
    """

    sale: sales.SaleView
    receipt: str
    note: str


@dataclass(frozen=True)
class Voided:
    sale: sales.SaleView
    #: "Sale 12 voided. Give back 10.00 EUR in cash."
    note: str


@dataclass(frozen=True)
class StartedUp:
    """The register as a restarted till finds it: its open sale, and what to say."""

    sale: sales.SaleView | None
    #: which sale completed last, and the receipt files written again after a crash
    note: str


@dataclass(frozen=True)
class ShownSale:
    """A completed sale found for the recent-sales screen, with its receipt as shown."""

    sale: sales.SaleView
    receipt: str


class Till:
    """One register: its name, its open sale, and the lock every change to it takes."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        register: str,
        receipts_dir: Path | None = None,
        paper_width: Callable[[], int] = lambda: WIDTH,
    ) -> None:
        self._engine = engine
        self.register = register
        self._receipts_dir = receipts_dir
        #: the register's paper, in columns (its printer's, else 40), asked as each
        #: receipt is made: the receipt is kept as printed, never rendered again
        self._paper_width = paper_width
        #: the one lock on the sale, taken in the order the actions came (tickets):
        #: actions queued behind a retried one are done in the cashier's order
        self._turns = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()
        #: the register's open sale as last seen by a change (``None``: none open)
        self._sale_id: int | None = None
        #: how long one action waits for the server (PostgreSQL; the environment's)
        self.answer_s: float = _answer_timeout()
        self._closing = threading.Event()
        self._watchers: list[LinkWatcher] = []
        self._unreachable = False

    @property
    def sale_id(self) -> int | None:
        """The open sale this till is ringing up (``None`` before the first line)."""
        return self._sale_id

    # ----------------------------------------------------------------- plumbing

    def _change(
        self,
        change: Callable[[Session], T],
        *,
        moves_sale: bool = True,
        landed: Callable[[Session, int], T] | None = None,
    ) -> T:
        """Run ``change`` under the till's lock in its own committed transaction, retried
        while the server is unreachable, done once however many attempts it takes.

        Once committed (never before: a rolled-back insert leaves no sale), the sale it
        left is the register's open sale, or none if it is no longer open. A refund is
        a sale of its own and does not move the register's (``moves_sale=False``).
        ``landed`` rebuilds the result from the sale an earlier attempt did change (its
        answer lost); by default the sale's view.
        """
        key = uuid.uuid4().hex  # before the first attempt: every retry carries it
        # every change but a scan answers with the sale's view (the scan says ``landed``)
        view: Callable[[Session, int], T] = cast("Callable[[Session, int], T]", _landed_view)
        rebuild = landed if landed is not None else view

        def attempt(session: Session, retry: bool) -> T:
            if retry:
                done = sales.sale_changed_by(session, key)
                if done is not None:
                    return rebuild(session, done)
            result = change(session)
            sale_id = _sale_of(result)
            if sale_id is not None:
                sales.stamp_change(session, sale_id, key)
            return result

        with self._queued():
            result = self._persist(attempt)
            if moves_sale:
                self._track(result)
            return result

    @contextmanager
    def _queued(self) -> Iterator[None]:
        """Hold the till's lock, in turn: first come, first served."""
        with self._turns:
            ticket = self._next_ticket
            self._next_ticket += 1
            try:
                self._turns.wait_for(lambda: self._serving == ticket)
            except BaseException:
                # never served: hand the turn on when it comes, so no one waits for it
                self._abandoned.add(ticket)
                self._skip_abandoned()
                raise
        try:
            yield
        finally:
            with self._turns:
                self._serving += 1
                self._skip_abandoned()
                self._turns.notify_all()

    def _skip_abandoned(self) -> None:
        """(Under ``_turns``.) Pass over the turns of waiters that gave up."""
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._turns.notify_all()

    @property
    def waiting(self) -> int:
        """Actions queued behind the one being done (or retried)."""
        with self._turns:
            return max(0, self._next_ticket - self._serving - 1 - len(self._abandoned))

    def _persist(self, attempt: Callable[[Session, bool], T]) -> T:
        """``attempt(session, retry)`` in a committed transaction, again and again while
        the server is unreachable (``retry``: an earlier attempt may have committed)."""
        delay = RETRY_FIRST_S
        retry = False
        while True:
            if self._closing.is_set():
                raise DatabaseUnreachable(
                    _(
                        "The register is closing while the database server is unreachable; "
                        "the last action was not saved."
                    )
                )
            try:
                with answer_within(self.answer_s), session_scope(self._engine()) as session:
                    result = attempt(session, retry)
            except DatabaseUnreachable as exc:
                retry = True
                self._tell(False, f"{exc}", delay)
                if self._closing.wait(delay):
                    continue  # says so above, once more round the loop
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if retry or self._unreachable:
                self._tell(True, "", 0)
            return result

    def _read(self, read: Callable[[Session], T]) -> T:
        """A read: one attempt, bounded like the changes (nothing to retry for: the
        cashier asks again)."""
        with answer_within(self.answer_s), session_scope(self._engine()) as session:
            return read(session)

    # ----------------------------------------------------------------- the server

    def watch_link(self, watcher: LinkWatcher) -> None:
        """Be told when the server becomes unreachable (each retry) and when it is back."""
        self._watchers.append(watcher)

    def unwatch_link(self, watcher: LinkWatcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def close(self) -> None:
        """The register is going: stop retrying (what is still queued is not saved)."""
        self._closing.set()

    @property
    def closed(self) -> bool:
        return self._closing.is_set()

    def _tell(self, reachable: bool, reason: str, delay: float) -> None:
        self._unreachable = not reachable
        waiting = self.waiting
        if reachable:
            note = _("Server back: carried on.")
        elif waiting:
            note = ngettext(
                "Server unreachable — retrying in {delay} s; the sale is kept; "
                "{count} more action waiting.",
                "Server unreachable — retrying in {delay} s; the sale is kept; "
                "{count} more actions waiting.",
                waiting,
            ).format(delay=_seconds(delay), count=waiting)
        else:
            note = _("Server unreachable — retrying in {delay} s; the sale is kept.").format(
                delay=_seconds(delay)
            )
        state = LinkState(reachable, note, waiting, reason)
        for watcher in list(self._watchers):
            watcher(state)

    def _track(self, result: object) -> None:
        """Remember the open sale a change left (under the lock, after the commit)."""
        view = result.view if isinstance(result, sales.ScanOutcome) else result
        if isinstance(view, sales.SaleView):
            self._sale_id = view.id if view.state == sales.OPEN else None

    def _open_sale(self) -> int:
        """The sale a change to "the sale" applies to; refused when there is none."""
        if self._sale_id is None:
            raise sales.SaleError(_("There is no open sale on this register."))
        return self._sale_id

    # ----------------------------------------------------------------- start-up

    def claim(self, name: str) -> sales.RegisterClaim | None:
        """Hold the register's name for this session (``None``: another session has it).

        The caller keeps the claim as long as the register is on screen and releases it.
        """
        try:
            with answer_within(self.answer_s):
                claim = sales.claim_register(self._engine(), name)
        except TilltermError as exc:
            cause = exc.__cause__
            if not isinstance(cause, DBAPIError):
                raise
            # the driver's own words (and its SQL) never reach the cashier
            said = translate(cause)
            raise type(said)(
                _("Cannot check whether register {register} is open elsewhere: {error}").format(
                    register=name, error=said
                )
            ) from cause
        if claim is None:
            return None
        answer = self.answer_s

        def release() -> None:
            # on closing, from the UI thread: a hung server must not hold up the exit
            with answer_within(answer):
                claim.release()

        return sales.RegisterClaim(claim.name, release, claim.held)

    def reclaim(self, claim: sales.RegisterClaim) -> sales.RegisterClaim | None:
        """``claim`` if this session still holds the name, else the name claimed again
        (``None``: another session took it meanwhile).

        A PostgreSQL server that restarted has ended the session that held the name:
        another register could start under it and ring up this register's open sale.
        The register asks here each time the server comes back.
        """
        with answer_within(self.answer_s):
            if claim.held():
                return claim
        claim.release()  # a dead connection: closing it is all that is left
        return self.claim(claim.name)

    def start_up(self, name: str) -> StartedUp:
        """Become register ``name``: reopen its open sale, write the receipt files a crash
        left unwritten, and say which sale completed last (so a restarted till never
        looks as if its last sale had not happened)."""

        def read(
            session: Session, _retry: bool
        ) -> tuple[sales.SaleView | None, list[sales.ReceiptToFile], sales.LastSale | None]:
            return (
                sales.find_open_sale(session, name),
                sales.receipts_to_file(session, name),
                sales.last_completed(session, name),
            )

        with self._queued():
            view, pending, last = self._persist(read)
            self.register = name
            self._sale_id = None if view is None else view.id
        notes = []
        if last is not None:
            when = last.completed_at.astimezone().strftime("%d/%m %H:%M")
            said = (
                _("Last refund {receipt} completed {when}.")
                if last.kind == sales.REFUND
                else _("Last sale {receipt} completed {when}.")
            )
            notes.append(said.format(receipt=last.receipt_no, when=when))
        if pending:
            notes.append(self._file_again(pending))
        return StartedUp(view, " ".join(notes))

    def _file_again(self, pending: list[sales.ReceiptToFile]) -> str:
        folder = self.receipts_folder()
        written: list[str] = []
        try:
            for item in pending:
                sales.file_receipt(self._engine(), folder, item.sale_id, item.receipt_no, item.text)
                written.append(item.receipt_no)
        except TilltermError as exc:
            return _("Receipt {receipt} not saved: {error}").format(
                receipt=pending[len(written)].receipt_no, error=exc
            )
        return _("Receipt {receipt} saved again to {folder}.").format(
            receipt=", ".join(written), folder=folder
        )

    def receipts_folder(self) -> Path:
        """This database's receipt folder under the configured (or given) receipts dir."""
        base = resolve_receipts_dir(self._receipts_dir)
        return sales.receipts_folder(Path(base), self._engine())

    # ----------------------------------------------------------------- the basket

    def enter(self, text: str, *, typed: bool, quantity: int = 1) -> sales.ScanOutcome:
        """A code scanned (``typed=False``) or a code or name typed in the scan field.

        Another customer's card never replaces the one on the sale here: the outcome
        says whose it is, and the cashier is asked first. ``quantity``: what the cashier
        typed before scanning (``3*`` then a scan); typed text carries its own.
        """

        def run(session: Session) -> sales.ScanOutcome:
            if typed:
                return sales.enter_text(session, self.register, text, replace_customer=False)
            return sales.scan_code(
                session, self.register, text, replace_customer=False, quantity=quantity
            )

        return self._change(run, landed=_landed_scan)

    def add_product(self, product_id: int, quantity: int = 1) -> sales.SaleView:
        return self._change(
            lambda s: sales.add_product(
                s, sales.ensure_open_sale(s, self.register), product_id, quantity
            )
        )

    def add_misc_item(self, price: Decimal, description: str) -> sales.SaleView:
        return self._change(
            lambda s: sales.add_misc_item(
                s, sales.ensure_open_sale(s, self.register), price, description
            )
        )

    def attach_customer(self, customer_id: int) -> sales.SaleView:
        return self._change(
            lambda s: sales.attach_customer(
                s, sales.ensure_open_sale(s, self.register), customer_id
            )
        )

    def detach_customer(self) -> sales.SaleView:
        return self._change(lambda s: sales.detach_customer(s, self._open_sale()))

    def change_quantity(self, line_id: int, delta: int) -> sales.SaleView:
        return self._change(lambda s: sales.change_quantity(s, self._open_sale(), line_id, delta))

    def set_line_discount(self, line_id: int, percent: Decimal) -> sales.SaleView:
        return self._change(
            lambda s: sales.set_line_discount(s, self._open_sale(), line_id, percent)
        )

    def set_sale_discount(self, percent: Decimal, reason: str) -> sales.SaleView:
        return self._change(
            lambda s: sales.set_sale_discount(s, self._open_sale(), percent, reason)
        )

    def override_price(self, line_id: int, price: Decimal, reason: str) -> sales.SaleView:
        return self._change(
            lambda s: sales.override_price(s, self._open_sale(), line_id, price, reason)
        )

    def remove_line(self, line_id: int) -> sales.SaleView:
        return self._change(lambda s: sales.remove_line(s, self._open_sale(), line_id))

    def search_customers(self, text: str, limit: int) -> list[CustomerSummary]:
        """Customers matching what the cashier types in the register's customer field."""
        return self._read(lambda s: search_customers(s, text, limit=limit))

    # ----------------------------------------------------------------- payments

    def pay(self, method: str, amount: Decimal | None) -> sales.SaleView:
        """Take a payment on the open sale; for cash ``amount`` is what was handed over
        (``None``: the amount due), for the others the amount to take."""

        def run(session: Session) -> sales.SaleView:
            sale_id = self._open_sale()
            if method == sales.CASH:
                return sales.add_payment(session, sale_id, sales.CASH, tendered=amount)
            return sales.add_payment(session, sale_id, method, amount)

        return self._change(run)

    def remove_payment(self, payment_id: int) -> sales.SaleView:
        return self._change(lambda s: sales.remove_payment(s, self._open_sale(), payment_id))

    # ----------------------------------------------------------------- lifecycle

    def park(self) -> None:
        """Put the open sale aside (resumable on any register); the register is empty."""
        self._change(lambda s: sales.park_sale(s, self._open_sale()))

    def resume(self, sale_id: int) -> sales.SaleView:
        """Bring a parked sale back here; the sale in progress is parked (or dropped)."""
        return self._change(lambda s: sales.resume_sale(s, self.register, sale_id))

    def void(self) -> Voided:
        """Void the open sale; the note says what money to hand back."""
        view = self._change(lambda s: sales.void_sale(s, self._open_sale()))
        back = sales.describe_void(view)
        note = _("Sale {sale} voided.").format(sale=view.id) + (
            f" {back[0].upper()}{back[1:]}." if back else ""
        )
        return Voided(view, note)

    def finish(self, *, refund_of: int | None = None) -> Finished:
        """Complete the open sale, or refund the completed sale ``refund_of`` in full,
        then write its receipt file — the one way a receipt comes to be.

        The sale (or refund) is committed first; the file is written after, and a
        failure to write it is said in the note, never undone: the sale stays marked
        unfiled and :meth:`start_up` writes it again.
        """
        if refund_of is None:
            width = self._paper_width()
            view = self._change(lambda s: sales.complete_sale(s, self._open_sale(), width=width))
            said = ""
        else:
            width = self._paper_width()
            view = self._change(
                lambda s: sales.refund_sale(s, self.register, refund_of, width=width),
                moves_sale=False,
            )
            said = sales.describe_refund(view) + " "
        return self._file(view, said)

    def returnable(self, sale_id: int) -> sales.ReturnableSale:
        """What is left to return of a completed sale, line by line and per payment."""
        return self._read(lambda s: sales.returnable_sale(s, sale_id))

    def return_items(self, sale_id: int, quantities: dict[int, int]) -> Finished:
        """Return ``quantities`` (original line id → units) of sale ``sale_id``, then file
        the refund's receipt as :meth:`finish` does."""
        width = self._paper_width()
        view = self._change(
            lambda s: sales.return_lines(s, self.register, sale_id, quantities, width=width),
            moves_sale=False,
        )
        return self._file(view, sales.describe_refund(view) + " ")

    def return_without_receipt(
        self, item: sales.NoReceiptItem, reason: str, method: str, customer_code: str = ""
    ) -> Finished:
        """Give back an item without its receipt (cash or store credit), then file the
        refund's receipt as :meth:`finish` does."""
        width = self._paper_width()
        view = self._change(
            lambda s: sales.return_without_receipt(
                s, self.register, item, reason, method, customer_code, width=width
            ),
            moves_sale=False,
        )
        return self._file(view, sales.describe_refund(view) + " ")

    def _file(self, view: sales.SaleView, said: str) -> Finished:
        """Write a just-committed sale's (or refund's) receipt file; a failure is said
        in the note, never undone (the next start writes it again)."""
        text = view.receipt_text or ""
        receipt_no = view.receipt_no or str(view.id)
        engine = self._engine()
        try:
            with answer_within(self.answer_s):
                folder = self.receipts_folder()
                path = sales.file_receipt(engine, folder, view.id, receipt_no, text)
            note = _("Receipt {receipt} saved to {path}").format(receipt=receipt_no, path=path)
        except TilltermError as exc:
            note = _("{error} It is saved again at the next start.").format(error=exc)
        return Finished(view, text, said + note)

    # ----------------------------------------------------------------- listings

    def parked(self) -> list[sales.ParkedSale]:
        """Parked sales of every register, the most recent first."""
        return self._read(sales.list_parked)

    def completed(self) -> list[sales.CompletedSale]:
        """The last completed sales and refunds of every register, the latest first."""
        return self._read(sales.list_completed)

    def show_completed(self, *, sale_id: int | None = None, receipt_no: str = "") -> ShownSale:
        """A completed sale (by id, or by the receipt number typed or scanned) with its
        receipt as shown; refused if the sale is not completed."""

        def read(session: Session) -> ShownSale:
            if sale_id is not None:
                view = sales.get_sale(session, sale_id)
            else:
                view = sales.find_sale_by_receipt(session, receipt_no)
            if view.state != sales.COMPLETED:
                said = _NOT_REFUNDABLE.get(view.state)
                raise TilltermError(
                    _(said).format(sale=view.id)
                    if said
                    else f"Sale {view.id} is {view.state}: only a completed sale can be refunded."
                )
            return ShownSale(view, sales.receipt_as_shown(view, load_settings(session)))

        return self._read(read)

    def sales_by_group(self, date_from: dt.date, date_to: dt.date) -> sales.GroupReport:
        """Completed sales per customer group between two days (inclusive, local time)."""
        return self._read(lambda s: sales.sales_by_group(s, date_from, date_to))
