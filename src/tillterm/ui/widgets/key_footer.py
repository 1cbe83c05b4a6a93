"""The footer of keys, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tillterm.ui.memory import forget_removed_widgets, forget_watchers

if TYPE_CHECKING:
    from textual.screen import Screen

#: what one shown key looks like: key, action, description, enabled, tooltip, display,
#: group (everything ``Footer.compose`` draws; tests/test_textual_internals.py checks it)
ShownKey = tuple[str, str, str, bool, str, str | None, Binding.Group | None]


def shown_keys(screen: Screen[object]) -> tuple[ShownKey, ...]:
    """The keys a footer on ``screen`` would show, as plain comparable values."""
    return tuple(
        (b.key, b.action, b.description, enabled, tooltip, b.key_display, b.group)
        for _node, b, enabled, tooltip in screen.active_bindings.values()
        if b.show
    )


class KeyFooter(Footer):
    """Textual's footer, without rebuilding itself when nothing it shows changed.

    Textual's footer unmounts and remounts every key widget whenever the screen's
    bindings are refreshed: on each focus change and each time a screen is shown, even
    when the keys are the same. Opening a customer's profile spent about half its time
    there (≈25 ms on a loaded two-core till), and the register paid it on every F7.
    """

    def __init__(self) -> None:
        # compact: keys without padding fit more of them in 80 columns, and each key
        # starts compact, so mounting one costs no restyle; the command palette's key
        # is listed by F1 instead (at 80 columns it covered the register's last keys)
        super().__init__(compact=True, show_command_palette=False)
        self._shown: tuple[ShownKey, ...] | None = None

    def compose(self) -> ComposeResult:
        """Textual's keys, each made compact before it is mounted: Textual's key adds
        the class as it mounts (its ``compact`` is bound to the footer's), which
        restyled each key a second time (issue 17: screens open with a footer of keys).

        The keys still come a frame after the screen's first (Textual composes the
        footer once the screen's bindings are ready): composed with the screen, they
        held its first page back by a third of the work on the Products screen.
        """
        for widget in super().compose():
            if isinstance(widget, FooterKey) and self.compact:
                widget.add_class("-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and screen is not screen.app.screen:
            # a screen under another (suspended as the next one opens, or resumed a
            # moment before it is on top): what its keys would be there is not what its
            # footer shows once back, so it was rebuilt twice for nothing — once inside
            # every other screen's opening (issue 17). It is looked at again on top.
            return
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            shown = shown_keys(screen)
            if shown == self._shown and self._bindings_ready:
                return
            self._shown = shown
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        await super().recompose()
        # each key watched the footer's ``compact``, and Textual forgets a watcher only
        # when the value changes (never, here): every key the register ever showed was
        # kept, its drawn lines with it (tillterm.ui.memory)
        forget_watchers(self, lambda node: not node.is_attached)
        forget_removed_widgets()
        # at once, in the same frame as the new keys: widths come from their text
        self._drop_cut_keys()

    def on_resize(self, _event: Resize) -> None:
        self._drop_cut_keys()

    def _drop_cut_keys(self) -> None:
        """Never half a key: those that do not fit whole are left out (F1 lists them).

        At 80 columns a screen with many keys ran into the app's F-keys, and the footer
        ended in "f3 Customer" — a key that looks like something else, cut mid-word.
        Each key's width is what it draws compact (and the one-cell gap after it),
        reckoned from its text: the choice never depends on a layout not final yet.
        """
        room = self.size.width
        if room <= 0:
            return
        used = 0
        fits = True
        for key in self.query(FooterKey):
            width = _drawn_width(key)
            fits = fits and used + width <= room
            used += width + 1
            if key.display != fits:
                key.display = fits


def _drawn_width(key: FooterKey) -> int:
    """A compact footer key's cells: its key, a space, its description."""
    description = f" {key.description}" if key.description else ""
    return cell_len(key.key_display + description)
