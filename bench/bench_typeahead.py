"""Type-ahead (issue 16 §1): what handing keys on one at a time costs, and how soon
keys typed ahead of a screen reach it.

In the real app at 80×24 (headless), every key posted at once as one terminal read:

- 200 characters into the register's scan field, until the field holds them all, with
  type-ahead and without it (the same app with ``TypeAhead`` bypassed): the price of
  settling each key before the next;
- ``F9 30 Enter`` on a one-line sale, until the cash payment with 30 tendered is shown;
- ``F3 Ctrl+N Zoe``, until the new-customer form's first name holds "Zoe".
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from textual import events
from textual.widgets import Input

from tillterm.store.engine import open_db
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.widgets.scan_input import TerminalScans

ROUNDS = 5
TEXT = ("stylo plume " * 20)[:200]


class _NoTypeAhead(TilltermApp):
    """The app as it was: each key forwarded at once (for comparison only)."""

    async def on_event(self, event: events.Event) -> None:
        await TerminalScans.on_event(self, event)


def _key(name: str) -> events.Key:
    if name == "space" or name == " ":
        return events.Key("space", " ")
    if name == "enter":
        return events.Key("enter", "\r")
    if name == "ctrl+n":
        return events.Key("ctrl+n", "\x0e")
    if len(name) == 1:
        return events.Key(name, name)
    return events.Key(name, None)


async def _until(condition: Callable[[], bool]) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > 10:
            raise TimeoutError("the keys never arrived")
        await asyncio.sleep(0.001)
    return time.monotonic()


def _case(case: str) -> tuple[list[str], Callable[[TilltermApp], bool]]:
    """The keys of ``case`` and the sign that they all arrived."""
    if case == "F9 30 Enter":

        def paid(app: TilltermApp) -> bool:
            summary = app.screen.query("#payment-summary")
            return bool(summary) and "given 30.00" in str(summary.first().render())

        return ["f9", "3", "0", "enter"], paid
    if case == "F3 Ctrl+N Zoe":

        def typed(app: TilltermApp) -> bool:
            field = app.screen.query("#field-first_name")
            return bool(field) and field.first(Input).value == "Zoe"

        return ["f3", "ctrl+n", "Z", "o", "e"], typed

    def in_field(app: TilltermApp) -> bool:
        return app.screen.query_one("#scan-input", Input).value == TEXT

    return [{" ": "space"}.get(ch, ch) for ch in TEXT], in_field


async def _run(app_class: type[TilltermApp], case: str) -> list[float]:
    from sales_store import build_store

    keys, done = _case(case)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        engine = open_db(Path(folder) / "till.db")
        build_store(engine)
        for _ in range(ROUNDS):
            app = app_class(engine, scanner=False, register=f"bench-{time.monotonic_ns()}")
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause(0.3)
                if case == "F9 30 Enter":
                    app.post_message(ScanReceived("3000000000024"))
                    await pilot.pause(0.3)
                first = None
                for name in keys:
                    event = _key(name)
                    first = first or event.time
                    app.post_message(event)
                end = await _until(lambda app=app: done(app))  # type: ignore[misc]
                assert first is not None
                times.append((end - first) * 1000)
        engine.dispose()
    return times


def main() -> None:
    print(f"(headless, 80×24, median and max of {ROUNDS}; the machine may be shared)")
    for label, app_class, case in (
        ("200 chars, type-ahead", TilltermApp, "typing"),
        ("200 chars, without", _NoTypeAhead, "typing"),
        ("F9 30 Enter shown", TilltermApp, "F9 30 Enter"),
        ("F3 Ctrl+N Zoe in form", TilltermApp, "F3 Ctrl+N Zoe"),
    ):
        times = asyncio.run(_run(app_class, case))
        print(f"{label:24} median {statistics.median(times):7.1f} ms, max {max(times):7.1f} ms")


if __name__ == "__main__":
    main()
