"""The top line of every full screen: the store's name, the register and the database.

Drawn as Textual's ``Header`` draws it (the icon on the left, the title centred between
it and the clock's place on the right), by one widget instead of four: a screen's
opening pays for every widget it mounts, and the header was four of a back-office
list's nine (issue 17: every screen's first page <= 50 ms).
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

from tillterm.ui.memory import forget_watchers

#: Textual's Header: its icon's width (padding included) and its clock's place
ICON_WIDTH = 8
CLOCK_WIDTH = 10
ICON = "⭘"


class TitleBar(Widget):
    """The app's title and sub-title (or the screen's own, when it sets them)."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        for owner in (self.app, self.screen):
            self.watch(owner, "title", self._retitle, init=False)
            self.watch(owner, "sub_title", self._retitle, init=False)

    def on_unmount(self) -> None:
        # the app's title outlives this bar: its watcher would keep the bar (tillterm.ui.memory)
        forget_watchers(self.app, lambda node: node is self)

    def _retitle(self) -> None:
        self.refresh()

    def render(self) -> RenderResult:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        width = self.size.width
        room = max(0, width - ICON_WIDTH - CLOCK_WIDTH)
        shown = app.format_title(title, sub_title).truncate(room, ellipsis=True)
        left = (room - shown.cell_length) // 2
        return Content.assemble(
            f" {ICON}".ljust(ICON_WIDTH) if width >= ICON_WIDTH else "",
            " " * left,
            shown,
            " " * (width - ICON_WIDTH - left - shown.cell_length),
        )
