"""``tillterm scanner list`` and ``tillterm scanner test [--learn]`` against fake devices."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from conftest import run_cli
from scanner_fakes import FakeBackend, FakeDevice, entry, scan

from tillterm.commands import scanner as command
from tillterm.scanner import listener as listener_module
from tillterm.scanner.config import ENV_CONFIG, ScannerConfig, load_config, save_config
from tillterm.scanner.devices import DeviceEntry, DeviceIdentity
from tillterm.scanner.learn import DEMO_CARD


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeBackend:
    fake = FakeBackend()
    fake.input_dir = tmp_path  # type: ignore[attr-defined]
    monkeypatch.setattr(command, "_backend", lambda: fake)
    monkeypatch.setattr(listener_module, "RESCAN_MISSING_S", 0.02)
    monkeypatch.setenv(ENV_CONFIG, str(tmp_path / "scanner.toml"))
    return fake


def _keyboard(path: str = "/dev/input/event0") -> DeviceEntry:
    return DeviceEntry(path, DeviceIdentity("AT Translated Set 2 keyboard", 1, 1))


def test_list_shows_scanners_permissions_and_grab(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    backend.add(_keyboard(), FakeDevice())
    free = DeviceEntry(
        "/dev/input/event3",
        DeviceIdentity("Honeywell 1900", 0x0C2E, 0x0B61),
        by_id=("usb-Honeywell_1900-event-kbd",),
    )
    backend.add(free, FakeDevice())
    busy = entry("/dev/input/event4", "Zebra DS2208", 0x05E0, 0x1200)
    backend.add(busy, FakeDevice(grab_error=OSError(errno.EBUSY, "busy")))
    denied = DeviceEntry(
        "/dev/input/event5", DeviceIdentity("Netum scanner", 1, 2), readable=False, writable=False
    )
    backend.add(denied, PermissionError(errno.EACCES, "denied"))
    assert run_cli(["scanner", "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("/dev")}
    assert "keyboard" in lines["/dev/input/event0"] and "free" not in lines["/dev/input/event0"]
    assert "scanner" in lines["/dev/input/event3"] and "free" in lines["/dev/input/event3"]
    assert "in use by another program" in lines["/dev/input/event4"]
    assert "NO PERMISSION" in lines["/dev/input/event5"]
    assert "by-id: usb-Honeywell_1900-event-kbd" in out
    assert "'input' group" in out and "udev" in out
    assert "not written yet" in out


def test_test_prints_codes_with_timing(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    device = FakeDevice()
    backend.add(entry(), device)
    device.push(scan("4006381333931", gap_us=2000) + scan("A-1", clock=None))
    assert run_cli(["scanner", "test", "--count", "2", "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert "4006381333931    13 chars     26.0 ms (2.0 ms/key)  Honeywell" in out
    assert "A-1    3 chars" in out
    assert device.closed


def test_test_reports_a_missing_device(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    backend.add(_keyboard(), FakeDevice())
    assert run_cli(["scanner", "test", "0c2e:0b61", "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert "No scanner to read: no input device matches '0c2e:0b61'" in err


def test_test_without_any_input_device_says_why_and_exits_1(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 16 §5: ``scanner test`` with nothing to read listened to nothing, forever."""
    backend.input_dir = tmp_path / "input"  # type: ignore[attr-defined]
    assert run_cli(["scanner", "test", "--timeout", "5"]) == 1
    assert "input does not exist" in capsys.readouterr().err
    (tmp_path / "input").mkdir()
    assert run_cli(["scanner", "test", "--learn", "--timeout", "5"]) == 1
    assert "no input devices in" in capsys.readouterr().err
    backend.add(_keyboard(), FakeDevice())
    assert run_cli(["scanner", "test", "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert "no input device looks like a scanner" in err and "AT Translated" in err
    assert "scanner test --learn" in err


def test_test_without_permission_names_the_group(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    node = tmp_path / "event5"
    node.write_bytes(b"")
    gid = next(g for g in range(4242, 5000) if g not in os.getgroups() and g != os.getegid())
    os.chown(node, -1, gid)
    node.chmod(0o660)
    denied = DeviceEntry(str(node), DeviceIdentity("Netum scanner", 1, 2), readable=False)
    backend.add(denied, PermissionError(errno.EACCES, "denied"))
    assert run_cli(["scanner", "test", "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert "no permission to read it" in err
    assert f"belongs to group '{gid}' (mode 660)" in err and "is not in it" in err
    assert "'input' group" in err


def test_learn_finds_the_scanner_among_keyboards(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    save_config(ScannerConfig(layout="fr", gap_ms=90))
    keyboard, scanner = FakeDevice(), FakeDevice()
    backend.add(_keyboard(), keyboard)
    backend.add(
        DeviceEntry(
            "/dev/input/event7",
            DeviceIdentity("SM SM-2D PRODUCT HID KBW", 0x2DD6, 0x260A),
            by_id=("usb-SM_SM-2D_PRODUCT_USB_UART_APP-0000-event-kbd",),
        ),
        scanner,
    )
    keyboard.push(scan("hello", "fr", gap_us=50_000))  # a person, not a scanner
    scanner.push(scan("4006381333931", "fr"))
    args = ["scanner", "test", "--learn", "--code", "4006381333931", "--timeout", "5"]
    assert run_cli(args) == 0
    out = capsys.readouterr().out
    assert "Scan this code with the scanner: 4006381333931" in out
    assert "typed by hand" in out
    assert "Layout fr (French, AZERTY) reads 4006381333931 correctly." in out
    assert not keyboard.grabbed and not scanner.grabbed  # learning never grabs
    config = load_config(tmp_path / "scanner.toml")
    assert config == ScannerConfig(
        device="usb-SM_SM-2D_PRODUCT_USB_UART_APP-0000-event-kbd", layout="fr", gap_ms=90
    )


def test_learn_without_a_scan_saves_nothing(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    backend.add(_keyboard(), FakeDevice())
    assert run_cli(["scanner", "test", "--learn", "--timeout", "0.1"]) == 1
    assert f"No scan of {DEMO_CARD} arrived; nothing was saved" in capsys.readouterr().err
    assert not (tmp_path / "scanner.toml").exists()


def _scanner(backend: FakeBackend) -> FakeDevice:
    device = FakeDevice()
    backend.add(
        DeviceEntry(
            "/dev/input/event7",
            DeviceIdentity("Honeywell 1900", 0x0C2E, 0x0B61),
            by_id=("usb-Honeywell_1900-event-kbd",),
        ),
        device,
    )
    return device


def test_learn_derives_a_qwertz_scanner_read_as_us(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 16 §5: a QWERTZ scanner read as us turned yz-2023 into zy/2023, silently."""
    save_config(ScannerConfig(layout="us", gap_ms=90))
    device = _scanner(backend)
    device.push(scan("4006381333931", "de"))  # another barcode first: not that code
    device.push(scan("yz-2023", "de"))
    args = ["scanner", "test", "--learn", "--code", "yz-2023", "--timeout", "5"]
    assert run_cli(args) == 0
    out = capsys.readouterr().out
    assert "That is not yz-2023 with any layout" in out
    assert "The scanner types as de (German, QWERTZ): read as us it gave 'zy/2023'." in out
    assert "layout = 'de'" in out
    config = load_config(tmp_path / "scanner.toml")
    assert config == ScannerConfig(device="usb-Honeywell_1900-event-kbd", layout="de", gap_ms=90)


def test_learn_with_the_demo_card_finds_azerty(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    save_config(ScannerConfig(layout="us"))
    _scanner(backend).push(scan(DEMO_CARD, "fr"))
    assert run_cli(["scanner", "test", "--learn", "--timeout", "5"]) == 0
    assert "types as fr (French, AZERTY)" in capsys.readouterr().out
    assert load_config(tmp_path / "scanner.toml").layout == "fr"


def test_learn_says_when_the_code_cannot_tell_layouts_apart(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _scanner(backend).push(scan(DEMO_CARD, "de"))
    assert run_cli(["scanner", "test", "--learn", "--layout", "us", "--timeout", "5"]) == 0
    out = capsys.readouterr().out
    assert f"Layout us (US English, QWERTY) reads {DEMO_CARD} correctly." in out
    assert "uk, de would read it alike" in out and "--code yz-2023" in out
    assert load_config(tmp_path / "scanner.toml").layout == "us"


def test_learn_prints_the_lines_when_the_file_cannot_be_written(
    backend: FakeBackend, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "scanner.tmp").mkdir()  # where the file is written before it is renamed
    _scanner(backend).push(scan("yz-2023", "de"))
    args = ["scanner", "test", "--learn", "--layout", "us", "--code", "yz-2023", "--timeout", "5"]
    assert run_cli(args) == 1
    err = capsys.readouterr().err
    assert "Could not save it" in err
    assert 'device = "usb-Honeywell_1900-event-kbd"' in err and 'layout = "de"' in err


@pytest.mark.parametrize("args", [["scanner", "--help"], ["scanner", "test", "--help"]])
def test_scanner_help_imports_nothing_heavy(args: list[str]) -> None:
    import subprocess
    import sys

    from test_cli import HEAVY

    code = (
        "import sys\nfrom tillterm.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n' + ' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.splitlines()[-1].split())  # the help text above mentions evdev
    assert "tillterm.commands.scanner" in loaded
    assert not {m for m in loaded if m.split(".")[0] in (*HEAVY, "evdev")}
