"""Finding scanners among the machine's input devices, and saying why one can't be read.

Discovery reads ``/sys/class/input`` (names and USB ids are world-readable there) rather
than opening ``/dev/input/event*``: python-evdev's ``list_devices()`` silently returns
nothing without read/write permission, which leaves an installer with no clue. Here a
scanner we may not read is still listed, with the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tillterm.i18n import _, pgettext
from tillterm.scanner.decoder import Event
from tillterm.scanner.layouts import KEY_0, KEY_1, KEY_ENTER

INPUT_DIR = Path("/dev/input")
SYSFS_INPUT = Path("/sys/class/input")

#: what an installer must do when /dev/input/event* is not readable
PERMISSION_HELP = _(
    "add this user to the 'input' group (sudo usermod -aG input $USER, then log in "
    "again) or install the udev rule from the README (section Scanner)"
)

_SCANNER_NAME = re.compile(
    r"barcode|bar code|scanner|\bscan|honeywell|metrologic|hand ?held products|zebra|"
    r"symbol|datalogic|newland|opticon|netum|inateck|eyoyo|tera|code ?reader|"
    r"unitech|cipherlab|wasp|posiflex|\bhid keyboard emulation",
    re.IGNORECASE,
)
#: USB vendors that make nothing but scanners (a generic name is common on cheap ones)
SCANNER_VENDORS = frozenset(
    {
        0x05E0,  # Symbol / Zebra
        0x0C2E,  # Metrologic / Honeywell
        0x0536,  # Hand Held Products (Honeywell)
        0x05F9,  # Datalogic (PSC)
        0x1EAB,  # Newland
        0x065A,  # Opticon
        0x2DD6,  # Netum / generic 2D scanners
    }
)


@dataclass(frozen=True)
class DeviceIdentity:
    """What stays the same when a scanner is unplugged and comes back as another eventN."""

    name: str
    vendor: int
    product: int
    uniq: str = ""

    @property
    def usb_id(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"

    def __str__(self) -> str:
        return f"{self.name or _('unnamed device')} ({self.usb_id})"


@dataclass(frozen=True)
class DeviceEntry:
    """One ``/dev/input/eventN`` as discovery sees it, before it is opened."""

    path: str
    identity: DeviceIdentity
    phys: str = ""
    by_id: tuple[str, ...] = ()
    is_keyboard: bool = True
    readable: bool = True
    writable: bool = True

    @property
    def looks_like_scanner(self) -> bool:
        return bool(
            _SCANNER_NAME.search(self.identity.name) or self.identity.vendor in SCANNER_VENDORS
        )

    @property
    def label(self) -> str:
        return str(self.identity)


class Device(Protocol):
    """The part of ``evdev.InputDevice`` the listener uses (tests supply fakes)."""

    fd: int

    def read(self) -> Iterable[Event]: ...
    def grab(self) -> None: ...
    def ungrab(self) -> None: ...
    def active_keys(self) -> list[int]: ...
    def close(self) -> None: ...


class Backend(Protocol):
    """Where devices come from: the real evdev, or a test's fakes."""

    def enumerate(self) -> list[DeviceEntry]: ...
    def open(self, entry: DeviceEntry) -> Device: ...


def evdev_problem() -> str | None:
    """Why scanners cannot be read through evdev here, or ``None`` when they can."""
    if not sys.platform.startswith("linux"):
        return _(
            "barcode scanners are read through Linux evdev, and this system is {platform}"
        ).format(platform=sys.platform)
    try:
        import evdev  # noqa: F401
    except ImportError:
        return _("the evdev package is not installed (pip install evdev)")
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _hex(text: str) -> int:
    try:
        return int(text, 16)
    except ValueError:
        return 0


def _key_bits(text: str) -> int:
    """sysfs ``capabilities/key``: space-separated hex words, most significant first."""
    bits = 0
    for word in text.split():
        bits = (bits << 64) | _hex(word)
    return bits


def _by_id_links(input_dir: Path) -> dict[str, list[str]]:
    links: dict[str, list[str]] = {}
    by_id = input_dir / "by-id"
    try:
        names = sorted(os.listdir(by_id))
    except OSError:
        return links
    for name in names:
        target = os.path.realpath(by_id / name)
        links.setdefault(target, []).append(name)
    return links


