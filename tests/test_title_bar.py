"""The top line of every full screen (``tillterm.ui.widgets.title_bar.TitleBar``): the
store's name, the register and the database, drawn where Textual's Header drew them,
and following every change of the app's or the screen's title."""

from __future__ import annotations

from tests.conftest import Drive, wait_until
from tillterm.ui.widgets.title_bar import TitleBar


def _top_line(app: object) -> str:
    from textual.app import App

    assert isinstance(app, App)
    strips = app.screen._compositor.render_strips(app.size)
    return "".join(segment.text for segment in strips[0])


async def test_the_title_bar_follows_the_store_name_and_the_screen(drive: Drive) -> None:
    async with drive() as (app, pilot):
        await wait_until(pilot, lambda: app.screen.query(TitleBar), "the register's title bar")
        app.title, app.sub_title = "Test shop", "till-1 · snap.db"
        title = "Test shop — till-1 · snap.db"
        await wait_until(pilot, lambda: title in _top_line(app), "the title drawn")
        line = _top_line(app)
        assert line.startswith(" ⭘ "), line
        # centred between the icon (8 cells) and the clock's place (10), as Header did
        assert line.index(title) == 8 + (80 - 18 - len(title)) // 2, line

        app.title = "Chez Paulette"
        await wait_until(pilot, lambda: "Chez Paulette" in _top_line(app), "the new name")

        app.screen.sub_title = "Marie Dubois"  # a screen's own (the customer profile)
        await wait_until(
            pilot, lambda: "Chez Paulette — Marie Dubois" in _top_line(app), "the screen's own"
        )

        app.title = "A store name far too long to fit on the top line of an 80 column screen"
        await wait_until(pilot, lambda: "…" in _top_line(app), "the long name cut")
        assert len(_top_line(app)) == 80
