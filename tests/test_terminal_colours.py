"""16 colours and NO_COLOR: what is selected or focused shows without colour.

The screen is read the way the terminal gets it (the compositor's strips, after the app's
line filters), so a state drawn by colour alone, or a text drawn in the colour of its
background, is caught here rather than at a till.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive
from rich.segment import Segment
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy.engine import Engine
from textual.filter import Monochrome, NoColor
from textual.strip import Strip

from tillterm.store.engine import session_scope
from tillterm.store.models import Product
from tillterm.ui.app import TilltermApp
from tillterm.ui.terminal_colours import TILL_ANSI, wants_plain_colours
from tillterm.ui.widgets.suggestions import Suggestions


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    built = build_store(engine)
    with session_scope(engine) as s:
        s.add_all(
            Product(sku=f"CRO-{n}", barcode=f"30000000001{n}", name=name, price_cents=110)
            for n, name in enumerate(["Croissant", "Croissant #1", "Croissant #2"], start=10)
        )
    return built


def _screen(app: TilltermApp) -> list[Strip]:
    return app.screen._compositor.render_strips()


def _line(strip: Strip) -> str:
    return "".join(segment.text for segment in strip)


def _reversed(strip: Strip, text: str) -> bool:
    """Whether the cells holding ``text`` are drawn in reverse video."""
    styles = [s.style for s in strip if text in s.text and s.style is not None]
    return bool(styles) and all(style.reverse for style in styles)


def _invisible(strips: list[Strip]) -> list[str]:
    """Text drawn in the colour of its own background (black on black)."""
    found = []
    for strip in strips:
        for segment in strip:
            if _hidden(segment):
                found.append(segment.text)
    return found


def _hidden(segment: Segment) -> bool:
    style = segment.style
    if style is None or not segment.text.strip() or style.reverse:
        return False
    color, background = style.color, style.bgcolor
    if color is None or background is None or color.is_default or background.is_default:
        return False  # the terminal's own foreground, or on its own background
    return color == background


@pytest.mark.parametrize(
    ("color_system", "no_color", "plain"),
    [
        ("standard", False, True),
        ("windows", False, True),
        (None, False, True),
        ("256", False, False),
        ("truecolor", False, False),
        ("truecolor", True, True),
    ],
)
def test_the_till_theme_is_chosen_where_colours_cannot_carry_state(
    color_system: str | None, no_color: bool, plain: bool
) -> None:
    assert wants_plain_colours(color_system, no_color) is plain


async def test_in_16_colours_the_selected_match_is_reverse_video(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.theme = TILL_ANSI
        await pilot.press(*"crois", "enter")
        await settle(pilot)
        suggestions = app.screen.query_one(Suggestions)
        assert suggestions.shown and suggestions.option_count == 3
        rows = {_line(s).strip("▊▎ ").split("  ")[0]: s for s in _screen(app)}
        assert _reversed(rows["Croissant"], "Croissant")
        assert not _reversed(rows["Croissant #1"], "Croissant #1")
        await pilot.press("down")
        await settle(pilot)
        rows = {_line(s).strip("▊▎ ").split("  ")[0]: s for s in _screen(app)}
        assert not _reversed(rows["Croissant"], "Croissant")
        assert _reversed(rows["Croissant #1"], "Croissant #1")  # what Enter will add


async def test_no_color_drops_colours_and_keeps_every_state_visible(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        assert app.theme == TILL_ANSI
        assert any(isinstance(f, NoColor) for f in app._filters)
        assert not any(isinstance(f, Monochrome) for f in app._filters)
        await pilot.press(*"crois", "enter", "down")
        await settle(pilot)
        strips = _screen(app)
        assert _invisible(strips) == []
        selected = [s for s in strips if _line(s).strip("▊▎ ").startswith("Croissant #1")]
        assert len(selected) == 1 and _reversed(selected[0], "Croissant #1")
        colours = {
            (seg.style.color, seg.style.bgcolor)
            for strip in strips
            for seg in strip
            if seg.style is not None and seg.text.strip()
        }
        # the terminal's own colours only: nothing can come out black on black
        assert all(c is None or c.is_default for pair in colours for c in pair)
        for key in ("f3", "f4", "f5", "f11"):
            await pilot.press(key)
            await settle(pilot)
            assert _invisible(_screen(app)) == [], key


async def test_without_colour_the_back_office_shows_what_is_selected(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub's highlighted entry and the tax rate under the cursor, in reverse video."""
    monkeypatch.setenv("NO_COLOR", "1")
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f11")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        strips = {_line(s).strip("▊▎ ").split("  ")[0]: s for s in _screen(app)}
        assert _reversed(strips["2"], "Tax rates") and not _reversed(strips["1"], "Store")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert _invisible(_screen(app)) == []
        rows = {_line(s).strip().split("  ")[0]: s for s in _screen(app)}
        assert _reversed(rows["Standard 20 %"], "Standard 20 %")  # by name: the second
        assert not _reversed(rows["Reduced 5.5 %"], "Reduced 5.5 %")
