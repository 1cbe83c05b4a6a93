"""Messages that travel between the app's parts rather than from one widget.

Widget-specific messages are nested in the widget that sends them; these few belong to
no single widget (a scan comes from a device, settings from the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tillterm.catalog.settings import StoreInfo


@dataclass
class DatabaseOpened(Message):
    """The app's database finished opening (``error`` says why it could not)."""

    error: str | None = None


@dataclass
class SettingsLoaded(Message):
    """The store's settings were read from the database."""

    settings: StoreInfo


@dataclass
class ScanReceived(Message):
    """A barcode was read, by a HID scanner through evdev or typed fast into the terminal."""

    code: str
    source: str = "scanner"
    #: set on the copy the app hands to the current screen (see ``TilltermApp._route_scan``)
    routed: bool = False


@dataclass
class CustomerAttachRequested(Message):
    """Attach this customer to the current sale (sent to the register screen by the app)."""

    customer_id: int


@dataclass
class ScannerNoticed(Message):
    """The scanner reader has something to tell the cashier (unplugged, no permission…)."""

    text: str
    severity: str = "warning"
