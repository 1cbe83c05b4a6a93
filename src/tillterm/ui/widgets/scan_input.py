"""Scans typed into the terminal: recognised once, for the whole app, before any widget.

When the scanner is plugged into the cashier's own machine and tillterm runs over SSH,
a scan arrives as ordinary key presses. A person types a few characters a second; a
scanner types a whole code, then Enter, in a few milliseconds. The rule that tells them
apart from key times alone — including a scan broken by a stall (refused whole, never its
tail as a code) and typing bunched by an SSH stall (never a scan) — is the domain's
:class:`~tillterm.scanner.wedge.BurstDetector`; this module applies its verdicts.

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

Keys typed ahead of a screen are typing, never a scan: when a key opens a screen or
moves the focus, the keys behind it wait (:mod:`tillterm.ui.typeahead`) and a burst
whose first key was typed before that change took effect is not a scan (F5 then a path
and Enter at machine speed is a path to check, not a code to refuse). A scanner does not
start a code within milliseconds of a function key; a scan after the change is a scan.

The first characters of a scan are the one gap this leaves: they reach the focus before
the Enter shows they were a scan, and in a question a letter *is* an answer ("y" in a
yes/no box, a :class:`~tillterm.ui.screens.confirm.ChoiceScreen` letter, Space on the
focused button, "q" closing help). So while a modal window is on top and the focus is not
in a text field, a printable key is a command, and :class:`TerminalScans` holds it for
``max_gap_ms`` (80 ms) before letting it through. A key that comes within that gap makes
it a burst: a burst's printable keys are never let through (its Enter makes it a scan,
as anywhere; without one the cashier is told the keys were ignored). A person's single
key goes through once nothing followed it, within about 0.1 s.

Why here and not in each dialog: this is the one place that sees every key, in the order
the terminal gave them and with the driver's own times, before any binding, ``on_key``
or focused button. A dialog that waited on a timer of its own would race the burst's
later keys still queued at the app, and each dialog (and every new one) would have to
remember to do it. Text fields are left alone (in a prompt or the customer form a letter
is text, not an answer, and is put back by the scan's undo), and so are full screens,
where every key is taken at once as before, except those whose letters act and say so
(``HOLD_KEYS_FOR_SCANS = True``: a customer's profile, the groups list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import events
from textual._time import get_time
from textual.app import App, ScreenStackError
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, TextArea

from tillterm.i18n import _
from tillterm.scanner.wedge import BrokenScan, Burst, BurstDetector, WedgeScan
from tillterm.ui.messages import ScanReceived

#: a screen class attribute: ``True`` for a full screen whose letter keys act (a
#: profile's "A" attaches the customer to the sale), ``False`` for a modal window whose
#: printable keys are never commands; unset, modal windows hold their keys
HOLD_KEYS_FOR_SCANS = "HOLD_KEYS_FOR_SCANS"


# the mixin is only ever put before ``App`` in an app's bases: typed as one, built on none
if TYPE_CHECKING:
    _AppBase = App[Any]
else:
    _AppBase = object


class TerminalScans(_AppBase):
    """App mixin: a burst of keys ending in Enter becomes ``ScanReceived(source="terminal")``.

    Put it before ``App`` in the bases (``class MyApp(TerminalScans, App)``); it wraps
    ``on_event``, where Textual dispatches every key before priority bindings and focus.
    In a modal window, a printable key that is a command waits out the scan gap first
    (see the module's docstring).
    """

    #: tuning; tests may set other values on an app
    scan_detector: BurstDetector

    def _detector(self) -> BurstDetector:
        detector = self.__dict__.get("scan_detector")
        if detector is None:
            detector = self.scan_detector = BurstDetector()
        return detector

    @property
    def keys_held(self) -> bool:
        """True while a key typed in a question waits out the scan gap."""
        return bool(self._held().keys)

    def _held(self) -> _HeldKeys:
        held = self.__dict__.get("_held_keys")
        if held is None:
            held = self._held_keys = _HeldKeys()
        return held

    async def on_event(self, event: events.Event) -> None:
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and (await self._hold_key(event) or self._scan_key(event))
        ):
            return
        if (
            isinstance(event, events.MouseDown | events.MouseUp)
            and not event.is_forwarded
            and await self._click_behind_held(event)
        ):
            return
        await super().on_event(event)

    async def _click_behind_held(self, event: events.MouseDown | events.MouseUp) -> bool:
        """A click while a key is held for the scan gap: the key came first, so it acts
        first (a click is no key of a burst: the held key is a person's), and the click
        waits for what it did; True when the click was put back in line for that."""
        held = self._held()
        requeue = getattr(self, "requeue_key", None)  # TypeAhead, when mixed in
        if not held.keys or requeue is None:
            return False
        requeue(event)  # first: the held keys let through go back in line before it
        await self._release_held()
        return True

    def key_changed_target(self, key: events.Key) -> None:
        """Called by :class:`~tillterm.ui.typeahead.TypeAhead`: ``key`` opened or closed a
        screen or moved the focus, in effect now; a burst begun before now was typed
        ahead into the new target, not scanned."""
        self._changed_at = get_time()

    def _typed_ahead(self, burst: Burst) -> bool:
        """True when ``burst`` began before a change of screen or focus took effect."""
        changed_at: float | None = self.__dict__.get("_changed_at")
        return changed_at is not None and bool(burst.times) and burst.times[0] <= changed_at

    # -- commands held in a modal window ----------------------------------------------

    def _answers_on_keys(self) -> bool:
        """True when a printable key would be a command: a modal on top (or a screen with
        :data:`HOLD_KEYS_FOR_SCANS`), and the focus not in a text field."""
        try:
            screen = self.screen
        except ScreenStackError:  # starting or closing: no window to answer
            return False
        holds = getattr(screen, HOLD_KEYS_FOR_SCANS, None)
        if holds is None:
            holds = isinstance(screen, ModalScreen)
        focused = self.focused
        return bool(holds) and not isinstance(focused, Input | TextArea)

    async def _hold_key(self, event: events.Key) -> bool:
        """Hold or drop a key in a burst in a modal window; True when it was taken here."""
        held = self._held()
        max_gap = self._detector().max_gap_ms
        if held.keys and (event.time - held.keys[-1].time) * 1000 > max_gap:
            # nothing came within the gap: the held keys are a person's
            requeue = getattr(self, "requeue_key", None)  # TypeAhead, when mixed in
            if requeue is not None:
                # this key is looked at again once the released ones took effect (E on a
                # profile opens the form: the name typed next is text there, not held).
                # Back in line first: the released burst's other keys go back in line
                # ahead of it (put back after them, "E Zo" then a late "e" typed "eZo",
                # and a late Ctrl+S saved before the name)
                requeue(event)
                await self._release_held()
                return True
            await self._release_held()
        printable = event.is_printable and event.character is not None and event.key != "enter"
        if not held.keys:
            if not printable or not self._answers_on_keys():
                return False
            self._detector().character(event.time, event.character or "")
            held.keys.append(event)
            held.timer = self.set_timer(max_gap / 1000, self._release_held, name="held key")
            return True
        # a key within the gap of the held one(s): this is a burst, not a person
        held.burst = True
        if printable:
            self._detector().character(event.time, event.character or "")
            held.keys.append(event)
            if held.timer is not None:
                held.timer.reset()
            return True
        if event.key == "enter":
            verdict = self._detector().enter(event.time)
            keys = self._drop_held()
            if verdict is None and self._types_ahead():
                await self._let_through(keys, then=event)  # its Enter is the person's too
                return True
            event.stop()
            event.prevent_default()
            if isinstance(verdict, BrokenScan) and verdict.head is not None:
                self._broken(verdict)
            elif isinstance(verdict, BrokenScan):
                self._ignored(keys)  # no field holds them: "scan again or press Enter" is moot
            elif verdict is not None:
                self.post_message(ScanReceived(verdict.code, source="terminal"))
            else:
                self._ignored(keys)
            return True
        # Tab, Esc, a function key: on a full screen the burst was typing ahead of it;
        # in a question its characters go, and the key is taken as usual
        if self._types_ahead():
            await self._let_through(self._drop_held(), then=event)
            return True
        self._ignored(self._drop_held())
        return False

    def _drop_held(self) -> list[events.Key]:
        held = self._held()
        keys, held.keys, held.burst = held.keys, [], False
        if held.timer is not None:
            held.timer.stop()
            held.timer = None
        return keys

    async def _release_held(self) -> None:
        """The gap passed: one key alone goes through; a burst's keys are ignored, said so."""
        held = self._held()
        if not held.keys:
            return
        burst = held.burst
        keys = self._drop_held()
        if (burst or len(keys) > 1) and not self._types_ahead():
            # in a question a letter is an answer: a burst without its Enter answers nothing
            self._ignored(keys)
            return
        await self._let_through(keys)

    def _types_ahead(self) -> bool:
        """Whether a burst that is no scan is a person typing ahead here: on a full screen
        (a profile, the groups list), with type-ahead to hand the keys on. In a question
        a letter is an answer, and a burst never answers."""
        try:
            screen = self.screen
        except ScreenStackError:
            return False
        return getattr(self, "requeue_key", None) is not None and not isinstance(
            screen, ModalScreen
        )

    async def _let_through(self, keys: list[events.Key], then: events.Key | None = None) -> None:
        """One key, or a burst that proved no scan ("E Zoe" bunched by an SSH stall): the
        first key acts; the others, then ``then``, wait behind it and go wherever it
        leaves the focus (E opens the form: the name goes into it)."""
        requeue = getattr(self, "requeue_key", None)  # TypeAhead, when mixed in
        try:
            where: tuple[Any, Widget | None] | None = (self.screen, self.focused)
        except ScreenStackError:
            where = None
        first, rest = keys[0], keys[1:]
        if requeue is not None:
            for key in reversed([*rest, *([then] if then is not None else [])]):
                requeue(key)
        await super().on_event(first)
        settle = getattr(self, "settle_released_key", None)  # TypeAhead, when mixed in
        if settle is not None and where is not None:
            settle(first, *where)

    def _ignored(self, keys: list[events.Key]) -> None:
        """Tell the cashier a burst's keys were not taken (never silently lost)."""
        text = "".join(key.character or "" for key in keys)
        if not text:
            return
        self.bell()
        self.notify(
            _("Keys typed at scanner speed not used: {keys}. Press one key to answer.").format(
                keys=text
            ),
            title=_("Keys"),
            severity="warning",
            markup=False,
        )

    def _broken(self, verdict: BrokenScan) -> None:
        """A scan broken by a stall was refused whole: ask for it again (nothing used)."""
        self.bell()
        self.notify(verdict.notice, title=_("Scan"), severity="warning", markup=False)

    # -- scans anywhere ---------------------------------------------------------------

    def _scan_key(self, event: events.Key) -> bool:
        """Watch one key on its way in; True when it is a scan's Enter (swallowed)."""
        detector = self._detector()
        if event.key == "enter":
            verdict = detector.enter(event.time, keys_held=self._answers_on_keys())
            if verdict is None:
                return False
            if isinstance(verdict, WedgeScan) and self._typed_ahead(verdict.burst):
                return False  # typed ahead of the screen it went to: its Enter is typing
            event.stop()
            event.prevent_default()
            if isinstance(verdict, BrokenScan):
                if verdict.head is not None:
                    _undo(verdict.head)
                self._broken(verdict)
                return True
            _undo(verdict.burst)
            self.post_message(ScanReceived(verdict.code, source="terminal"))
            return True
        if event.is_printable and event.character is not None:
            if detector.character(event.time, event.character):
                burst = detector.burst
                focused: Widget | None = self.focused
                burst.target = focused
                if isinstance(focused, Input | TextArea):
                    # queued on the field itself, so it runs after every key it already
                    # has and before this one: exactly the text the burst started from
                    focused.call_later(_remember, burst, focused)
        else:
            detector.other_key()
        return False


@dataclass
class _HeldKeys:
    """Printable keys held back in a modal window until the scan gap has passed."""

    keys: list[events.Key] = field(default_factory=list)
    #: another key came within the gap: the keys are a burst, never answers
    burst: bool = False
    timer: Timer | None = None


def _remember(burst: Burst, field: Input | TextArea) -> None:
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


def _undo(burst: Burst) -> None:
    """Put the field the scan typed into back as it was (after it has taken the keys)."""
    target = burst.target
    if not isinstance(target, Widget) or not target.is_attached:
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
