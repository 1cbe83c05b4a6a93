"""Turn a scanner's key events into codes.

The decoder is fed the device's events one by one (``evdev.InputEvent`` or anything with
``type, code, value, sec, usec``) and returns a code when the terminator arrives. It
never returns a half code: a pause longer than ``gap_ms`` between two key presses (on
the events' own kernel timestamps, so a slow reader does not matter), lost events
(``SYN_DROPPED``), keys that are not characters, control characters or an overlong code
each drop what was read so far, and the cashier is told through ``on_notice`` when it
matters. A code whose head was dropped for a pause is refused whole at its Enter
(``RESCAN``), so the tail of a stalled scan is never taken for a code. It holds no
device and no thread, so it is tested from plain event lists and one decoder serves
each scanner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from tillterm.i18n import _
from tillterm.scanner import layouts as k
from tillterm.scanner.barcodes import GTIN_LENGTHS, layout_hint
from tillterm.scanner.layouts import Layout, get_layout

EV_SYN = 0
EV_KEY = 1
EV_MSC = 4
SYN_REPORT = 0
SYN_DROPPED = 3

KEY_UP, KEY_DOWN, KEY_HOLD = 0, 1, 2

_SHIFT = 1 | 2
_CTRL = 4 | 8
_ALT = 16
_ALTGR = 32
_META = 64 | 128
_MODIFIER_BITS = {
    k.KEY_LEFTSHIFT: 1,
    k.KEY_RIGHTSHIFT: 2,
    k.KEY_LEFTCTRL: 4,
    k.KEY_RIGHTCTRL: 8,
    k.KEY_LEFTALT: 16,
    k.KEY_RIGHTALT: 32,
    k.KEY_LEFTMETA: 64,
    k.KEY_RIGHTMETA: 128,
}
#: lock keys: they change no character on their own and never end a code
_IGNORED = frozenset({k.KEY_NUMLOCK, k.KEY_SCROLLLOCK})

#: a code longer than this is garbage (a stuck key, a scanner in a loop)
MAX_LENGTH = 256

#: keys 2D scanners send after a code's Enter (e.g. Enter then Down): with nothing read
#: they are ignored, so they never poison the next code
_NAVIGATION = frozenset(
    {k.KEY_UP, k.KEY_DOWN, k.KEY_LEFT, k.KEY_RIGHT, k.KEY_HOME, k.KEY_END}
    | {k.KEY_PAGEUP, k.KEY_PAGEDOWN}
)

#: After a half-read code is dropped for a pause, keys that come within this long of the
#: last dropped key are the rest of the same, broken scan (a wireless link that stalled,
#: a clock step): the code is refused whole at its Enter. It is long (2 s, or 4 gaps if
#: the gap is set longer) because the two mistakes do not cost the same: a scan refused
#: for nothing costs one rescan, a tail taken for a code (``111064`` from
#: ``035751111064``) sells the wrong item or finds the wrong customer. Wireless
#: scanners stall for up to about a second; a cashier whose scan did nothing needs more
#: than that to notice and scan again.
STALL_WINDOW_MS = 2000

#: what the cashier is told when a scan was broken by a pause: nothing of it is used
RESCAN = _("Scan not read whole — scan it again.")
_NO_ENTER = _("A scan without Enter was ignored: set the scanner to end each code with Enter.")
#: the reason a code in progress carries while it is the tail of a broken scan
_BROKEN = "broken"


class Event(Protocol):
    type: int
    code: int
    value: int
    sec: int
    usec: int


@dataclass(frozen=True)
class ScanTiming:
    """How a code arrived: for ``tillterm scanner test`` and for telling scans from typing."""

    keys: int
    started: float
    ended: float

    @property
    def duration_ms(self) -> float:
        return (self.ended - self.started) * 1000

    @property
    def mean_gap_ms(self) -> float:
        """Mean time between two key presses (the terminator included)."""
        return self.duration_ms / (self.keys - 1) if self.keys > 1 else 0.0


def _no_notice(text: str) -> None:
    pass


class ScanDecoder:
    """Decode one scanner's key events with that scanner's layout.

    ``feed(event)`` returns the code (prefix and suffix removed) when Enter, keypad
    Enter, or — with ``tab_terminates`` — Tab arrives, else ``None``.
    """

    __slots__ = (
        "_alt_digits",
        "_bad",
        "_caps",
        "_chars",
        "_dropping",
        "_elapsed_us",
        "_first_us",
        "_gap_us",
        "_last_us",
        "_mods",
        "_stall_us",
        "_strokes",
        "_terminators",
        "last_strokes",
        "last_timing",
        "layout",
        "max_length",
        "on_notice",
        "prefix",
        "suffix",
    )

    def __init__(
        self,
        layout: str | Layout = "us",
        *,
        gap_ms: float = 100,
        prefix: str = "",
        suffix: str = "",
        tab_terminates: bool = False,
        max_length: int = MAX_LENGTH,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.layout = layout if isinstance(layout, Layout) else get_layout(layout)
        self._gap_us = int(gap_ms * 1000)
        self._stall_us = max(STALL_WINDOW_MS * 1000, 4 * self._gap_us)
        self.prefix = prefix
        self.suffix = suffix
        self.max_length = max_length
        self.on_notice = on_notice or _no_notice
        terminators = {k.KEY_ENTER, k.KEY_KPENTER}
        if tab_terminates:
            terminators.add(k.KEY_TAB)
        self._terminators = frozenset(terminators)
        self._mods = 0
        self._caps = False
        self._dropping = False
        self.last_timing: ScanTiming | None = None
        #: the key strokes ``(key, shift, altgr)`` of the last code, prefix and suffix
        #: included (key 0: a character typed in Alt+keypad mode), for learning the layout
        self.last_strokes: tuple[tuple[int, bool, bool], ...] = ()
        self._clear()

    # --- state -------------------------------------------------------------------
    def _clear(self) -> None:
        self._chars: list[str] = []
        self._strokes: list[tuple[int, bool, bool]] = []
        self._alt_digits = ""
        #: why the code in progress must not be used (first reason wins), or ""
        self._bad = ""
        self._first_us = 0
        self._last_us = 0
        #: time the code took, from the intervals between its keys (each at least 0, so
        #: a clock stepped back mid-scan gives no negative duration)
        self._elapsed_us = 0

    def reset(self) -> None:
        """Forget the code in progress and every held modifier (device gone or resynced)."""
        self._clear()
        self._mods = 0
        self._dropping = False

    def resync(self, held_keys: Iterable[int]) -> None:
        """Set the held modifiers from the device's real state (``active_keys()``)."""
        self._mods = 0
        for key in held_keys:
            self._mods |= _MODIFIER_BITS.get(key, 0)

    @property
    def cut_at(self) -> int:
        """Event time (µs) of the last key of the code in progress, 0 if none is half read.

        Taken before ``reset()`` when the device goes away mid-code, and handed to the
        decoder of the device that comes back (``resume_cut``).
        """
        return self._last_us if self.pending else 0

    def resume_cut(self, last_us: int) -> None:
        """The scanner came back after being cut off mid-code at ``last_us``.

        Keys within the stall window of that time are the rest of the cut code (a
        Bluetooth scanner that reconnects sends what it still had): refused whole at
        their Enter, like the tail of a stalled scan.
        """
        if last_us:
            self._clear()
            self._bad = _BROKEN
            self._first_us = self._last_us = last_us

    @property
    def pending(self) -> bool:
        """True while a code is half read."""
        return bool(self._chars or self._bad or self._alt_digits)

    # --- the hot path --------------------------------------------------------------
    def feed(self, event: Event) -> str | None:
        etype = event.type
        if self._dropping:
            # after SYN_DROPPED everything up to the next SYN_REPORT is unreliable
            if etype == EV_SYN and event.code == SYN_REPORT:
                self._dropping = False
            return None
        if etype != EV_KEY:
            if etype == EV_SYN and event.code == SYN_DROPPED:
                self._lost(event)
            return None
        value = event.value
        if value == KEY_HOLD:
            return None  # auto-repeat: a scanner never holds a key on purpose
        code = event.code
        bit = _MODIFIER_BITS.get(code)
        if bit is not None:
            if value == KEY_DOWN:
                self._mods |= bit
            else:
                self._mods &= ~bit
                if bit == _ALT and self._alt_digits:
                    self._alt_code()
            return None
        if value != KEY_DOWN:
            return None
        if code in _NAVIGATION and not self.pending:
            return None  # after a code's Enter: a 2D scanner's Down, carries nothing
        now = event.sec * 1_000_000 + event.usec
        last = self._last_us
        if last:
            # a clock stepped back gives a negative interval: no pause, the scan goes on
            interval = now - last if now > last else 0
            if interval > self._gap_us:
                self._stale(interval)
            else:
                self._elapsed_us += interval
        if not self._first_us:
            self._first_us = now
        self._last_us = now
        if code in self._terminators:
            return self._finish()
        if code == k.KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in _IGNORED:
            return None
        mods = self._mods
        if mods & _ALT and code in k.KEYPAD_DIGITS:
            self._alt_digits += str(k.KEYPAD_DIGITS[code])
            return None
        if mods & (_CTRL | _ALT | _META):
            self._bad = self._bad or _("control keys")
            return None
        layout = self.layout
        altgr = bool(mods & _ALTGR)
        shift = bool(mods & _SHIFT)
        ch = (layout.altgr if altgr else layout.shifted if shift else layout.plain).get(code)
        if ch is None:
            self._bad = self._bad or _("keys that are not characters")
            return None
        if self._caps and not altgr and code in layout.caps:
            ch = ch.swapcase()
        self._append(ch, (code, shift, altgr))
        return None

    def _append(self, ch: str, stroke: tuple[int, bool, bool]) -> None:
        chars = self._chars
        if len(chars) >= self.max_length:
            self._bad = self._bad or _("longer than {limit} characters").format(
                limit=self.max_length
            )
            return
        chars.append(ch)
        self._strokes.append(stroke)

    def _alt_code(self) -> None:
        """Alt released after keypad digits: a scanner in "Alt+keypad" mode typed one byte."""
        number = int(self._alt_digits)
        self._alt_digits = ""
        if 32 <= number <= 255 and number != 127:
            self._append(bytes([number]).decode("cp1252", "replace"), (0, False, False))
        else:
            self._bad = self._bad or _("control characters")

    # --- outcomes ----------------------------------------------------------------
    def _finish(self) -> str | None:
        chars, strokes, bad = self._chars, self._strokes, self._bad
        first, elapsed = self._first_us, self._elapsed_us
        self._clear()
        if bad == _BROKEN:
            self.on_notice(RESCAN)
            return None
        if bad:
            self.on_notice(_("A scan was ignored ({why}): please scan again.").format(why=bad))
            return None
        code = "".join(chars)
        if self.prefix and code.startswith(self.prefix):
            code = code[len(self.prefix) :]
        if self.suffix and code.endswith(self.suffix):
            code = code[: -len(self.suffix)]
        code = code.strip()
        if not code:
            return None
        self.last_timing = ScanTiming(len(chars) + 1, first / 1e6, (first + elapsed) / 1e6)
        self.last_strokes = tuple(strokes)
        if len(code) in GTIN_LENGTHS and len(chars) == len(code):
            hint = layout_hint(code, strokes, self.layout)
            if hint:
                self.on_notice(hint)
        return code

    def _stale(self, pause_us: int) -> None:
        """A pause too long for a scanner: drop what came before.

        After a short pause (up to the stall window) what follows is the tail of the same
        scan, whose head was just dropped: it is marked broken and refused whole at its
        Enter. After a longer one, what was dropped was a stray key or a code whose Enter
        never came, and the next key starts a fresh code.
        """
        many = len(self._chars) >= 4
        if self.pending and pause_us <= self._stall_us:
            # a broken scan that goes stale again had no Enter either: say so
            if many and self._bad == _BROKEN:
                self.on_notice(_NO_ENTER)
            self._clear()
            self._bad = _BROKEN
            return
        if many:
            self.on_notice(_NO_ENTER)
        self._clear()

    def _lost(self, event: Event) -> None:
        """The kernel's buffer overflowed: keys of the code in progress never reached us.

        What follows (after the next ``SYN_REPORT``) may be the tail of that code, so the
        code is poisoned until its terminator or a pause, and never returned.
        """
        self.reset()
        self._dropping = True
        self._bad = _("scanner input was lost")
        self._last_us = event.sec * 1_000_000 + event.usec
