"""Type-ahead in the real app: ``tillterm`` in a pseudo-terminal (TERM=xterm, 80×24)
gets a cashier's keys in one write, as a stalled SSH link delivers them, and the
database shows each went where it was meant to (issue 16 §1)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import struct
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

from conftest import wait_until_blocking
from sales_store import Store, build_store
from sqlalchemy import select
from test_app_hangup import ended, read_until

from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import Payment, Sale

F3 = b"\x1bOR"
F9 = b"\x1b[20~"
F10 = b"\x1b[21~"
ESC = b"\x1b"


def _start(db: Path, receipts: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the register as a cashier starts it
        os.environ.update(
            {
                "TERM": "xterm",
                "COLUMNS": "80",
                "LINES": "24",
                "TILLTERM_RECEIPTS": str(receipts),
            }
        )
        os.execv(
            sys.executable,
            [sys.executable, "-m", "tillterm", "--db", str(db), "--register", "till-1"],
        )
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return pid, fd


def _drain(fd: int) -> None:
    """Read what the app drew so far (a full pty would stall it)."""
    import select as select_module

    while select_module.select([fd], [], [], 0)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            return


def _sales(db: Path) -> list[tuple[str, int | None, list[tuple[int, int | None, int]]]]:
    engine = open_db(db)
    try:
        with session_scope(engine) as s:
            out = []
            for sale in s.execute(select(Sale).order_by(Sale.id)).scalars():
                pays = s.execute(select(Payment).where(Payment.sale_id == sale.id)).scalars()
                out.append(
                    (
                        sale.state,
                        sale.customer_id,
                        [(p.amount_cents, p.tendered_cents, p.change_cents) for p in pays],
                    )
                )
            return out
    finally:
        engine.dispose()


@contextlib.contextmanager
def _register(tmp_path: Path) -> Iterator[tuple[Path, int, Store]]:
    """The demo store's register in a pty, open (the store's name drawn): yields the
    database, the pty and the store; closed with Ctrl+Q after the test, killed if it
    does not end."""
    db = tmp_path / "till.db"
    engine = open_db(db)
    store = build_store(engine)
    engine.dispose()
    pid, fd = _start(db, tmp_path / "receipts")
    try:
        read_until(fd, b"Test shop", 30)  # the store's own register: the database is open
        yield db, fd, store
        os.write(fd, b"\x11")  # Ctrl+Q
        wait_until_blocking(lambda: _drain(fd) is None and ended(pid), "the register to end")
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def test_keys_in_one_write_reach_their_screens(tmp_path: Path) -> None:
    """One write: scan the pen (a wedge burst), F9 30 Enter F10, Esc (the receipt), F3,
    "chev" Esc "mar" Enter and A (attach the first match to a new sale). The sale is
    paid with 30 tendered and 5.10 change, and the customer found by "mar" (not
    "chevmar") is on the next sale."""
    with _register(tmp_path) as (db, fd, store):
        keys = b"3000000000024\r" + F9 + b"30\r" + F10 + ESC + F3 + b"chev" + ESC + b"mar\r" + b"a"
        os.write(fd, keys)

        def done() -> bool:
            _drain(fd)
            found = _sales(db)
            return len(found) == 2 and found[1][1] is not None

        wait_until_blocking(done, lambda: f"both sales in the database: {_sales(db)}", timeout=30)
        first, second = _sales(db)
        assert first == ("completed", None, [(2490, 3000, 510)])
        assert second[0] == "open" and second[1] in (store.marie, store.paul)


def test_escape_then_a_long_burst_is_a_new_search(tmp_path: Path) -> None:
    """F3 "chev" Esc then "Paul" and 30 spaces in one write: the parser read ESC P as
    the head of a terminal's reply, and past 32 characters handed it on as "^" and the
    text: the search was "chev^Paul…" and A attached nobody. Paul is attached."""
    with _register(tmp_path) as (db, fd, store):
        os.write(fd, F3 + b"chev" + ESC + b"Paul" + b" " * 30 + b"\r" + b"a")

        def attached() -> bool:
            _drain(fd)
            found = _sales(db)
            return len(found) == 1 and found[0][1] is not None

        wait_until_blocking(attached, lambda: f"a sale with Paul: {_sales(db)}", timeout=60)
        assert _sales(db) == [("open", store.paul, [])]
