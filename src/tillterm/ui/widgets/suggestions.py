"""A pick list under the register's fields: matching products or customers."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets.option_list import Option

from tillterm.ui.plain import plain
from tillterm.ui.widgets.pick_list import PickList


class Suggestions(PickList):
    """Matches shown while typing; the input keeps the focus, arrows move the highlight.

    ``kind`` says what the options are ("products" or "customers"); each option's id is
    ``"<kind>:<id>"`` or ``"new"`` for the "Add … as a new customer" choice. Labels are
    plain text (names, typed text): drawn as given, never read as markup.
    """

    DEFAULT_CSS = """
    Suggestions {
        display: none;
        height: auto;
        max-height: 9;
        border: tall $accent;
        padding: 0;
    }
    Suggestions.-shown {
        display: block;
    }
    """

    can_focus = False

    @dataclass
    class Picked(Message):
        kind: str
        option_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.kind = ""

    def show(self, kind: str, options: list[tuple[str, str]]) -> None:
        """Replace the options (``(id, label)`` pairs) and show the list."""
        self.kind = kind
        self.clear_options()
        self.add_options([Option(plain(label), id=option_id) for option_id, label in options])
        self.highlighted = 0 if options else None
        self.set_class(bool(options), "-shown")

    def hide(self) -> None:
        self.kind = ""
        self.clear_options()
        self.remove_class("-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def move(self, delta: int) -> None:
        if self.option_count:
            current = self.highlighted if self.highlighted is not None else -delta
            self.highlighted = max(0, min(self.option_count - 1, current + delta))

    def pick(self) -> bool:
        """Post :class:`Picked` for the highlighted option; False when there is none."""
        if not self.shown or self.highlighted is None:
            return False
        option = self.get_option_at_index(self.highlighted)
        self.post_message(self.Picked(self.kind, option.id or ""))
        return True
