"""Telling a scan typed into the terminal from a person typing (the terminal-wedge rule).

When the scanner is plugged into the cashier's own machine and tillterm runs over SSH, a
scan arrives as ordinary key presses. :class:`BurstDetector` sees every key's time (the
terminal driver's read time, never the app's processing time) and decides, at each Enter,
whether the keys before it were a scan. It holds no widget: the UI
(``tillterm.ui.widgets.scan_input``) feeds it keys and acts on its verdict.

The rule, and the evidence for each part:

* **A scan is a fast burst ending in Enter**: at least ``min_length`` characters, no gap
  over ``max_gap_ms`` (80 ms) between two keys or before the Enter, and under
  ``burst_ms`` (30 ms) per key on average. A person types 100–300 ms per key; a scanner
  2–10 ms, and a terminal read or an SSH packet may hand several of its keys over at once.
* **A pause inside a scan never makes a code of its tail** (issue 16 §5: ``111064`` from
  ``035751111064``). A burst that starts within the stall window (2 s, as for evdev
  scanners: :data:`~tillterm.scanner.decoder.STALL_WINDOW_MS`) after a scan-like fragment
  — at least :data:`HEAD_MIN` keys at scanner speed, with no Enter or other key since —
  is the rest of that scan, broken by a stall. At its Enter the whole scan is refused
  (:class:`BrokenScan`: the field is put back as it was before the first fragment, and
  the cashier is asked to scan again). In a question, so is an Enter that comes alone
  after such a pause, right after a fragment of a whole code's length: it would
  otherwise press the focused button.
* **A network stall never makes typing a scan.** Over SSH a stall holds back what a
  person types, then delivers it all in one read: ``crois`` Enter becomes characters
  and an Enter a few microseconds apart, scanner-fast. What gives it away is the key
  *before* the burst: a person's key, within the stall window, with no Enter in between.
  A burst that arrived all at once (under :data:`BUNCHED_MS` per key: no scanner types
  through a terminal that fast, USB alone takes a millisecond or two per key) right
  after a person's key is that person's typing, delivered late: its Enter is theirs (and
  were it the rest of a scan whose first key came alone, the field holds the whole code,
  taken as typed — never its tail alone).
* **A scanner-paced burst right after a person's key is not taken as a code either**: it
  may be a scan whose first key or two came alone before a stall (one key cannot be told
  from a person's), so taking it would take a suffix. Its Enter is held back and the
  cashier is told (:data:`UNSURE`); the field keeps every key, so Enter again takes the
  text as typed, and a scan made after Enter (or 2 s after the last key typed) is read
  as usual. Typing then scanning within 2 s costs one rescan; a suffix taken for a code
  would find the wrong item or customer.
* Constant gaps are *not* required: over SSH a scan's keys arrive in packets (gaps of
  0 ms, then a few ms), so a constancy test would refuse real scans.

What it cannot tell apart: a whole word *and* its Enter held back by a stall and
delivered in one read, with no key typed in the 2 s before it, has exactly the timing of
a scan read in one go (a terminal read of a fast scanner, or a scan over a link that
stalled); it is taken as a scan. At the register a terminal scan is taken exactly as if
typed, so there it makes no difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tillterm.i18n import _
from tillterm.scanner.decoder import RESCAN, STALL_WINDOW_MS

#: the longest burst remembered (a longer one is not a scan anyway)
MAX_BURST = 512

#: a fragment of at least this many keys at scanner speed is the head of a scan: a person's
#: roll-over makes two keys that close, rarely three
HEAD_MIN = 3

#: a burst under this many ms per key on average came in one terminal read (all at once)
BUNCHED_MS = 0.5

#: a scanner-fast burst and Enter came within the stall window after a person's key: a
#: scan typed on top of the cashier's text, or a scan whose first key came alone before a
#: stall. Neither is a code; the field holds every key, so Enter again takes it as typed.
UNSURE = _("Keys at scanner speed right after typing: scan again, or press Enter to take the text.")


@dataclass
class Burst:
    """Characters typed fast one after the other, and where they went.

    ``target`` and ``restore`` belong to the UI (the widget that had the focus, and how to
    put it back as it was just before the burst's first character); the rule never
    looks at them.
    """

    times: list[float] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    target: object | None = None
    restore: Callable[[], None] | None = None
    #: the first fragment of the scan this burst is the rest of (a stall came between)
    broken_head: Burst | None = None
    #: a person's key came just before this burst, with no Enter between
    after_typing: bool = False
    #: characters typed before this burst since the last Enter or other key
    before: int = 0

    def mean_gap_ms(self, end: float | None = None) -> float:
        """Mean time per key from the first key to ``end`` (default: the last key)."""
        count = len(self.times)
        if count == 0:
            return 0.0
        last = self.times[-1] if end is None else end
        intervals = count if end is not None else count - 1
        return (last - self.times[0]) * 1000 / intervals if intervals else 0.0


@dataclass(frozen=True)
class WedgeScan:
    """The keys before the Enter were a scan: ``code``, typed as ``burst``."""

    code: str
    burst: Burst


@dataclass(frozen=True)
class BrokenScan:
    """The keys before the Enter were the rest of a scan broken by a stall: refuse it all.

    ``head`` is the scan's first fragment (at scanner speed): the field it went into is
    put back as it was before it. ``None`` when the keys before the stall were at a
    person's pace: they may be the cashier's own typing, so the field keeps every key
    and the cashier chooses (:data:`UNSURE`).
    """

    head: Burst | None

    @property
    def notice(self) -> str:
        """What the cashier is told."""
        return RESCAN if self.head is not None else UNSURE


class BurstDetector:
    """Decides, from key times alone, whether an Enter ends a scan (no Textual here)."""

    def __init__(
        self,
        *,
        burst_ms: float = 30.0,
        max_gap_ms: float = 80.0,
        min_length: int = 4,
        stall_ms: float = STALL_WINDOW_MS,
    ) -> None:
        self.burst_ms = burst_ms
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self.stall_ms = stall_ms
        self.burst = Burst()

    def _scan_like(self, burst: Burst, least: int) -> bool:
        """At least ``least`` keys at scanner speed, not a person's typing delivered late."""
        return (
            len(burst.times) >= least
            and not burst.after_typing
            and burst.mean_gap_ms() < self.burst_ms
        )

    def character(self, now: float, character: str) -> bool:
        """Remember a typed character; True when it starts a new burst."""
        burst = self.burst
        if burst.times:
            gap_ms = (now - burst.times[-1]) * 1000
            # a clock stepped back (a negative gap) is no pause: the burst goes on
            if gap_ms <= self.max_gap_ms and len(burst.times) < MAX_BURST:
                burst.times.append(now)
                burst.characters.append(character)
                return False
        fresh = Burst(times=[now], characters=[character])
        if burst.times and (now - burst.times[-1]) * 1000 <= self.stall_ms:
            fresh.before = burst.before + len(burst.times)
            if len(burst.times) >= MAX_BURST or burst.after_typing:
                fresh.after_typing = True
            elif burst.broken_head is not None or self._scan_like(burst, HEAD_MIN):
                fresh.broken_head = burst.broken_head or burst
            else:
                fresh.after_typing = True
        self.burst = fresh
        return True

    def other_key(self) -> None:
        """An editing or function key: a person is at work."""
        self.burst = Burst()

    def enter(self, now: float, *, keys_held: bool = False) -> WedgeScan | BrokenScan | None:
        """What the keys before this Enter were (the burst is spent): a scan, a broken
        scan, or ``None`` — typing, whose Enter is the person's.

        ``keys_held``: the burst's keys never reached a field (a question holds them and
        drops a burst). An Enter alone within the stall window after a code's worth of
        scanner-fast keys is then the end of a scan that stalled before its Enter, and
        would press the focused button. In a field it is let through: the field holds the
        whole code (a scanner set to send no Enter, the cashier pressing it) — never a tail.
        """
        burst, self.burst = self.burst, Burst()
        count = len(burst.times)
        if count == 0:
            return None
        pause_ms = (now - burst.times[-1]) * 1000
        if pause_ms > self.max_gap_ms:
            stalled = pause_ms <= self.stall_ms and self._scan_like(burst, self.min_length)
            return BrokenScan(burst.broken_head or burst) if keys_held and stalled else None
        mean_ms = burst.mean_gap_ms(now)
        if mean_ms >= self.burst_ms or burst.before + count < self.min_length:
            return None
        if burst.broken_head is not None:
            return BrokenScan(burst.broken_head)
        if burst.after_typing:
            if mean_ms < BUNCHED_MS:
                return None  # a person's keys, held back by a stall and delivered at once
            # a scan after a person's key, or a scan whose first key came alone before
            # a stall: never taken as a code, and the field keeps every key
            return BrokenScan(None)
        code = "".join(burst.characters).strip()
        return WedgeScan(code, burst) if code else None
