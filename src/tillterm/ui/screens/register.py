"""F2: the register (filled in by the register issue)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from tillterm.ui.styles import css


class RegisterScreen(Screen[None]):
    HELP_TITLE = "Register"
    CSS_PATH = css("register.tcss")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Scan or type a barcode, SKU or product name", id="scan-input")
        yield Static("No sale in progress.", id="sale-lines")
        yield Footer()
