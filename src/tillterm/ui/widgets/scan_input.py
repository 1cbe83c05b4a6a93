"""Scans typed into the terminal: recognised once, for the whole app, before any widget.

When the scanner is plugged into the cashier's own machine and tillterm runs over SSH,
a scan arrives as ordinary key presses. A person types a few characters a second; a
scanner types a whole code, then Enter, in a few milliseconds. So when Enter ends a
burst of at least ``min_length`` characters whose mean inter-key time is under
``burst_ms`` (each gap under ``max_gap_ms``), the burst is a scan.

Why at the app, not in one input field: the Enter that ends a scan must never reach
whatever has the focus. In a dialog it would press the focused button ("New customer",
"Yes"), in the payment screen it would take the digits as cash, in the customer form it
would land in the first name. :class:`TerminalScans` sits in the app's key dispatch, so
it sees every key before any screen, binding or widget does: it lets the characters
through as typing (it cannot know a burst is a scan until its Enter), and on the Enter
that ends a scan it swallows the Enter, puts the field the characters went into back as
it was, and posts ``ScanReceived(code, source="terminal")``. The app routes that to the
current screen exactly like a scan read through evdev (which never produces key events
at all: the device is grabbed). So one rule holds everywhere: a scan is a message to the
screen, never keystrokes that answer something.

Key times are the events' own (``Key.time``, stamped when the driver read the input),
so a busy app processing queued keystrokes late does not turn typing into a "scan".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual import events
from textual.widget import Widget
from textual.widgets import Input, TextArea

from tillterm.ui.messages import ScanReceived

#: the longest burst remembered (a longer one is not a scan anyway)
_MAX_BURST = 512


@dataclass
class _Burst:
    """Characters typed fast one after the other, and where they went."""

    times: list[float] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    #: the widget that had the focus when the burst began
    target: Widget | None = None
    #: puts the target back as it was just before the burst's first character
    restore: Callable[[], None] | None = None


class BurstDetector:
    """Decides, from key times alone, whether an Enter ends a scan (no Textual here)."""

    def __init__(
        self, *, burst_ms: float = 30.0, max_gap_ms: float = 80.0, min_length: int = 4
    ) -> None:
        self.burst_ms = burst_ms
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self.burst = _Burst()

    def character(self, now: float, character: str) -> bool:
        """Remember a typed character; True when it starts a new burst."""
        burst = self.burst
        fresh = (
            not burst.times
            or (now - burst.times[-1]) * 1000 > self.max_gap_ms
            or len(burst.times) >= _MAX_BURST
        )
        if fresh:
            burst = self.burst = _Burst()
        burst.times.append(now)
        burst.characters.append(character)
        return fresh

    def other_key(self) -> None:
        """An editing or function key: a person is at work."""
        self.burst = _Burst()

    def enter(self, now: float) -> tuple[str, _Burst] | None:
        """The scanned code if the keys before this Enter were a scan (the burst is spent)."""
        burst, self.burst = self.burst, _Burst()
        count = len(burst.times)
        if count < self.min_length:
            return None
        if (now - burst.times[-1]) * 1000 > self.max_gap_ms:
            return None
        if (now - burst.times[0]) * 1000 / count >= self.burst_ms:
            return None
        code = "".join(burst.characters).strip()
        return (code, burst) if code else None


class TerminalScans:
    """App mixin: a burst of keys ending in Enter becomes ``ScanReceived(source="terminal")``.

    Put it before ``App`` in the bases (``class MyApp(TerminalScans, App)``); it wraps
    ``on_event``, where Textual dispatches every key before priority bindings and focus.
    """

    #: tuning; tests may set other values on an app
    scan_detector: BurstDetector

    def _detector(self) -> BurstDetector:
        detector = self.__dict__.get("scan_detector")
        if detector is None:
            detector = self.scan_detector = BurstDetector()
        return detector

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self._scan_key(event):
            return
        await super().on_event(event)  # type: ignore[misc]

    def _scan_key(self, event: events.Key) -> bool:
        """Watch one key on its way in; True when it is a scan's Enter (swallowed)."""
        detector = self._detector()
        if event.key == "enter":
            scanned = detector.enter(event.time)
            if scanned is None:
                return False
            code, burst = scanned
            event.stop()
            event.prevent_default()
            _undo(burst)
            self.post_message(ScanReceived(code, source="terminal"))  # type: ignore[attr-defined]
            return True
        if event.is_printable and event.character is not None:
            if detector.character(event.time, event.character):
                burst = detector.burst
                focused: Widget | None = self.focused  # type: ignore[attr-defined]
                burst.target = focused
                if isinstance(focused, Input | TextArea):
                    # queued on the field itself, so it runs after every key it already
                    # has and before this one: exactly the text the burst started from
                    focused.call_later(_remember, burst, focused)
        else:
            detector.other_key()
        return False


def _remember(burst: _Burst, field: Input | TextArea) -> None:
    """Note how to put ``field`` back as it is now (run in the field's own queue)."""
    if isinstance(field, Input):
        value, cursor = field.value, field.cursor_position

        def restore_input() -> None:
            field.value = value
            field.cursor_position = cursor

        burst.restore = restore_input
    else:
        text, selection = field.text, field.selection

        def restore_text_area() -> None:
            field.text = text
            field.selection = selection

        burst.restore = restore_text_area


def _undo(burst: _Burst) -> None:
    """Put the field the scan typed into back as it was (after it has taken the keys)."""
    target = burst.target
    if target is None or not target.is_attached:
        return

    def undo() -> None:
        if burst.restore is not None:
            burst.restore()

    target.call_later(undo)


class ScanInput(Input):
    """The input where codes are typed or scanned (register, customer search).

    Scans typed into the terminal are recognised by the app (:class:`TerminalScans`),
    whichever widget has the focus; this class only gives these fields their width.
    """

    DEFAULT_CSS = """
    ScanInput {
        width: 1fr;
    }
    """
