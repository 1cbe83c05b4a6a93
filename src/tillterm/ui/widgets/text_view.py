"""A report or a receipt on screen: its lines as they are, drawn a row at a time.

The drawer's X and Z reports, a past sale's receipt and the receipt just printed are
text laid out for a till roll (40 columns, lines already broken where they should be).
They used to be a ``Static`` in a ``VerticalScroll``: three widgets (with the scroll
bar), and the whole text turned into wrapped ``Content`` at each update and drawn whole
at the first frame, the dearest part of the drawer's opening (issue 17). Here one
widget holds the lines and draws only the rows on screen, each one ``Segment``, never
wrapped; it scrolls like any scroll view.

Text from the database is drawn with its control characters made visible
(:func:`~tillterm.core.typed_text.visible_text`), as :func:`~tillterm.ui.plain.plain`
does for a ``Static``.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tillterm.core.typed_text import visible_text
from tillterm.ui.widgets.frame_style import FrameStyle


class TextView(ScrollView, FrameStyle, can_focus=False):
    """Read-only lines of text: scrolled by the screen's keys, never focused (the
    screen's fields keep the focus, and its keys scroll this).

    ``text-align: center`` centres the text as a block in a wider view (a receipt in a
    window wider than the roll), so its columns stay aligned.
    """

    DEFAULT_CSS = """
    TextView {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(
        self, text: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._text = ""
        self._lines: list[str] = []
        self.set_text(text)

    @property
    def text(self) -> str:
        """The text shown, control characters as their pictures."""
        return self._text

    def set_text(self, text: str) -> None:
        """Show ``text`` from its first line."""
        self._text = visible_text(text, multiline=True)
        self._lines = self._text.splitlines()
        width = max((cell_len(line) for line in self._lines), default=0)
        self.virtual_size = Size(width, len(self._lines))
        if self.is_attached:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        style = self.frame_style or self.rich_style
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, style)
        line = self._lines[index]
        margin = 0
        if self.styles.text_align == "center":
            margin = max(0, (width - self.virtual_size.width) // 2)
        strip = Strip([Segment(" " * margin + line, style)], margin + cell_len(line))
        return strip.crop_extend(scroll_x, scroll_x + width, style)
