"""The real register, in a pseudo-terminal, hung up or terminated while it upgrades.

The terminal closing (a dropped SSH session, a closed window) or a SIGTERM while the
upgrade runs behind the drawn register must end the process, not leave it running
headless, and leave the database on the old schema with every row; the next start
upgrades it. The child ignores SIGHUP as under ``nohup``: the register must still go.
The upgrade is held by another connection's write lock so the signal lands during it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import sys
import termios
from pathlib import Path

import pytest
from conftest import wait_until_blocking
from test_app_upgrade import WriteLock, old_store, revision

from tillterm.store.engine import open_db
from tillterm.store.migrations import HEAD_REVISION, KNOWN_REVISIONS


def start_register(db: Path, terminal: dict[str, str] | None = None) -> tuple[int, int]:
    """The register in a pseudo-terminal; ``terminal`` replaces TERM and the locale."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the register as a cashier starts it, deaf to SIGHUP
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"})
        if terminal is not None:
            for name in ("LC_ALL", "LC_CTYPE", "LANG", "TILLTERM_GLYPHS"):
                os.environ.pop(name, None)
            os.environ.update(terminal)
        os.execv(sys.executable, [sys.executable, "-m", "tillterm", "--db", str(db)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return pid, fd


def read_until(fd: int, marker: bytes, seconds: float) -> bytes:
    """What the register drew, up to and including ``marker``."""
    seen = bytearray()

    def arrived() -> bool:
        if select.select([fd], [], [], 0)[0]:
            try:
                seen.extend(os.read(fd, 65536))
            except OSError as exc:  # the register is gone: waiting longer is pointless
                raise AssertionError(
                    f"the terminal closed before {marker!r}: {seen[-400:]!r}"
                ) from exc
        return marker in seen

    wait_until_blocking(
        arrived, lambda: f"{marker!r} on the terminal; it shows {seen[-400:]!r}", timeout=seconds
    )
    return bytes(seen)


def ended(pid: int) -> bool:
    return os.waitpid(pid, os.WNOHANG) != (0, 0)


@pytest.mark.parametrize("how", ["hang-up", "SIGTERM"])
def test_register_hung_up_or_terminated_mid_upgrade_ends_and_loses_nothing(
    tmp_path: Path, how: str
) -> None:
    db = old_store(tmp_path / "till.db")
    lock = WriteLock(db)
    pid, fd = start_register(db)
    try:
        seen = read_until(fd, b"Upgrading the database", 30)
        assert b"Upgrading the database" in seen, seen[-400:]
        if how == "hang-up":
            os.close(fd)  # the terminal goes away: SIGHUP to the register
            fd = -1
        else:
            os.kill(pid, signal.SIGTERM)
        wait_until_blocking(lambda: ended(pid), f"the register to end after {how}", timeout=5)
    finally:
        if fd != -1:
            os.close(fd)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        lock.release()
    assert revision(db) == KNOWN_REVISIONS[0]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM product").fetchone() == (1,)
    conn.close()
    open_db(db).dispose()
    assert revision(db) == HEAD_REVISION
