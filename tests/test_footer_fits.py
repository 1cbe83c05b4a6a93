"""At 80 columns every key in a screen's footer is whole, and the F-keys of the other
screens are among them (the customers and groups footers used to be cut after F3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive
from screens_data import settle
from sqlalchemy.engine import Engine
from textual.widgets._footer import FooterKey

from tillterm.ui.app import TilltermApp
from tillterm.ui.widgets.path_input import PathInput


def _footer(app: TilltermApp) -> list[tuple[str, int, int]]:
    """(key, left edge, right edge) of each key the footer shows."""
    return [
        (key.key, key.region.x, key.region.right)
        for key in app.screen.query(FooterKey)
        if key.display and key.region.width
    ]


@pytest.mark.parametrize(
    ("key", "other_screens"),
    [
        ("f3", ["f2", "f4", "f5"]),
        ("f4", ["f2", "f3", "f5"]),
        ("f5", ["f2", "f3", "f4"]),
        ("f11", ["f2", "f3"]),  # the back office's own keys come first
        ("f2", []),  # the register's own keys fill its footer: F1 lists the rest
    ],
)
async def test_every_footer_key_is_whole_at_80_columns(
    engine: Engine, drive: Drive, key: str, other_screens: list[str]
) -> None:
    async with drive() as (app, pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        shown = _footer(app)
        assert shown, "no footer"
        # a key wholly past the edge is not drawn (F1 lists it); one across it is cut
        cut = [k for k, left, right in shown if left < 80 < right]
        assert cut == [], f"cut off at 80 columns: {cut}"
        keys = [k for k, left, _right in shown if left < 80]
        assert key not in keys  # the screen the cashier is on
        assert all(other in keys for other in other_screens), keys
        assert "f1" in keys


async def test_tab_in_a_complete_import_path_moves_on(
    engine: Engine, drive: Drive, tmp_path: Path
) -> None:
    """A Linux console cannot send Shift+Tab: Tab must never be stuck in the path field."""
    sheet = tmp_path / "clients.csv"
    sheet.write_text("first_name,last_name,email\nAnna,Martin,anna@example.com\n")
    async with drive() as (app, pilot):
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        field = app.focused
        assert isinstance(field, PathInput)
        await pilot.press(*str(tmp_path / "cli"), "tab")  # completes the name
        await settle(pilot)
        assert field.value == str(sheet) and app.focused is field
        await pilot.press("enter")  # checks the file: the mapping table appears
        await settle(pilot)
        # more keys now (save, import…): those that do not fit whole are left out
        assert [k for k, left, right in _footer(app) if left < 80 < right] == []
        field.focus()
        await pilot.press("tab")  # nothing left to complete: on to the next widget
        await settle(pilot)
        assert app.focused is not field and app.focused is not None


async def test_the_registers_footer_is_not_rebuilt_under_other_screens(
    engine: Engine, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screen suspended under another (or resumed) had its footer rebuilt for keys it
    would never show: twice for each screen opened over the register, once inside that
    screen's opening. Back on top, it shows the register's keys (F3 again, not F2)."""
    from tillterm.ui.screens.register import RegisterScreen
    from tillterm.ui.widgets.key_footer import KeyFooter

    rebuilt: list[str] = []
    recompose = KeyFooter.recompose

    async def counted(footer: KeyFooter) -> None:
        rebuilt.append(type(footer.screen).__name__)
        await recompose(footer)

    monkeypatch.setattr(KeyFooter, "recompose", counted)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        before = rebuilt.count("RegisterScreen")
        for opens, closes in (("f3", "f2"), ("ctrl+g", "escape"), ("ctrl+t", "escape")):
            await pilot.press(opens)
            await settle(pilot)
            assert not isinstance(app.screen, RegisterScreen), opens
            await pilot.press(closes)
            await settle(pilot)
            assert isinstance(app.screen, RegisterScreen), closes
        assert rebuilt.count("RegisterScreen") == before, rebuilt
        # its keys, those past the edge included (F1 lists them)
        keys = [key.key for key in app.screen.query(FooterKey)]
        assert "f3" in keys and "f2" not in keys, keys
