"""Scanner configuration file, the system keymap default, and device discovery."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scanner_fakes import entry

from tillterm.scanner.config import (
    ENV_CONFIG,
    ScannerConfig,
    ScannerConfigError,
    config_path,
    load_config,
    save_config,
    system_layout,
)
from tillterm.scanner.devices import enumerate_devices, match_spec


@pytest.mark.parametrize(
    ("text", "layout"),
    [
        ('XKBMODEL="pc105"\nXKBLAYOUT="fr"\nXKBVARIANT="latin9"\n', "fr"),
        ("XKBLAYOUT=de,us\n", "de"),
        ('XKBLAYOUT="gb"\n', "uk"),
        ('XKBLAYOUT="ru"\n', "us"),
        ("# nothing here\n", "us"),
    ],
)
def test_layout_defaults_to_the_system_keymap(tmp_path: Path, text: str, layout: str) -> None:
    keyboard = tmp_path / "keyboard"
    keyboard.write_text(text)
    assert system_layout(keyboard) == layout
    assert ScannerConfig().resolved_layout(keyboard) == layout
    assert ScannerConfig(layout="uk").resolved_layout(keyboard) == "uk"


def test_missing_keymap_means_us(tmp_path: Path) -> None:
    assert system_layout(tmp_path / "absent") == "us"


def test_config_round_trip_and_env_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "deep" / "scanner.toml"
    monkeypatch.setenv(ENV_CONFIG, str(path))
    assert config_path() == path
    assert load_config() == ScannerConfig()  # no file: defaults
    config = ScannerConfig(
        device="usb-Honeywell_1900-event-kbd",
        layout="gb",
        gap_ms=80,
        prefix='\x02"',
        suffix="\\",
        tab_terminates=True,
        grab=False,
    )
    assert save_config(config) == path
    assert load_config() == ScannerConfig(**{**config.__dict__, "layout": "uk"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[scanner\n", "not valid TOML"),
        ("[scanner]\nlayout = 'xx'\n", "unknown layout"),
        ("[scanner]\ngap_ms = 'fast'\n", "gap_ms must be a int"),
        ("[scanner]\ngap_ms = true\n", "gap_ms must be a int"),
        ("[scanner]\ngap_ms = 1\n", "between 10 and 5000"),
        ("[scanner]\ngrab = 'yes'\n", "grab must be a bool"),
        ("scanner = 3\n", "must be a table"),
    ],
)
def test_bad_config_is_one_sentence(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scanner.toml"
    path.write_text(text)
    with pytest.raises(ScannerConfigError, match=message):
        load_config(path)


def _fake_input_tree(tmp_path: Path) -> tuple[Path, Path]:
    """/dev/input and /sys/class/input as discovery sees them (files stand in for nodes)."""
    dev, sysfs = tmp_path / "dev-input", tmp_path / "sys-input"
    (dev / "by-id").mkdir(parents=True)
    keyboard_bits = f"{(1 << 28) | (0x3FF << 2):x}"
    for n, name, vendor, product, keys in [
        (
            0,
            "AT Translated Set 2 keyboard",
            "0001",
            "0001",
            f"402000000 3803078f800d001 feffffdfffefffff {keyboard_bits}",
        ),
        (3, "Honeywell Imaging & Mobility 1900", "0c2e", "0b61", keyboard_bits),
        (5, "Generic USB Mouse", "046d", "c077", "1f0000 0 0 0 0"),
        (12, "SM SM-2D PRODUCT HID KBW", "2dd6", "260a", keyboard_bits),
    ]:
        (dev / f"event{n}").write_text("")
        device = sysfs / f"event{n}" / "device"
        (device / "id").mkdir(parents=True)
        (device / "capabilities").mkdir()
        (device / "name").write_text(name + "\n")
        (device / "id" / "vendor").write_text(vendor + "\n")
        (device / "id" / "product").write_text(product + "\n")
        (device / "uniq").write_text("\n")
        (device / "phys").write_text(f"usb-0000:00:14.0-{n}/input0\n")
        (device / "capabilities" / "key").write_text(keys + "\n")
    os.symlink("../event3", dev / "by-id" / "usb-Honeywell_1900-event-kbd")
    (dev / "event12").chmod(0o000)
    return dev, sysfs


def test_discovery_lists_unreadable_devices_with_reasons(tmp_path: Path) -> None:
    dev, sysfs = _fake_input_tree(tmp_path)
    entries = enumerate_devices(dev, sysfs)
    assert [Path(e.path).name for e in entries] == ["event0", "event3", "event5", "event12"]
    kbd, honeywell, mouse, netum = entries
    assert honeywell.by_id == ("usb-Honeywell_1900-event-kbd",)
    assert honeywell.identity.usb_id == "0c2e:0b61" and honeywell.looks_like_scanner
    assert kbd.is_keyboard and not kbd.looks_like_scanner
    assert not mouse.is_keyboard
    assert netum.looks_like_scanner  # by USB vendor: the name says nothing
    if os.geteuid() != 0:  # root reads everything
        assert not netum.readable


def test_device_specs(tmp_path: Path) -> None:
    dev, sysfs = _fake_input_tree(tmp_path)
    entries = enumerate_devices(dev, sysfs)

    def names(spec: str) -> list[str]:
        return [Path(e.path).name for e in match_spec(spec, entries, dev)]

    assert names("") == names("auto") == ["event3", "event12"]
    assert names("*") == ["event0", "event3", "event12"]
    assert names(str(dev / "event3")) == ["event3"]
    assert names(str(dev / "by-id" / "usb-Honeywell_1900-event-kbd")) == ["event3"]
    assert names("usb-Honeywell_1900-event-kbd") == ["event3"]
    assert names("0C2E:0b61") == ["event3"]
    assert names("hid kbw") == ["event12"]
    assert names("event5") == ["event5"]
    assert names("nothing like it") == []


def test_identity_label() -> None:
    assert entry().label == "Honeywell Scanning and Mobility 1900 (0c2e:0b61)"


def test_permission_reason_says_log_in_again_when_added_to_the_group_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``usermod -aG input`` takes effect at the next login: the usual surprise."""
    import grp
    import pwd

    from tillterm.scanner.devices import permission_reason

    node = tmp_path / "event5"
    node.write_bytes(b"")
    gid = next(g for g in range(4242, 5000) if g not in os.getgroups() and g != os.getegid())
    os.chown(node, -1, gid)
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert f"belongs to group '{gid}'" in permission_reason(str(node))
    assert f"{user} is not in it" in permission_reason(str(node))
    monkeypatch.setattr(grp, "getgrgid", lambda g: grp.struct_group(("input", "x", g, [user])))
    reason = permission_reason(str(node))
    assert f"belongs to group 'input'; {user} was added to it" in reason
    assert "log out and in again" in reason
