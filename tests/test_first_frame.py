"""A screen's first read shown in its first frame (``tillterm.ui.screens.base``:
``FirstRead.first_read``).

Issue 17 (every screen's first page <= 50 ms): what these promise besides speed is that
nothing is lost or shown twice. An answer in by the screen's first showing is shown
there and never handled again; one that comes later is posted as usual; a failure is
told; and keys typed while an answer waits for the first showing reach what it builds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, Static

from tests.conftest import Drive, wait_until
from tillterm.core.errors import TilltermError
from tillterm.ui.screens.base import TillScreen


class Probe(TillScreen[None]):
    """A screen whose first read is ``job``: each answer it handles is kept in order."""

    @dataclass
    class Read(Message):
        value: str

    @dataclass
    class Failed(Message):
        error: str

    def __init__(self, job: Callable[[], str]) -> None:
        super().__init__()
        self.job = job
        self.shown: list[str] = []
        self.failures: list[str] = []
        #: what the screen showed at its first frame (its first resume, before layout)
        self.at_first_showing: list[str] | None = None

    def compose(self) -> ComposeResult:
        yield Static("probe", id="probe")
        yield Input(id="probe-input")
        self.first_read(
            "probe",
            self.job,
            self.Read,
            self.Failed,
            show=self._read,
            description="reading the probe",
        )

    def on_screen_resume(self) -> None:
        # the screen's own handler runs before the base's: what it sees is before
        self.call_later(self._note_first_showing)

    def _note_first_showing(self) -> None:
        if self.at_first_showing is None:
            self.at_first_showing = list(self.shown)

    @on(Read)
    def _read(self, message: Read) -> None:
        if not self.shown:
            #: the first frame is drawn as the screen is first laid out: shown before
            #: that, the answer is in it
            self.laid_out_before = bool(self._compositor.visible_widgets)
        self.shown.append(message.value)
        self.query_one("#probe-input", Input).focus()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.failures.append(message.error)


async def test_an_answer_in_by_the_first_showing_is_shown_there_once(drive: Drive) -> None:
    async with drive() as (app, pilot):
        screen = Probe(lambda: "fast")
        # waited for as long as it takes here: a loaded machine is no reason to fail
        screen.FIRST_READ_WAIT = 10.0
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.at_first_showing is not None, "first showing")
        await wait_until(pilot, lambda: not screen.jobs_running("probe"), "the read's end")
        await pilot.pause()
        await pilot.pause()
        assert screen.shown == ["fast"], "shown once: by the first showing or by its message"
        assert screen.at_first_showing == ["fast"], "shown by the first showing"
        assert not screen.laid_out_before, "shown before the first layout: in the first frame"


async def test_a_slow_answer_comes_as_a_message_once(drive: Drive) -> None:
    release = threading.Event()

    def slow() -> str:
        release.wait(5)
        return "slow"

    async with drive() as (app, pilot):
        screen = Probe(slow)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.at_first_showing is not None, "first showing")
        assert screen.at_first_showing == [], "not waited for beyond FIRST_READ_WAIT"
        release.set()
        await wait_until(pilot, lambda: screen.shown, "the slow answer")
        await pilot.pause()
        assert screen.shown == ["slow"]
        assert screen.laid_out_before, "drawn first without it, then with it"


async def test_a_refused_read_is_told(drive: Drive) -> None:
    def refused() -> str:
        raise TilltermError("the database is locked")

    async with drive() as (app, pilot):
        screen = Probe(refused)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.failures, "the failure's message")
        assert screen.failures == ["the database is locked"]
        assert screen.shown == []


async def test_keys_wait_for_an_answer_held_for_the_first_showing(drive: Drive) -> None:
    """The read's worker has ended but its answer waits for the first showing: keys
    typed then wait too, and land in the field the answer focuses."""
    async with drive() as (app, pilot):
        screen = Probe(lambda: "fast")
        screen._first_answers.append((Probe.Read("held"), screen._read))  # as a worker does
        assert screen.keys_wait
        await app.push_screen(screen)
        await pilot.press("4", "2")
        await wait_until(pilot, lambda: screen.shown[:1] == ["held"], "the held answer")
        await wait_until(
            pilot,
            lambda: screen.query_one("#probe-input", Input).value == "42",
            "the keys in the field the answer focused",
        )
        assert not screen.keys_wait


async def test_an_unexpected_failure_is_not_waited_for(drive: Drive) -> None:
    """A first read that fails unexpectedly (told by the app, as any job's) answers
    neither way: the first showing does not wait its whole FIRST_READ_WAIT for it."""

    def broken() -> str:
        raise RuntimeError("a bug in the read")

    async with drive() as (app, pilot):
        screen = Probe(broken)
        screen.FIRST_READ_WAIT = 60.0
        pushed = time.monotonic()
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.at_first_showing is not None, "first showing")
        # not a budget: waited for, the first showing would have blocked the app a minute
        assert time.monotonic() - pushed < 30, "the first showing waited for a dead read"
        assert screen.shown == [] and screen.failures == []
