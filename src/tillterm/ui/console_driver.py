"""The terminal driver for the Linux console and serial terminals.

At start-up Textual asks the terminal what it supports and switches on what a modern
emulator has: it queries synchronised output and in-band resize (DECRQM, ``CSI ? 2026 $ p``),
pushes the kitty keyboard protocol (``CSI > 1 u``), and sets the mouse pointer's shape
(OSC 22). A Linux VT does not parse a ``$`` in a CSI sequence and prints the final ``p``;
an OSC it does not know leaves its text on screen. This driver sends none of them, so a
console or a serial terminal gets only sequences a VT100/VT220 knows. It is used when
the glyph set is ``console`` or ``ascii`` (ui/terminal_glyphs.py).
"""

from __future__ import annotations

import re

from textual.drivers.linux_driver import LinuxDriver

#: what a Linux console or a VT220 does not understand, as Textual writes it
UNSUPPORTED = re.compile(
    r"\x1b\]22;[^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC 22: mouse pointer shape (kitty)
    r"|\x1b\[\?\d+\$p"  # DECRQM: "which private modes do you have?"
    r"|\x1b\[[<>=]\d*u"  # kitty keyboard protocol: push / pop
    r"|\x1b\[\?(?:1003|1004|1006|1015|1016|2004|2026|2048)[hl]"  # modes a VT lacks
)


class ConsoleDriver(LinuxDriver):
    """Textual's Linux driver, minus the sequences a console would print as text."""

    def write(self, data: str) -> None:
        super().write(UNSUPPORTED.sub("", data))
