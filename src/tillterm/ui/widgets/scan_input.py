"""An ``Input`` that also recognises a barcode scanner typing into the terminal.

When the scanner is plugged into the cashier's own machine and tillterm runs over SSH,
a scan arrives as ordinary key presses. A person types a few characters a second; a
scanner types a whole code, then Enter, in a few milliseconds. So when Enter ends a
burst of at least ``min_length`` characters whose mean inter-key time is under
``burst_ms`` (each gap under ``max_gap_ms``), the burst is taken back out of the field
and posted to the app as ``ScanReceived(code, source="terminal")``, which the app
routes to the current screen exactly like a scan read through evdev. Anything else is
a normal ``Input``: Enter posts ``Input.Submitted``.

Key times are the events' own (``Key.time``, stamped when the driver read the input),
so a busy app processing queued keystrokes late does not turn typing into a "scan".
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.widgets import Input

from tillterm.ui.messages import ScanReceived

#: the longest burst remembered (a longer one is not a scan anyway)
_MAX_BURST = 512


@dataclass(frozen=True)
class _Stroke:
    time: float
    character: str
    value_before: str
    cursor_before: int


class ScanInput(Input):
    """``Input`` that turns a fast burst ending in Enter into a ``ScanReceived``."""

    DEFAULT_CSS = """
    ScanInput {
        width: 1fr;
    }
    """

    def __init__(
        self,
        value: str | None = None,
        placeholder: str = "",
        *,
        burst_ms: float = 30.0,
        max_gap_ms: float = 80.0,
        min_length: int = 4,
        **kwargs: object,
    ) -> None:
        super().__init__(value, placeholder, **kwargs)  # type: ignore[arg-type]
        self.burst_ms = burst_ms
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self._burst: list[_Stroke] = []

    def key_time(self, event: events.Key) -> float:
        """When the key was read (seconds); a hook for tests that script their timing."""
        return event.time

    async def _on_key(self, event: events.Key) -> None:
        now = self.key_time(event)
        if event.key == "enter":
            code = self._take_scan(now)
            if code is not None:
                event.stop()
                event.prevent_default()
                if code:
                    self.app.post_message(ScanReceived(code, source="terminal"))
                return
        elif event.is_printable and event.character is not None:
            self._remember(now, event.character)
        else:
            self._burst.clear()  # editing keys: a person is at work
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        self._burst.clear()
        super()._on_paste(event)

    def _remember(self, now: float, character: str) -> None:
        burst = self._burst
        if (burst and (now - burst[-1].time) * 1000 > self.max_gap_ms) or len(burst) >= _MAX_BURST:
            burst.clear()
        burst.append(_Stroke(now, character, self.value, self.cursor_position))

    def _take_scan(self, enter_time: float) -> str | None:
        """The scanned code if the keys before this Enter were a scan (and undo them)."""
        burst, self._burst = self._burst, []
        if len(burst) < self.min_length:
            return None
        if (enter_time - burst[-1].time) * 1000 > self.max_gap_ms:
            return None
        mean_ms = (enter_time - burst[0].time) * 1000 / len(burst)
        if mean_ms >= self.burst_ms:
            return None
        first = burst[0]
        self.value = first.value_before
        self.cursor_position = first.cursor_before
        return "".join(stroke.character for stroke in burst).strip()
