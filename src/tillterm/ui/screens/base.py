"""The base every screen of the app builds on: a typed handle on the services and the
one way to run a job (:class:`~tillterm.ui.jobs.JobRunner`).

A screen asks ``self.services`` for what it needs and runs it with ``self.run_job``;
it never opens a database session, and a job it did not plan to fail never leaves it
stuck.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.binding import Binding, BindingType
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea

from tillterm.ui.jobs import JobRunner

if TYPE_CHECKING:
    from tillterm.services.context import Services
    from tillterm.ui.app import TilltermApp

ResultT = TypeVar("ResultT")


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


class TillScreen(ServiceHandle, SteadyCursor[ResultT]):
    """A full screen of the app (register, customers, groups, import)."""


class TillModal(ServiceHandle, SteadyCursor[ResultT], ModalScreen[ResultT]):
    """A window over a screen (a form, the payment, a question).

    A modal screen hides the app's keys, F1 included: in the payment, the form and every
    question F1 did nothing. It is bound here, for every window, to the app's help; not
    shown in the footer, which the window's own keys fill (every main screen shows F1).
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("f1", "app.show_help", "Help", show=False)]