def describe_device(path: Path, sysfs: Path, links: dict[str, list[str]]) -> DeviceEntry:
    """Everything sysfs tells about ``/dev/input/eventN`` without opening it."""
    dev = sysfs / path.name / "device"
    keys = _key_bits(_read(dev / "capabilities" / "key"))
    is_keyboard = all(keys >> key & 1 for key in (KEY_1, KEY_0, KEY_ENTER))
    identity = DeviceIdentity(
        name=_read(dev / "name"),
        vendor=_hex(_read(dev / "id" / "vendor")),
        product=_hex(_read(dev / "id" / "product")),
        uniq=_read(dev / "uniq"),
    )
    return DeviceEntry(
        path=str(path),
        identity=identity,
        phys=_read(dev / "phys"),
        by_id=tuple(links.get(os.path.realpath(path), ())),
        is_keyboard=is_keyboard,
        readable=os.access(path, os.R_OK),
        writable=os.access(path, os.W_OK),
    )


def _event_nodes(input_dir: Path) -> Iterator[Path]:
    try:
        names = os.listdir(input_dir)
    except OSError:
        return
    for name in sorted(names, key=lambda n: (len(n), n)):
        if name.startswith("event") and name[5:].isdigit():
            yield input_dir / name


def enumerate_devices(input_dir: Path = INPUT_DIR, sysfs: Path = SYSFS_INPUT) -> list[DeviceEntry]:
    """Every ``eventN`` node, readable or not, with what sysfs says about it."""
    links = _by_id_links(input_dir)
    return [describe_device(path, sysfs, links) for path in _event_nodes(input_dir)]


_USB_ID = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$")


def match_spec(
    spec: str, entries: Iterable[DeviceEntry], input_dir: Path = INPUT_DIR
) -> list[DeviceEntry]:
    """The devices the configured ``device`` names.

    ``""``/``auto``: whatever looks like a scanner; ``*``: every keyboard (learning);
    a path (``/dev/input/event5``, a by-id or by-path link) or ``eventN``; a by-id link
    name; ``vendor:product`` in hex; otherwise part of the device's name.
    """
    spec = spec.strip()
    entries = list(entries)
    if not spec or spec.lower() == "auto":
        return [e for e in entries if e.looks_like_scanner]
    if spec == "*":
        return [e for e in entries if e.is_keyboard]
    target: str | None = None
    if "/" in spec:
        target = os.path.realpath(spec)
    elif spec.startswith("event") and spec[5:].isdigit():
        target = os.path.realpath(input_dir / spec)
    elif (input_dir / "by-id" / spec).exists():
        target = os.path.realpath(input_dir / "by-id" / spec)
    if target is not None:
        return [e for e in entries if os.path.realpath(e.path) == target or spec in e.by_id]
    usb = _USB_ID.match(spec)
    if usb:
        vendor, product = int(usb.group(1), 16), int(usb.group(2), 16)
        return [e for e in entries if (e.identity.vendor, e.identity.product) == (vendor, product)]
    needle = spec.casefold()
    return [e for e in entries if needle in e.identity.name.casefold()]


def grab_status(backend: Backend, entry: DeviceEntry) -> str:
    """Whether this process could take the device exclusively now (grabs and lets go)."""
    import errno

    try:
        device = backend.open(entry)
    except PermissionError:
        return pgettext("scanner status", "no permission")
    except OSError as exc:
        return _("cannot open ({error})").format(error=exc.strerror or exc)
    try:
        device.grab()
    except OSError as exc:
        status = (
            pgettext("scanner status", "in use by another program")
            if exc.errno == errno.EBUSY
            else _("cannot grab ({error})").format(error=exc.strerror or exc)
        )
    else:
        status = pgettext("scanner status", "free")
        with contextlib.suppress(OSError):
            device.ungrab()
    finally:
        with contextlib.suppress(OSError):
            device.close()
    return status


