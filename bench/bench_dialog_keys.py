"""How soon a person's key answers a question (budget: about 0.1 s).

In a question, a printable key waits out the scan gap (80 ms) before it is taken, so a
scan beginning with the question's letter never answers it (issue 12 §4, see
``tillterm.ui.widgets.scan_input``). This measures, in the real app at 80×24, the time
from the key's own timestamp (as the terminal driver stamps it) to the answer reaching
the question's callback, for "y" in a yes/no box; and, for comparison, Esc, which is
not held.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from textual import events

from tillterm.store.engine import open_db
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen

BUDGET_MS = 100.0
ROUNDS = 20


async def _measure(key: str, character: str | None) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_db(Path(folder) / "till.db")
        app = TilltermApp(engine, scanner=False)
        times: list[float] = []
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
            for _ in range(ROUNDS):
                answered = asyncio.Event()
                at: list[float] = []

                def done(answer: bool | None, at: list[float] = at, ev=answered) -> None:  # type: ignore[no-untyped-def]
                    at.append(time.monotonic())
                    ev.set()

                app.push_screen(ConfirmScreen("Question", "Answer it"), done)
                await pilot.pause(0.05)
                event = events.Key(key, character)
                app.post_message(event)
                await asyncio.wait_for(answered.wait(), 5)
                times.append((at[0] - event.time) * 1000)
                await pilot.pause(0.15)  # a person's next key comes later than the gap
        engine.dispose()
    return times


def main() -> None:
    for label, key, character in (
        ("y (held for the gap)", "y", "y"),
        ("Esc (not held)", "escape", None),
    ):
        times = asyncio.run(_measure(key, character))
        print(
            f"{label:22} answer after: median {statistics.median(times):5.1f} ms, "
            f"max {max(times):5.1f} ms over {len(times)} (budget {BUDGET_MS:.0f} ms)"
        )


if __name__ == "__main__":
    main()
