"""A form drawn as one sheet of text with one editor that moves to the field in hand.

A form of fifteen rows built the usual way (a row, a label and a field widget each,
a ``Select`` of seven widgets, a ``Switch`` line of four) mounts some fifty widgets, and
each costs a store machine about a millisecond to register, style, lay out and draw:
the Store screen took 200 ms to open against a budget of 50 (issue 17). Here the rows
are lines of text drawn by one widget, and a single ``Input`` is laid over the field
being edited; Tab, Shift+Tab, ↑ and ↓ move it. A choice (the default tax, yes/no) is
changed in place with ←/→ or Space, or by typing the first letter of an option. Errors
go on the line under their field, as on every other form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from textual import events, on
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input
from textual.widgets.input import Selection

from tillterm.i18n import _
from tillterm.ui.plain import VisibleControls, plain, visible_text
from tillterm.ui.widgets.form_row import FormRow

#: the label's cells, the value starts after them: the column of every other form
LABEL_WIDTH = FormRow.LABEL_WIDTH


@dataclass(frozen=True)
class SheetField:
    """One row of a sheet: a text typed in the editor, or a choice among ``choices``."""

    name: str
    label: str
    kind: Literal["text", "choice"] = "text"
    #: shown greyed in an empty text field ("3 letters: EUR, GBP, USD")
    hint: str = ""
    #: a choice's options, as shown and as the form's value
    choices: tuple[tuple[str, object], ...] = ()
    #: a choice that may be left unset: what "nothing" shows ("No tax"); ``""``: never unset
    prompt: str = ""
    #: a text field's value selected as the editor comes to it, so typing replaces it
    select_on_enter: bool = True

    @property
    def options(self) -> list[tuple[str, object]]:
        """The choices in the order ←/→ walk them, "nothing" first where allowed."""
        unset = [(self.prompt, None)] if self.prompt else []
        return [*unset, *self.choices]


def yes_no(name: str, label: str) -> SheetField:
    """A yes/no field: a choice of two, in words (a 16-colour screen shows no green)."""
    return SheetField(name, label, "choice", choices=((_("yes"), True), (_("no"), False)))


@dataclass
class _Row:
    """Where a field is drawn: its first line and how many (label lines, then errors)."""

    top: int
    height: int
    label: list[Content] = field(default_factory=list)
    error: list[Content] = field(default_factory=list)


class FieldSheet(Widget, can_focus=True):
    """The fields of one form, one editor among them.

    The sheet holds every value itself; the editor holds the one in hand until it moves
    on (:meth:`values` reads both). It has the focus itself on a choice row, and hands
    it to its editor on a text row.
    """

    COMPONENT_CLASSES = {
        "field-sheet--label",
        "field-sheet--invalid",
        "field-sheet--value",
        "field-sheet--hint",
        "field-sheet--current",
        "field-sheet--error",
    }

    DEFAULT_CSS = """
    FieldSheet {
        width: 100%;
        height: auto;

        & > .field-sheet--label {
            color: $text-muted;
        }
        & > .field-sheet--invalid {
            color: $error;
            text-style: bold;
        }
        & > .field-sheet--value {
            background: $foreground 10%;
        }
        & > .field-sheet--hint {
            color: $text-disabled;
        }
        & > .field-sheet--current {
            background: $foreground 18%;
            text-style: bold;
        }
        & > .field-sheet--error {
            color: $error;
        }
        &:ansi > .field-sheet--value {
            background: ansi_bright_black;
            color: ansi_bright_white;
        }
        &:ansi > .field-sheet--hint {
            color: ansi_white;
        }
        &:ansi > .field-sheet--current {
            background: ansi_blue;
            color: ansi_bright_white;
        }
        &:ansi > .field-sheet--invalid {
            text-style: bold underline;
        }
        & > Input {
            margin-left: 20;
            width: 1fr;
            background: $foreground 18%;
        }
        & > Input:ansi {
            background: ansi_blue;
            color: ansi_bright_white;
        }
    }
    """

    BINDINGS = [
        Binding("tab,down", "next_field", _("Next field"), show=False),
        Binding("shift+tab,up", "previous_field", _("Previous field"), show=False),
        Binding("right,space", "next_choice", _("Choose"), key_display="←/→"),
        Binding("left", "previous_choice", show=False),  # listed with → (one line in F1)
        Binding("enter", "submit", _("Save"), show=False),
    ]
    #: its keys are listed in F1 (the footer shows ←/→ only on a choice)
    HELP_LISTED = True

    @dataclass
    class Edited(Message):
        """A field's value was changed by hand (not as the form was filled)."""

        sheet: FieldSheet
        name: str

        @property
        def control(self) -> FieldSheet:
            return self.sheet

    @dataclass
    class Submitted(Message):
        """Enter was pressed on a field: the form is to be saved."""

        sheet: FieldSheet

        @property
        def control(self) -> FieldSheet:
            return self.sheet

    def __init__(self, *, id: str | None = None) -> None:
        # control characters (stored by an older version, or pasted) drawn as pictures
        self.editor = Input(
            compact=True,
            select_on_focus=False,
            highlighter=VisibleControls(),
            id=f"{id}-editor" if id else None,
        )
        self.editor.add_class("-valid")  # no validators: marked as Textual would, restyled never
        self.editor.display = False  # until there are fields
        super().__init__(self.editor, id=id)
        self.fields: tuple[SheetField, ...] = ()
        self._values: dict[str, object] = {}
        self._errors: dict[str, str] = {}
        self._current = 0
        self._rows: list[_Row] = []
        self._laid_for = -1

    # -- filling and reading -------------------------------------------------------

    def load(self, fields: Sequence[SheetField], values: Mapping[str, object]) -> None:
        """Show ``fields`` holding ``values`` (a choice's unknown value: nothing, or the
        first option when it cannot be unset); the editor goes to the first field."""
        self.fields = tuple(fields)
        self._values = {spec.name: _accepted(spec, values.get(spec.name)) for spec in fields}
        self._errors = {}
        self._current = 0
        self._lay_out()
        if self.fields:
            self._enter(0, select=False)

    def values(self) -> dict[str, object]:
        """Every field's value: a text as typed, a choice's value (``None``: unset)."""
        self._keep_editor()
        return dict(self._values)

    @property
    def current(self) -> str | None:
        """The name of the field in hand."""
        return self.fields[self._current].name if self.fields else None

    def error(self, name: str) -> str | None:
        return self._errors.get(name)

    def set_errors(self, errors: Mapping[str, str]) -> list[str]:
        """Put each problem under its field and go to the first; old ones are cleared.

        Problems about no field of the sheet (``""``: the record as a whole) are handed
        back for the form's status line.
        """
        names = [spec.name for spec in self.fields]
        self._errors = {name: text for name, text in errors.items() if name in names and text}
        self._lay_out()
        first = next((i for i, name in enumerate(names) if name in self._errors), None)
        if first is not None:
            self._enter(first, select=False)
        else:
            self._place_editor()
        self.refresh()
        return [text for name, text in errors.items() if name not in names]

    @property
    def text(self) -> str:
        """What the sheet shows, line by line (the editor's field with the editor's
        value): what a test reads, as a person would."""
        self._keep_editor()
        return "\n".join(line.plain.rstrip() for line in self._lines(self._width()))

    # -- moving --------------------------------------------------------------------

    def go_to(self, name: str) -> None:
        """Put the editor on field ``name``."""
        for index, spec in enumerate(self.fields):
            if spec.name == name:
                self._enter(index, select=False)
                return
        raise KeyError(name)

    def action_next_field(self) -> None:
        if self.fields:
            self._enter((self._current + 1) % len(self.fields), select=True)

    def action_previous_field(self) -> None:
        if self.fields:
            self._enter((self._current - 1) % len(self.fields), select=True)

    def _enter(self, index: int, *, select: bool) -> None:
        """The editor leaves the field it was on (its value kept) and takes ``index``."""
        self._keep_editor()
        self._current = index
        spec = self.fields[index]
        editor = self.editor
        if spec.kind == "text":
            value = str(self._values[spec.name])
            with editor.prevent(Input.Changed):
                editor.value = value
            editor.placeholder = spec.hint
            editor.selection = (
                Selection(0, len(value))
                if select and spec.select_on_enter
                else Selection.cursor(len(value))
            )
            editor.display = True
            self._place_editor()
            if self.is_attached:
                self.screen.set_focus(editor)
        else:
            editor.display = False
            if self.is_attached:
                self.screen.set_focus(self)
        self.refresh()
        self._reveal()

    def _keep_editor(self) -> None:
        if self.fields and self.editor.display and self.fields[self._current].kind == "text":
            self._values[self.fields[self._current].name] = self.editor.value

    def _place_editor(self) -> None:
        if self._rows and self._current < len(self._rows):
            self.editor.styles.offset = (0, self._rows[self._current].top)

    def _reveal(self) -> None:
        """Scroll the field in hand (and its error) into view in a scrolling parent."""
        parent = self.parent
        if not self._rows or not isinstance(parent, Widget) or not parent.allow_vertical_scroll:
            return
        row = self._rows[self._current]
        top = self.virtual_region.y + row.top
        parent.scroll_to_region(Region(0, top, 1, row.height), animate=False, immediate=True)

    def on_focus(self) -> None:
        """Focused by Tab from outside or a click: a text row's editing goes to the editor."""
        if self.fields and self.fields[self._current].kind == "text":
            self.screen.set_focus(self.editor)
        self.refresh()

    # -- choices -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_choice", "previous_choice"):
            return self.has_focus and self._choosing
        return True

    @property
    def _choosing(self) -> bool:
        return bool(self.fields) and self.fields[self._current].kind == "choice"

    def action_next_choice(self) -> None:
        self._step(+1)

    def action_previous_choice(self) -> None:
        self._step(-1)

    def _step(self, by: int) -> None:
        if not self._choosing:
            return
        spec = self.fields[self._current]
        options = spec.options
        self._choose(spec, options[(self._chosen(spec, otherwise=0) + by) % len(options)][1])

    def _chosen(self, spec: SheetField, *, otherwise: int) -> int:
        """Where the choice stands among ``spec.options`` (``otherwise`` if nowhere)."""
        values = [value for _shown, value in spec.options]
        held = self._values[spec.name]
        return values.index(held) if held in values else otherwise

    def _choose(self, spec: SheetField, value: object) -> None:
        if self._values[spec.name] == value:
            return
        self._values[spec.name] = value
        self._edited(spec.name)
        self.refresh()

    def on_key(self, event: events.Key) -> None:
        """On a choice, a letter picks the next option that starts with it."""
        if not self._choosing or not event.is_printable or not event.character:
            return
        letter = event.character.casefold()
        if letter == " ":
            return  # a binding (next choice)
        event.stop()
        spec = self.fields[self._current]
        options = spec.options
        at = self._chosen(spec, otherwise=-1)
        for step in range(1, len(options) + 1):
            shown, value = options[(at + step) % len(options)]
            if shown.casefold().startswith(letter):
                self._choose(spec, value)
                return
        self.app.bell()

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self))

    def on_click(self, event: events.Click) -> None:
        """A click on a row takes the editor there."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for index, row in enumerate(self._rows):
            if row.top <= offset.y < row.top + row.height:
                self._enter(index, select=False)
                return

    # -- the editor's messages -----------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self.fields:
            name = self.fields[self._current].name
            self._values[name] = event.value
            self._edited(name)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def _edited(self, name: str) -> None:
        """A field edited by hand: its message goes (the next save checks it again)."""
        if self._errors.pop(name, None) is not None:
            self._lay_out()
            self._place_editor()
            self.refresh()
        self.post_message(self.Edited(self, name))

    # -- drawing -------------------------------------------------------------------

    def _width(self) -> int:
        """The sheet's width: before its first layout, the screen's (less nothing: a
        wider guess only wraps an error one line late)."""
        return self.size.width or self.app.size.width

    def _lay_out(self) -> None:
        """Where each row goes, for the width the sheet has now; its height follows."""
        width = self._width()
        rows: list[_Row] = []
        top = 0
        for spec in self.fields:
            label = plain(spec.label).wrap(LABEL_WIDTH - 1) or [Content()]
            message = self._errors.get(spec.name)
            error = plain(f"↑ {message}").wrap(max(10, width - LABEL_WIDTH)) if message else []
            height = max(1, len(label)) + len(error)
            rows.append(_Row(top, height, label, error))
            top += height
        self._rows = rows
        self._laid_for = width
        self.styles.height = max(1, top)

    def on_resize(self) -> None:
        if self._laid_for != self.size.width:
            self._lay_out()
            self._place_editor()

    def _lines(self, width: int) -> list[Content]:
        label_style = self.get_visual_style("field-sheet--label")
        invalid_style = self.get_visual_style("field-sheet--invalid")
        value_style = self.get_visual_style("field-sheet--value")
        # its own colour only: the value's box shows under it
        hint_style = self.get_visual_style("field-sheet--hint", partial=True)
        current_style = self.get_visual_style("field-sheet--current")
        error_style = self.get_visual_style("field-sheet--error")
        room = max(1, width - LABEL_WIDTH)
        lines: list[Content] = []
        for index, (spec, row) in enumerate(zip(self.fields, self._rows, strict=True)):
            invalid = spec.name in self._errors
            labels = [
                line.stylize(invalid_style if invalid else label_style).truncate(
                    LABEL_WIDTH, pad=True
                )
                for line in row.label
            ]
            here = index == self._current
            value = self._shown(spec, here)
            if not value.plain and spec.kind == "text":
                value = plain(spec.hint).stylize(hint_style)
            chosen = here and spec.kind == "choice" and self.has_focus
            box = current_style if chosen else value_style
            lines.append(
                labels[0] + value.truncate(room, ellipsis=True, pad=True).stylize_before(box)
            )
            lines.extend(labels[1:])
            lines.extend(
                Content(" " * LABEL_WIDTH) + line.stylize(error_style) for line in row.error
            )
        return lines

    def _shown(self, spec: SheetField, here: bool) -> Content:
        value = self._values.get(spec.name)
        if spec.kind == "text":
            if here and self.editor.display:
                return plain(self.editor.value)  # drawn over by the editor anyway
            return plain(visible_text(value))
        shown = next((text for text, option in spec.options if option == value), "")
        return plain(f"‹ {shown} ›" if here and self.has_focus else f"  {shown}")

    def render(self) -> Content:
        if not self.fields:
            return Content()
        if self._laid_for != self._width():
            self._lay_out()
        return Content("\n").join(self._lines(self._width()))

    def on_blur(self) -> None:
        self.refresh()  # the choice in hand is drawn as such only while focused


def _accepted(spec: SheetField, value: object) -> object:
    """``value`` as the field holds it: a text as a string, a choice one of its own."""
    if spec.kind == "text":
        return "" if value is None else str(value)
    options = [option for _shown, option in spec.options]
    if options and all(isinstance(option, bool) for option in options):
        return bool(value)  # yes/no: nothing stored is "no"
    for candidate in (value, _as_int(value)):
        if candidate is not None and candidate in options:
            return candidate
    return None if spec.prompt else options[0] if options else None


def _as_int(value: object) -> object:
    """A prefill's ``"3"`` also finds option ``3``."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
