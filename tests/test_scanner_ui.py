"""Scans in the app: the bridge from the reader thread, routing, and terminal-typed scans."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive, wait_until
from sales_store import build_store
from scanner_fakes import FakeBackend, FakeDevice, entry, scan
from screens_data import settle
from sqlalchemy.engine import Engine
from textual import events, on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from tillterm import sales
from tillterm.scanner import listener as listener_module
from tillterm.scanner.config import ScannerConfig
from tillterm.scanner.decoder import RESCAN
from tillterm.scanner.listener import ScannerListener
from tillterm.scanner.wedge import UNSURE, BurstDetector
from tillterm.store.engine import session_scope
from tillterm.ui import scanner_bridge
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.widgets.scan_input import ScanInput, TerminalScans


class Recorder:
    """A message hook: which screen received which scan."""

    def __init__(self) -> None:
        self.scans: list[tuple[str, str]] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, ScanReceived):
            self.scans.append((message.code, message.source))


async def test_a_scan_posted_to_the_app_reaches_the_current_screen_once(
    drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[str, str, str]] = []

    def handler(screen, message: ScanReceived) -> None:  # type: ignore[no-untyped-def]
        received.append((type(screen).__name__, message.code, message.source))

    monkeypatch.setattr(RegisterScreen, "on_scan_received", handler, raising=False)
    monkeypatch.setattr(CustomersScreen, "on_scan_received", handler, raising=False)
    async with drive() as (app, pilot):
        app.post_message(ScanReceived("4006381333931"))
        await settle(pilot)
        await pilot.press("f3")
        await wait_until(  # the Customers screen loads on first use
            pilot, lambda: isinstance(app.screen, CustomersScreen), "the Customers screen"
        )
        app.post_message(ScanReceived("CUST-1", "terminal"))
        # and nothing more arrives: a later scan is the next thing the screen sees
        app.post_message(ScanReceived("MARKER", "terminal"))
        await wait_until(
            pilot, lambda: any(code == "MARKER" for _, code, _ in received), "the marker scan"
        )
    assert received == [
        ("RegisterScreen", "4006381333931", "scanner"),
        ("CustomersScreen", "CUST-1", "terminal"),
        ("CustomersScreen", "MARKER", "terminal"),
    ]


async def test_scanner_codes_and_notices_reach_the_app(
    drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listener_module, "RESCAN_MISSING_S", 0.02)
    backend = FakeBackend()
    device = FakeDevice()
    backend.add(entry(), device)
    listeners: list[ScannerListener] = []

    def fake_listener(on_code, on_notice):  # type: ignore[no-untyped-def]
        listeners.append(
            ScannerListener(on_code, on_notice, config=ScannerConfig(layout="fr"), backend=backend)
        )
        return listeners[-1]

    monkeypatch.setattr(scanner_bridge, "make_listener", fake_listener)
    recorder = Recorder()
    async with drive(scanner=True, message_hook=recorder, notifications=True) as (app, pilot):
        await wait_until(pilot, lambda: device.grabbed, "the scanner to be grabbed")
        device.push(scan("4006381333931", "fr"))
        await wait_until(pilot, lambda: len(recorder.scans) == 2, "the scan at app and screen")
        assert recorder.scans == [("4006381333931", "scanner")] * 2  # to the app, then screen
        texts = [n.message for n in app._notifications]
        assert any("Scanner ready" in t for t in texts)
        backend.remove(entry().path)
        device.unplug()
        await wait_until(
            pilot,
            lambda: any("unplugged" in n.message for n in app._notifications),
            "the unplugged notice",
        )
        assert listeners[0].running
    assert not listeners[0].running  # stopped on unmount
    assert device.closed


async def test_without_evdev_the_app_runs_with_one_notice(
    drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listener_module, "evdev_problem", lambda: "this is not Linux")
    async with drive(scanner=True, notifications=True) as (app, pilot):
        await wait_until(pilot, lambda: app._notifications, "the scanner notice")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomersScreen), "F3: customers")
        # told once: the listener gave up at its start, before the screen changed
        texts = [n.message for n in app._notifications]
        assert len(texts) == 1 and "this is not Linux" in texts[0]


# --- ScanInput ------------------------------------------------------------------------


class ScanInputApp(TerminalScans, App[None]):
    """A small host: an app that recognises terminal scans, with one field."""

    def __init__(self) -> None:
        super().__init__()
        self.scan_detector = BurstDetector()
        self.scans: list[tuple[str, str]] = []
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        yield ScanInput(placeholder="code or name", id="search")

    @on(ScanReceived)
    def _scan(self, message: ScanReceived) -> None:
        self.scans.append((message.code, message.source))

    @on(Input.Submitted)
    def _submitted(self, message: Input.Submitted) -> None:
        self.submitted.append(message.value)


async def _type(pilot, text: str, gap_s: float, start: float = 1000.0) -> float:  # type: ignore[no-untyped-def]
    """Send keys with scripted timestamps (``Key.time``), as the terminal driver would."""
    now = start
    for ch in text:
        if ch == "\n":
            event = events.Key("enter", "\r")
        elif ch == "\b":
            event = events.Key("backspace", "\x08")
        else:
            event = events.Key(ch if ch.isalnum() else "x", ch)
        event.time = now
        pilot.app.post_message(event)
        now += gap_s
    await pilot.pause()
    return now


async def test_a_burst_ending_in_enter_is_a_scan() -> None:
    app = ScanInputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one(ScanInput)
        field.focus()
        end = await _type(pilot, "Dub", gap_s=0.25)  # a person starts typing
        await _type(pilot, "4006381333931\n", gap_s=0.004, start=end + 3)  # then scans
        assert app.scans == [("4006381333931", "terminal")]
        assert field.value == "Dub" and field.cursor_position == 3
        assert app.submitted == []


async def test_ordinary_typing_submits_normally() -> None:
    app = ScanInputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(ScanInput).focus()
        await _type(pilot, "Marie\n", gap_s=0.12)
        assert app.submitted == ["Marie"] and app.scans == []
        await _type(pilot, "abc\n", gap_s=0.002, start=2000)  # fast, but too short
        assert app.submitted == ["Marie", "Marieabc"] and app.scans == []
        # fast keys, then a person's pause before Enter
        await _type(pilot, "\b\b\b", gap_s=0.3, start=2500)
        await _type(pilot, "12345", gap_s=0.002, start=3000)
        await _type(pilot, "\n", gap_s=0, start=3001)
        assert app.submitted[-1] == "Marie12345" and app.scans == []


async def test_threshold_is_configurable() -> None:
    app = ScanInputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one(ScanInput)
        field.focus()
        await _type(pilot, "123456\n", gap_s=0.04)
        assert app.submitted == ["123456"]
        field.value = ""
        app.scan_detector.burst_ms = 60
        await _type(pilot, "123456\n", gap_s=0.04, start=5000)
        assert app.scans == [("123456", "terminal")] and field.value == ""


# --- issue 16 §5: no half scan, and no stalled typing taken for a scan -------------------


def _notices(app: App[None]) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_scan_stalled_midway_is_refused_whole_and_the_field_put_back() -> None:
    """``035751`` then a 1 s stall then ``111064`` Enter: never ``111064`` as a code."""
    app = ScanInputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one(ScanInput)
        field.focus()
        end = await _type(pilot, "Dub", gap_s=0.25)
        end = await _type(pilot, "035751", gap_s=0.004, start=end + 3)
        await _type(pilot, "111064\n", gap_s=0.004, start=end + 1.0)
        await pilot.pause()
        assert app.scans == [] and app.submitted == []
        assert field.value == "Dub"  # as it was before the scan began
        assert _notices(app) == [RESCAN]
        # the cashier scans again: read whole
        await _type(pilot, "035751111064\n", gap_s=0.004, start=end + 2)
        assert app.scans == [("035751111064", "terminal")] and field.value == "Dub"


async def test_typing_held_back_by_an_ssh_stall_is_typing_not_a_scan() -> None:
    """``c`` typed, the link stalls, ``rois`` Enter arrive in one read: a search for crois."""
    app = ScanInputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one(ScanInput)
        field.focus()
        end = await _type(pilot, "c", gap_s=0.15)
        await _type(pilot, "rois\n", gap_s=0.00002, start=end + 0.9)
        assert app.submitted == ["crois"] and app.scans == []
        assert _notices(app) == []


async def test_a_scan_on_top_of_typing_is_not_a_code_and_keeps_every_key() -> None:
    app = ScanInputApp()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one(ScanInput)
        field.focus()
        end = await _type(pilot, "0", gap_s=0.15)  # or a scan's first key, then a stall
        end = await _type(pilot, "35751111064\n", gap_s=0.004, start=end + 1.0)
        assert app.scans == [] and app.submitted == []
        assert field.value == "035751111064" and _notices(app) == [UNSURE]
        await _type(pilot, "\n", gap_s=0, start=end + 0.5)  # Enter again: taken as typed
        assert app.submitted == ["035751111064"] and app.scans == []


class Question(ModalScreen[None]):
    """A question whose focused button an Enter would press."""

    def compose(self) -> ComposeResult:
        yield Button("Yes", id="yes")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.app.pressed += 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("tail", ["111064\n", "\n"])
async def test_in_a_question_a_stalled_scan_presses_nothing(tail: str) -> None:
    app = ScanInputApp()
    app.pressed = 0  # type: ignore[attr-defined]
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(Question())
        await pilot.pause()
        head = "035751" if tail != "\n" else "035751111064"
        end = await _type(pilot, head, gap_s=0.004, start=5000)
        await pilot.pause(0.2)  # the held keys wait out the gap, then are dropped
        await _type(pilot, tail, gap_s=0.004, start=end + 0.7)
        await pilot.pause(0.2)
        assert app.pressed == 0  # type: ignore[attr-defined]
        assert app.scans == [] and RESCAN in _notices(app)
        # a person's Enter later still answers
        await _type(pilot, "\n", gap_s=0, start=end + 5)
        await pilot.pause()
        assert app.pressed == 1  # type: ignore[attr-defined]


async def test_in_a_question_a_scan_right_after_a_key_presses_nothing() -> None:
    """A person's key, then within 2 s a scanner-paced burst and Enter: not a code, and
    not an answer either (no field holds the keys: they are said to be unused)."""
    app = ScanInputApp()
    app.pressed = 0  # type: ignore[attr-defined]
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(Question())
        await pilot.pause()
        end = await _type(pilot, "x", gap_s=0.15, start=5000)
        await pilot.pause(0.2)  # the lone key waits out the gap, then goes to the button
        await _type(pilot, "35751111064\n", gap_s=0.004, start=end + 0.8)
        await pilot.pause(0.2)
        assert app.pressed == 0  # type: ignore[attr-defined]
        assert app.scans == []
        assert any("Keys typed at scanner speed not used: 35751111064" in n for n in _notices(app))


# --- the same at the register, in the real app -------------------------------------------

PEN = "3000000000024"  # Stylo plume, in sales_store's catalogue


def _sale_lines(engine: Engine) -> list[tuple[str, int]]:
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, "till-1")
    return [(line.description, line.quantity) for line in view.lines] if view else []


async def test_at_the_register_a_stalled_scan_adds_nothing_and_the_rescan_adds_the_item(
    engine: Engine, drive: Drive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    build_store(engine)
    async with drive(register="till-1", notifications=True) as (app, pilot):
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        field = app.screen.query_one("#scan-input", Input)
        end = await _type(pilot, PEN[:6], gap_s=0.004, start=7000)
        await _type(pilot, PEN[6:] + "\n", gap_s=0.004, start=end + 1.2)  # a 1.2 s stall
        await wait_until(pilot, lambda: RESCAN in _notices(app), "the rescan notice")
        await settle(pilot)
        assert field.value == "" and _sale_lines(engine) == []
        await _type(pilot, PEN + "\n", gap_s=0.004, start=end + 3)
        await wait_until(
            pilot, lambda: _sale_lines(engine) == [("Stylo plume", 1)], "the pen on the sale"
        )
        assert field.value == ""
