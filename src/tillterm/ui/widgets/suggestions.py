"""A pick list under the register's fields: matching products or customers."""

from __future__ import annotations

from dataclasses import dataclass

from textual.geometry import Region
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
        #: the ``(id, label)`` pairs shown: the next ones are compared with them
        self._pairs: list[tuple[str, str]] = []

    def show(self, kind: str, options: list[tuple[str, str]]) -> None:
        """Replace the options (``(id, label)`` pairs) and show the list.

        As many options as shown (nine matches and "Add … as a new customer", key after
        key) are replaced in place and only the lines that differ are repainted: a key
        that leaves the matches as they were ("chevall" then "chevalli") repaints the
        last line alone. Replacing the options repainted the whole list and its
        scrollbar, 2.8 KB a key over SSH.
        """
        if self.shown and kind == self.kind and len(options) == len(self._pairs):
            self._replace_in_place(options)
            self.highlighted = 0 if options else None
            return
        self.kind = kind
        self._pairs = list(options)
        self.clear_options()
        self.add_options([Option(plain(label), id=option_id) for option_id, label in options])
        self.highlighted = 0 if options else None
        self.set_class(bool(options), "-shown")

    def _replace_in_place(self, options: list[tuple[str, str]]) -> None:
        """Give the options these ids and labels (as many as now), repainting only the
        lines of the options that changed."""
        changed = [
            index
            for index, (new, old) in enumerate(zip(options, self._pairs, strict=True))
            if new != old
        ]
        self._pairs = list(options)
        if not changed:
            return
        lines = len(self._lines)
        for index in changed:
            option_id, label = options[index]
            option = self.get_option_at_index(index)
            option._id = option_id
            option._set_prompt(plain(label))
        self._id_to_option = {option.id: option for option in self.options if option.id}
        # OptionList's caches of rendered options and of their lines (a label may wrap)
        self._option_render_cache.clear()
        self._line_cache.clear()
        if not self.scrollable_content_region or len(self._lines) != lines:
            # not laid out yet (shown a moment ago), or a label wraps otherwise: the
            # list is drawn whole
            self.refresh(layout=True)
            return
        width = self.scrollable_content_region.width
        for index in changed:
            top = self._index_to_line[index] - self.scroll_offset.y
            self.refresh(Region(0, top, width, self._heights[index]))

    def hide(self) -> None:
        self.kind = ""
        self._pairs = []
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
