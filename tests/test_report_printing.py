"""Issue 17, X and Z reports on the receipt printer: the Z printed as it is taken (its
stored text, exactly), printed again as a COPY (the same text bytes between the marks),
the X printed, a printer that is not there losing no Z, and ``tillterm report --print``.
Bytes are asserted as the printer receives them (python-escpos's File printer on a
file standing for the device node), the Z in the database, the words on screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Drive, run_cli, wait_until
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy.engine import Engine
from sqlmodel import select

from tillterm import printing
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import DrawerDay
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.drawer import DrawerScreen

INIT_CP858 = b"\x1b@\x1bt\x13"  # ESC @, ESC t 19
MARK = b"*** COPY ***"


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _paper(text: str, *, copy: bool = False) -> bytes:
    """The bytes the configured printer is sent for ``text`` (a report: no drawer kick)."""
    config = printing.load_printer_config()
    return printing.receipt_bytes(printing.mark_copy(text) if copy else text, config, kick=False)


def _body(paper: bytes) -> bytes:
    """What the paper says, without the printer's set-up before it and the cut after."""
    assert paper.startswith(INIT_CP858)
    return paper[len(INIT_CP858) : paper.rindex(b"\n") + 1]


def _stored_z(engine: Engine, register: str = "till-1") -> str:
    with session_scope(engine) as s:
        day = s.exec(select(DrawerDay).where(DrawerDay.register_name == register)).one()
        assert day.z_no == 1 and day.report_text
        return day.report_text


async def _take_z(app: TilltermApp, pilot, count: str = "0") -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("ctrl+g")
    await settle(pilot)
    assert isinstance(app.screen, DrawerScreen)
    await pilot.press(*count)
    await pilot.press("f10")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmScreen)
    await pilot.press("y")
    await wait_until(pilot, lambda: isinstance(app.screen, DrawerScreen), "the drawer again")
    await settle(pilot)


async def test_z_printed_at_close_then_a_copy_and_the_x(
    engine: Engine, store: Store, drive: Drive, printer_at: Callable[..., Path]
) -> None:
    lp0 = printer_at()
    async with drive(register="till-1") as (app, pilot):
        await _take_z(app, pilot)
        stored = _stored_z(engine)
        assert "Z REPORT Z0001" in stored
        assert shown_text(app, "#drawer-note") == (
            "Z0001 taken: exact. The next sale starts a new day. Z0001 printed."
        )
        original = lp0.read_bytes()
        assert original == _paper(stored)  # the stored text, exactly
        assert b"Z REPORT Z0001" in original and MARK not in original

        # Ctrl+L on the Z shown: the stored text again, marked COPY
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert shown_text(app, "#drawer-note") == "Copy of Z0001 printed."
        copy = lp0.read_bytes()  # a device node: each print is a new write from the start
        assert copy == _paper(stored, copy=True)
        assert copy.count(MARK) == 2 and _body(original) in copy

        # Ctrl+R shows the X; Ctrl+L prints it (nothing stored, no COPY)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert shown_text(app, "#drawer-note") == "X report printed."
        x_paper = lp0.read_bytes()
        assert b"X REPORT (running totals)" in x_paper and MARK not in x_paper
        shown = shown_text(app, "#drawer-report")
        assert x_paper == _paper(shown)  # the screen says what the paper says

        # F9 shows the past Z again; Ctrl+L prints the same copy, byte for byte
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert shown_text(app, "#drawer-note") == "Copy of Z0001 printed."
        assert lp0.read_bytes() == copy
    assert _stored_z(engine) == stored  # printing changed nothing kept


async def test_printer_not_there_keeps_the_z_and_says_so(
    engine: Engine, store: Store, drive: Drive, tmp_path: Path, printer_at: Callable[..., Path]
) -> None:
    gone = tmp_path / "unplugged" / "lp0"
    printer_at(gone)
    async with drive(register="till-1") as (app, pilot):
        await _take_z(app, pilot, "12")
        stored = _stored_z(engine)
        assert shown_text(app, "#drawer-note") == (
            "Z0001 taken: 12.00 over. The next sale starts a new day. "
            f"Z0001 not printed: printer not found at {gone} — Ctrl+L prints a copy"
        )
        assert app.screen.query_one("#drawer-note").has_class("-error")
        assert shown_text(app, "#drawer-report") == stored  # shown as kept
        # plugged in again: Ctrl+L prints the copy
        gone.parent.mkdir()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert shown_text(app, "#drawer-note") == "Copy of Z0001 printed."
        assert gone.read_bytes() == _paper(stored, copy=True)
    with session_scope(engine) as s:
        day = s.exec(select(DrawerDay)).one()
        assert (day.z_no, day.counted_cents, day.report_text) == (1, 1200, stored)


async def test_without_a_printer_the_z_is_taken_and_nothing_said_of_paper(
    engine: Engine, store: Store, drive: Drive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLTERM_PRINTER_CONFIG", str(tmp_path / "none.toml"))
    async with drive(register="till-1") as (app, pilot):
        await _take_z(app, pilot)
        assert (
            shown_text(app, "#drawer-note") == "Z0001 taken: exact. The next sale starts a new day."
        )
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "no printer is configured" in shown_text(app, "#drawer-note")
    assert "Z REPORT Z0001" in _stored_z(engine)


def test_report_print_commands(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    printer_at: Callable[..., Path],
) -> None:
    db = tmp_path / "z.db"
    engine = open_db(db)
    build_store(engine)
    engine.dispose()
    lp0 = printer_at()
    today = dt.date.today().isoformat()
    where = ["--db", str(db), "--register", "front"]

    assert run_cli(["report", "x", *where, "--print"]) == 0
    out = capsys.readouterr()
    assert "X REPORT" in out.out and out.err.strip() == "X report printed."
    assert lp0.read_bytes() == _paper(out.out)

    z_args = ["report", "z", *where, "--date", today, "--print"]
    assert run_cli(z_args) == 0  # taken now: printed as the original
    first = capsys.readouterr()
    assert "Z REPORT Z0001" in first.out and first.err.strip() == "Z0001 printed."
    later = open_db(db)
    stored = _stored_z(later, "front")
    assert first.out == stored and lp0.read_bytes() == _paper(stored)

    assert run_cli(z_args) == 0  # taken before: its stored text again, a COPY
    again = capsys.readouterr()
    assert again.out == first.out and again.err.strip() == "Copy of Z0001 printed."
    assert lp0.read_bytes() == _paper(stored, copy=True)

    gone = tmp_path / "unplugged" / "lp0"
    printer_at(gone)
    assert run_cli(z_args) == 1  # the report still on stdout, the reason on stderr
    failed = capsys.readouterr()
    assert failed.out == first.out
    assert failed.err.strip() == (
        f"tillterm report: Copy of Z0001 not printed: printer not found at {gone}"
    )
    assert run_cli(["report", "x", *where]) == 0  # without --print: no printer involved
    assert "X REPORT" in capsys.readouterr().out and not gone.exists()
    assert _stored_z(later, "front") == stored
    later.dispose()
