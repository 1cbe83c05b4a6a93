"""The notes field: a ``TextArea`` whose pastes arrive with control characters as pictures.

Its own module: a ``TextArea`` costs milliseconds to import, and only the customer form
needs one (the register, drawn first, must not wait for it).
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

from tillterm.core.typed_text import visible_text


class PlainTextArea(TextArea):
    """A ``TextArea`` for notes: a paste arrives with control characters as pictures.

    A ``TextArea`` draws what it holds as it is (an ESC would reach the terminal), and
    it has no highlighter to draw it otherwise; so what is pasted is made visible
    before it goes in (values loaded from the database are, by ``set_field_value``).
    """

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual then runs TextArea's own handler (each class's in turn), which inserts;
        # async as that handler is, so the override keeps its signature
        event.text = visible_text(event.text, multiline=True)
