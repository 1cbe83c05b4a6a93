"""One labelled field of a form, with room for its error message right under it.

Forms list their fields as rows so that a validation error lands next to the field it
is about (a cashier reads "Email: not an email address" where they typed it), and the
form can ask any row whether it is currently invalid.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch, TextArea
from textual.widgets.select import InvalidSelectValueError


class FormRow(Vertical):
    """A label, the editing widget, and an error line shown only when there is an error."""

    DEFAULT_CSS = """
    FormRow {
        height: auto;
        width: 100%;

        & > .form-line {
            height: auto;
            width: 100%;
        }
        & .form-label {
            width: 20;
            padding: 0 1 0 0;
            color: $text-muted;
        }
        & .form-line > Input, & .form-line > Select, & .form-line > TextArea {
            width: 1fr;
        }
        & .form-line > Input {
            background: $foreground 10%;
        }
        & .form-line > Input:focus {
            background: $foreground 18%;
        }
        & .form-line > Input:ansi {
            background: ansi_bright_black;
            color: ansi_bright_white;
        }
        & .form-line > Input:ansi:focus {
            background: ansi_blue;
            color: ansi_bright_white;
        }
        & .form-line > Switch {
            height: 1;
            border: none;
            padding: 0;
            width: 6;
        }
        & .form-line > Switch:focus {
            border: none;
            background-tint: $foreground 20%;
        }
        & .switch-state {
            padding-left: 1;
            width: auto;
        }
        & .form-line > TextArea {
            height: 4;
        }
        & > .form-error {
            display: none;
            color: $error;
            padding-left: 20;
        }
        &.-invalid > .form-error {
            display: block;
        }
        &.-invalid .form-label {
            color: $error;
            text-style: bold;
        }
    }
    """

    def __init__(self, label: str, field: Widget, *, field_name: str) -> None:
        super().__init__(id=f"row-{field_name}")
        self.label = label
        self.field = field
        self.field_name = field_name
        self._error = ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-line"):
            yield Label(self.label, classes="form-label", markup=False)
            yield self.field
            if isinstance(self.field, Switch):
                # the state in words too: a 16-colour or monochrome screen shows no green
                yield Label("no", classes="switch-state")
        yield Static("", classes="form-error", markup=False)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self.query_one(".switch-state", Label).update("yes" if event.value else "no")

    @property
    def error(self) -> str | None:
        return self._error if self.has_class("-invalid") else None

    def set_error(self, message: str | None) -> None:
        """Show ``message`` under the field, or clear it with ``None``."""
        self._error = message or ""
        if self.is_mounted:
            self.query_one(".form-error", Static).update(f"↑ {message}" if message else "")
        self.set_class(bool(message), "-invalid")


def field_value(widget: Widget) -> object:
    """What a form field holds, in the form the domain's validators accept."""
    if isinstance(widget, Input):
        return widget.value
    if isinstance(widget, Switch):
        return widget.value
    if isinstance(widget, Select):
        return None if widget.value is Select.NULL else widget.value
    if isinstance(widget, TextArea):
        return widget.text
    raise TypeError(f"not a form field: {widget!r}")


def set_field_value(widget: Widget, value: object) -> None:
    """Put a value in a form field (``None`` empties it)."""
    if isinstance(widget, Input):
        widget.value = "" if value is None else str(value)
    elif isinstance(widget, Switch):
        widget.value = bool(value)
    elif isinstance(widget, Select):
        _set_select(widget, value)
    elif isinstance(widget, TextArea):
        widget.load_text("" if value is None else str(value))
    else:
        raise TypeError(f"not a form field: {widget!r}")


def _set_select(widget: Select[Any], value: object) -> None:
    """Select ``value``; a prefill's ``"3"`` also finds option ``3``; unknown → nothing."""
    candidates: list[object] = [value]
    if isinstance(value, str) and value.strip().isdigit():
        candidates.append(int(value))
    if value is None or value == "":
        candidates = []
    for candidate in candidates:
        try:
            widget.value = candidate
            return
        except InvalidSelectValueError:
            continue
    widget.value = Select.NULL
