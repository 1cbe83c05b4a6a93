"""The box over the register while the database is being created or upgraded.

Upgrading a large store takes a while, and a sale rung up meanwhile would have nowhere
to go. This box says what is happening, and takes every key and scan so none reaches the
register: each one gets a bell and a line saying it was not taken and to wait, so the
cashier knows to scan again. The app dismisses it once the database is open.
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

TITLES = {
    "create": _("Setting up the new database…"),
    "upgrade": _("Upgrading the database…"),
}


class UpgradingScreen(TillModal[None]):
    """Shown from the moment an upgrade starts until the database is open."""

    #: no key answers anything here: each one is refused (and said so) at once
    HOLD_KEYS_FOR_SCANS = False

    CSS_PATH = css("upgrading.tcss")

    def __init__(self, kind: str, label: str) -> None:
        super().__init__()
        self.kind = kind
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(id="upgrading-box"):
            yield Static(plain(TITLES.get(self.kind, TITLES["upgrade"])), id="upgrading-title")
            yield Static(
                plain(
                    _(
                        "tillterm is bringing {database} up to date. The register takes "
                        "sales again as soon as it is done. If it is interrupted, nothing is "
                        "lost: it starts again next time."
                    ).format(database=self.label)
                ),
                id="upgrading-message",
            )
            yield Static("", id="upgrading-refused")

    def say(self, line: str) -> None:
        """One line under the message (plain text, never markup)."""
        self.query_one("#upgrading-refused", Static).update(plain(line))

    def on_key(self, event: Key) -> None:
        event.stop()
        event.prevent_default()
        self.app.bell()
        self.say(_("Wait for the upgrade: that key was not taken."))

    def on_paste(self, event: Paste) -> None:
        event.stop()
        self.app.bell()
        self.say(_("Wait for the upgrade: nothing pasted was taken."))

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        message.stop()
        self.app.bell()
        self.say(_("Wait for the upgrade: scan {code} was not taken.").format(code=message.code))
