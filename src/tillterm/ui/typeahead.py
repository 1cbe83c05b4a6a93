"""Type-ahead: every key reaches the screen and the field it was meant for.

Textual hands each key to the focused widget by posting it to that widget's queue and
goes straight on to the next key. A key's effect comes later: it bubbles up to the
screen and the app, whose bindings push a screen or move the focus. So when the key
that opens something and the text after it arrive together (typed back to back, pasted,
or bunched by SSH after a network stall), the text has already been posted to the old
field: F9 then ``20`` Enter put ``20`` in the register's hidden scan field and paid the
exact amount due; F7 then a name searched products.

:class:`TypeAhead` sits first in the app's key dispatch and gives each key the time to
take effect before the next one is looked at:

- a key is dispatched as Textual would, then a *settle* message is posted to the widget
  the key went to. Messages bubble through the same queues as the key, so the settle
  reaches the app only after the key has been handled at every level, its binding run
  (a screen pushed, the focus moved: ``Widget.focus`` is itself queued at the app,
  ahead of the settle);
- if the screen or the focus changed, another settle goes through the new focus: it
  comes back once the new screen has mounted and focused its field. Another round goes
  too while any widget of the screens still has a message waiting: what the key set
  off (``Input.Submitted``, the pick in a match list that adds a product, a dismissed
  window's callback) runs before the next key, so F9 right after Enter on a match
  pays for the sale with that product. Rounds go on until one finds everything
  unchanged and quiet (at most :data:`MAX_ROUNDS`);
- a screen still reading what the keys would act on says so with ``keys_wait``
  (:class:`~tillterm.ui.jobs.JobRunner` sets it while an action waits for a job, the
  customer form while it reads the customer being edited): keys wait for it, for at
  most :data:`WAIT_LIMIT_S` in all (a database that does not answer), then go to
  whatever has the focus (never dropped);
- keys (and pastes) that come meanwhile wait in order and are then dispatched one by
  one, each to the target the keys before it left;
- so do mouse clicks (a button's press and release): a click read with the keys
  before it lands on what those keys opened, where the cashier saw it, not on the
  screen under it; and the keys after a click wait for what the click opened. Mouse
  moves and the wheel go straight on: they only hover and scroll;
- a click also waits for the screen to be drawn (:meth:`TypeAhead._drawn`), for
  :data:`MAX_DRAW_ROUNDS` refreshes at most. A key acts on the focus, which is set
  once the screen is mounted; a click acts on whatever is drawn at its cell, and
  that comes later: a new window's footer builds its keys only after its first
  refresh (the bindings are read then), and lays them out at the one after that. So
  F9 30 and a click on the footer's "F2 Cash", read together, had the click
  handed on a few milliseconds after "0", while the footer was still empty: it hit
  the bare footer and paid nothing (and passed only when the till was slow enough
  for those refreshes to come between the keys and the click).

A key that changed the screen or the focus is told to :meth:`key_changed_target`: the
terminal-scan rule (:class:`~tillterm.ui.widgets.scan_input.TerminalScans`) takes a
burst begun before the change took effect as typing, not as a scan.

The cost: a key is dispatched only once the one before it has gone through the queues
it touched: about 1 ms per key on the register (``bench/bench_typeahead.py``: 200
characters at once take some 0.3 s instead of 0.08 s), nothing a person or a scanner's
burst of 14 keys notices. A settle that never comes back (its widget's parent stopped)
is sent again every :data:`SETTLE_RETRY_S`, and after :data:`MAX_LOST` such tries the
keys go on anyway: a stuck queue would be a dead till.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from textual import events
from textual._xterm_parser import _MAX_SEQUENCE_SEARCH_THRESHOLD, XTermParser
from textual.app import App, ScreenStackError
from textual.message import Message

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

#: rounds of settling after one key before the next is dispatched anyway
MAX_ROUNDS = 12
#: how long keys wait for a screen that says ``keys_wait`` before going to the focus
WAIT_LIMIT_S = 3.0
#: a settle that has not come back by then is sent again through the current focus (its
#: widget was removed on the way: a closed window)
SETTLE_RETRY_S = 0.25
#: settles lost in a row before the keys go on regardless
MAX_LOST = 8
#: how often a screen that says ``keys_wait`` is looked at again
WAIT_POLL_S = 0.02
#: a screen attribute: True while the screen reads what typed keys would act on
KEYS_WAIT = "keys_wait"
#: refreshes a click waits for the screen to be drawn before it goes anyway (a screen
#: that never stops redrawing, a spinner: the click must not wait for ever)
MAX_DRAW_ROUNDS = 12

#: what waits its turn: keys, pastes and mouse clicks (their press and release)
Queued: TypeAlias = events.Key | events.Paste | events.MouseDown | events.MouseUp
_QUEUED = (events.Key, events.Paste, events.MouseDown, events.MouseUp)
#: what acts where it is drawn, not on the focus: it waits for the screen to be drawn
_POINTER = (events.MouseDown, events.MouseUp)

# the mixin is only ever put before ``App`` in an app's bases: typed as one, built on none
if TYPE_CHECKING:
    _AppBase = App[Any]
else:
    _AppBase = object


@dataclass
class _Pending:
    """The key being settled: where things stood, and which round is out."""

    #: None: no key yet, the screen made the next one wait
    key: Queued | None
    screen: Screen[Any]
    focused: Widget | None
    round: int = 0
    #: rounds that found the screen or the focus moved, or a widget still busy
    moves: int = 0
    #: the screen or the focus changed (or a screen made the keys wait) since the key
    changed: bool = False
    #: settles sent again because the last one did not come back in time
    lost: int = 0


@dataclass
class _State:
    """The keys waiting their turn and the one being settled."""

    keys: deque[Queued] = field(default_factory=deque)
    pending: _Pending | None = None
    #: the settle sent again if lost, or the next look at a screen making keys wait
    timer: asyncio.TimerHandle | None = None
    #: since when the screen has been saying ``keys_wait`` (monotonic), if it is
    wait_since: float | None = None
    #: a key is being handed on right now (its settle follows it)
    dispatching: bool = False
    #: refreshes waited for so far for the click first in line to be drawn under
    draw_rounds: int = 0

    def stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class TypeAhead(_AppBase):
    """App mixin: keys are dispatched one at a time, each once the one before settled.

    Put it first among the key-handling mixins (``class MyApp(TypeAhead,
    TerminalScans, App)``): it wraps ``on_event`` and hands each key on, in order, to the
    next ``on_event`` in line.
    """

    @dataclass
    class Settle(Message):
        """Sent through the widget a key went to; back at the app, the key has settled."""

        round: int

    @property
    def keys_in_line(self) -> bool:
        """True while typed keys wait their turn or the last one handed on is still
        settling: what the cashier typed has not all taken effect yet. Read by the
        tests' ``settle``: a key can wait here a quarter of a second (a settle sent
        again) while the app is otherwise idle."""
        state = self._typeahead()
        return bool(state.keys) or state.pending is not None

    def _typeahead(self) -> _State:
        state: _State | None = self.__dict__.get("_typeahead_state")
        if state is None:
            state = self._typeahead_state = _State()
        return state

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _QUEUED) and not event.is_forwarded:
            state = self._typeahead()
            state.keys.append(event)
            if state.pending is None:
                await self._dispatch_next()
            return
        await super().on_event(event)

    # -- one key after the other --------------------------------------------------------

    def _where(self) -> tuple[Screen[Any], Widget | None] | None:
        try:
            screen = self.screen
        except ScreenStackError:  # starting or closing: nothing to settle on
            return None
        return screen, screen.focused

    async def _dispatch_next(self) -> None:
        """Dispatch queued keys until one needs settling (or none is left)."""
        state = self._typeahead()
        while state.keys and state.pending is None:
            where = self._where()
            if where is not None and self._must_wait(where[0]):
                # a job not started by a key (a scan, a timer) is reading what keys act on
                state.pending = _Pending(None, where[0], where[1])
                self._send_settle(state.pending, where[1] or where[0])
                return
            if where is not None and self._must_draw(where[0]):
                # a click acts on what is drawn at its cell: let the screen draw first
                state.pending = _Pending(None, where[0], where[1])
                self._send_settle(state.pending, where[0], after_refresh=True)
                return
            key = state.keys.popleft()
            if isinstance(key, _POINTER):
                state.draw_rounds = 0
            state.dispatching = True
            try:
                await super().on_event(key)
            finally:
                state.dispatching = False
            if where is None:
                continue
            screen, focused = where
            state.pending = _Pending(key, screen, focused)
            # where Textual forwarded the key: the settle follows it through those queues
            self._send_settle(state.pending, focused or screen)

    def _send_settle(
        self, pending: _Pending, target: Widget | None = None, *, after_refresh: bool = False
    ) -> None:
        """Post the next settle round through ``target`` (else the current focus).

        ``after_refresh``: the round goes once the screen has refreshed (and run what
        waited for that refresh, a footer building its keys); it is then posted to
        ``target``'s own queue, so it reaches the app only after the rest of what ran
        after that refresh, not halfway through it."""
        pending.round += 1
        if target is None or not target.is_attached:
            where = self._where()
            if where is None:
                self.call_later(self._settled)
                return
            target = where[1] or where[0]
        if after_refresh:
            target.call_after_refresh(target.post_message, self.Settle(pending.round))
        else:
            target.post_message(self.Settle(pending.round))
        state = self._typeahead()
        state.stop_timer()
        round_sent = pending.round

        def lost() -> None:
            if state.pending is not pending or pending.round != round_sent:
                return
            pending.lost += 1
            if pending.lost >= MAX_LOST:
                self.call_later(self._give_up, pending)
            else:
                self._send_settle(pending)

        # a plain loop timer: a Textual Timer is a task of its own, too dear for each key
        state.timer = asyncio.get_running_loop().call_later(SETTLE_RETRY_S, lost)

    async def on_type_ahead_settle(self, message: Settle) -> None:
        message.stop()
        state = self._typeahead()
        pending = state.pending
        if pending is None or message.round != pending.round:
            return  # a round sent again after a slow one: already counted
        where = self._where()
        if where is None:
            await self._settled()
            return
        screen, focused = where
        moved = screen is not pending.screen or focused is not pending.focused
        if moved:
            pending.changed = True
            pending.screen, pending.focused = screen, focused
        if self._must_wait(screen):
            pending.changed = True
            # look again shortly; that round then catches the focus the screen sets
            state.stop_timer()
            state.timer = asyncio.get_running_loop().call_later(
                WAIT_POLL_S, self._send_settle, pending
            )
            return
        if (moved or not self._quiet()) and pending.moves < MAX_ROUNDS:
            pending.moves += 1
            self._send_settle(pending)
            return
        await self._settled()

    def _must_wait(self, screen: Screen[Any]) -> bool:
        """True while ``screen`` says ``keys_wait``, for :data:`WAIT_LIMIT_S` at most."""
        state = self._typeahead()
        if not getattr(screen, KEYS_WAIT, False):
            state.wait_since = None
            return False
        now = time.monotonic()
        if state.wait_since is None:
            state.wait_since = now
        return now - state.wait_since < WAIT_LIMIT_S

    def _must_draw(self, screen: Screen[Any]) -> bool:
        """True when a click is first in line and ``screen`` is not drawn yet (counts
        the refresh it then waits for: :data:`MAX_DRAW_ROUNDS` at most)."""
        state = self._typeahead()
        if not isinstance(state.keys[0], _POINTER) or state.draw_rounds >= MAX_DRAW_ROUNDS:
            return False
        if self._drawn(screen):
            return False
        state.draw_rounds += 1
        return True

    def _drawn(self, screen: Screen[Any]) -> bool:
        """True when what the cashier sees is what a click would find: every message
        handled (:meth:`_quiet`) and nothing left for ``screen`` to lay out, draw, or run
        after drawing (a footer builds its keys after a refresh). Reads the screen's
        private refresh state (tests/test_textual_internals.py checks it is there)."""
        pending_refresh = (
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._recompose_required
            or screen._dirty_widgets
            or screen._callbacks
        )
        return not pending_refresh and self._quiet()

    def _quiet(self) -> bool:
        """True when no screen or widget of this mode has a message waiting: what the
        key set off (``Input.Submitted``, a pick in a list, a dismissed window's
        callback) has run. Cheap: a register is some 60 widgets."""
        for screen in self.screen_stack:
            for node in screen.walk_children(with_self=True):
                if node.message_queue_size:
                    return False
        return True

    async def _give_up(self, pending: _Pending) -> None:
        """The settles of ``pending`` keep getting lost: the keys go on regardless."""
        if self._typeahead().pending is pending:
            await self._settled()

    async def _settled(self) -> None:
        state = self._typeahead()
        pending, state.pending = state.pending, None
        state.stop_timer()
        if pending is not None and pending.changed and isinstance(pending.key, events.Key):
            self.key_changed_target(pending.key)
        await self._dispatch_next()

    def requeue_key(self, key: Queued) -> None:
        """Called while ``key`` (or a click) is handed on: it goes back first in line, to
        be handed on again once what was let through just before it (a held key) has
        settled."""
        self._typeahead().keys.appendleft(key)

    def settle_released_key(
        self, key: events.Key, screen: Screen[Any], focused: Widget | None
    ) -> None:
        """A key held back for the scan gap was just let through on its own (a timer):
        the keys after it wait for it like for any other. ``screen`` and ``focused``:
        where things stood before it."""
        state = self._typeahead()
        if state.dispatching or state.pending is not None:
            return  # let through while another key is handed on: that one's settle follows
        state.pending = _Pending(key, screen, focused)
        self._send_settle(state.pending, focused or screen)

    def key_changed_target(self, key: events.Key) -> None:
        """``key`` opened or closed a screen, or moved the focus; the keys after it go to
        the new target. Mixins after this one in the bases may take note (they are
        called in turn)."""
        hook = getattr(super(), "key_changed_target", None)
        if hook is not None:
            hook(key)


#: what may follow ESC in a sequence a terminal sends (CSI, SS3, and the string
#: introducers of its replies); anything else after ESC is a key of its own
_SEQUENCE_STARTS = frozenset("[O]P_^\\")


def _reply_may_go_on(sequence: str) -> bool:
    """Whether ``sequence`` (ESC, an introducer other than CSI's ``[``, one more
    character or more) may still be the head of something a terminal sends.

    SS3 (ESC ``O``) is always three characters: one Textual did not know is none. The
    string replies a terminal may send unasked or to a query of Textual's start with a
    number (OSC ``ESC ] 11;``), one of ``>!=+$`` or a digit (DCS: XTVERSION ``ESC P >|``,
    DECRQSS ``ESC P 1$r``) or ``G`` (APC: the kitty graphics protocol); ESC ``\\`` (ST)
    and ESC ``^`` (PM) head no reply at all. So ESC then "Olivier", "Pierre" or
    "]ordan" typed fast is Esc then the name, known at its second letter.
    """
    introducer, first = sequence[1], sequence[2]
    if introducer == "]":
        return first.isdigit()
    if introducer == "P":
        return first.isdigit() or first in ">!=+$|"
    if introducer == "_":
        return first == "G"
    return False  # "O": SS3 is three characters; "^", "\\": no reply starts so


class EscapeFirstParser(XTermParser):
    """Reads ESC followed by an ordinary key as Escape, then that key, never as Alt+key.

    A terminal sends Alt+M as ESC ``m``, so Textual's parser reads an Esc followed
    within ``ESCDELAY`` (100 ms) by a key as that key with Alt, or drops the Esc (Esc
    then Enter, Space, ``.``, Ctrl+N); the search field then got "chev" Esc "mar" as
    "chevmar". The app binds no Alt key and a till's keyboard is not used with Alt, so
    here ESC then a key that cannot start an escape sequence is the two keys typed.

    ESC then a character that can start one (``O``, ``P``, ``]``...: "chev" Esc
    "Pierre") made Textual's parser gather what followed as one sequence until it
    matched, ``ESCDELAY`` passed, or it grew past
    ``_MAX_SEQUENCE_SEARCH_THRESHOLD`` (32) characters; a burst longer than that
    (a paste, keys bunched by SSH) was then handed on as ``^`` then the text, the Esc
    lost: the search got "chev^Pierre…". Here such a sequence is Esc then its keys as
    soon as it cannot be a reply any more (:func:`_reply_may_go_on`), and at the
    latest at that length, whatever it is: never a ``^`` nobody typed.
    """

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterator[events.Key]:
        if len(sequence) == 2 and sequence[0] == "\x1b" and sequence[1] not in _SEQUENCE_STARTS:
            yield events.Key("escape", "\x1b")
            yield from super()._sequence_to_key_events(sequence[1])
            return
        if alt and len(sequence) == 1:
            # ESC then "[" or "O" with nothing after it in time: Esc, then the character
            yield events.Key("escape", "\x1b")
            yield from super()._sequence_to_key_events(sequence)
            return
        known = list(super()._sequence_to_key_events(sequence, alt))
        if known or len(sequence) < 3 or sequence[:2] in ("\x1b[", "\x1b\x1b"):
            # a CSI Textual did not know is left to it: no person types ESC [
            yield from known
            return
        if sequence[0] == "\x1b" and (
            not _reply_may_go_on(sequence) or len(sequence) >= _MAX_SEQUENCE_SEARCH_THRESHOLD
        ):
            # about to be given up on: the parser would hand it on as "^" and the text
            yield events.Key("escape", "\x1b")
            for character in sequence[1:]:
                yield from super()._sequence_to_key_events(character)


def install_escape_first(driver_class: type) -> None:
    """Make ``driver_class`` (Textual's Linux driver, or one built on it) read keys with
    :class:`EscapeFirstParser`: its input thread builds the parser from the
    ``XTermParser`` of the module that defines it."""
    import sys

    for cls in driver_class.__mro__:
        module = sys.modules.get(cls.__module__)
        if module is not None and getattr(module, "XTermParser", None) is XTermParser:
            module.XTermParser = EscapeFirstParser  # type: ignore[attr-defined]
