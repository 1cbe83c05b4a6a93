"""The Linux console and serial terminals: only glyphs they can draw, no sequence they print.

Checked three ways: the translation itself (cell for cell, so no layout moves), the
screens as the app composes them for a console and for an ASCII terminal, and the
bytes the real app writes into a pseudo-terminal at start-up.
"""

from __future__ import annotations

import os
import select
import signal
import time
from pathlib import Path

import pytest
from conftest import Drive
from rich.cells import cell_len
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy.engine import Engine
from test_app_hangup import ended, read_until, start_register

from tillterm.store.engine import open_db
from tillterm.ui.app import TilltermApp
from tillterm.ui.console_driver import UNSUPPORTED
from tillterm.ui.terminal_glyphs import CONSOLE_EXTRA, choose_glyphs, translate

#: what the app and Textual draw, plus customers' names from around the world
DRAWN = (
    "╭─ Sale 1 ──╮│▊▔▔▁▁▎╰━━╯┏┓┗┛┃ ⭘ “crois” … — · ⏎ ↑↓ ▼ ✓ ✗ ▇▆▅▄▃▂▁ █▀▄ "
    "Épicerie Dubois & Fils Zoë Ødegård Łukasz Œuvre straße 12,50 € 東京 e\u0301 "
)


def _console_can_draw(char: str) -> bool:
    return char.isascii() or "\u00a0" <= char <= "\u00ff" or char in CONSOLE_EXTRA


@pytest.mark.parametrize(
    ("environ", "glyphs"),
    [
        ({"TERM": "xterm-256color", "LANG": "fr_FR.UTF-8"}, "unicode"),
        ({"TERM": "screen", "LC_ALL": "en_US.utf8"}, "unicode"),
        ({"TERM": "linux", "LANG": "fr_FR.UTF-8"}, "console"),
        ({"TERM": "vt100", "LANG": "en_US.UTF-8"}, "ascii"),
        ({"TERM": "vt220", "LANG": "C.UTF-8"}, "ascii"),
        ({"TERM": "xterm", "LANG": "C"}, "ascii"),
        ({"TERM": "linux"}, "ascii"),  # no locale at all: POSIX, not UTF-8
        ({"TERM": "xterm", "LANG": "fr_FR.ISO-8859-1"}, "ascii"),
        ({"TERM": "xterm", "LANG": "C", "TILLTERM_GLYPHS": "unicode"}, "unicode"),
        ({"TERM": "xterm", "LANG": "C.UTF-8", "TILLTERM_GLYPHS": "Console"}, "console"),
    ],
)
def test_the_glyph_set_follows_the_terminal_and_the_locale(
    environ: dict[str, str], glyphs: str
) -> None:
    assert choose_glyphs(environ) == glyphs


@pytest.mark.parametrize("glyphs", ["console", "ascii"])
def test_translation_is_cell_for_cell_and_drawable(glyphs: str) -> None:
    for text in [DRAWN, *DRAWN.split()]:
        shown = translate(text, glyphs)  # type: ignore[arg-type]
        assert cell_len(shown) == cell_len(text), (text, shown)
        if glyphs == "ascii":
            assert shown.isascii(), shown
        else:
            assert all(_console_can_draw(c) for c in shown), shown


def test_what_each_set_makes_of_the_apps_own_glyphs() -> None:
    assert translate("╭─ Sale ─╮", "console") == "┌─ Sale ─┐"
    assert translate("╭─ Sale ─╮", "ascii") == "+- Sale -+"
    assert translate("Épicerie · “crois” … 12,50 €", "console") == (
        'Épicerie · "crois" ~ 12,50 €'
    )
    assert translate("Épicerie · “crois” … 12,50 €", "ascii") == (
        'Epicerie . "crois" ~ 12,50 E'
    )
    assert translate("東京", "ascii") == "????"  # two cells each: the columns stay put
    assert translate("e\u0301", "ascii") == "e"  # a combining accent takes no cell


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _drawn(app: TilltermApp) -> str:
    return "".join(
        segment.text for strip in app.screen._compositor.render_strips() for segment in strip
    )


@pytest.mark.parametrize("glyphs", ["console", "ascii"])
async def test_every_screen_keeps_to_the_terminals_glyphs(
    engine: Engine, store: Store, drive: Drive, monkeypatch: pytest.MonkeyPatch, glyphs: str
) -> None:
    monkeypatch.setenv("TILLTERM_GLYPHS", glyphs)
    can_draw = str.isascii if glyphs == "ascii" else _console_can_draw
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press(*"caf", "enter")  # a match list: its frame and scroll bar
        await settle(pilot)
        screens = {"register": _drawn(app)}
        await pilot.press("escape", *"3000000000024", "enter", "f9")
        await settle(pilot)
        screens["payment"] = _drawn(app)
        await pilot.press("escape", "f3")
        await settle(pilot)
        screens["customers"] = _drawn(app)
        for key in ("f4", "f5", "f1"):
            await pilot.press(key)
            await settle(pilot)
            screens[key] = _drawn(app)
    for name, drawn in screens.items():
        undrawable = sorted({c for c in drawn if not can_draw(c)})
        assert undrawable == [], f"{name}: {undrawable}"
    assert "Test shop" in screens["register"] or "till-1" in screens["register"]


def _drain(fd: int, seconds: float) -> bytes:
    """Whatever else the app writes in the next ``seconds`` (its start-up queries)."""
    seen = bytearray()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            try:
                seen.extend(os.read(fd, 65536))
            except OSError:
                break
    return bytes(seen)


@pytest.mark.parametrize(
    ("environ", "ascii_only"),
    [({"TERM": "linux", "LANG": "C.UTF-8"}, False), ({"TERM": "vt100", "LANG": "C"}, True)],
)
def test_a_console_gets_no_sequence_it_would_print(
    tmp_path: Path, environ: dict[str, str], ascii_only: bool
) -> None:
    db = tmp_path / "till.db"
    open_db(db).dispose()
    pid, fd = start_register(db, environ)
    try:
        seen = read_until(fd, b"Help", 30) + _drain(fd, 1.0)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0) if not ended(pid) else None
        os.close(fd)
    text = seen.decode("utf-8", "replace")
    assert UNSUPPORTED.search(text) is None, UNSUPPORTED.findall(text)
    for sequence in ("$p", "\x1b]22;", "\x1b[>"):
        assert sequence not in text
    if ascii_only:
        assert all(byte < 0x80 for byte in seen), [b for b in seen if b >= 0x80][:10]
