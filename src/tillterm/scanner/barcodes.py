"""Check digits of retail barcodes, and what a wrong one says about the scanner's layout.

A HID scanner set to the wrong layout still types *something*: an AZERTY scanner read as
US types ``!@#$%^&*()`` where the digits should be. A 13-character code whose check
digit fails, or that only becomes a valid EAN when read with another layout, is the
clearest hint a cashier can get that ``layout`` is wrong — so the decoder says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from tillterm.core.gtin import GTIN_LENGTHS, gtin_check_ok
from tillterm.i18n import _
from tillterm.scanner.layouts import LAYOUTS, Layout

__all__ = ["GTIN_LENGTHS", "gtin_check_ok", "layout_hint", "retype"]


def retype(strokes: Sequence[tuple[int, bool, bool]], layout: Layout) -> str | None:
    """What the same key strokes would have typed on ``layout`` (None: not typable)."""
    out = []
    for key, shift, altgr in strokes:
        table = layout.altgr if altgr else layout.shifted if shift else layout.plain
        ch = table.get(key)
        if ch is None:
            return None
        out.append(ch)
    return "".join(out)


def layout_hint(code: str, strokes: Sequence[tuple[int, bool, bool]], layout: Layout) -> str | None:
    """A sentence for the cashier when ``code`` looks like a barcode read with a wrong layout.

    ``None`` when nothing is suspicious: not barcode-shaped, or a valid check digit.
    """
    if len(code) not in GTIN_LENGTHS:
        return None
    if code.isdigit() and gtin_check_ok(code):
        return None
    better = [
        other.name
        for other in LAYOUTS.values()
        if other is not layout and gtin_check_ok(retype(strokes, other) or "")
    ]
    if better:
        return _(
            "Scanned {code}: read with the {layout} layout it is a valid barcode. "
            'Set layout = "{layout}" in the scanner configuration.'
        ).format(code=repr(code), layout=better[0])
    if code.isdigit():
        return _(
            "Scanned {code}: its check digit is wrong. If this is a product barcode, "
            "check the scanner's layout (now {layout}) or rescan."
        ).format(code=code, layout=repr(layout.name))
    return None
