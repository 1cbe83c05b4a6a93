"""Bytes on the wire: what the app writes to the terminal per key, per scan, while idle.

A till often reaches its display over SSH or a serial line, where every byte counts
(9600 baud is under 1 KB/s). The real app runs in a pseudo-terminal (80×24,
``TERM=xterm-256color``) on a demo store of 20,000 customers; keys are written to the
pty master at given paces and everything the app writes back is counted and
time-stamped. A bare Textual app with one ``Input`` is measured the same way as the
reference.

An event's bytes are those written in a fixed window after it (long enough for the
search, its count and any late repaint); idle output measured on the same screen just
before (a blinking cursor) is subtracted, so the figure is what the event itself cost.
The echo delay of a key on a slow link is simulated from the time-stamped writes: they
queue on a 20 kB/s link, and a key's echo is taken as the first write after it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from pathlib import Path

CUSTOMERS = 20_000
#: the register's first full frame is drawn (its footer's first key)
READY_MARKER = b"Remove line"
#: the demo store's name: the database is open behind the register
OPEN_MARKER = "Épicerie Dubois".encode()
#: a slow link, to see how late a fast typist's echo comes back
LINK_BYTES_PER_S = 20_000
#: how long idle output is sampled on each screen
IDLE_SECONDS = 2.0

F2, F3, F5, F7, F9 = b"\x1bOQ", b"\x1bOR", b"\x1b[15~", b"\x1b[18~", b"\x1b[20~"
F12 = b"\x1b[24~"
ESC, ENTER, BACKSPACE, CTRL_N, CTRL_Q = b"\x1b", b"\r", b"\x7f", b"\x0e", b"\x11"

BARE_APP = """
from textual.app import App
from textual.binding import Binding
from textual.widgets import Input

class Bare(App):
    BINDINGS = [Binding("ctrl+q", "quit", "Quit")]

    def compose(self):
        yield Input()

Bare().run()
"""


class Terminal:
    """A program in a pty: keys in, every write out counted with its time."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the program as a cashier starts it
            os.environ.update({"TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24", **env})
            os.execv(sys.executable, [sys.executable, *argv])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.pid, self.fd = pid, fd
        self.seen = bytearray()
        #: (time, bytes) of every read, for the slow-link simulation
        self.writes: list[tuple[float, int]] = []

    def pump(self, seconds: float) -> int:
        """Read for ``seconds``; the number of bytes the program wrote meanwhile."""
        total = 0
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            if select.select([self.fd], [], [], left)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                self.seen.extend(chunk)
                self.writes.append((time.perf_counter(), len(chunk)))
                total += len(chunk)
        return total

    def wait_for(self, marker: bytes, seconds: float = 30) -> None:
        end = time.perf_counter() + seconds
        start = len(self.seen)
        while marker not in self.seen[start:]:
            if time.perf_counter() > end:
                raise RuntimeError(f"{marker!r} never drawn: {bytes(self.seen[-300:])!r}")
            self.pump(0.05)

    def settle(self, quiet: float = 0.6, seconds: float = 10) -> None:
        """Read until the program has written nothing (or only a blink) for ``quiet``."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            if self.pump(quiet) < 200:
                return

    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send(CTRL_Q)
        end = time.perf_counter() + 5
        while time.perf_counter() < end and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            self.pump(0.1)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
        os.close(self.fd)


class Meter:
    """Bytes per event on one screen, less that screen's idle output."""

    def __init__(self, term: Terminal) -> None:
        self.term = term
        self.idle_rate = 0.0

    def idle(self, seconds: float = IDLE_SECONDS) -> float:
        """Bytes per second written while nothing happens (sets the rate to subtract)."""
        self.term.settle()
        self.idle_rate = self.term.pump(seconds) / seconds
        return self.idle_rate

    def event(self, keys: bytes, window: float) -> int:
        self.term.send(keys)
        return max(0, round(self.term.pump(window) - self.idle_rate * window))

    def settled_at(self, keys: bytes, window: float) -> tuple[int, float]:
        """Bytes of the event, and when its last write came (s after the keys)."""
        first = len(self.term.writes)
        sent = time.perf_counter()
        size = self.event(keys, window)
        writes = self.term.writes[first:]
        return size, (writes[-1][0] - sent if writes else 0.0)

    def paced(self, keys: list[bytes], every: float, tail: float) -> tuple[int, float]:
        """Keys sent ``every`` seconds apart: bytes in all, and the latest echo on the link."""
        sent: list[float] = []
        first = len(self.term.writes)
        total = 0
        for key in keys:
            sent.append(time.perf_counter())
            self.term.send(key)
            total += self.term.pump(every)
        total += self.term.pump(tail)
        duration = every * len(keys) + tail
        return (
            max(0, round(total - self.idle_rate * duration)),
            latest_echo(self.term.writes[first:], sent),
        )


