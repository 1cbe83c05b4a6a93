"""An option list whose selected row shows on a terminal without colour.

Textual builds an option's look from its CSS through a "visual style" that keeps bold,
italic and underline but drops ``reverse``: with the till theme for 16-colour and
``NO_COLOR`` terminals (ui/terminal_colours.py), whose selected row is reverse video on
the terminal's own colours, every row of a list was drawn alike and Enter took a row the
cashier never saw selected. This list keeps the reverse of its component styles.
"""

from __future__ import annotations

from textual.style import Style as VisualStyle
from textual.widgets import OptionList


class PickList(OptionList):
    """An :class:`OptionList` whose highlighted row may be drawn in reverse video."""

    def get_visual_style(self, *component_classes: str, partial: bool = False) -> VisualStyle:
        style = super().get_visual_style(*component_classes, partial=partial)
        if any(self.get_component_styles(name).text_style.reverse for name in component_classes):
            return style + VisualStyle(reverse=True)
        return style
