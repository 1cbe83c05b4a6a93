"""``tillterm scanner``: what an installer needs on a new till.

``list`` shows every input device, which look like scanners, whether this user may read
them and whether another program holds them. ``test`` prints each decoded code with its
timing, and when there is no device to read says why and exits 1; ``test --learn``
listens to every keyboard without grabbing, asks for one known code, and from the scan
finds the device (the one that typed at scanner speed) and the scanner's keyboard layout
(the one whose keys give the known code), and writes both to the scanner configuration.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tillterm.commands.console import EXIT_ERROR, EXIT_OK, say
from tillterm.i18n import _, pgettext

if TYPE_CHECKING:
    from tillterm.scanner.config import ScannerConfig
    from tillterm.scanner.devices import EvdevBackend
    from tillterm.scanner.listener import Scan

#: a burst this fast (mean ms per key) is a scanner, not a person
LEARN_MAX_MS_PER_KEY = 30.0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scanner = sub.add_parser(
        "scanner",
        help=_("find, test and configure the barcode scanner"),
        description=_("Diagnose HID barcode scanners read through evdev (Linux)."),
    )
    actions = scanner.add_subparsers(dest="scanner_command", metavar="ACTION", required=True)
    actions.add_parser(
        "list",
        help=_("list input devices, which look like scanners, permissions and grab status"),
        description=_(
            "List every /dev/input/event* device with its name, USB id, whether "
            "it looks like a scanner, whether this user may read it and whether another "
            "program holds it."
        ),
    )
    test = actions.add_parser(
        "test",
        help=_("print each scanned code and its timing"),
        description=_(
            "Read the scanner (the configured one, or DEVICE) and print each "
            "decoded code with its timing, until Ctrl+C."
        ),
    )
    test.add_argument(
        "device",
        nargs="?",
        metavar="DEVICE",
        help=_(
            "/dev/input/eventN, a /dev/input/by-id name, vendor:product, or part of "
            "the name (default: the configured device, else auto-detect)"
        ),
    )
    test.add_argument(
        "--learn",
        action="store_true",
        help=_(
            "listen to every keyboard without grabbing; the first scan names the "
            "scanner, which is written to the configuration"
        ),
    )
    test.add_argument(
        "--code",
        metavar="CODE",
        help=_(
            "with --learn: the code printed under the barcode you will scan (default: the "
            "demo's first loyalty card); letters and punctuation (yz-2023) tell us, uk and de "
            "apart, digits only tell AZERTY from the rest"
        ),
    )
    test.add_argument("--layout", help=_("decode with this layout (us, uk, de, fr)"))
    test.add_argument("--count", type=int, metavar="N", help=_("stop after N codes"))
    test.add_argument("--timeout", type=float, metavar="SECONDS", help=_("stop after SECONDS"))


def _backend() -> EvdevBackend:
    """The real devices (tests replace this with a fake backend)."""
    from tillterm.scanner.devices import EvdevBackend

    return EvdevBackend()


def run(args: argparse.Namespace) -> int:
    if args.scanner_command == "list":
        return _list()
    return _test(args)


def _describe_config() -> None:
    from tillterm.scanner.config import SYSTEM_KEYBOARD, config_path, load_config

    path = config_path()
    config = load_config(path)
    where = "" if path.exists() else _(" (not written yet: defaults)")
    layout = config.layout or _("{layout} (from {file})").format(
        layout=config.resolved_layout(), file=SYSTEM_KEYBOARD
    )
    say(_("Configuration: {path}{where}").format(path=path, where=where))
    settings = _("  device: {device}   layout: {layout}   gap: {gap} ms   grab: {grab}")
    say(
        settings.format(
            device=config.device or "auto",
            layout=layout,
            gap=config.gap_ms,
            grab=_("yes") if config.grab else _("no"),
        )
    )


def _list() -> int:
    from tillterm.scanner.devices import PERMISSION_HELP, evdev_problem, grab_status

    _describe_config()
    problem = evdev_problem()
    if problem:
        say(_("\nScanners cannot be read here: {reason}.").format(reason=problem))
        return EXIT_ERROR
    backend = _backend()
    entries = backend.enumerate()
    if not entries:
        exists = backend.input_dir.is_dir()
        none = (
            _("\nNo input devices: {folder} is empty.")
            if exists
            else _("\nNo input devices: {folder} does not exist.")
        )
        say(none.format(folder=backend.input_dir))
        return EXIT_OK
    say()
    heads = (
        pgettext("scanner list", "DEVICE"),
        pgettext("scanner list", "USB ID"),
        pgettext("scanner list", "KIND"),
        pgettext("scanner list", "ACCESS"),
        pgettext("scanner list", "GRAB"),
        pgettext("scanner list", "NAME"),
    )
    say(f"{heads[0]:<19} {heads[1]:<9}  {heads[2]:<8} {heads[3]:<13} {heads[4]:<10} {heads[5]}")
    denied = False
    for entry in entries:
        kind = (
            pgettext("scanner list", "scanner")
            if entry.looks_like_scanner
            else pgettext("scanner list", "keyboard")
            if entry.is_keyboard
            else "-"
        )
        access = (
            pgettext("scanner list", "read+write")
            if entry.writable
            else pgettext("scanner list", "read")
            if entry.readable
            else pgettext("scanner list", "NO PERMISSION")
        )
        denied |= not entry.readable and (entry.looks_like_scanner or entry.is_keyboard)
        grab = grab_status(backend, entry) if entry.looks_like_scanner and entry.readable else ""
        say(
            f"{entry.path:<19} {entry.identity.usb_id:<9}  {kind:<8} {access:<13} "
            f"{grab:<10} {entry.identity.name}"
        )
        for name in entry.by_id:
            say(f"{'':<19} by-id: {name}")
    if denied:
        say(_("\nSome devices cannot be read by this user: {help}.").format(help=PERMISSION_HELP))
    if not any(e.looks_like_scanner for e in entries):
        say(
            _(
                "\nNo device looks like a scanner by its name. Run `tillterm scanner test "
                "--learn` and scan a code to find it."
            )
        )
    return EXIT_OK


def _test(args: argparse.Namespace) -> int:
    import queue
    import time
    from dataclasses import replace

    from tillterm.scanner.config import load_config
    from tillterm.scanner.devices import evdev_problem, no_device_reason
    from tillterm.scanner.layouts import get_layout
    from tillterm.scanner.learn import DEMO_CARD
    from tillterm.scanner.listener import ScannerListener, learning_config

    problem = evdev_problem()
    if problem:
        say(_("tillterm scanner: {reason}").format(reason=problem), err=True)
        return EXIT_ERROR
    saved = load_config()
    config: ScannerConfig = saved
    if args.layout:
        get_layout(args.layout)  # a clear error for a wrong name
        config = replace(config, layout=args.layout)
    if args.device:
        config = replace(config, device=args.device)
    if args.learn:
        config = learning_config(config)
    backend = _backend()
    why = no_device_reason(config.device, backend.enumerate(), backend.input_dir)
    if why:
        say(_("No scanner to read: {reason}.").format(reason=why), err=True)
        return EXIT_ERROR
    known = (args.code or DEMO_CARD).strip()
    if args.learn:
        say(
            _("Scan this code with the scanner: {code}   (listening to every keyboard)").format(
                code=known
            )
        )
    else:
        listened = config.device or _("any scanner")
        say(_("Listening to {device}; Ctrl+C to stop.").format(device=listened))
    scans: queue.Queue[Scan] = queue.Queue()
    listener = ScannerListener(
        lambda code, device: None,
        lambda text: say(f"! {text}", flush=True),
        config=config,
        backend=backend,
        on_scan=scans.put,
    )
    listener.start()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    count = 0
    try:
        while args.count is None or count < args.count:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                break
            try:
                scan = scans.get(timeout=min(wait, 0.5) if wait is not None else 0.5)
            except queue.Empty:
                continue
            timing = scan.timing
            speed = (
                f"{timing.duration_ms:7.1f} ms ({timing.mean_gap_ms:.1f} ms/key)" if timing else ""
            )
            say(f"{scan.code}    {len(scan.code)} chars  {speed}  {scan.device.label}", flush=True)
            if args.learn:
                if timing and timing.mean_gap_ms > LEARN_MAX_MS_PER_KEY:
                    say(_("  (typed by hand, too slow for a scanner: scan a barcode)"))
                    continue
                done = _learned(scan, known, saved, config, listener.layout)
                if done is not None:
                    return done
                continue
            count += 1
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
    if args.learn:
        say(_("No scan of {code} arrived; nothing was saved.").format(code=known), err=True)
        return EXIT_ERROR
    return EXIT_OK


def _learned(
    scan: Scan, known: str, saved: ScannerConfig, config: ScannerConfig, current: str
) -> int | None:
    """Save the device and layout one scan of ``known`` shows; ``None``: not that code."""
    from dataclasses import replace

    from tillterm.scanner.config import ScannerConfigError, save_config, system_layout
    from tillterm.scanner.devices import best_spec
    from tillterm.scanner.learn import DESCRIPTIONS, find_layout

    found = find_layout(
        known,
        scan.code,
        scan.strokes,
        current,
        prefix=config.prefix,
        suffix=config.suffix,
        prefer=(current, system_layout(), "us"),
    )
    if found.layout is None:
        unknown = _(
            "  That is not {code} with any layout the decoder knows "
            "({layouts}): scan the barcode of {code}, or give the "
            "code printed under yours with --code."
        )
        say(unknown.format(code=known, layouts=", ".join(sorted(DESCRIPTIONS))))
        return None
    layout = found.layout
    if found.current_ok:
        say(
            _("Layout {layout} ({description}) reads {code} correctly.").format(
                layout=layout, description=DESCRIPTIONS.get(layout, layout), code=known
            )
        )
    else:
        types_as = _(
            "The scanner types as {layout} ({description}): read as {current} it gave {code}."
        )
        say(
            types_as.format(
                layout=layout,
                description=DESCRIPTIONS.get(layout, layout),
                current=current,
                code=repr(scan.code),
            )
        )
    others = [name for name in found.alike if name != layout]
    if others:
        alike = _(
            "  ({layouts} would read it alike: to tell them apart, learn with a "
            "code that has letters and punctuation, e.g. --code yz-2023.)"
        )
        say(alike.format(layouts=", ".join(others)))
    spec = best_spec(scan.device)
    # the system keymap's layout read it right: the file keeps following the system
    keep = found.current_ok and not config.layout
    learned = replace(saved, device=spec, layout="" if keep else layout)
    try:
        path = save_config(learned)
    except ScannerConfigError as exc:
        say(
            _("Could not save it ({reason}). Add these lines to the [scanner] section:").format(
                reason=exc
            ),
            err=True,
        )
        say(f'device = "{spec}"', err=True)
        say(f'layout = "{layout}"', err=True)
        return EXIT_ERROR
    written = (
        _(" and layout = {layout}").format(layout=repr(learned.layout)) if learned.layout else ""
    )
    say(
        _("Scanner {device} saved as device = {spec}{layout} in {path}").format(
            device=scan.device.label, spec=repr(spec), layout=written, path=path
        )
    )
    return EXIT_OK
