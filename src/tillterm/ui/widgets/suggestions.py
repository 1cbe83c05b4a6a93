"""A pick list under the register's fields: matching products or customers."""

from __future__ import annotations

from dataclasses import dataclass

from textual.geometry import Region, Size
from textual.message import Message
from textual.widgets.option_list import Option

from tillterm.ui.plain import plain
from tillterm.ui.widgets.pick_list import PickList
from tillterm.ui.widgets.steady_frame import SteadyFrame


class Suggestions(PickList, SteadyFrame):
    """Matches shown while typing; the input keeps the focus, arrows move the highlight.

    ``kind`` says what the options are ("products" or "customers"); each option's id is
    ``"<kind>:<id>"`` or ``"new"`` for the "Add … as a new customer" choice. Labels are
    plain text (names, typed text): drawn as given, never read as markup. Its border
    is redrawn only when it looks different (:class:`SteadyFrame`).
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
        #: the sizes of the last layout: the same again redraws nothing
        self._laid_out: tuple[Size, Size, Size, Size] | None = None

    def show(self, kind: str, options: list[tuple[str, str]]) -> None:
        """Replace the options (``(id, label)`` pairs) and show the list.

        While the list keeps its height (as many options as shown, or more than it
        holds before and after), the options are replaced in place and only the lines
        that differ are repainted: a key that leaves the matches as they were
        ("chevall" then "chevalli") repaints the last line alone. Replacing the options
        repainted the whole list and its scrollbar, 2.8 KB a key over SSH.
        """
        if self.shown and kind == self.kind and self._same_height(len(options)):
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
        """Give the options these ids and labels, repainting only the lines of the
        options that changed (the list keeps its height: :meth:`_same_height`)."""
        kept = min(len(options), len(self._pairs))
        changed = [
            index
            for index, (new, old) in enumerate(zip(options, self._pairs, strict=False))
            if new != old
        ]
        changed += range(kept, max(len(options), len(self._pairs)))  # added or gone
        self._pairs = list(options)
        if not changed:
            return
        heights = [self._heights.get(index, 1) for index in range(len(self._options))]
        for index in changed:
            if index < kept:
                option_id, label = options[index]
                option = self.get_option_at_index(index)
                option._id = option_id
                option._set_prompt(plain(label))
        # OptionList's own lists, as its add and remove keep them
        for option in self._options[len(options) :]:
            del self._option_to_index[option]
        del self._options[len(options) :]
        for option_id, label in options[kept:]:
            option = Option(plain(label), id=option_id)
            self._option_to_index[option] = len(self._options)
            self._options.append(option)
        self._id_to_option = {option.id: option for option in self.options if option.id}
        # OptionList's caches of rendered options and of their lines (a label may wrap)
        self._option_render_cache.clear()
        self._line_cache.clear()
        window = self.scrollable_content_region
        before, after = sum(heights), len(self._lines)
        if not window or (after != before and min(after, before) < window.height):
            # not laid out yet (shown a moment ago), or the list changes height (it is
            # as tall as its lines, up to its max-height): laid out and drawn whole
            self.refresh(layout=True)
            return
        scrolled = self.scroll_offset.y
        if [self._heights[index] for index in range(len(options))] == heights:
            for index in changed:  # each line where it was: those that changed
                top = self._index_to_line[index] - scrolled
                if 0 <= top < window.height:
                    self.refresh(Region(0, top, window.width, self._heights[index]))
            return
        # a label wraps otherwise, or options came or went: the lines after the first
        # change moved, and are repainted to the bottom of the list
        top = max(0, sum(heights[: changed[0]]) - scrolled)
        if top < window.height:
            self.refresh(Region(0, top, window.width, window.height - top))

    def _same_height(self, count: int) -> bool:
        """Whether ``count`` options leave the list as tall as now (its height is its
        options' up to its ``max-height``): then they can replace the shown ones in
        place, the screen is not laid out again."""
        if count == len(self._pairs):
            return True
        window = self.scrollable_content_region.height
        return bool(window) and min(count, len(self._pairs)) > window

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Nothing to do when the screen is laid out again and no size changed.

        The customer field re-lays the screen on each key (its text's width changes),
        and ``ScrollView`` then redrew the list's scrollbar, unchanged, every key.
        """
        sizes = (size, virtual_size, container_size, self.virtual_size)
        if sizes == self._laid_out:
            return False
        self._laid_out = sizes
        return super()._size_updated(size, virtual_size, container_size, layout)

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
