"""A row-cursor table that hands the focus back when the cursor goes up past the top.

Lists under a search box (customers, groups) are reached with Down and left with Up:
at the first row, Up posts :class:`ExitedTop` so the screen can focus its search box,
instead of the key being swallowed by a cursor that cannot move.

Cells given as :class:`PlainCell` are drawn on a fast path. A list that is refilled on
every keystroke is redrawn whole each time, and ``DataTable`` draws each cell through
Rich (markup parsing, padding, wrapping): about 30 ms for a screenful of seven columns
on a slow till, most of a keystroke's budget. A plain cell is one line of text fitted
to its column, so it becomes a single styled segment, with the same styles the table
would give it (cursor, zebra stripes, hover). It is also never read as markup: a
customer called "[b]Bob" is shown as typed, and "[/x]" cannot break the list; and a
control character stored by an older version is drawn as its picture ("␛"), never sent
to the terminal. Any ``DataTable`` showing data takes :class:`PlainCell` cells.

A list refilled as the cashier types is given its rows with :meth:`ResultsTable.show_rows`,
which redraws only the lines that differ. ``clear`` and ``add_row`` repaint the whole
widget, scrollbars included (2 KB of the 12 KB a keystroke cost over SSH, with nothing
visible changed), and ``update_cell`` does too; a line that is unchanged costs nothing,
and the same results again cost no byte at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from tillterm.core.typed_text import visible_text
from tillterm.ui.widgets.frame_style import FrameStyle


class PlainCell:
    """One line of text shown as given (no markup, controls visible), fitted to its column."""

    __slots__ = ("cells", "text")

    def __init__(self, text: str) -> None:
        self.text = visible_text(text)
        text = self.text
        self.cells = cell_len(text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"PlainCell({self.text!r})"

    def __eq__(self, other: object) -> bool:
        """Equal to a cell or a string with the same text (as the plain string it replaces)."""
        if isinstance(other, PlainCell):
            return other.text == self.text
        return isinstance(other, str) and other == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.cells, self.cells)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Segment(self.text)


def fit(value: str, width: int) -> str:
    """``value`` in at most ``width`` terminal cells, ending in "…" when cut."""
    value = visible_text(value)
    if cell_len(value) <= width:
        return value
    return set_cell_size(value, max(0, width - 1)).rstrip() + "…"


class ResultsTable(DataTable[str | PlainCell], FrameStyle):
    DEFAULT_CSS = """
    ResultsTable {
        height: 1fr;
    }
    """

    @dataclass
    class ExitedTop(Message):
        """Up was pressed on the first row."""

        table: ResultsTable

    def __init__(self, *, id: str | None = None) -> None:
        #: (row state) → (cell style, style of the space right of the last column)
        self._plain_styles: dict[tuple[object, ...], tuple[Style, Style]] = {}
        #: the header line, kept across updates of the rows (it does not change with them)
        self._header_lines: dict[tuple[object, ...], tuple[Any, Any]] = {}
        #: the sizes of the last layout: (size, virtual size, container size, own virtual)
        self._laid_out: tuple[Size, Size, Size, Size] | None = None
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._plain_styles.clear()
        self._header_lines.clear()

    def render_line(self, y: int) -> Strip:
        """``DataTable.render_line`` with the base style computed once per frame."""
        base_style = self.frame_style
        if base_style is None:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        fixed_height = 0
        for index in range(self.fixed_rows):
            row_key = self._row_locations.get_key(index)
            if row_key is not None:
                fixed_height += self.get_row_height(row_key)
        if self.show_header:
            fixed_height += self.get_row_height(self._header_row_key)
        if y >= fixed_height:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, base_style)

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._plain_styles.clear()

    def show_rows(self, rows: Sequence[Sequence[PlainCell]], *, cursor: int = 0) -> None:
        """Show ``rows`` instead of the table's, the cursor on row ``cursor``; only lines
        that differ are redrawn (none when the rows and the cursor are the same).

        With as many rows as now, the cells are replaced in place and only the changed
        lines are refreshed; with another number of rows the table is rebuilt (its
        scrollbar changes anyway). Rows get the table's own keys: an index is what
        says which row is which.
        """
        if len(rows) != self.row_count or not self._plain_in_place():
            self.clear()
            self.append_rows(rows)
            if cursor:
                self.move_cursor(row=cursor, animate=False)
            return
        keys = [column.key for column in self.ordered_columns]
        changed = []
        for index, cells in enumerate(rows):
            row_key = self._row_locations.get_key(index)
            if row_key is None:  # pragma: no cover - every index has a key
                raise LookupError(index)
            data = dict(zip(keys, cells, strict=True))
            if data != self._data[row_key]:
                self._data[row_key] = dict(data)
                changed.append(index)
        if changed:
            self._update_count += 1  # part of every render cache's key
            for index in changed:
                self.refresh_row(index)
        if self.cursor_row != cursor:
            self.move_cursor(row=cursor, animate=False)
        if not cursor and self.scroll_y:
            self.scroll_to(y=0, animate=False)

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Nothing to do when the screen is laid out again and the sizes did not change.

        A search box re-lays out the screen on each key (its text's width changes), and
        ``ScrollView`` then redraws both scrollbars even when no size changed (it
        compares the container size given with one it computes differently): 2.5 KB a
        key over SSH for no visible change.
        """
        sizes = (size, virtual_size, container_size, self.virtual_size)
        if sizes == self._laid_out:
            return False
        self._laid_out = sizes
        return super()._size_updated(size, virtual_size, container_size, layout)

    def _refresh_region(self, region: Region) -> Self:
        """Refresh ``region`` (table coordinates) as far as it is inside the content.

        ``DataTable`` refreshes a line as wide as all its columns; clipped only to the
        widget, that covers the scrollbar beside it, and a line below the window covers
        the horizontal one: each scrollbar is then redrawn, unchanged, on every key.
        """
        window = self.scrollable_content_region.size.region  # inside the scrollbars
        visible = region.translate(-self.scroll_offset).intersection(window)
        if visible:
            self.refresh(visible)
        return self

    def append_rows(self, rows: Sequence[Sequence[PlainCell]]) -> None:
        """Add ``rows`` after the last (the next page of a list)."""
        for cells in rows:
            self.add_row(*cells)  # drawn: PlainCells (typed so)

    def _plain_in_place(self) -> bool:
        """Rows can be replaced in place: one line each, no labels, no fixed rows."""
        return not self.fixed_rows and all(row.height == 1 for row in self.rows.values())

    #: no links in a list: with them on, every mouse move over a cell (each has its own
    #: style, for its row and column) redrew the whole list, 6 KB a move over SSH
    auto_links = False

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        """No hover highlight: a till is worked with keys, and a highlight following the
        mouse redraws two lines a move. A click still selects the row under it."""
        event.prevent_default()  # DataTable's own handler would draw the highlight

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.ExitedTop(self))
            return
        super().action_cursor_up()

    def _plain_row(self, row_key: RowKey) -> list[PlainCell] | None:
        """The row's cells if it can take the fast path (plain cells, one line, no extras)."""
        if self.fixed_columns or (self._labelled_row_exists and self.show_row_labels):
            return None
        row = self.rows.get(row_key)
        data = self._data.get(row_key)
        if row is None or data is None or row.height != 1:
            return None
        cells: list[PlainCell] = []
        for column in self.ordered_columns:
            cell = data.get(column.key)
            if not isinstance(cell, PlainCell):
                return None
            cells.append(cell)
        return cells

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """A row of plain cells as one segment per cell, styled as ``DataTable`` would."""
        if row_key == self._header_row_key:
            header_key = (
                line_no,
                base_style,
                cursor_location.row == -1,
                hover_location.row == -1,
                self.cursor_type,
                self.show_cursor,
                self._show_hover_cursor,
                self._pseudo_class_state,
                self.size.width,
                tuple(
                    (column.key, id(column.label), column.get_render_width(self))
                    for column in self.ordered_columns
                ),
            )
            header = self._header_lines.get(header_key)
            if header is None:
                header = super()._render_line_in_row(
                    row_key, line_no, base_style, cursor_location, hover_location
                )
                self._header_lines[header_key] = header
            return header
        row_index = self._row_locations.get(row_key)
        cells = None
        if (
            row_index is not None
            and row_index >= self.fixed_rows
            and line_no == 0
            and self.cursor_type == "row"
        ):
            cells = self._plain_row(row_key)
        if cells is None or row_index is None:
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cursor = cursor_location.row == row_index
        hover = hover_location.row == row_index
        state = (
            row_index % 2,
            cursor,
            hover,
            self.show_cursor,
            self._show_hover_cursor,
            self._pseudo_class_state,
            base_style,
        )
        styles = self._plain_styles.get(state)
        if styles is None:
            row_style = self._get_row_style(row_index, base_style)

            def cell_styles(css_foreground: bool, css_background: bool) -> tuple[Style, Style]:
                return self._get_styles_to_render_cell(
                    False,  # not a header cell
                    False,  # not a row label
                    False,  # not a fixed-style cell
                    hover,
                    cursor,
                    self.show_cursor,
                    self._show_hover_cursor,
                    css_foreground,
                    css_background,
                )

            component_style, post_style = cell_styles(
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            )
            extend_style, _ = cell_styles(False, False)
            styles = (row_style + component_style + post_style, row_style + extend_style)
            self._plain_styles[state] = styles
        cell_style, extend_style = styles
        padding = self.cell_padding
        pad = " " * padding
        # One style for the whole row (its cells differ only by their column in the
        # meta, which a row cursor does not use): the row becomes a single segment,
        # drawn with one colour sequence instead of one per cell (half a line's bytes).
        style = cell_style + Style.from_meta({"row": row_index, "column": 0})
        scrollable: list[list[Segment]] = []
        table_width = 0
        for column, cell in zip(self.ordered_columns, cells, strict=True):
            width = column.get_render_width(self)
            table_width += width
            text = set_cell_size(
                pad + set_cell_size(cell.text, max(0, width - 2 * padding)) + pad, width
            )
            scrollable.append([Segment(text, style)])
        remaining = max(0, self.size.width - table_width)
        if remaining and extend_style == cell_style:
            # drawn the same: part of the row's one segment (a click there picks the row)
            scrollable.append([Segment(" " * remaining, style)])
        else:
            outside = Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
            scrollable.append([Segment(" " * remaining, extend_style + outside)])
        return [], scrollable

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A :class:`PlainCell` as one segment; anything else as ``DataTable`` draws it."""
        cell = None
        if row_index >= 0 and column_index >= 0:
            row_key = self._row_locations.get_key(row_index)
            column_key = self._column_locations.get_key(column_index)
            if row_key is not None and column_key is not None:
                row = self.rows.get(row_key)
                if row is not None and row.height == 1:
                    cell = self._data.get(row_key, {}).get(column_key)
        if not isinstance(cell, PlainCell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            row_index < self.fixed_rows or column_index < self.fixed_columns,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        style = (
            base_style
            + Style.from_meta({"row": row_index, "column": column_index})
            + component_style
            + post_style
        )
        pad = " " * self.cell_padding
        inner = max(0, width - 2 * self.cell_padding)
        text = set_cell_size(pad + set_cell_size(cell.text, inner) + pad, width)
        return [[Segment(text, style)]]
