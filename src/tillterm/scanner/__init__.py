"""Barcode scanners: decode HID key events, find and read the devices, configuration.

Domain code: never imports Textual. The app (``tillterm.ui.scanner_bridge``) and the
``tillterm scanner`` command hand plain callbacks to :class:`ScannerListener`.
``evdev`` is imported only when a device is actually opened, so decoding and
configuration work where evdev is missing.
"""

from __future__ import annotations

from tillterm.scanner.decoder import ScanDecoder, ScanTiming

__all__ = ["ScanDecoder", "ScanTiming"]
