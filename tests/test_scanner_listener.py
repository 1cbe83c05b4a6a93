"""The reader thread, against fake devices: unplug, permissions, grabs, the C read path."""

from __future__ import annotations

import errno
import os
import queue
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import wait_until_blocking
from evdev import ecodes
from evdev.eventio import EventIO
from scanner_fakes import T0, Clock, FakeBackend, FakeDevice, entry, scan

from tillterm.scanner import listener as listener_module
from tillterm.scanner.config import ScannerConfig
from tillterm.scanner.decoder import ScanDecoder
from tillterm.scanner.listener import ScannerListener

INPUT_EVENT = struct.Struct("@llHHi")  # struct input_event on 64-bit Linux


@pytest.fixture(autouse=True)
def _fast_rescans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listener_module, "RESCAN_MISSING_S", 0.02)
    monkeypatch.setattr(listener_module, "RESCAN_IDLE_S", 0.05)
    monkeypatch.setattr(listener_module, "GRAB_RETRY_S", 0.01)


class Run:
    """A started listener with its codes and notices collected."""

    def __init__(self, backend: FakeBackend, config: ScannerConfig | None = None) -> None:
        self.codes: queue.Queue[tuple[str, str]] = queue.Queue()
        self.notices: list[str] = []
        self.listener = ScannerListener(
            lambda code, device: self.codes.put((code, device)),
            self.notices.append,
            config=config or ScannerConfig(layout="us"),
            backend=backend,
        )
        assert self.listener.start()

    def code(self) -> tuple[str, str]:
        wait_until_blocking(lambda: not self.codes.empty(), "a code from the listener")
        return self.codes.get_nowait()

    def noticed(self, text: str) -> bool:
        return any(text in n for n in self.notices)

    def wait_notice(self, text: str) -> None:
        wait_until_blocking(
            lambda: self.noticed(text), lambda: f"a notice with {text!r}: {self.notices}"
        )

    def rescans(self, backend: FakeBackend, count: int) -> None:
        """Wait until the listener has listed the devices ``count`` more times: what
        it would repeat (a notice, a grab) has had that many chances to happen."""
        target = backend.enumerations + count
        wait_until_blocking(lambda: backend.enumerations >= target, f"{count} more rescans")


@pytest.fixture
def run() -> Iterator[Callable[..., Run]]:
    started: list[Run] = []

    def start(backend: FakeBackend, config: ScannerConfig | None = None) -> Run:
        started.append(Run(backend, config))
        return started[-1]

    yield start
    for item in started:
        item.listener.stop()
        assert not item.listener.running


def test_reads_grabs_and_releases_an_auto_detected_scanner(run: Callable[..., Run]) -> None:
    backend = FakeBackend()
    device = FakeDevice()
    backend.add(entry(), device)
    keyboard = FakeDevice()
    backend.add(entry("/dev/input/event0", "AT Translated Set 2 keyboard", 1, 1), keyboard)
    r = run(backend)
    r.wait_notice("Scanner ready")
    assert device.grabbed and backend.opened == ["/dev/input/event3"]
    device.push(scan("4006381333931"))
    assert r.code() == ("4006381333931", "Honeywell Scanning and Mobility 1900 (0c2e:0b61)")
    r.listener.stop()
    assert device.closed and not device.grabbed
    assert not keyboard.closed  # never opened, never grabbed


def test_unplug_mid_scan_then_replug_as_another_event_node(run: Callable[..., Run]) -> None:
    backend = FakeBackend()
    first = FakeDevice()
    backend.add(entry("/dev/input/event3"), first)
    r = run(backend, ScannerConfig(device="/dev/input/event3", layout="us"))
    r.wait_notice("Scanner ready")
    clock = Clock()
    first.push(scan("40063813", clock=clock, terminator=None))
    backend.remove("/dev/input/event3")
    first.unplug()
    r.wait_notice("unplugged during a scan")
    assert first.closed and r.codes.empty()

    second = FakeDevice()
    started = time.monotonic()
    backend.add(entry("/dev/input/event7"), second)
    r.wait_notice("is back")
    assert time.monotonic() - started < 2.0
    assert second.grabbed
    # a scanner that reconnects may send the rest of the cut code: never a code itself
    clock.advance(500_000)
    second.push(scan("33931", clock=clock))
    r.wait_notice("Scan not read whole")
    clock.advance(2_500_000)  # past the stall window: a fresh scan
    second.push(scan("4006381333931", clock=clock))
    assert r.code()[0] == "4006381333931"
    assert r.codes.empty()


