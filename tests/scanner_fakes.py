"""Play a HID scanner without hardware: event traces, fake devices, a fake backend.

The kernel here has no uinput, so traces are built the way ``evtest`` shows a real
scanner: for each key an ``EV_MSC/MSC_SCAN`` with the HID usage, the ``EV_KEY``, then
``SYN_REPORT``; Shift pressed around shifted characters.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections import deque
from collections.abc import Iterable

from evdev import InputEvent, ecodes

from tillterm.scanner.devices import DeviceEntry, DeviceIdentity
from tillterm.scanner.layouts import KEY_ENTER, KEY_LEFTSHIFT, KEY_RIGHTALT, encode, get_layout

T0 = 1_760_000_000  # a plausible wall-clock second for event timestamps


class Clock:
    """Microsecond timestamps that only move forward."""

    def __init__(self, sec: int = T0, usec: int = 0) -> None:
        self.us = sec * 1_000_000 + usec

    def advance(self, us: int) -> None:
        self.us += us

    def stamp(self) -> tuple[int, int]:
        return divmod(self.us, 1_000_000)


def key(clock: Clock, code: int, value: int, *, msc: bool = True) -> list[InputEvent]:
    """One key transition as the kernel reports it: MSC_SCAN, EV_KEY, SYN_REPORT."""
    sec, usec = clock.stamp()
    events = []
    if msc:
        events.append(InputEvent(sec, usec, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code))
    events.append(InputEvent(sec, usec, ecodes.EV_KEY, code, value))
    events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
    return events


def tap(clock: Clock, code: int, *, gap_us: int = 2000, msc: bool = True) -> list[InputEvent]:
    events = key(clock, code, 1, msc=msc)
    clock.advance(gap_us // 2)
    events += key(clock, code, 0, msc=msc)
    clock.advance(gap_us - gap_us // 2)
    return events


def scan(
    text: str,
    layout: str = "us",
    *,
    clock: Clock | None = None,
    gap_us: int = 2000,
    terminator: int | None = KEY_ENTER,
    shift_key: int = KEY_LEFTSHIFT,
    msc: bool = True,
) -> list[InputEvent]:
    """The events a scanner set to ``layout`` sends for ``text`` (then the terminator)."""
    clock = clock or Clock()
    events: list[InputEvent] = []
    for code, shift, altgr in encode(text, get_layout(layout)):
        modifier = shift_key if shift else KEY_RIGHTALT if altgr else None
        if modifier is not None:
            events += key(clock, modifier, 1, msc=msc)
        events += tap(clock, code, gap_us=gap_us, msc=msc)
        if modifier is not None:
            events += key(clock, modifier, 0, msc=msc)
    if terminator is not None:
        events += tap(clock, terminator, gap_us=gap_us, msc=msc)
    return events


def decode_all(decoder, events: Iterable[InputEvent]) -> list[str]:  # type: ignore[no-untyped-def]
    return [code for code in map(decoder.feed, events) if code is not None]


def entry(
    path: str = "/dev/input/event3",
    name: str = "Honeywell Scanning and Mobility 1900",
    vendor: int = 0x0C2E,
    product: int = 0x0B61,
    uniq: str = "",
) -> DeviceEntry:
    return DeviceEntry(path=path, identity=DeviceIdentity(name, vendor, product, uniq))


class FakeDevice:
    """A device the listener can ``select()`` on: a pipe carries the wake-ups."""

    def __init__(self, held: Iterable[int] = (), grab_error: OSError | None = None) -> None:
        self.fd, self._wake = os.pipe()
        os.set_blocking(self.fd, False)
        self.queue: deque[object] = deque()
        self.held = list(held)
        self.grab_error = grab_error
        self.grabbed = False
        self.grab_calls = 0
        #: how often the listener asked which keys are held (each grab attempt does)
        self.key_checks = 0
        self.closed = False

    def push(self, events: Iterable[object]) -> None:
        """Queue events (or an OSError to raise) and wake the reader."""
        self.queue.extend(events)
        os.write(self._wake, b"!")

    def unplug(self) -> None:
        self.push([OSError(errno.ENODEV, "No such device")])

    def read(self) -> Iterable[object]:
        with contextlib.suppress(BlockingIOError):
            os.read(self.fd, 4096)
        batch = []
        while self.queue:
            item = self.queue.popleft()
            if isinstance(item, OSError):
                yield from batch
                raise item
            batch.append(item)
        if not batch:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        yield from batch

    def grab(self) -> None:
        self.grab_calls += 1
        if self.grab_error is not None:
            raise self.grab_error
        if self.held:
            raise AssertionError("grabbed while a key was held")
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def active_keys(self) -> list[int]:
        self.key_checks += 1
        return list(self.held)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)
            os.close(self._wake)


class FakeBackend:
    """Entries the test edits; ``open`` hands out prepared devices or raises."""

    def __init__(self) -> None:
        self.entries: list[DeviceEntry] = []
        self.devices: dict[str, FakeDevice | OSError] = {}
        self.opened: list[str] = []
        #: how many times the listener listed the devices: one per rescan
        self.enumerations = 0

    def add(self, dev_entry: DeviceEntry, device: FakeDevice | OSError) -> None:
        self.entries.append(dev_entry)
        self.devices[dev_entry.path] = device

    def remove(self, path: str) -> None:
        self.entries = [e for e in self.entries if e.path != path]

    def enumerate(self) -> list[DeviceEntry]:
        self.enumerations += 1
        return list(self.entries)

    def open(self, dev_entry: DeviceEntry) -> FakeDevice:
        device = self.devices[dev_entry.path]
        if isinstance(device, OSError):
            raise device
        self.opened.append(dev_entry.path)
        return device
