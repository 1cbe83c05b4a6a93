"""Which keyboard layout a scanner types in, from one scan of a code we know.

A scanner sends key positions for the layout it is set to. Read with another layout the
code changes silently (a QWERTZ scanner read as ``us`` turns ``yz-2023`` into
``zy/2023``), and nothing but a check digit could tell. So ``tillterm scanner test
--learn`` asks for one code the cashier knows (printed under its barcode) and replays the
key strokes of the scan on every layout the decoder knows: the layouts that give the
known code are the scanner's.

A code of digits only tells AZERTY (Shift for digits) from the rest, not ``us`` from
``uk`` or ``de``: :attr:`LayoutFinding.alike` names the layouts that typed it alike, so
the cashier can learn again with a code with letters and punctuation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tillterm.i18n import _
from tillterm.scanner.barcodes import retype
from tillterm.scanner.layouts import LAYOUTS

#: what each layout is called on a scanner's setup sheet
DESCRIPTIONS = {
    "us": _("US English, QWERTY"),
    "uk": _("UK English, QWERTY"),
    "de": _("German, QWERTZ"),
    "fr": _("French, AZERTY"),
}

#: the code asked for when none is given: the demo store's first loyalty card, an
#: in-store EAN-13 (``tillterm.demo.seeding.loyalty_card_code(1)``, checked by the tests;
#: not imported, as the demo pulls in the database)
DEMO_CARD = "2900000000018"


@dataclass(frozen=True)
class LayoutFinding:
    """What one scan of a known code says about the scanner's layout."""

    #: the layout to decode with: the current one when it reads the code right, else the
    #: one that does (preferring ``prefer``); ``None`` when no layout gives the code
    layout: str | None
    #: every layout that types the known code with these key strokes
    alike: tuple[str, ...]
    #: True when the current layout already read the code right
    current_ok: bool


def _strip(text: str, prefix: str, suffix: str) -> str:
    """As the decoder trims a code (prefix, suffix, surrounding blanks)."""
    if prefix and text.startswith(prefix):
        text = text[len(prefix) :]
    if suffix and text.endswith(suffix):
        text = text[: -len(suffix)]
    return text.strip()


def find_layout(
    known: str,
    decoded: str,
    strokes: Sequence[tuple[int, bool, bool]],
    current: str,
    *,
    prefix: str = "",
    suffix: str = "",
    prefer: Sequence[str] = ("us",),
) -> LayoutFinding:
    """The layout under which ``strokes`` type ``known``.

    ``decoded`` is what the decoder made of the scan with ``current``. Strokes typed in
    Alt+keypad mode (key 0) are the same on every layout: then only ``decoded`` counts.
    """
    known = known.strip()
    current_ok = decoded == known
    alike = tuple(
        name
        for name, layout in LAYOUTS.items()
        if _strip(retype(strokes, layout) or "\0", prefix, suffix) == known
    )
    if current_ok:
        return LayoutFinding(current, alike or (current,), True)
    if not alike:
        return LayoutFinding(None, (), False)
    choice = next((name for name in prefer if name in alike), alike[0])
    return LayoutFinding(choice, alike, False)