def test_permission_denied_is_one_notice(run: Callable[..., Run]) -> None:
    backend = FakeBackend()
    backend.add(entry(), PermissionError(errno.EACCES, "Permission denied"))
    r = run(backend)
    r.wait_notice("No permission")
    r.rescans(backend, 10)
    assert len(r.notices) == 1
    assert "'input' group" in r.notices[0] and "udev" in r.notices[0]


def test_ebusy_on_grab_leaves_the_scanner_to_its_owner(
    run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listener_module, "BUSY_RETRY_S", 60.0)
    backend = FakeBackend()
    device = FakeDevice(grab_error=OSError(errno.EBUSY, "Device or resource busy"))
    backend.add(entry(), device)
    r = run(backend)
    r.wait_notice("in use by another program")
    assert "typed into the terminal" in r.notices[0]
    wait_until_blocking(lambda: device.closed, "the busy device to be closed")
    r.rescans(backend, 3)
    assert device.grab_calls == 1 and len(r.notices) == 1


def test_grab_waits_until_no_key_is_held(run: Callable[..., Run]) -> None:
    backend = FakeBackend()
    device = FakeDevice(held=[ecodes.KEY_ENTER])
    backend.add(entry(), device)
    r = run(backend)
    r.wait_notice("Scanner ready")
    checks = device.key_checks
    wait_until_blocking(lambda: device.key_checks >= checks + 3, "three more grab attempts")
    assert not device.grabbed and device.grab_calls == 0
    device.held = []
    wait_until_blocking(lambda: device.grabbed, "the grab once the key is released")
    device.push(scan("123"))
    assert r.code()[0] == "123"


def test_other_grab_errors_still_read(run: Callable[..., Run]) -> None:
    backend = FakeBackend()
    device = FakeDevice(grab_error=OSError(errno.EINVAL, "Invalid argument"))
    backend.add(entry(), device)
    r = run(backend)
    r.wait_notice("Could not take")
    device.push(scan("ABC"))
    assert r.code()[0] == "ABC"


def _two_datalogics() -> tuple[FakeBackend, FakeDevice, FakeDevice]:
    backend = FakeBackend()
    a, b = FakeDevice(), FakeDevice()
    backend.add(entry("/dev/input/event3", "Datalogic Scanner A", 0x05F9, 1), a)
    backend.add(entry("/dev/input/event4", "Datalogic Scanner B", 0x05F9, 2), b)
    return backend, a, b


def test_vendor_product_picks_one_scanner(run: Callable[..., Run]) -> None:
    backend, a, b = _two_datalogics()
    r = run(backend, ScannerConfig(device="05f9:0001", layout="us"))
    r.wait_notice("Scanner ready")
    assert backend.opened == ["/dev/input/event3"] and a.grabbed and not b.grabbed


def test_two_scanners_at_once(run: Callable[..., Run]) -> None:
    backend, a, b = _two_datalogics()
    r = run(backend, ScannerConfig(device="datalogic", layout="us"))
    wait_until_blocking(lambda: a.grabbed and b.grabbed, "both scanners")
    first, second = scan("111111"), scan("222222")
    for i in range(0, len(first), 3):  # whole key reports, alternating between devices
        a.push(first[i : i + 3])
        b.push(second[i : i + 3])
    got = {r.code(), r.code()}
    assert got == {
        ("111111", "Datalogic Scanner A (05f9:0001)"),
        ("222222", "Datalogic Scanner B (05f9:0002)"),
    }


def test_configured_scanner_missing_is_said_once(run: Callable[..., Run]) -> None:
    backend = FakeBackend()
    r = run(backend, ScannerConfig(device="0c2e:0b61", layout="us"))
    r.wait_notice("not connected")
    r.rescans(backend, 5)
    assert len(r.notices) == 1


