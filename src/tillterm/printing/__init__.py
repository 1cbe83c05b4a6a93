"""Receipts on ESC/POS printers (python-escpos): configuration, bytes, copies.

Domain side only (no Textual): the register and the CLI reach it through
:class:`tillterm.services.printing.ReceiptPrinter`.
"""

from __future__ import annotations

from tillterm.printing.config import (
    PrinterConfig,
    PrinterConfigError,
    config_path,
    load_printer_config,
)
from tillterm.printing.copies import KeptReceipt, had_cash, kept_receipt
from tillterm.printing.paper import (
    COPY_MARK,
    PrinterUnavailable,
    compose,
    fit_to_code_page,
    mark_copy,
    receipt_bytes,
    send,
    test_page_text,
)

__all__ = [
    "COPY_MARK",
    "KeptReceipt",
    "PrinterConfig",
    "PrinterConfigError",
    "PrinterUnavailable",
    "compose",
    "config_path",
    "fit_to_code_page",
    "had_cash",
    "kept_receipt",
    "load_printer_config",
    "mark_copy",
    "receipt_bytes",
    "send",
    "test_page_text",
]
