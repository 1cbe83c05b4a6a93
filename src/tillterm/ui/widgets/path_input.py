"""A path input that completes with Tab, like a shell (keyboard only, no file dialog)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.widgets import Input

from tillterm.i18n import _


def complete_path(text: str, suffixes: Sequence[str] = ()) -> tuple[str, list[str]]:
    """The completed text and the candidates (folders, and files with ``suffixes``).

    One candidate completes fully (a folder gets its ``/``); several complete to their
    longest common prefix.
    """
    expanded = os.path.expanduser(text) if text else "./"
    folder, _, prefix = expanded.rpartition("/")
    base = Path(folder or "/") if expanded.startswith("/") or folder else Path(".")
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except OSError:
        return text, []
    names = []
    for entry in entries:
        if not entry.name.startswith(prefix) or (entry.name.startswith(".") and not prefix):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            names.append(entry.name + "/")
        elif not suffixes or entry.name.lower().endswith(tuple(suffixes)):
            names.append(entry.name)
    if not names:
        return text, []
    common = os.path.commonprefix(names)  # noqa: RUF071 (names, not path parts)
    head = text[: len(text) - len(prefix)] if prefix else text
    return head + common, names


class PathInput(Input):
    """An :class:`Input` for a file path; Tab completes it, or moves on once it is checked."""

    DEFAULT_CSS = """
    PathInput {
        width: 1fr;
    }
    """
    # listed in F1 and in the field's placeholder: the footer's room goes to the F-keys
    BINDINGS = [Binding("tab", "complete", _("Complete path"), show=False)]

    def __init__(self, *args: Any, suffixes: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suffixes = tuple(suffixes)
        self.candidates: list[str] = []
        #: the path last checked with Enter
        self._submitted: str | None = None

    def action_complete(self) -> None:
        completed, self.candidates = complete_path(self.value, self.suffixes)
        if completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)
        elif len(self.candidates) > 1:
            shown = "  ".join(self.candidates[:12])
            more = " …" if len(self.candidates) > 12 else ""
            self.notify(shown + more, title=_("Matches"), timeout=4)
        elif not self.value or self.value == self._submitted:
            # nothing to complete in a path already checked (or none): Tab moves on, as
            # everywhere else; a Linux console cannot send Shift+Tab, so it must not stick
            self.screen.focus_next()
        else:
            self.app.bell()

    async def action_submit(self) -> None:
        self._submitted = self.value
        await super().action_submit()
