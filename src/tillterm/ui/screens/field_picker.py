"""The field a column of an imported file goes to, picked from a list (Import screen).

Opened by Enter on a row of the Import screen's mapping: Up/Down (or typing the first
letters) move, Enter picks, Esc leaves the column as it was. The first choice, ``-``,
leaves the column out. Headers and field names come from the file and the store: drawn
as plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tillterm.i18n import _
from tillterm.spreadsheet.mapping import IGNORE
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css
from tillterm.ui.widgets.pick_list import PickList


class FieldPicker(TillModal[str | None]):
    """Pick the field for one column; dismisses with its name, ``-``, or ``None`` (Esc)."""

    CSS_PATH = css("field_picker.tcss")
    BINDINGS = [Binding("escape", "cancel", _("Back"))]

    def __init__(
        self, header: str, choices: Sequence[tuple[str, str]], current: str | None
    ) -> None:
        """``choices`` are (field name, label) in the order shown, after ``-``."""
        super().__init__()
        self.header = header
        self.choices = tuple(choices)
        self.current = current or IGNORE

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(
                plain(_("Column “{header}” goes to:").format(header=self.header)), id="picker-title"
            )
            options = [Option(plain("-  " + _("not imported")), id=IGNORE)]
            options.extend(
                Option(plain(f"{name}  {label}" if label != name else name), id=name)
                for name, label in self.choices
            )
            yield PickList(*options, id="picker-list")
            yield Static(plain(_("Enter picks · Esc leaves it as it was")), id="picker-keys")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        names = [IGNORE, *(name for name, _label in self.choices)]
        if self.current in names:
            options.highlighted = names.index(self.current)
        options.focus()

    @on(OptionList.OptionSelected, "#picker-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
