"""Printing receipts: after a sale completes, again on request, and a test page; and
the drawer's X and Z reports (:meth:`ReceiptPrinter.print_text`).

Printing comes after the sale is committed and its receipt kept, from a worker of its
own, holding no database session while the printer takes its time: a printer that is
off, unplugged or out of paper never holds up, rolls back or loses a sale. What went
wrong comes back as a :class:`Printed` with ``ok=False`` and one line for the status
line; only a programming error raises.

The configuration is read at each print (a small TOML file), so an installer who fixes
``printer.toml`` sees the next receipt printed without restarting the register. One
lock per register: two receipts never interleave on the paper. A printer that takes
nothing (out of paper, a device node nobody reads) is given up after a deadline
(:meth:`ReceiptPrinter._send_within`), never waited for without end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm import printing
from tillterm.core.errors import TilltermError
from tillterm.i18n import _
from tillterm.sales.receipts import WIDTH
from tillterm.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.sales.views import SaleView


@dataclass(frozen=True)
class Printed:
    """What became of a print: ``ok``, and the line that says it (the receipt number in
    it). ``receipt_no`` is empty for the test page."""

    ok: bool
    note: str
    receipt_no: str = ""
    #: the printer itself failed (off, unplugged, out of paper): trying again may work
    retry: bool = False


def deadline_s(config: printing.PrinterConfig) -> float:
    """How long a receipt may take to reach the printer: the connection's own timeout
    twice (connect, then write) and a second more."""
    return config.timeout * 2 + 1.0


class ReceiptPrinter:
    """This register's receipt printer (or none: then nothing is printed, nothing said)."""

    def __init__(self, engine: Callable[[], Engine], config_file: Path | None = None) -> None:
        self._engine = engine
        self._config_file = config_file
        self._lock = threading.Lock()

    def config(self) -> printing.PrinterConfig:
        """The configuration as the file says now (raises PrinterConfigError if wrong)."""
        return printing.load_printer_config(self._config_file)

    def paper_width(self) -> int:
        """The paper's width in columns, which receipts and reports are rendered at:
        the configured printer's (``width``), else 40, as without a printer; a broken
        configuration counts as none here (printing says what is wrong with it)."""
        try:
            config = self.config()
        except printing.PrinterConfigError:
            return WIDTH
        return config.width if config.configured else WIDTH

    def configured(self) -> bool:
        """A printer is set up (a broken configuration counts: it must be said)."""
        try:
            return self.config().configured
        except printing.PrinterConfigError:
            return True

    def _none_configured(self) -> str:
        where = self._config_file or printing.config_path()
        said = (
            _("no printer is configured: {path} sets no connection")
            if where.exists()
            else _("no printer is configured: {path} does not exist")
        )
        return said.format(path=where)

    def _send_within(self, config: printing.PrinterConfig, text: str, *, kick: bool) -> None:
        """Send in a thread of its own, waiting for it at most :func:`deadline_s`.

        A write to a printer out of paper, or the open of a device node nobody reads, can
        block for ever; the driver offers no timeout for it. The cashier hears of it
        after the deadline; the stuck thread (a daemon: it never holds up closing
        tillterm) keeps the printer's lock until the device lets go, so a later receipt
        is refused as "still busy" rather than come out of the printer unannounced.
        """
        wait = deadline_s(config)
        if not self._lock.acquire(timeout=wait):
            raise printing.PrinterUnavailable(
                _("printer at {where} is still busy with an earlier receipt").format(
                    where=config.where
                )
            )
        done = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            try:
                printing.send(config, text, kick=kick)
            except BaseException as exc:  # handed to the waiting thread, raised there
                failed.append(exc)
            finally:
                self._lock.release()
                done.set()

        threading.Thread(target=run, name="receipt printer", daemon=True).start()
        if not done.wait(wait):
            raise printing.PrinterUnavailable(
                _(
                    "printer at {where} did not take the receipt within {seconds} s "
                    "(out of paper, or jammed?)"
                ).format(where=config.where, seconds=f"{wait:g}")
            )
        if failed:
            raise failed[0]

    def _send(self, text: str, *, kick: bool, receipt_no: str, what: str) -> Printed:
        try:
            config = self.config()
            if not config.configured:
                return Printed(False, self._none_configured(), receipt_no)
            self._send_within(config, text, kick=kick)
        except TilltermError as exc:
            retry = isinstance(exc, printing.PrinterUnavailable)
            said = _("{what} not printed: {error}").format(what=what, error=exc)
            return Printed(False, said, receipt_no, retry)
        return Printed(True, _("{what} printed.").format(what=what), receipt_no)

    def print_sale(self, sale: SaleView) -> Printed | None:
        """Print a just-completed sale's (or refund's) kept receipt, opening the drawer
        when cash changed hands; ``None`` when no printer is configured."""
        if not self.configured():
            return None
        receipt_no = sale.receipt_no or str(sale.id)
        return self._send(
            sale.receipt_text or "",
            kick=printing.had_cash(sale),
            receipt_no=receipt_no,
            what=_("Receipt {receipt}").format(receipt=receipt_no),
        )

    def reprint(self, register: str, receipt_no: str = "") -> Printed:
        """Print a kept receipt again, marked as a copy (never rendered again, never a
        drawer kick): the one numbered ``receipt_no``, else the register's last."""
        try:
            with session_scope(self._engine()) as session:
                kept = printing.kept_receipt(session, register, receipt_no)
        except TilltermError as exc:
            return Printed(False, str(exc), receipt_no)
        return self._send(
            printing.mark_copy(kept.text),
            kick=False,
            receipt_no=kept.receipt_no,
            what=_("Copy of receipt {receipt}").format(receipt=kept.receipt_no),
        )

    def print_text(self, text: str, what: str, *, copy: bool = False) -> Printed:
        """Print a text kept elsewhere exactly as it is: a Z report as stored when it was
        taken, an X report as just rendered. Never a drawer kick (no cash changes hands).

        ``copy``: it was printed before (a past Z), so it is marked as a copy above and
        below, like a receipt's copy; the text between the marks is unchanged. ``what``
        names it in the line that says what became of it ("Z0042", "X report").
        """
        return self._send(
            printing.mark_copy(text) if copy else text, kick=False, receipt_no="", what=what
        )

    def test_page(self) -> Printed:
        """The test page (settings, a ruler, accents); no drawer kick."""
        try:
            config = self.config()
        except printing.PrinterConfigError as exc:
            return Printed(False, _("Test page not printed: {error}").format(error=exc))
        return self._send(
            printing.test_page_text(config), kick=False, receipt_no="", what=_("Test page")
        )
