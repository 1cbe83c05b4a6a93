"""The sale's lines on the register: a header and one row per line, the selected one lit.

Not a ``DataTable``: that widget drops every rendered row from its caches on any change
and re-renders them through Rich, ~1 ms a row, and adding a row re-lays the whole
screen. At the register a scan changes one row, so this widget keeps one rendered strip
per row, keyed by what the row shows, and a change repaints only the rows on screen
whose text or highlight differ (its size is fixed by the layout): a scan sends the
terminal the new row and the old highlighted one, not the whole panel. A 20-line sale
redraws as fast as a 1-line one.

There is no scrollbar: the view follows the selected line (the last one added, or the
one moved to with the arrows), which is what a cashier looks at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget, _BorderTitle

from tillterm.core.typed_text import visible_text
from tillterm.i18n import _

#: (heading, width, right-aligned) of each column; the item's width is its least: it
#: takes whatever the panel has beyond the other columns
COLUMNS: tuple[tuple[str, int, bool], ...] = (
    (_("Item"), 16, False),
    (_("Qty"), 4, True),
    (_("Price"), 7, True),
    (_("Disc"), 5, True),
    (_("Total"), 8, True),
)
#: every column's cells but the item's, padding included
_FIXED = sum(width + 2 for _h, width, _r in COLUMNS[1:])


def item_width(panel_width: int) -> int:
    """The item column's width in a panel ``panel_width`` cells wide."""
    return max(COLUMNS[0][1], panel_width - _FIXED - 2)


