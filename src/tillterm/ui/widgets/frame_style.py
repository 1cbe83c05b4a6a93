"""One base style per drawing, for widgets that draw their own rows."""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class FrameStyle(Widget):
    """Put after the widget class it draws for (``class T(ScrollView, FrameStyle)``):
    Textual reads a widget's CSS types and component classes along its first bases.

    A widget drawn row by row (``render_line``) styles each row with its base style,
    and ``Widget.rich_style`` walks the widget's ancestors (their backgrounds) every
    time it is asked: most of what a plain row cost (the results tables, the report and
    receipt view; issue 17). While a drawing is under way, :attr:`frame_style` holds it,
    worked out once; outside one it is ``None``.
    """

    frame_style: Style | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        self.frame_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self.frame_style = None
