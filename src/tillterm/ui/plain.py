"""Data drawn as text: never read as markup, never a control character on the terminal.

Textual reads a ``str`` handed to ``Static``, ``Label``, ``Button``, an ``OptionList``
option, a ``Select`` choice, a ``DataTable`` cell or ``notify()`` as content markup:
a customer called ``Ltd. [DO NOT USE]`` loses half their name, ``[/]`` raises an error
that closes the app, and ``[@click=app.quit]`` makes the text a button that runs an
action. So every text that comes from the database, a file or a person is handed over
as a :class:`~textual.content.Content` built here, which is never parsed; and since
data stored by older versions may still hold control characters, this is also where
they are made visible (see :func:`tillterm.core.typed_text.visible_text`).

Only literal texts of the app itself may be handed over as a ``str``
(``tests/test_plain_text_rule.py`` checks it). ``notify()`` needs nothing:
``TilltermApp.notify`` never reads markup. Fields draw what is typed or pasted through
:class:`VisibleControls` (given to every ``Input`` when it gets the focus) and
``tillterm.ui.widgets.notes_area.PlainTextArea``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from rich.highlighter import Highlighter
from rich.text import Text
from textual.content import Content

from tillterm.core.typed_text import visible_text

__all__ = [
    "VisibleControls",
    "plain",
    "plain_options",
    "plain_text",
    "visible_text",
]

T = TypeVar("T")


def plain(value: object, style: str = "", *, multiline: bool = False) -> Content:
    """``value`` as content drawn literally: no markup, control characters made visible.

    ``style`` styles the whole text (``"bold red"``); ``multiline`` keeps line breaks.
    """
    text = visible_text(value, multiline=multiline)
    if not style:
        return Content(text)
    return Content.styled(text, style)


def plain_text(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """:func:`plain` as a Rich ``Text``, for code that assembles Rich text."""
    return Text(visible_text(value, multiline=multiline), style=style, end="")


class VisibleControls(Highlighter):
    """An ``Input`` highlighter that draws control characters as their pictures.

    A field edited in a form may hold a value stored by an older version, and a paste
    may bring anything: the value is kept as it is (so nothing is lost and the core's
    check names the bad character), but what the terminal receives is inert. One
    character becomes one, so the cursor stays where it was.
    """

    def __call__(self, text: str | Text) -> Text:
        if isinstance(text, str):
            return Text(visible_text(text))
        if text.plain.isprintable():
            return text
        shown = text.copy()
        shown.plain = visible_text(text.plain)
        return shown

    def highlight(self, text: Text) -> None:
        """Nothing to colour: :meth:`__call__` does the work."""


def plain_options(options: Iterable[tuple[object, T]]) -> list[tuple[Text, T]]:
    """``Select`` choices whose prompts (group, tax, choice names) are drawn as text.

    Rich ``Text``, not ``Content``: the ``Select`` finds a typed prefix in ``Text``
    prompts, and Textual never reads a ``Text`` as markup.
    """
    return [(plain_text(prompt), value) for prompt, value in options]