def shorten_name(name: str, width: int) -> str:
    """``name`` in at most ``width`` cells, cut in the middle so that its end shows.

    Products that differ are named alike up to their end ("Croissant aux amandes 250 g"
    and "… 500 g", "Croissant #1" and "#2"): cut at the end, two lines looked the same.
    The last words are kept (up to half the width), the start is cut before them.
    """
    if cell_len(name) <= width:
        return name
    words = name.split(" ")
    tail = ""
    while len(words) > 1 and cell_len(" ".join([words[-1], tail]).strip()) <= (width - 1) // 2:
        tail = " ".join([words.pop(), tail]).strip()
    if not tail:  # one long word: its last third
        keep = max(1, (width - 1) // 3)
        tail = name[-keep:]
        while cell_len(tail) > keep:
            tail = tail[1:]
    else:
        tail = " " + tail
    head = set_cell_size(name, width - 1 - cell_len(tail)).rstrip()
    return set_cell_size(f"{head}…{tail}", width)


def _fit(value: str, width: int, right: bool) -> str:
    """The cell in exactly ``width + 2`` terminal cells (wide characters counted as two).

    Item names are data: control characters are drawn as their pictures.
    """
    value = visible_text(value)
    if value.isascii() and len(value) <= width:
        return f" {value:>{width}} " if right else f" {value:<{width}} "
    value = set_cell_size(value, width) if cell_len(value) > width else value
    pad = " " * (width - cell_len(value))
    return f" {pad}{value} " if right else f" {value}{pad} "


def _row_text(cells: Sequence[str], panel_width: int) -> str:
    name_width = item_width(panel_width)
    name, *rest = cells
    others = zip(rest, COLUMNS[1:], strict=True)
    return _fit(shorten_name(visible_text(name), name_width), name_width, False) + "".join(
        _fit(value, width, right) for value, (_h, width, right) in others
    )


class _TitleRow(_BorderTitle):
    """A border title whose change repaints the top border alone.

    Textual repaints the whole widget for a new title; the register's title changes
    from "New sale" to "Sale 12" at the first scan of every sale, and the whole panel
    (18 rows) went over the wire for that word.
    """

    def __set__(self, obj: Widget, title: object) -> None:
        if isinstance(obj, SaleLines):
            obj._title_row_only = True
        try:
            super().__set__(obj, title)  # type: ignore[arg-type]
        finally:
            if isinstance(obj, SaleLines):
                obj._title_row_only = False


class SaleLines(Widget):
    """Rows of cells (plain strings, one per :data:`COLUMNS`), each with a key."""

    border_title = _TitleRow()

    can_focus = False
    COMPONENT_CLASSES = {"sale-lines--header", "sale-lines--cursor", "sale-lines--even"}
    DEFAULT_CSS = """
    SaleLines {
        background: $surface;
        color: $foreground;
        & > .sale-lines--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .sale-lines--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .sale-lines--even {
            background: $surface-darken-1 40%;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[str] = []
        self._cells: list[tuple[str, ...]] = []
        self.cursor_row: int | None = None
        self._top = 0
        #: (text, kind, width) → strip; rows that did not change are never rebuilt
        self._strips: dict[tuple[str, str, int], Strip] = {}
        #: the title is being set: a refresh of the whole widget is one of its top row
        self._title_row_only = False

    # ------------------------------------------------------------------ content

    @property
    def row_count(self) -> int:
        return len(self._keys)

    def get_row_at(self, index: int) -> list[str]:
        return list(self._cells[index])

    def set_rows(self, rows: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        """Show these ``(key, cells)`` rows; repaints only if something differs."""
        keys = [key for key, _ in rows]
        cells = [tuple(c) for _, c in rows]
        if keys == self._keys and cells == self._cells:
            return
        before = self._on_screen()
        self._keys, self._cells = keys, cells
        if self.cursor_row is not None and self.cursor_row >= len(keys):
            self.cursor_row = len(keys) - 1 if keys else None
        self._follow_cursor()
        if len(self._strips) > 512:  # old rows of old sales
            self._strips.clear()
        self._refresh_changed(before)

    def move_cursor(self, row: int | None) -> None:
        if row is not None and not 0 <= row < len(self._keys):
            row = None
        if row == self.cursor_row:
            return
        before = self._on_screen()
        self.cursor_row = row
        self._follow_cursor()
        self._refresh_changed(before)

    def _follow_cursor(self) -> None:
        visible = max(self.size.height - 1, 1)
        if self.cursor_row is None:
            self._top = max(0, min(self._top, len(self._keys) - visible))
            return
        if self.cursor_row < self._top:
            self._top = self.cursor_row
        elif self.cursor_row >= self._top + visible:
            self._top = self.cursor_row - visible + 1

    def _on_screen(self) -> list[tuple[tuple[str, ...] | None, str]]:
        """What each row below the header shows: its cells and how it is lit."""
        return [self._line(y) for y in range(1, self.size.height)]

    def _line(self, y: int) -> tuple[tuple[str, ...] | None, str]:
        index = self._top + y - 1
        if index >= len(self._cells):
            return None, "blank"
        if index == self.cursor_row:
            return self._cells[index], "cursor"
        return self._cells[index], "even" if index % 2 == 0 else "odd"

    def _refresh_changed(self, before: list[tuple[tuple[str, ...] | None, str]]) -> None:
        """Repaint only the rows whose text or highlight changed.

        Every repainted cell is sent to the terminal; over SSH or a serial line the
        whole panel (18 rows of 80 cells with their colours) costs kilobytes a scan.
        """
        width = self.size.width
        for y, (was, now) in enumerate(zip(before, self._on_screen(), strict=True), start=1):
            if was != now:
                self.refresh(Region(0, y, width, 1))

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        top = self.content_offset
        if self._title_row_only and not regions and top.y > 0 and self.is_mounted:
            regions = (Region(-top.x, -top.y, self.outer_size.width, top.y),)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def on_resize(self) -> None:
        self._follow_cursor()

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._strip(_row_text([h for h, _w, _r in COLUMNS], width), "header", width)
        cells, kind = self._line(y)
        if cells is None:
            return self._strip("", kind, width)
        return self._strip(_row_text(cells, width), kind, width)

    def _strip(self, text: str, kind: str, width: int) -> Strip:
        key = (text, kind, width)
        strip = self._strips.get(key)
        if strip is None:
            style = self._style(kind)
            strip = Strip([Segment(set_cell_size(text, width), style)], width)
            self._strips[key] = strip
        return strip

    def _style(self, kind: str) -> Style:
        base = self.rich_style
        if kind in ("header", "cursor", "even"):
            return base + self.get_component_rich_style(f"sale-lines--{kind}")
        return base

    def notify_style_update(self) -> None:
        """A theme change: styles differ, so every cached strip is stale."""
        super().notify_style_update()
        self._strips.clear()