def latest_echo(writes: list[tuple[float, int]], keys: list[float]) -> float:
    """The worst delay from a key to the end of its echo on a ``LINK_BYTES_PER_S`` link."""
    delivered: list[tuple[float, float]] = []
    free = 0.0
    for at, size in writes:
        free = max(free, at) + size / LINK_BYTES_PER_S
        delivered.append((at, free))
    worst = 0.0
    for key in keys:
        after = [done for at, done in delivered if at > key]
        if after:
            worst = max(worst, after[0] - key)
    return worst


def demo_store(folder: Path) -> tuple[Path, list[str]]:
    """A demo store of ``CUSTOMERS`` customers, and a few product barcodes."""
    db = folder / "wire.db"
    subprocess.run(
        [sys.executable, "-m", "tillterm", "demo", "--db", str(db), "--customers", str(CUSTOMERS)],
        check=True,
        capture_output=True,
    )
    with contextlib.closing(sqlite3.connect(db)) as conn:
        codes = [
            code
            for (code,) in conn.execute(
                "SELECT barcode FROM product"
                " WHERE barcode IS NOT NULL AND active ORDER BY id LIMIT 4"
            )
        ]
    return db, codes


@contextlib.contextmanager
def app(db: Path) -> Iterator[Terminal]:
    # as over SSH or a serial line (the pty itself is local): a typist's searches spaced
    term = Terminal(
        ["-m", "tillterm", "--db", str(db), "--register", "wire"], {"TILLTERM_SLOW_LINK": "1"}
    )
    try:
        term.wait_for(READY_MARKER)
        term.wait_for(OPEN_MARKER)
        term.settle()
        yield term
    finally:
        term.close()


def scan(code: str) -> bytes:
    return code.encode() + ENTER


def typed(text: str) -> list[bytes]:
    return [char.encode() for char in text]


def measure(db: Path, codes: list[str]) -> dict[str, str]:
    rows: dict[str, str] = {}
    with app(db) as term:
        meter = Meter(term)
        idle_register = meter.idle()
        keys = [meter.event(b"7", 0.6)]
        meter.event(BACKSPACE, 0.6)
        keys.append(meter.event(b"4", 0.6))
        meter.event(BACKSPACE, 0.6)
        rows["key in the register scan field"] = (
            f"{_span(keys)} (idle register {idle_register:,.0f} B/s)"
        )
        # scanner pace: the code's keys in one write, as a wedge scanner sends them
        scans = [meter.event(scan(code), 1.0) for code in codes[:2]]
        rows["scan a new product"] = _span(scans)
        meter.event(F12, 1.0)  # void the sale: F12 asks, F12 again voids it
        meter.event(F12, 1.0)
        term.settle()

        meter.event(F3, 1.5)
        idle_search = meter.idle()
        searches = [meter.settled_at(text.encode(), 1.5) for text in ("m", "a", "r")]
        rows["key in the F3 customer search"] = (
            f"{_span([size for size, _ in searches])}, final at "
            f"+{max(at for _, at in searches):.2f} s"
        )
        meter.event(ESC, 1.5)
        term.settle()
        total, echo = meter.paced(typed("chevallier"), 0.125, 1.5)
        rows['"chevallier" typed at 8 keys/s'] = (
            f"{_kb(total)}; last echo on a 20 kB/s link {echo:.2f} s after its key"
        )
        moves = []
        term.send(b"\x1b[<35;30;9M")
        term.pump(0.5)
        for y in range(10, 16):
            moves.append(meter.event(f"\x1b[<35;30;{y}M".encode(), 0.5))
        moves.append(meter.event(b"\x1b[<35;31;15M", 0.5))  # same row, one column right
        rows["mouse move over the customer table"] = (
            f"{_span(moves[:-1])} per row change, {moves[-1]:,} B within a row"
        )
        meter.event(ESC, 1.0)
        meter.event(CTRL_N, 1.5)
        idle_form = meter.idle()
        meter.event(ESC, 1.0)
        meter.event(F5, 1.5)
        idle_import = meter.idle()
        rows["idle: search / form / import screens"] = (
            f"{idle_search:,.0f} / {idle_form:,.0f} / {idle_import:,.0f} B/s"
        )

        meter.event(F2, 1.5)
        term.settle()
        sale, steps = measure_sale(meter, codes)
        rows["one whole sale with a customer lookup"] = (
            f"{_kb(sale)} ({sale * 10 / 9600 / 60:.1f} min at 9600 baud)"
        )
        rows["  its steps"] = steps
    return rows


