"""How the app looks on terminals with 16 colours, or none at all.

Textual's own ANSI theme shows the selected row of a list that does not have the focus
(the register's match lists: the scan field keeps the focus), the text cursor and the
focused field by colour alone, and on a 16-colour palette some of those colours are the
terminal's background: "Croissant #2" was added by an Enter on a row that was drawn like
every other. The till theme below marks every state with reverse video or bold on the
terminal's *own* colours (``ansi_default``), so it reads the same on a monochrome screen,
under ``NO_COLOR``, and in any palette a store has set on its terminal.

``NO_COLOR`` on its own made things worse: Textual greys every colour of its truecolor
theme (its ``Monochrome`` filter) and a 16-colour terminal rounds most greys to black,
so the whole app was black on black. With ``NO_COLOR`` the app drops every colour
instead (``NoColor``: the terminal's defaults) and relies on the same reverse and bold.
"""

from __future__ import annotations

from textual.filter import LineFilter, Monochrome, NoColor
from textual.theme import BUILTIN_THEMES, Theme

#: the theme for 16-colour, colourless and ``NO_COLOR`` terminals
TILL_ANSI = "tillterm-ansi"

#: colour systems (Rich's names) on which the truecolor theme cannot be drawn faithfully
PLAIN_COLOUR_SYSTEMS = frozenset({"standard", "windows", None})

_REVERSED = "ansi_default"


def till_ansi_theme() -> Theme:
    """Textual's ``ansi-dark``, with every state drawn in reverse video or bold."""
    base = BUILTIN_THEMES["ansi-dark"]
    variables = dict(base.variables)
    variables.update(
        {
            # the selected row: reverse video of the terminal's own colours, focused or not
            "block-cursor-foreground": _REVERSED,
            "block-cursor-background": _REVERSED,
            "block-cursor-text-style": "reverse bold",
            "block-cursor-blurred-foreground": _REVERSED,
            "block-cursor-blurred-background": _REVERSED,
            "block-cursor-blurred-text-style": "reverse",
            # the text cursor: a reversed cell, never a colour
            "input-cursor-foreground": _REVERSED,
            "input-cursor-background": _REVERSED,
            "input-cursor-text-style": "reverse",
            "input-selection-background": _REVERSED,
            "input-selection-foreground": _REVERSED,
            "button-focus-text-style": "bold reverse",
            "footer-key-foreground": _REVERSED,
            "border-blurred": _REVERSED,
        }
    )
    return Theme(
        name=TILL_ANSI,
        primary=base.primary,
        secondary=base.secondary,
        warning=base.warning,
        error=base.error,
        success=base.success,
        accent=base.accent,
        foreground=base.foreground,
        background=base.background,
        surface=base.surface,
        panel=base.panel,
        boost=base.boost,
        dark=True,
        ansi=True,
        variables=variables,
    )


def wants_plain_colours(color_system: str | None, no_color: bool) -> bool:
    """Whether the till theme is the one to draw with."""
    return no_color or color_system in PLAIN_COLOUR_SYSTEMS


def without_colour(filters: list[LineFilter]) -> list[LineFilter]:
    """``NO_COLOR``'s filters: colours dropped (``NoColor``), not greyed (``Monochrome``)."""
    return [NoColor() if isinstance(f, Monochrome) else f for f in filters]
