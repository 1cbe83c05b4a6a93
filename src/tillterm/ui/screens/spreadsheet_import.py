"""F5: Import."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tillterm.ui.styles import css


class ImportScreen(Screen[None]):
    HELP_TITLE = "Import"
    CSS_PATH = css("spreadsheet_import.tcss")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Import", classes="screen-title")
        yield Footer()