def permission_reason(path: str) -> str:
    """Why this user may not read the device node at ``path``, as precisely as we can say.

    The node's group is named, and whether the user is in it: a user added to ``input``
    only gets it at the next login, which is the usual surprise.
    """
    import grp
    import pwd

    try:
        st = os.stat(path)
    except OSError as exc:
        return _("{path} cannot be looked at ({error})").format(
            path=path, error=exc.strerror or exc
        )
    try:
        group = grp.getgrgid(st.st_gid)
        name, members = group.gr_name, group.gr_mem
    except KeyError:
        name, members = str(st.st_gid), []
    mode = f"{st.st_mode & 0o777:o}"
    if st.st_gid in os.getgroups() or st.st_gid == os.getegid():
        return _("{path} (mode {mode}, group {group}) is not readable even by its group").format(
            path=path, mode=mode, group=repr(name)
        )
    try:
        user = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        user = str(os.geteuid())
    if user in members:
        return _(
            "{path} belongs to group {group}; {user} was added to it, but this login "
            "started before: log out and in again"
        ).format(path=path, group=repr(name), user=user)
    return _("{path} belongs to group {group} (mode {mode}) and {user} is not in it").format(
        path=path, group=repr(name), mode=mode, user=user
    )


def no_device_reason(
    spec: str, entries: Sequence[DeviceEntry], input_dir: Path = INPUT_DIR
) -> str | None:
    """Why there is no device to read for ``spec``, or ``None`` when there is one.

    ``tillterm scanner test`` says this and stops, rather than listening to nothing.
    """
    if not entries:
        if not input_dir.is_dir():
            return _(
                "{folder} does not exist: this system shows no input devices (a "
                "container or a virtual machine without them?)"
            ).format(folder=input_dir)
        return _("there are no input devices in {folder}: is the scanner plugged in?").format(
            folder=input_dir
        )
    matched = match_spec(spec, entries, input_dir)
    if not matched:
        if spec.strip() == "*":
            return _("none of the {count} input devices is a keyboard").format(count=len(entries))
        if spec.strip().lower() in ("", "auto"):
            names = ", ".join(sorted({e.identity.name or e.path for e in entries}))
            return _(
                "no input device looks like a scanner by its name or USB vendor ({names}); "
                "if the scanner is one of them, `tillterm scanner test --learn` finds it"
            ).format(names=names)
        return _("no input device matches {spec} (`tillterm scanner list` shows them)").format(
            spec=repr(spec)
        )
    if not any(e.readable for e in matched):
        reasons = "; ".join(permission_reason(e.path) for e in matched[:3])
        return _("no permission to read it: {reasons}. To fix: {help}").format(
            reasons=reasons, help=PERMISSION_HELP
        )
    return None


def best_spec(entry: DeviceEntry) -> str:
    """How to name this device in the configuration so it is found again after a reboot.

    A ``/dev/input/by-id`` link survives reboots and replugs; the USB ids survive too
    but match every scanner of the model; ``eventN`` may change at the next boot.
    """
    kbd = [name for name in entry.by_id if name.endswith("-event-kbd")]
    if kbd or entry.by_id:
        return (kbd or list(entry.by_id))[0]
    if entry.identity.vendor or entry.identity.product:
        return entry.identity.usb_id
    return entry.path


class EvdevBackend:
    """The real thing: sysfs discovery and ``evdev.InputDevice``."""

    def __init__(self, input_dir: Path = INPUT_DIR, sysfs: Path = SYSFS_INPUT) -> None:
        self.input_dir = input_dir
        self.sysfs = sysfs
        self._cache: dict[tuple[str, int], DeviceEntry] = {}

    def enumerate(self) -> list[DeviceEntry]:
        """Like :func:`enumerate_devices`, re-reading sysfs only for new device nodes.

        The listener rescans twice a second while a scanner is missing; a node that was
        recreated (replug) has a new inode, so it is described afresh.
        """
        links: dict[str, list[str]] | None = None
        found: dict[tuple[str, int], DeviceEntry] = {}
        for path in _event_nodes(self.input_dir):
            try:
                stat = path.stat()
            except OSError:
                continue
            key = (path.name, stat.st_ino)
            entry = self._cache.get(key)
            readable = os.access(path, os.R_OK)
            if entry is None or entry.readable != readable:
                if links is None:
                    links = _by_id_links(self.input_dir)
                entry = describe_device(path, self.sysfs, links)
            found[key] = entry
        self._cache = found
        return list(found.values())

    def open(self, entry: DeviceEntry) -> Device:
        import evdev

        return evdev.InputDevice(entry.path)
