"""Messages that travel between the app's parts rather than from one widget.

Widget-specific messages are nested in the widget (or screen, or the app) that sends
them; these few belong to no single one: a scan comes from a device and goes to
whichever screen is shown, a customer to attach crosses from one screen to another.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


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
