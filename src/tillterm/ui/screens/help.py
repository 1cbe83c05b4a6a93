"""F1: every key of the app and of the screen underneath, in one list."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from tillterm.i18n import _
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css

_KEY_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "delete": "Del",
    "tab": "Tab",
    "up": "Up",
    "down": "Down",
    "plus": "+",
    "minus": "-",
    "space": "Space",
}


def key_label(key: str) -> str:
    """``ctrl+s`` → ``Ctrl+S``, ``f1`` → ``F1``: keys as printed on the keyboard."""
    parts = key.split("+")
    out = []
    for part in parts:
        if part in _KEY_NAMES:
            out.append(_KEY_NAMES[part])
        elif part in ("ctrl", "shift", "alt"):
            out.append(part.capitalize())
        else:
            out.append(part.upper() if len(part) <= 3 else part.capitalize())
    return "+".join(out)


class HelpScreen(TillModal[None]):
    """The key list: app-wide keys first, then the keys of the screen it was opened on."""

    CSS_PATH = css("help.tcss")
    BINDINGS = [
        Binding("escape,f1,q", "dismiss_help", _("Close")),
    ]

    def __init__(
        self,
        sections: list[tuple[str, list[tuple[str, str]]]],
        typed: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.sections = sections
        #: what a screen understands typed into its field (``%10``): shown as written
        self.typed = typed or []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(plain(_("Keys")), id="help-title")
            for title, keys in self.sections:
                yield Static(plain(title), classes="help-section")
                lines = "\n".join(f"  {key_label(key):<12} {desc}" for key, desc in keys)
                yield Static(
                    plain(lines or "  " + _("(no keys)"), multiline=True), classes="help-keys"
                )
            if self.typed:
                yield Static(
                    plain(_("Typed in the scan field, then Enter")), classes="help-section"
                )
                lines = "\n".join(f"  {text:<12} {desc}" for text, desc in self.typed)
                yield Static(plain(lines, multiline=True), classes="help-keys")
            yield Button(plain(_("Close (Esc)")), id="help-close")

    @on(Button.Pressed, "#help-close")
    def action_dismiss_help(self) -> None:
        self.dismiss(None)


def describe_bindings(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(key, description) for each binding that has a description.

    ``BINDINGS`` may hold ``(key, action, description)`` tuples as well as bindings; a
    key list (``"escape,f1,q"``) stays one row, shown by its first key.
    """
    seen: set[str] = set()
    rows = []
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)
        if not binding.description or binding.key in seen:
            continue
        seen.add(binding.key)
        key = binding.key_display or binding.key.split(",")[0]
        rows.append((key, binding.description))
    return rows
