"""How fast this machine is right now, printed beside the figures.

The benchmark machine is shared and its speed moves by 2-5x from one hour to another
(this loop took 82-90 ms in a fast hour one day, and 143-236 ms within one hour on
another), so a figure read without the machine's speed at the time cannot be compared
with another day's. ``make bench``
prints this line before and after the benchmarks; a benchmark may print it beside a
figure of its own.
"""

from __future__ import annotations

import os
import statistics
import time

#: additions in the calibration loop
LOOP = 3_000_000


def loop_ms() -> float:
    """The median of three runs of a pure-Python loop of :data:`LOOP` additions, in ms."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(LOOP):
            total += i
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def _cpu_times() -> tuple[int, int] | None:
    """(all, stolen) CPU time of the machine so far, in clock ticks (Linux only)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    stolen = fields[7] if len(fields) > 7 else 0
    return sum(fields[:8]), stolen


def speed_line() -> str:
    """Loop time, load average, and the share of CPU time the host took from this
    machine (steal) while the loop ran."""
    before = _cpu_times()
    loop = loop_ms()
    after = _cpu_times()
    steal = ""
    if before and after and after[0] > before[0]:
        share = 100 * (after[1] - before[1]) / (after[0] - before[0])
        steal = f", CPU stolen by the host {share:.0f}%"
    return (
        f"machine speed: {LOOP:,}-addition Python loop {loop:.0f} ms, load average "
        f"{os.getloadavg()[0]:.2f}{steal}"
    )


if __name__ == "__main__":
    print(speed_line())
