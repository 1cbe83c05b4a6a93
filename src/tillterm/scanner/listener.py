"""Read every configured scanner in one long-lived thread and hand codes to callbacks.

One thread waits in ``select()`` on the devices' file descriptors plus a stop pipe, so
stopping is immediate and no read is ever cancelled half-way (cancelling a task blocked in
python-evdev's ``async_read_loop()`` loses the next batch of events). The thread never
touches the UI: it calls ``on_code(code, device)`` and ``on_notice(text)``, which the app
turns into messages (``post_message`` is thread-safe) and the CLI prints.

What it copes with, because scanners do all of this in the field:

* unplug (``ENODEV`` mid-read) and replug as another ``eventN``: matched by identity
  (name, USB ids, serial) and taken again within half a second or so;
* a key held when we want the device exclusively: grabbing then would leave that key
  stuck down for the console, so the grab waits until no key is held;
* ``EBUSY`` on grab: another program (another tillterm) owns the scanner, so this one
  leaves it alone, says so, and tries again quietly now and then;
* no permission: one notice per device explaining the ``input`` group / udev rule;
* an overflowing kernel buffer (``SYN_DROPPED``): the decoder refuses the damaged code.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tillterm.i18n import _
from tillterm.scanner.config import ScannerConfig, ScannerConfigError, load_config
from tillterm.scanner.decoder import ScanDecoder, ScanTiming
from tillterm.scanner.devices import (
    PERMISSION_HELP,
    Backend,
    Device,
    DeviceEntry,
    DeviceIdentity,
    EvdevBackend,
    evdev_problem,
    match_spec,
)

#: how often the device list is looked at while a scanner is missing (replug ≤ 2 s)
RESCAN_MISSING_S = 0.4
#: ... and when everything wanted is open (a new scanner plugged in, auto mode)
RESCAN_IDLE_S = 2.0
#: how often a grab waiting for keys to be released is retried
GRAB_RETRY_S = 0.05
#: how long a scanner owned by another program is left alone before asking again
BUSY_RETRY_S = 10.0

_GONE = frozenset({errno.ENODEV, errno.ENOENT, errno.EIO, errno.ENXIO, errno.EBADF})


@dataclass(frozen=True)
class Scan:
    """One decoded code, where it came from and how fast it was typed."""

    code: str
    device: DeviceEntry
    timing: ScanTiming | None
    #: the key strokes that typed it (``scanner test --learn`` derives the layout from them)
    strokes: tuple[tuple[int, bool, bool], ...] = ()


@dataclass
class _Reader:
    entry: DeviceEntry
    device: Device
    decoder: ScanDecoder
    grabbed: bool = False
    grab_pending: bool = False
    fd: int = field(init=False)

    def __post_init__(self) -> None:
        self.fd = self.device.fd


class ScannerListener:
    """Finds, grabs and reads the scanners named by the configuration.

    ``config=None`` reads the configuration file in the reader thread (so the caller,
    the UI thread, does no file I/O). ``on_scan`` is for diagnostics that want timing.
    """

    def __init__(
        self,
        on_code: Callable[[str, str], None],
        on_notice: Callable[[str], None],
        *,
        config: ScannerConfig | None = None,
        config_file: Path | None = None,
        backend: Backend | None = None,
        on_scan: Callable[[Scan], None] | None = None,
    ) -> None:
        self.on_code = on_code
        self.on_notice = on_notice
        self.on_scan = on_scan
        self.config = config
        self._config_file = config_file
        self._backend = backend
        self._readers: dict[str, _Reader] = {}
        self._lost: set[DeviceIdentity] = set()
        #: scanners unplugged mid-code → event time of that code's last key: the code's
        #: rest, if the scanner sends it once back, is refused (never taken for a code)
        self._cut: dict[DeviceIdentity, int] = {}
        self._busy_until: dict[DeviceIdentity, float] = {}
        self._told: set[tuple[str, object]] = set()
        self._thread: threading.Thread | None = None
        self._stop_r, self._stop_w = -1, -1
        self._next_rescan = 0.0
        self.layout = "us"

    # --- life cycle --------------------------------------------------------------
    def start(self) -> bool:
        """Start reading in the background; ``False`` (and one notice) without evdev."""
        if self._backend is None:
            problem = evdev_problem()
            if problem:
                self.on_notice(
                    _(
                        "No barcode scanner reader: {problem}. "
                        "Scans typed into the terminal still work."
                    ).format(problem=problem)
                )
                return False
            self._backend = EvdevBackend()
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="tillterm-scanner", daemon=True)
        self._thread.start()
        return True

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the reader thread to finish, wait for it, release every device."""
        thread = self._thread
        if thread is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        thread.join(timeout)
        self._thread = None
        if not thread.is_alive():
            for fd in (self._stop_r, self._stop_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def devices(self) -> list[DeviceEntry]:
        """The devices being read right now (a snapshot, for diagnostics)."""
        return [reader.entry for reader in list(self._readers.values())]

    # --- the thread --------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._setup()
            self._loop()
        except Exception as exc:  # the reader must never take the app down
            self.on_notice(_("The scanner reader stopped: {error}").format(error=exc))
        finally:
            for reader in list(self._readers.values()):
                self._close(reader)
            self._readers.clear()

    def _setup(self) -> None:
        if self.config is None:
            try:
                self.config = load_config(self._config_file)
            except ScannerConfigError as exc:
                self.on_notice(_("{error} — using the default scanner settings.").format(error=exc))
                self.config = ScannerConfig()
        self.layout = self.config.resolved_layout()

    def _loop(self) -> None:
        while True:
            now = time.monotonic()
            if now >= self._next_rescan:
                self._rescan(now)
            timeout = max(0.0, self._next_rescan - now)
            if any(r.grab_pending for r in self._readers.values()):
                self._retry_grabs()
                timeout = min(timeout, GRAB_RETRY_S)
            fds = [self._stop_r, *(r.fd for r in self._readers.values())]
            try:
                ready, _, _ = select.select(fds, [], [], timeout)
            except (OSError, ValueError):
                # a descriptor died under us: find it by reading everything
                ready = [r.fd for r in self._readers.values()]
            if self._stop_r in ready:
                return
            for reader in list(self._readers.values()):
                if reader.fd in ready:
                    self._read(reader)

    def _rescan(self, now: float) -> None:
        assert self.config is not None and self._backend is not None
        try:
            entries = self._backend.enumerate()
        except OSError as exc:
            self._tell("enumerate", None, _("Cannot list input devices: {error}").format(error=exc))
            entries = []
        wanted = match_spec(self.config.device, entries)
        wanted += [e for e in entries if e.identity in self._lost and e not in wanted]
        open_paths = {r.entry.path for r in self._readers.values()}
        for entry in wanted:
            if entry.path in open_paths:
                continue
            if self._busy_until.get(entry.identity, 0.0) > now:
                continue
            self._open(entry)
        if self.config.device not in ("", "auto", "*") and not self._readers and not wanted:
            self._tell(
                "missing",
                self.config.device,
                _("Scanner {device} is not connected; waiting for it.").format(
                    device=repr(self.config.device)
                ),
            )
        missing = bool(self._lost) or not self._readers
        self._next_rescan = now + (RESCAN_MISSING_S if missing else RESCAN_IDLE_S)

    def _open(self, entry: DeviceEntry) -> None:
        assert self.config is not None and self._backend is not None
        try:
            device = self._backend.open(entry)
        except PermissionError:
            self._tell(
                "permission",
                entry.identity,
                _("No permission to read the scanner {scanner} at {path}: {help}.").format(
                    scanner=entry.label, path=entry.path, help=PERMISSION_HELP
                ),
            )
            return
        except OSError as exc:
            if exc.errno not in _GONE:
                self._tell(
                    "open",
                    entry.identity,
                    _("Cannot open {scanner}: {error}").format(scanner=entry.label, error=exc),
                )
            return
        config = self.config
        label = entry.label
        reader = _Reader(
            entry,
            device,
            ScanDecoder(
                self.layout,
                gap_ms=config.gap_ms,
                prefix=config.prefix,
                suffix=config.suffix,
                tab_terminates=config.tab_terminates,
                on_notice=lambda text: self.on_notice(f"{label}: {text}"),
            ),
        )
        if config.grab and not self._grab(reader):
            return
        self._readers[entry.path] = reader
        self._told.discard(("permission", entry.identity))
        if entry.identity in self._lost:
            self._lost.discard(entry.identity)
            reader.decoder.resume_cut(self._cut.pop(entry.identity, 0))
            self.on_notice(_("Scanner {scanner} is back.").format(scanner=label))
        else:
            self.on_notice(
                _("Scanner ready: {scanner} ({layout} layout).").format(
                    scanner=label, layout=self.layout
                )
            )

    def _grab(self, reader: _Reader) -> bool:
        """Take the device exclusively unless a key is held; False if someone else has it."""
        try:
            held = list(reader.device.active_keys())
        except OSError:
            held = []
        if held:
            # grabbing now would leave that key pressed for the console forever
            reader.grab_pending = True
            reader.decoder.resync(held)
            return True
        try:
            reader.device.grab()
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                self._busy_until[reader.entry.identity] = time.monotonic() + BUSY_RETRY_S
                self._tell(
                    "busy",
                    reader.entry.identity,
                    _(
                        "Scanner {scanner} is in use by another program (another "
                        "tillterm?): its scans will not reach this register. Scans typed into "
                        "the terminal still work."
                    ).format(scanner=reader.entry.label),
                )
                self._close(reader)
                return False
            self._tell(
                "grab",
                reader.entry.identity,
                _(
                    "Could not take {scanner} exclusively ({error}); "
                    "its codes may also reach the console."
                ).format(scanner=reader.entry.label, error=exc.strerror or exc),
            )
            reader.grab_pending = False
            return True
        reader.grabbed = True
        reader.grab_pending = False
        self._busy_until.pop(reader.entry.identity, None)
        self._told.discard(("busy", reader.entry.identity))
        return True

    def _retry_grabs(self) -> None:
        for reader in list(self._readers.values()):
            if reader.grab_pending and not self._grab(reader):
                self._readers.pop(reader.entry.path, None)

    def _read(self, reader: _Reader) -> None:
        decoder = reader.decoder
        try:
            for event in reader.device.read():
                code = decoder.feed(event)
                if code is not None:
                    self._deliver(code, reader, decoder)
        except BlockingIOError:
            return
        except OSError as exc:
            self._disconnect(reader, exc)

    def _deliver(self, code: str, reader: _Reader, decoder: ScanDecoder) -> None:
        self.on_code(code, reader.entry.label)
        if self.on_scan is not None:
            self.on_scan(Scan(code, reader.entry, decoder.last_timing, decoder.last_strokes))

    def _disconnect(self, reader: _Reader, exc: OSError) -> None:
        self._readers.pop(reader.entry.path, None)
        half = reader.decoder.pending
        cut_at = reader.decoder.cut_at
        if cut_at:
            self._cut[reader.entry.identity] = cut_at
        reader.decoder.reset()
        self._close(reader)
        self._lost.add(reader.entry.identity)
        # not at once: the node needs a moment to go away, and a flapping device must
        # not turn into a busy loop
        self._next_rescan = time.monotonic() + RESCAN_MISSING_S
        if exc.errno in _GONE:
            said = (
                _(
                    "Scanner {scanner} was unplugged during a scan: scan that code again; "
                    "waiting for it."
                )
                if half
                else _("Scanner {scanner} was unplugged; waiting for it.")
            )
            self.on_notice(said.format(scanner=reader.entry.label))
        else:
            self.on_notice(
                _("Scanner {scanner} stopped working ({error}); retrying.").format(
                    scanner=reader.entry.label, error=exc
                )
            )

    @staticmethod
    def _close(reader: _Reader) -> None:
        with contextlib.suppress(OSError):
            if reader.grabbed:
                reader.device.ungrab()
        with contextlib.suppress(OSError):
            reader.device.close()

    def _tell(self, kind: str, subject: object, text: str) -> None:
        """A notice given once per problem and device, not twice a second."""
        if (kind, subject) in self._told:
            return
        self._told.add((kind, subject))
        self.on_notice(text)


def learning_config(config: ScannerConfig) -> ScannerConfig:
    """The configuration ``scanner test --learn`` listens with: every keyboard, no grab."""
    return replace(config, device="*", grab=False)
