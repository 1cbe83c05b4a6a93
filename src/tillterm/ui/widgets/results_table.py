"""A row-cursor table that hands the focus back when the cursor goes up past the top.

Lists under a search box (customers, groups) are reached with Down and left with Up:
at the first row, Up posts :class:`ExitedTop` so the screen can focus its search box,
instead of the key being swallowed by a cursor that cannot move.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import DataTable


class ResultsTable(DataTable[str]):
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
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.ExitedTop(self))
            return
        super().action_cursor_up()
