"""The base every screen of the app builds on: a typed handle on the services and the
one way to run a job (:class:`~tillterm.ui.jobs.JobRunner`).

A screen asks ``self.services`` for what it needs and runs it with ``self.run_job``;
it never opens a database session, and a job it did not plan to fail never leaves it
stuck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual import events, on
from textual._context import active_app
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea
from textual.worker import get_current_worker

from tillterm.core.errors import TilltermError
from tillterm.i18n import _
from tillterm.ui.jobs import JobRunner
from tillterm.ui.memory import forget_removed_widgets

if TYPE_CHECKING:
    from tillterm.services.context import Services
    from tillterm.ui.app import TilltermApp

ResultT = TypeVar("ResultT")
T = TypeVar("T")
MessageT = TypeVar("MessageT", bound=Message)


class ServiceHandle(JobRunner):
    @property
    def services(self) -> Services:
        """The app's services (typed: ``DOMNode.app`` is only an ``App[Any]``)."""
        return cast("TilltermApp", self.app).services


class SteadyCursor(Screen[ResultT]):
    """Text cursors that never blink: a blink redraws the field twice a second, which is
    all a till sends while nobody touches it (300 B/s, a third of a 9600-baud line).

    Set as a field gets the focus (every focus goes through ``set_focus``), so a field
    mounted later (the filter panel) is steady too; its own focus handling then shows
    the cursor.

    A focus change repaints only the two fields concerned (their ``:focus`` style):
    Textual's ``Screen.focused`` repaints the whole screen, 7 KB over SSH for each F7 or
    Esc at the register, with not one cell changed elsewhere.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def on_screen_suspend(self) -> None:
        """A window or a screen was pushed over this one: no repaint of it is owed.

        Textual asks the covered screen for a whole repaint as it pushes the next one;
        the window over it draws it (dimmed) anyway, and a screen drawn again is
        repainted whole on resume. Left pending, the repaint went out the first time
        the covered register handled a message (its register-name check, every 5 s),
        twice, under the payment window: 10 KB over SSH for no change on screen.
        """
        self._repaint_required = False

    def set_focus(
        self, widget: Widget | None, scroll_visible: bool = True, from_app_focus: bool = False
    ) -> None:
        if isinstance(widget, Input | TextArea) and widget is not self.focused:
            widget.cursor_blink = False
        super().set_focus(widget, scroll_visible, from_app_focus)


class QuickFirstFrame(Screen[ResultT]):
    """A screen's first frame without the restyles and the layout Textual would redo.

    Issue 17 (every screen's first page <= 50 ms at 100k products, 1M customers):

    - a screen just pushed has each widget styled as it mounts, then its first resume
      applies the whole stylesheet to every one of them again (a mode's screen, F3 or
      F4, is resumed twice: as its mode starts, then as the app switches to it);
    - its first layout sends it a Resize (from nothing to the size it was laid out at)
      for which Screen lays it out again, and every screen under it too, at the sizes
      they all have already;
    - a new screen is marked as having missed every stylesheet refresh, so switching to
      its mode (or back to a mode whose top screen was pushed) re-read the whole
      stylesheet and restyled the whole app: it is marked as it is made with the app's
      stylesheet generation, which its widgets are styled with as they mount.

    The restyles are skipped until the screen is first covered (a resume after that
    restyles as Textual does), for full screens only: a window (a modal screen, drawn
    over the one below) restyled is drawn whole, and the payment window, which drops a
    repaint it knows to be owed twice, was left half drawn without it. A window that
    draws every cell it covers (the drawer) sets ``QUICK_WINDOW``: its first restyle
    is skipped too. The Resize is
    skipped once; a real resize (another size, or any
    later one) lays everything out. The handlers are ``@on`` handlers so that a screen's
    own ``on_screen_resume`` / ``on_resize`` still run (before these: Textual calls the
    handlers of the most derived class first), and these run before Screen's, which
    reads ``refresh_styles`` and which ``prevent_default`` skips
    (``tests/test_textual_internals.py`` guards all three).
    """

    #: a window whose first resume needs no restyle either: it covers the screen under
    #: it with widgets of its own (its snapshot checks it is drawn whole)
    QUICK_WINDOW: ClassVar[bool] = False

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name, id, classes)
        #: the screen has not been covered (suspended) yet / has not been laid out yet
        self._never_suspended = True
        self._first_layout = True
        with suppress(LookupError):  # made outside an app (a test): Textual's mark stays
            self._css_update_count = active_app.get()._css_update_count

    @property
    def never_covered(self) -> bool:
        """No screen has been shown over this one yet: a resume now is its first showing
        (a mode's screen has two), not a return; what the screen started reading as it
        was built is still on its way, and need not be read again."""
        return self._never_suspended

    @on(events.ScreenResume)
    def _skip_first_restyle(self, event: events.ScreenResume) -> None:
        if self._never_suspended and (self.QUICK_WINDOW or not self.is_modal):
            event.refresh_styles = False

    @on(events.ScreenSuspend)
    def _suspended(self) -> None:
        self._never_suspended = False

    @on(events.Unmount)
    def _forget_drawn_lines(self) -> None:
        forget_removed_widgets()

    @on(events.Resize)
    def _skip_first_relayout(self, event: events.Resize) -> None:
        first, self._first_layout = self._first_layout, False
        app = self.app
        if (
            first
            and event.size == self.size == app.size
            and not (self.HORIZONTAL_BREAKPOINTS or app.HORIZONTAL_BREAKPOINTS)
            and not (self.VERTICAL_BREAKPOINTS or app.VERTICAL_BREAKPOINTS)
        ):
            event.prevent_default()
            event.stop()


class FirstRead(JobRunner, QuickFirstFrame[ResultT]):
    """A screen's first read, started as it is built and shown in its first frame.

    Issue 17 (every screen's first page <= 50 ms): read after the screen was shown,
    the first page came a frame later, the screen laid out and drawn twice (empty, then
    filled). Started from ``compose``, the read runs while the screen is mounted and
    laid out; if it is in by the screen's first showing (its first resume, before its
    first layout), it is shown there, and the first frame holds the first page. If it
    is not, its message comes as any job's does and the screen is drawn once more.

    The worker either leaves its answer for the first showing or posts it, never both
    (decided under a lock): the handler sees each answer once.

    A read still running at the first showing is waited for, a little
    (:attr:`FIRST_READ_WAIT`): the worker thread gets the interpreter lock a slice at a
    time while the screen is built, so a 4 ms read was often not in by then; and the
    first page cannot be shown before its read is in anyway, while a frame drawn
    without it, then drawn again with it, made it later still (the tax rates' read,
    its pages no longer cached after the customer list, took 30-40 ms: the screen
    then took twice as long as when it was waited for). Up to a tenth of a second, no
    one sees a screen wait; a read that takes longer (a locked database) is not
    waited for: the screen shows and fills when it comes. Keys typed meanwhile wait
    in order (the type-ahead), as for any first read.
    """

    #: how long the first showing waits for a first read still running (seconds)
    FIRST_READ_WAIT: ClassVar[float] = 0.1

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name, id, classes)
        self._first_lock = threading.Lock()
        #: the first showing happened: answers are posted as usual from now on
        self._first_shown = False
        self._first_answers: list[tuple[Message, Callable[[Message], object]]] = []
        #: first reads started / answered (held or posted, failures too)
        self._first_reads = 0
        self._first_answered = threading.Semaphore(0)

    def first_read(
        self,
        group: str,
        job: Callable[[], T],
        done: Callable[[T], MessageT],
        failed: Callable[[str], Message],
        *,
        show: Callable[[MessageT], object],
        description: str,
    ) -> None:
        """Run ``job`` as :meth:`run_job` does; ``show`` (the handler of ``done``'s
        message) shows its answer in the first frame if it is in by then."""

        def answered(result: T) -> Message | None:
            message = done(result)
            try:
                with self._first_lock:
                    if not self._first_shown:
                        held = cast("Callable[[Message], object]", show)
                        self._first_answers.append((message, held))
                        return None
                return message
            finally:
                self._first_answered.release()

        def refused(error: str) -> Message:
            self._first_answered.release()
            return failed(error)

        def read() -> T:
            """``job``; a read that will answer neither way (an unexpected error, told
            by the app; a read cancelled by a newer one) says so at once, or the first
            showing would wait its whole :attr:`FIRST_READ_WAIT` for nothing."""
            try:
                result = job()
            except TilltermError:
                raise  # ``refused`` answers
            except BaseException:
                self._first_answered.release()
                raise
            if get_current_worker().is_cancelled:
                self._first_answered.release()
            return result

        self._first_reads += 1
        self.run_job(group, read, answered, refused, description=description)

    @property
    def keys_wait(self) -> bool:
        """Keys wait for an answer held for the first showing too: what it builds is
        what they are typed into."""
        return bool(self._first_answers) or super().keys_wait

    @on(events.ScreenResume)
    def _show_first_answers(self) -> None:
        if self._first_shown:
            return
        deadline = time.monotonic() + self.FIRST_READ_WAIT
        for _read in range(self._first_reads):
            if not self._first_answered.acquire(timeout=max(0.0, deadline - time.monotonic())):
                break
        with self._first_lock:
            self._first_shown = True
            answers, self._first_answers = self._first_answers, []
        for message, show in answers:
            show(message)


class TillScreen(ServiceHandle, FirstRead[ResultT], SteadyCursor[ResultT]):
    """A full screen of the app (register, customers, groups, import)."""


class TillModal(ServiceHandle, FirstRead[ResultT], SteadyCursor[ResultT], ModalScreen[ResultT]):
    """A window over a screen (a form, the payment, a question).

    A modal screen hides the app's keys, F1 included: in the payment, the form and every
    question F1 did nothing. It is bound here, for every window, to the app's help; not
    shown in the footer, which the window's own keys fill (every main screen shows F1).
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("f1", "app.show_help", _("Help"), show=False)]
