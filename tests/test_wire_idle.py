"""The real app in a pseudo-terminal writes nothing while nobody touches it.

A till reached over SSH or a serial line pays for every byte: a blinking cursor alone
is 300 B/s on the search screen, 1.7 KB/s on the import screen. Once a screen is drawn
and its data shown, two idle seconds on the customer search, the customer form and the
import screen must cost no byte at all (``make bench`` has the figures per event).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_app_hangup import read_until, start_register

F3, F5, CTRL_N, ESC, CTRL_Q = b"\x1bOR", b"\x1b[15~", b"\x0e", b"\x1b", b"\x11"
#: the screen is drawn and its data shown; anything it writes after this is counted
SETTLE_S = 1.0
IDLE_S = 2.0


def written(fd: int, seconds: float) -> bytes:
    """Everything the app writes in the next ``seconds``."""
    seen = bytearray()
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            seen.extend(os.read(fd, 65536))
    return bytes(seen)


def test_idle_screens_write_nothing(tmp_path: Path) -> None:
    db = tmp_path / "till.db"
    subprocess.run(
        [sys.executable, "-m", "tillterm", "demo", "--db", str(db), "--customers", "300"],
        check=True,
        capture_output=True,
    )
    pid, fd = start_register(db)
    try:
        read_until(fd, "Épicerie Dubois".encode(), 30)  # the store is open
        os.write(fd, F3)
        read_until(fd, b"300 matches", 30)
        written(fd, SETTLE_S)
        assert written(fd, IDLE_S) == b"", "the customer search wrote while idle"

        os.write(fd, CTRL_N)
        read_until(fd, b"New customer", 30)
        written(fd, SETTLE_S)
        assert written(fd, IDLE_S) == b"", "the customer form wrote while idle"

        os.write(fd, ESC)
        written(fd, SETTLE_S)
        os.write(fd, F5)
        read_until(fd, b"Import customers", 30)
        written(fd, SETTLE_S)
        assert written(fd, IDLE_S) == b"", "the import screen wrote while idle"
        os.write(fd, CTRL_Q)
    finally:
        with contextlib.suppress(OSError):
            written(fd, 0.5)
        os.close(fd)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
