"""A framed widget whose frame is sent to the terminal only when it looks different.

Textual repaints a widget whole, border included, for any change of its content: a
key in a bordered ``Input`` redraws its three rows, two of them the unchanged border
(about 330 B each over SSH, 60 % of what a key in the scan field costs, twice a scan).
The border only looks different when its style does (focus, theme) or the widget is
resized, so a whole-widget repaint is narrowed to the content rows while none of these
changed since the frame was last drawn.
"""

from __future__ import annotations

from typing import Self

from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input


class SteadyFrame(Widget):
    """Mixed in after a bordered widget (its CSS comes from the first base): content
    changes repaint the content rows."""

    #: what the frame looked like when last repainted whole (None: never)
    _frame_look: tuple[object, ...] | None = None

    def _look(self) -> tuple[object, ...]:
        styles = self.styles
        return (
            self.outer_size,
            styles.border,
            styles.outline,
            styles.background,
            styles.background_tint,
            styles.tint,
            styles.opacity,
            styles.padding,
            styles.border_title_color,
            styles.border_title_background,
            styles.border_title_style,
            self.border_title,
            self.border_subtitle,
            self.app.theme,
        )

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if regions or not repaint or recompose or not self.is_mounted:
            return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        look = self._look()
        offset = self.content_offset
        if look != self._frame_look or offset.y <= 0:
            self._frame_look = look
            return super().refresh(repaint=repaint, layout=layout)
        # the rows between the top and bottom borders, side borders and padding included
        rows = Region(-offset.x, 0, self.outer_size.width, self.content_size.height)
        return super().refresh(rows, repaint=repaint, layout=layout)

    def notify_style_update(self) -> None:
        """A restyle (focus, theme): the next repaint draws the frame too."""
        self._frame_look = None
        super().notify_style_update()


class SteadyInput(Input, SteadyFrame):
    """A text field whose keys send its text row, not its border (the register's
    customer field: each key of a search cost 330 B more for an unchanged frame)."""