def test_bad_config_file_falls_back_to_defaults(tmp_path: Path, run: Callable[..., Run]) -> None:
    bad = tmp_path / "scanner.toml"
    bad.write_text("[scanner]\nlayout = 'klingon'\n")
    notices: list[str] = []
    listener = ScannerListener(
        lambda c, d: None, notices.append, config_file=bad, backend=FakeBackend()
    )
    listener.start()
    wait_until_blocking(lambda: notices, "a notice")
    listener.stop()
    assert "klingon" in notices[0] and "default" in notices[0]


def test_no_evdev_means_one_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listener_module, "evdev_problem", lambda: "evdev is missing here")
    notices: list[str] = []
    listener = ScannerListener(lambda c, d: None, notices.append)
    assert listener.start() is False
    assert not listener.running
    assert len(notices) == 1 and "typed into the terminal" in notices[0]
    listener.stop()


# --- the real C read path ---------------------------------------------------------------


class PipeEvents(EventIO):
    """evdev's own reader (``_input.device_read_many``) on a pipe instead of a device."""

    def __init__(self, fd: int) -> None:
        self.fd = fd


def _pack(events: list) -> bytes:  # type: ignore[type-arg]
    return b"".join(INPUT_EVENT.pack(e.sec, e.usec, e.type, e.code, e.value) for e in events)


def test_packed_input_events_through_evdev_c_reader() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    try:
        pipe = PipeEvents(read_fd)
        with pytest.raises(BlockingIOError):
            list(pipe.read())
        events = scan("Ab-4006381333931", "de")
        os.write(write_fd, _pack(events))
        decoder = ScanDecoder("de")
        got = []
        while True:
            try:
                batch = list(pipe.read())  # at most 64 events per read, like a device
            except BlockingIOError:
                break
            assert len(batch) <= 64
            got += [c for c in map(decoder.feed, batch) if c]
        assert got == ["Ab-4006381333931"]
    finally:
        os.close(read_fd)
        os.close(write_fd)


class PipeDevice(FakeDevice):
    """A fake device whose events really go through evdev's C reader."""

    def __init__(self) -> None:
        super().__init__()
        self.events = PipeEvents(self.fd)

    def push(self, events) -> None:  # type: ignore[no-untyped-def, override]
        os.write(self._wake, _pack(list(events)))

    def read(self):  # type: ignore[no-untyped-def, override]
        return self.events.read()


def test_listener_over_the_c_reader(run: Callable[..., Run]) -> None:
    backend = FakeBackend()
    device = PipeDevice()
    backend.add(entry(), device)
    r = run(backend, ScannerConfig(layout="fr"))
    r.wait_notice("Scanner ready")
    device.push(scan("CUST-00042", "fr") + scan("12", "fr", gap_us=300_000))
    assert r.code()[0] == "CUST-00042"
    # a later scan comes out next: the slow one before it was read and dropped
    device.push(scan("MARK-1", "fr", clock=Clock(sec=T0 + 10)))
    assert r.code()[0] == "MARK-1"
    assert r.codes.empty()


def test_a_stalled_scan_is_a_rescan_notice_not_a_code(run: Callable[..., Run]) -> None:
    """Issue 16 §5: the tail of a scan that stalled 1 s is never delivered as a code."""
    backend = FakeBackend()
    device = FakeDevice()
    backend.add(entry(), device)
    r = run(backend)
    r.wait_notice("Scanner ready")
    clock = Clock()
    device.push(scan("035751", clock=clock, terminator=None))
    clock.advance(1_000_000)
    device.push(scan("111064", clock=clock))
    r.wait_notice("Scan not read whole — scan it again.")
    label = "Honeywell Scanning and Mobility 1900 (0c2e:0b61)"
    assert f"{label}: Scan not read whole — scan it again." in r.notices
    assert not r.noticed("without Enter")
    clock.advance(1_000_000)
    device.push(scan("035751111064", clock=clock))
    assert r.code() == ("035751111064", label)
    assert r.codes.empty()
