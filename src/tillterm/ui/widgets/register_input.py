"""The register's scan field: barcodes, SKUs, product names, and +/- on an empty field."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message

from tillterm.ui.widgets.scan_input import ScanInput
from tillterm.ui.widgets.steady_frame import SteadyFrame


class RegisterInput(ScanInput, SteadyFrame):
    """A scan input where ``+`` and ``-`` step the selected line's quantity while empty.

    A cashier's hands stay on the same field: scan, scan, ``+``, scan. Once something is
    typed, ``+`` and ``-`` are ordinary characters (product names contain hyphens).
    A burst typed by a scanner plugged into the cashier's own terminal is still a scan.
    Its border is redrawn only when it looks different (:class:`SteadyFrame`): a key or
    a scan sends the text row alone.
    """

    @dataclass
    class QuantityStepped(Message):
        delta: int

    async def _on_key(self, event: events.Key) -> None:
        if not self.value and event.character in ("+", "-"):
            event.stop()
            event.prevent_default()
            self.post_message(self.QuantityStepped(1 if event.character == "+" else -1))
            return
        await super()._on_key(event)
