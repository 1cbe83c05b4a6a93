"""Whether the terminal is at the far end of a slow link: SSH or a serial line.

Over such a link every byte drawn is paid for (a serial line at 9600 baud carries under
1 KB a second), so a screen may trade a little latency for fewer frames: the customer
search spaces a fast typist's searches there. On a local terminal nothing is spaced:
each key is searched at once (issue 4: keystroke to matches in 50 ms).

``TILLTERM_SLOW_LINK=1`` or ``0`` says so when the guess is wrong (a till behind a
terminal server, say, or SSH over a fast LAN).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

#: serial ports as Linux names them (8250/16550, USB adapters, ARM boards)
SERIAL_PORTS = ("/dev/ttyS", "/dev/ttyUSB", "/dev/ttyACM", "/dev/ttyAMA")


def slow_link(environ: Mapping[str, str], terminal: str | None) -> bool:
    """``TILLTERM_SLOW_LINK`` if it is 0 or 1; else SSH, or a serial ``terminal``."""
    forced = environ.get("TILLTERM_SLOW_LINK", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"):
        return True
    return terminal is not None and terminal.startswith(SERIAL_PORTS)


def terminal_name() -> str | None:
    """The device the app reads its keys from (``/dev/pts/3``), if it is a terminal."""
    stream = sys.__stdin__
    try:
        return os.ttyname(stream.fileno()) if stream is not None else None
    except (OSError, ValueError):
        return None


def over_slow_link() -> bool:
    """Is this process's terminal at the end of a slow link (see :func:`slow_link`)?"""
    return slow_link(os.environ, terminal_name())
