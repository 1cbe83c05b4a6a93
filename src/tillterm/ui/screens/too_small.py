"""The box over every screen while the terminal is smaller than 80×24.

Below 80×24 the register's layout gives way: at 60×20 sale lines lost their prices and
at 40×12 the TOTAL disappeared, while keys still did whatever they do. A cashier must not
take money from a screen that hides the total, so the app covers everything with this
box, which says how big the terminal is and how big it must be, and takes every key and
scan (each refused with a bell and a line, so nothing is done unseen). The sale and the
half-typed fields are kept; the box goes as soon as the terminal is big enough again.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Key, Paste
from textual.widgets import Static

from tillterm.i18n import _
from tillterm.ui.messages import ScanReceived
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css

#: the smallest terminal every screen is laid out for
MIN_WIDTH, MIN_HEIGHT = 80, 24


def fits(width: int, height: int) -> bool:
    return width >= MIN_WIDTH and height >= MIN_HEIGHT


class TooSmallScreen(TillModal[None]):
    """Shown while the terminal is smaller than :data:`MIN_WIDTH` × :data:`MIN_HEIGHT`."""

    #: no key answers anything here: each one is refused (and said so) at once
    HOLD_KEYS_FOR_SCANS = False

    CSS_PATH = css("too_small.tcss")

    def compose(self) -> ComposeResult:
        with Vertical(id="too-small-box"):
            yield Static("", id="too-small-message")
            yield Static("", id="too-small-refused")

    def on_mount(self) -> None:
        self.show_size(self.app.size.width, self.app.size.height)

    def show_size(self, width: int, height: int) -> None:
        self.query_one("#too-small-message", Static).update(
            plain(
                _(
                    "Enlarge the terminal to {min_width}×{min_height} "
                    "(it is {width}×{height}). The sale is kept."
                ).format(min_width=MIN_WIDTH, min_height=MIN_HEIGHT, width=width, height=height)
            )
        )

    def _refuse(self, said: str) -> None:
        self.app.bell()
        self.query_one("#too-small-refused", Static).update(plain(said))

    def on_key(self, event: Key) -> None:
        event.stop()
        event.prevent_default()
        self._refuse(_("Key not taken: enlarge the terminal first."))

    def on_paste(self, event: Paste) -> None:
        event.stop()
        self._refuse(_("Paste not taken: enlarge the terminal first."))

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        message.stop()
        self._refuse(
            _("Scan {code} not taken: enlarge the terminal first.").format(code=message.code)
        )
