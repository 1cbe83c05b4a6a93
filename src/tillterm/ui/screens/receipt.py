"""After F10: the receipt of the completed sale, as printed to its file.

With a receipt printer, a line under the file's says how the paper went ("Receipt
R0000042 printed.", or the printer's problem, in bold: the register prints in a worker
of its own and tells this screen when done). Without one, the screen is as it was.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tillterm.i18n import _
from tillterm.ui.plain import plain
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.text_view import TextView


class ReceiptScreen(ModalScreen[None]):
    HELP_TITLE = _("Receipt")
    CSS_PATH = css("receipt.tcss")
    BINDINGS = [
        Binding("enter,escape", "close", _("New sale")),
        Binding("up", "scroll(-1)", _("Scroll up"), show=False),
        Binding("down", "scroll(1)", _("Scroll down"), show=False),
    ]

    def __init__(self, text: str, note: str) -> None:
        super().__init__()
        self.text = text
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="receipt-box"):
            yield TextView(self.text, id="receipt-text")
            yield Static(plain(self.note, multiline=True), id="receipt-note")
            yield Static("", id="receipt-printed")
        yield KeyFooter()

    def show_printed(self, note: str, ok: bool) -> None:
        """What became of the paper (from the register, once its print job is done);
        a problem in bold, since it tells the cashier to do something."""
        line = self.query_one("#receipt-printed", Static)
        line.update(plain(note, "" if ok else "bold", multiline=True))
        line.set_class(not ok, "-error")
        line.display = True

    def action_scroll(self, delta: int) -> None:
        self.query_one("#receipt-text", TextView).scroll_relative(y=delta, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
