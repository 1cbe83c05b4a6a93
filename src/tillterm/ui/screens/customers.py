"""F3: Customers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tillterm.ui.styles import css


class CustomersScreen(Screen[None]):
    HELP_TITLE = "Customers"
    CSS_PATH = css("customers.tcss")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Customers", classes="screen-title")
        yield Footer()
