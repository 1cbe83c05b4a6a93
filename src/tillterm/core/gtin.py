"""Check digits of retail barcodes (GS1: EAN-8, UPC-A, EAN-13, GTIN-14).

Shared by the scanner (a wrong check digit hints at a wrong keyboard layout) and the
catalogue (a barcode typed or imported with a wrong check digit is refused): one rule,
below both.
"""

from __future__ import annotations

#: EAN-8, UPC-A, EAN-13, GTIN-14
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
#: the names people know them by, by length
GTIN_NAMES = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}


def gtin_check_digit(body: str) -> int:
    """The check digit GS1 puts after ``body`` (ASCII digits)."""
    # weights 3,1,3,1… from the digit nearest the check digit
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_check_ok(code: str) -> bool:
    """True when ``code`` is an EAN-8/UPC-A/EAN-13/GTIN-14 with a correct check digit."""
    if len(code) not in GTIN_LENGTHS or not code.isascii() or not code.isdigit():
        return False
    return gtin_check_digit(code[:-1]) == int(code[-1])
