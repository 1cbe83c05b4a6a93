"""One labelled field of a form, with room for its error message right under it.

Forms list their fields as rows so that a validation error lands next to the field it
is about (a cashier reads "Email: not an email address" where they typed it), and the
form can ask any row whether it is currently invalid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch, TextArea
from textual.widgets.select import InvalidSelectValueError

from tillterm.i18n import _
from tillterm.ui.plain import VisibleControls, plain, visible_text


class FormRow(Widget):
    """A label, the editing widget, and an error line added only when there is an error.

    The label is drawn by the row itself, under the field's left margin, and there is no
    error widget until one is needed: a customer form has some forty rows, and each
    widget mounted is time the form takes to open (issue 17: every screen's first page
    in 50 ms; a label widget was a quarter of the store form's, before it became a
    :class:`~tillterm.ui.widgets.field_sheet.FieldSheet`).
    """

    #: the label's cells (the field starts after them) and its style's component class
    LABEL_WIDTH = 20
    COMPONENT_CLASSES = {"form-row--label"}

    DEFAULT_CSS = """
    FormRow {
        height: auto;
        width: 100%;
        layout: vertical;

        & > .form-row--label {
            color: $text-muted;
        }
        &.-invalid > .form-row--label {
            color: $error;
            text-style: bold;
        }
        & > Input, & > Select, & > TextArea, & > .switch-line {
            margin-left: 20;
        }
        & Input {
            background: $foreground 10%;
        }
        & Input:focus {
            background: $foreground 18%;
        }
        & Input:ansi {
            background: ansi_bright_black;
            color: ansi_bright_white;
        }
        & Input:ansi:focus {
            background: ansi_blue;
            color: ansi_bright_white;
        }
        & > .switch-line {
            height: 1;
        }
        & Switch {
            height: 1;
            border: none;
            padding: 0;
            width: 6;
        }
        & Switch:focus {
            border: none;
            background-tint: $foreground 20%;
        }
        & .switch-state {
            padding-left: 1;
            width: auto;
        }
        & > TextArea {
            height: 3;  /* as tall as the grid these rows were drew it */
        }
        & > .form-error {
            color: $error;
            padding-left: 20;
        }
    }
    """

    def __init__(self, label: str, field: Widget, *, field_name: str) -> None:
        # made with its children rather than composing them: a form's rows are then
        # mounted, and styled, in one go (styles shared between rows alike), with no
        # compose step per row (issue 17: a screen's first page in 50 ms)
        children: list[Widget] = []
        if isinstance(field, Switch):
            # the state in words too: a 16-colour or monochrome screen shows no green
            state = _("yes") if field.value else _("no")  # made switched on
            words = Label(plain(state), classes="switch-state")
            children.append(Horizontal(field, words, classes="switch-line"))
        else:
            children.append(field)
        if isinstance(field, Input) and not field.validators:
            # what Textual marks it with as its value is first set, then restyles it
            # for: marked as it is made, the form's filling restyles nothing (issue 17)
            field.add_class("-valid")
        super().__init__(*children, id=f"row-{field_name}")
        self.label = label
        self.field = field
        self.field_name = field_name
        self._error = ""
        # the label's lines, cut to its column (a custom field's name may be long): the
        # row is as tall as they are at least
        self._label_lines = plain(label).wrap(self.LABEL_WIDTH - 1) or [Content()]
        if len(self._label_lines) > 1:
            self.styles.min_height = len(self._label_lines)

    def render(self) -> Content:
        """The label, in its column; the field is drawn over the rest of the line."""
        style = self.get_visual_style("form-row--label")
        return Content("\n").join(self._label_lines).stylize(style)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self.query_one(".switch-state", Label).update(plain(_("yes") if event.value else _("no")))

    @property
    def error(self) -> str | None:
        return self._error or None

    def set_error(self, message: str | None) -> None:
        """Show ``message`` under the field, or clear it with ``None``."""
        self._error = message or ""
        self.set_class(bool(message), "-invalid")
        self.refresh()  # the label's colour
        shown = self.query(".form-error")
        if message:
            if shown:
                shown.first(Static).update(plain(f"↑ {message}"))
            else:
                self.mount(Static(plain(f"↑ {message}"), classes="form-error"))
        else:
            shown.remove()


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
    """Put a value in a form field (``None`` empties it).

    A value stored by an older version may hold control characters. An ``Input`` keeps
    it as it is, drawn with their pictures ("␛"), so saving names the character to
    delete; a ``TextArea`` (notes) cannot draw them, so it gets the pictures themselves.
    """
    if isinstance(widget, Input):
        widget.value = "" if value is None else str(value)
        if not widget.value.isprintable():
            widget.highlighter = VisibleControls()
    elif isinstance(widget, Switch):
        widget.value = bool(value)
    elif isinstance(widget, Select):
        _set_select(widget, value)
    elif isinstance(widget, TextArea):
        widget.load_text(visible_text(value, multiline=True))
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


def show_errors(form: Widget, errors: Mapping[str, str]) -> list[str]:
    """Put each problem under its field's row in ``form``; focus the first invalid one.

    Every row's old message is cleared first. Problems that belong to no row (``""``:
    the record as a whole) are handed back for the form's status line.
    """
    rows = {row.field_name: row for row in form.query(FormRow)}
    for row in rows.values():
        row.set_error(errors.get(row.field_name))
    first = next((row for row in rows.values() if row.error), None)
    if first is not None:
        first.field.focus()
    return [text for key, text in errors.items() if key not in rows]
