"""A small question in a box: confirm a delete, discard changes, pick one of a few choices.

Every choice has its own key (shown on its button) so a cashier answers without
tabbing; Esc is always the harmless answer (``None``, i.e. "no, go back"). Titles,
messages and button labels often quote a customer or a group: they are drawn as plain
text (:mod:`tillterm.ui.plain`), never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.widgets import Button, Input, Static

from tillterm.i18n import _
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widgets.button import ButtonVariant
from tillterm.ui.styles import css


@dataclass(frozen=True)
class Choice:
    """One answer: what ``dismiss`` returns, the button text and the key that picks it."""

    value: str
    label: str
    key: str
    variant: ButtonVariant = "default"


class ChoiceScreen(TillModal[str | None]):
    """Ask a question with a few answers; dismisses with the chosen ``Choice.value``."""

    CSS_PATH = css("confirm.tcss")
    BINDINGS = [Binding("escape", "cancel", _("Back"))]

    def __init__(self, title: str, message: str, choices: Sequence[Choice]) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = tuple(choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(plain(self.title_text), id="confirm-title")
            yield Static(plain(self.message, multiline=True), id="confirm-message")
            with Horizontal(id="confirm-buttons"):
                for choice in self.choices:
                    yield Button(
                        plain(f"{choice.label} ({choice.key.upper()})"),
                        id=f"choice-{choice.value}",
                        variant=choice.variant,
                        compact=True,
                    )

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: Key) -> None:
        for choice in self.choices:
            if event.key == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        value = (event.button.id or "").removeprefix("choice-")
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(TillModal[bool]):
    """A yes/no question; Esc and "n" answer no, "y" answers yes."""

    CSS_PATH = css("confirm.tcss")
    BINDINGS = [
        Binding("escape,n", "answer(False)", _("No")),
        Binding("y", "answer(True)", _("Yes")),
    ]

    def __init__(self, title: str, message: str, yes: str = "", no: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.yes = yes or _("Yes")
        self.no = no or _("No")

    #: the keys written on the buttons
    yes_label = "Y"
    no_label = "N"

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(plain(self.title_text), id="confirm-title")
            yield Static(plain(self.message, multiline=True), id="confirm-message")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    plain(f"{self.yes} ({self.yes_label})"),
                    id="confirm-yes",
                    variant="error",
                    compact=True,
                )
                yield Button(plain(f"{self.no} ({self.no_label})"), id="confirm-no", compact=True)

    def on_mount(self) -> None:
        # The safe answer has the focus: Enter on a reflex never deletes anything.
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class KeyConfirmScreen(ConfirmScreen, inherit_bindings=False):
    """A yes/no question answered "yes" only by one function key (``yes_key``).

    For what cannot be undone while a customer waits (voiding a sale with money taken):
    a scanner types printable characters and Enter, so neither can say yes here. Enter
    presses the focused "No" button; Esc and "n" answer no as well.
    """

    BINDINGS = [Binding("escape,n", "answer(False)", _("No"))]

    def __init__(
        self, title: str, message: str, yes: str, no: str = "", *, yes_key: str = "f12"
    ) -> None:
        super().__init__(title, message, yes, no)
        self.yes_key = yes_key
        self.yes_label = yes_key.upper()

    no_label = "N/Esc"

    def on_mount(self) -> None:
        # never focusable: a Tab then an Enter (a scanner ending codes with Tab) cannot
        # land on it and press it
        self.query_one("#confirm-yes", Button).can_focus = False
        super().on_mount()

    def on_key(self, event: Key) -> None:
        if event.key == self.yes_key:
            event.stop()
            event.prevent_default()
            self.dismiss(True)


class PromptScreen(TillModal[str | None]):
    """Ask for one line of text (a file name); Enter accepts, Esc cancels."""

    CSS_PATH = css("confirm.tcss")
    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, title: str, message: str, value: str = "", accept: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.value = value
        self.accept = accept or _("OK")

    #: the key written on the accept button
    accept_label = "Enter"

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(plain(self.title_text), id="confirm-title")
            yield Static(plain(self.message, multiline=True), id="confirm-message")
            yield Input(self.value, id="prompt-input", compact=True)
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    plain(f"{self.accept} ({self.accept_label})"),
                    id="prompt-ok",
                    variant="primary",
                    compact=True,
                )
                yield Button(plain(_("Cancel (Esc)")), id="prompt-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @on(Input.Submitted, "#prompt-input")
    @on(Button.Pressed, "#prompt-ok")
    def _accept(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        value = self.query_one("#prompt-input", Input).value.strip()
        if value:
            self.dismiss(value)

    @on(Button.Pressed, "#prompt-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class KeyPromptScreen(PromptScreen, inherit_bindings=False):
    """Ask for one line of text accepted only by a function key (``accept_key``).

    For a question asked at start-up, when a scan may arrive as typed keys (over SSH): a
    scanner types characters and Enter, so a code it types can fill the field but never
    answer. Esc cancels.
    """

    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(
        self, title: str, message: str, value: str = "", accept: str = "", *, key: str = "f10"
    ) -> None:
        super().__init__(title, message, value, accept)
        self.accept_key = key
        self.accept_label = key.upper()

    def on_mount(self) -> None:
        self.query_one("#prompt-ok", Button).can_focus = False
        self.query_one("#prompt-cancel", Button).can_focus = False
        super().on_mount()

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter answers nothing here (a scanner ends its codes with Enter); the default
        is prevented so :class:`PromptScreen`'s own Enter handler is not called either."""
        event.stop()
        event.prevent_default()

    def on_key(self, event: Key) -> None:
        if event.key == self.accept_key:
            event.stop()
            event.prevent_default()
            value = self.query_one("#prompt-input", Input).value.strip()
            if value:
                self.dismiss(value)


def ask_to_discard(screen: Screen[Any], dirty: bool, leave: Callable[[], object]) -> None:
    """Esc in a form: ``leave`` at once when nothing was typed, else only once the
    person says to discard it (the safe answer, "Keep editing", has the focus)."""
    if not dirty:
        leave()
        return

    def answered(discard: bool | None) -> None:
        if discard:
            leave()

    screen.app.push_screen(
        ConfirmScreen(
            _("Unsaved changes"),
            _("Discard what you typed in this form?"),
            yes=_("Discard"),
            no=_("Keep editing"),
        ),
        answered,
    )