def measure_sale(meter: Meter, codes: list[str]) -> tuple[int, str]:
    """A whole sale from the register: three scans, F7 and a customer typed, picked,
    F9 and paid. Its bytes, and what each step cost (to see where they go)."""
    steps = {
        "3 scans": sum(meter.event(scan(code), 0.8) for code in codes[:3]),
        "F7": meter.event(F7, 0.8),
        "typing": meter.paced(typed("chevallier"), 0.125, 1.0)[0],
        "attach": meter.event(ENTER, 1.0),
        "F9": meter.event(F9, 1.0),
        # pay, then close the receipt if one is shown
        "pay": meter.event(ENTER, 1.5) + meter.event(ENTER, 1.5),
    }
    return sum(steps.values()), ", ".join(f"{name} {_kb(size)}" for name, size in steps.items())


def measure_sale_only(db: Path, codes: list[str]) -> dict[str, str]:
    """The whole sale alone, on a freshly started register (``--sale``: quicker)."""
    with app(db) as term:
        sale, steps = measure_sale(Meter(term), codes)
    return {"one whole sale with a customer lookup": _kb(sale), "  its steps": steps}


def measure_bare() -> tuple[list[int], float]:
    term = Terminal(["-c", BARE_APP], {})
    try:
        term.wait_for(b"\x1b[?1049h")
        term.settle()
        meter = Meter(term)
        idle = meter.idle()
        # a key restarts the blink: nothing blinks in the 0.45 s after it
        meter.idle_rate = 0
        keys = [meter.event(char, 0.45) for char in (b"a", b"b", b"c")]
        for _ in range(3):
            meter.event(BACKSPACE, 0.45)
        return keys, idle
    finally:
        term.close()


def _kb(size: float) -> str:
    return f"{size / 1000:,.1f} KB" if size >= 1000 else f"{size:,.0f} B"


def _span(sizes: list[int]) -> str:
    low, high = min(sizes), max(sizes)
    return _kb(low) if low == high else f"{_kb(low)}–{_kb(high)}"


GOALS = {
    "key in the register scan field": "≤ 710 B",
    "key in the F3 customer search": "≤ 4 KB",
    '"chevallier" typed at 8 keys/s': "≤ 25 KB, echo never late",
    "scan a new product": "≤ 3 KB",
    "one whole sale with a customer lookup": "≤ 40 KB",
    "idle: search / form / import screens": "0",
    "mouse move over the customer table": "only what changes",
}


def main() -> None:
    if "--sale" in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            db, codes = demo_store(Path(tmp))
            rows = measure_sale_only(db, codes)
        for name, value in rows.items():
            print(f"  {name}: {value}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        db, codes = demo_store(Path(tmp))
        rows = measure(db, codes)
    bare_keys, bare_idle = measure_bare()
    print(
        f"bytes on the wire, pty 80×24 xterm-256color, {CUSTOMERS:,} customers "
        f"(bare Textual Input: {_span(bare_keys)} per key, {bare_idle:,.0f} B/s idle)"
    )
    width = max(len(name) for name in GOALS)
    for name, goal in GOALS.items():
        print(f"  {name:<{width}}  {rows.get(name, '?'):<52}  goal {goal}")
    print(f"  (the sale's steps: {rows['  its steps']})")


if __name__ == "__main__":
    main()
