"""Which characters a till's terminal can draw, and the filter that keeps to them.

The app draws box corners, block elements, arrows, typographic quotes and a header
icon. The Linux console draws from a 256- or 512-glyph font: 14 of those characters are
in no Debian console font and came out as blobs (input borders, modal frames, the
footer's ``⏎``); a serial terminal or a ``LANG=C`` session gets UTF-8 bytes it shows as
garbage. Rather than keep two designs of every screen, the last line filter of the app
replaces every character the terminal cannot draw by the nearest one it can, one cell
for one cell so that no layout moves:

* ``unicode`` — anything (xterm, tmux, any UTF-8 terminal emulator);
* ``console`` — ``TERM=linux``: ASCII, Latin-1 and Latin-9 letters (every Debian console
  font has them), the IBM PC's single and double box lines and half blocks;
* ``ascii`` — a non-UTF-8 locale, or ``TERM=vt100`` and its kin: borders ``+-|``,
  accents dropped (``É`` → ``E``), ``…`` → ``~``, and ``?`` for anything else.

``TILLTERM_GLYPHS=unicode|console|ascii`` overrides the guess.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Literal

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

GlyphSet = Literal["unicode", "console", "ascii"]

#: terminals that speak ASCII only, whatever the locale
_ASCII_TERMS = ("vt52", "vt100", "vt102", "vt220", "vt320", "ansi", "dumb", "wyse", "adm")

_BOX_LIGHT = "─│┌┐└┘├┤┬┴┼"
_BOX_DOUBLE = "═║╔╗╚╝╠╣╦╩╬╒╓╕╖╘╙╛╜╞╟╡╢╤╥╧╨╪╫"
_BLOCKS = "█▀▄▌▐░▒▓■"
_LATIN_9 = "€ŠšŽžŒœŸ"

#: what every Debian console font (and the kernel's own) can show beyond ASCII and Latin-1
CONSOLE_EXTRA = frozenset(_BOX_LIGHT + _BOX_DOUBLE + _BLOCKS + _LATIN_9 + "←↑→↓·•")

#: the nearest console glyph, for what the app (or Textual) draws that a console lacks
TO_CONSOLE: Mapping[str, str] = {
    **dict.fromkeys("╭┏┍┎", "┌"),
    **dict.fromkeys("╮┓┑┒", "┐"),
    **dict.fromkeys("╰┗┕┖", "└"),
    **dict.fromkeys("╯┛┙┚", "┘"),
    **dict.fromkeys("━╍┅┉╌┄┈╴╶╸╺", "─"),
    **dict.fromkeys("┃╏┇┋╎┆┊╵╷╹╻", "│"),
    **dict.fromkeys("┣┝┠", "├"),
    **dict.fromkeys("┫┥┨", "┤"),
    **dict.fromkeys("┳┯┰", "┬"),
    **dict.fromkeys("┻┷┸", "┴"),
    **dict.fromkeys("╋┿╂", "┼"),
    # tall borders and scroll bars: eighth blocks to halves
    **dict.fromkeys("▔▀", "▀"),
    **dict.fromkeys("▁▂▃", "▄"),
    **dict.fromkeys("▅▆▇█", "█"),
    **dict.fromkeys("▊▉▋", "▌"),
    **dict.fromkeys("▎▏▍", "▐"),
    "▕": "▐",
    "“": '"',
    "”": '"',
    "„": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "…": "~",
    "—": "-",
    "–": "-",
    "−": "-",
    "⏎": "↵",
    "↵": "<",
    "⭘": "o",
    "▼": "v",
    "▲": "^",
    "▶": ">",
    "◀": "<",
    "►": ">",
    "◄": "<",
    "✓": "v",
    "✔": "v",
    "✗": "x",
    "✘": "x",
    "⚠": "!",
}

#: the nearest ASCII character, for ``ascii`` terminals
TO_ASCII: Mapping[str, str] = {
    **dict.fromkeys(_BOX_LIGHT[2:] + _BOX_DOUBLE[2:], "+"),
    **dict.fromkeys("─═", "-"),
    **dict.fromkeys("│║", "|"),
    **dict.fromkeys("█▓▒░■", "#"),
    "▀": "-",
    "▄": "_",
    "▌": "|",
    "▐": "|",
    "←": "<",
    "→": ">",
    "↑": "^",
    "↓": "v",
    "·": ".",
    "•": "*",
    "«": '"',
    "»": '"',
    "×": "x",
    "÷": "/",
    "°": "o",
    "€": "E",
    "£": "L",
    "ß": "s",
    "æ": "a",
    "Æ": "A",
    "œ": "o",
    "Œ": "O",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "\u00a0": " ",
}


def choose_glyphs(environ: Mapping[str, str]) -> GlyphSet:
    """The glyph set for this terminal, from ``TERM`` and the locale."""
    chosen = environ.get("TILLTERM_GLYPHS", "").strip().lower()
    if chosen in ("unicode", "console", "ascii"):
        return chosen  # type: ignore[return-value]
    term = environ.get("TERM", "").lower()
    locale = environ.get("LC_ALL") or environ.get("LC_CTYPE") or environ.get("LANG") or ""
    utf8 = "utf-8" in locale.lower() or "utf8" in locale.lower()
    if not utf8 or term.startswith(_ASCII_TERMS):
        return "ascii"
    if term == "linux" or term.startswith("linux-"):
        return "console"
    return "unicode"


def _console_can_draw(char: str) -> bool:
    return char.isascii() or "\u00a0" <= char <= "\u00ff" or char in CONSOLE_EXTRA


@lru_cache(maxsize=4096)
def _console_glyph(char: str) -> str:
    if _console_can_draw(char):
        return char
    glyph = TO_CONSOLE.get(char)
    if glyph is not None and _console_can_draw(glyph):
        return glyph
    if glyph is not None:  # "⏎" → "↵" → "<"
        return _console_glyph(glyph)
    return _fallback(char, _console_can_draw)


@lru_cache(maxsize=4096)
def _ascii_glyph(char: str) -> str:
    if char.isascii():
        return char
    glyph = TO_ASCII.get(char) or TO_CONSOLE.get(char)
    if glyph is not None:
        return _ascii_glyph(glyph) if not glyph.isascii() else glyph
    return _fallback(char, str.isascii)


def _fallback(char: str, can_draw: Callable[[str], bool]) -> str:
    """A letter without its accent (``ő`` → ``o``), else ``?`` per cell; a combining
    accent, which takes no cell, is dropped."""
    width = cell_len(char)
    if width == 0:
        return ""
    base = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    if len(base) == 1 and can_draw(base):
        return str(base)
    return "?" * width


def translate(text: str, glyphs: GlyphSet) -> str:
    """``text`` with every character drawn as ``glyphs`` allows, cell for cell."""
    if glyphs == "unicode" or text.isascii():
        return text
    glyph = _console_glyph if glyphs == "console" else _ascii_glyph
    return "".join(glyph(char) for char in text)


class GlyphFilter(LineFilter):
    """The app's last line filter: what reaches the terminal is what it can draw."""

    def __init__(self, glyphs: GlyphSet) -> None:
        super().__init__(enabled=glyphs != "unicode")
        self.glyphs = glyphs

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        glyphs = self.glyphs
        return [
            segment
            if control or text.isascii()
            else Segment(translate(text, glyphs), style, control)
            for segment in segments
            for text, style, control in (segment,)
        ]
