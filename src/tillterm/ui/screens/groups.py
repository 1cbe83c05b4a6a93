"""F4: Groups."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tillterm.ui.styles import css


class GroupsScreen(Screen[None]):
    HELP_TITLE = "Groups"
    CSS_PATH = css("groups.tcss")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Groups", classes="screen-title")
        yield Footer()
