"""Scanner decoder throughput (budget: at least 200,000 events/s).

A real scanner trace has, per character, an MSC_SCAN, the key event and a SYN_REPORT
for both press and release (plus Shift around shifted characters), so a 13-digit
EAN-13 is about 90 events. The decoder must keep up with several scanners and with the
kernel's 64-event buffer, so it is measured on evdev ``InputEvent`` objects, as read.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from evdev import InputEvent, ecodes

from tillterm.scanner import ScanDecoder
from tillterm.scanner.layouts import KEY_ENTER, KEY_LEFTSHIFT, encode, get_layout

BUDGET = 200_000


def trace(codes: list[str], layout: str) -> list[InputEvent]:
    events: list[InputEvent] = []
    us = 1_760_000_000 * 1_000_000

    def key(code: int, value: int) -> None:
        sec, usec = divmod(us, 1_000_000)
        events.append(InputEvent(sec, usec, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code))
        events.append(InputEvent(sec, usec, ecodes.EV_KEY, code, value))
        events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))

    for text in codes:
        for code, shift, _altgr in encode(text, get_layout(layout)):
            if shift:
                key(KEY_LEFTSHIFT, 1)
            key(code, 1)
            us += 1000
            key(code, 0)
            us += 1000
            if shift:
                key(KEY_LEFTSHIFT, 0)
        key(KEY_ENTER, 1)
        key(KEY_ENTER, 0)
        us += 300_000
    return events


def measure(layout: str, codes: list[str], rounds: int = 5) -> tuple[float, int]:
    events = trace(codes, layout)
    rates = []
    for _ in range(rounds):
        decoder = ScanDecoder(layout, on_notice=lambda text: None)
        feed = decoder.feed
        started = time.perf_counter()
        decoded = sum(1 for event in events if feed(event) is not None)
        rates.append(len(events) / (time.perf_counter() - started))
        assert decoded == len(codes), (decoded, len(codes))
    return statistics.median(rates), len(events)


def main() -> None:
    eans = [f"{400638133393 + i:012d}" for i in range(2000)]
    eans = [
        code + str((10 - sum(int(d) * (3 if j % 2 else 1) for j, d in enumerate(code)) % 10) % 10)
        for code in eans
    ]
    mixed = [f"CUST-{i:05d}" for i in range(2000)]
    for label, layout, codes in [
        ("EAN-13, us", "us", eans),
        ("EAN-13, fr (shifted digits)", "fr", eans),
        ("customer codes, de", "de", mixed),
    ]:
        rate, count = measure(layout, codes)
        verdict = "ok" if rate >= BUDGET else "OVER BUDGET"
        print(
            f"decoder {label:<28} {rate:>12,.0f} events/s  ({count:,} events; "
            f"budget {BUDGET:,}: {verdict})"
        )


if __name__ == "__main__":
    main()
