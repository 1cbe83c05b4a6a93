"""The scanner's configuration: a small TOML file per user, not the database.

A scanner belongs to one machine (its device, its layout), not to the store, so its
settings live next to the user's other configuration —
``<user config dir>/tillterm/scanner.toml``, or the file named by
``TILLTERM_SCANNER_CONFIG`` — rather than in the shared database. Every key is optional::

    [scanner]
    device = ""            # "", "auto", /dev/input/eventN, a /dev/input/by-id name,
                           # "vendor:product" in hex (0c2e:0b61), or part of the name
    layout = ""            # us, uk, de, fr; "" = the system's XKBLAYOUT
    gap_ms = 100           # a longer pause between two keys drops the half-read code
    prefix = ""            # removed from the front of each code when present
    suffix = ""            # removed from the end of each code when present
    tab_terminates = false # the scanner ends codes with Tab instead of (or as well as) Enter
    grab = true            # take the scanner exclusively (codes never reach a console)
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tillterm.core.errors import TilltermError
from tillterm.core.settings_file import read_settings
from tillterm.i18n import _
from tillterm.scanner.layouts import LAYOUTS, XKB_ALIASES

ENV_CONFIG = "TILLTERM_SCANNER_CONFIG"
SYSTEM_KEYBOARD = Path("/etc/default/keyboard")


class ScannerConfigError(TilltermError):
    """The scanner configuration file cannot be read or holds a wrong value."""


@dataclass(frozen=True)
class ScannerConfig:
    device: str = ""
    layout: str = ""
    gap_ms: int = 100
    prefix: str = ""
    suffix: str = ""
    tab_terminates: bool = False
    grab: bool = True

    def resolved_layout(self, keyboard_file: Path = SYSTEM_KEYBOARD) -> str:
        """The layout to decode with: the configured one, else the system keymap's."""
        return self.layout or system_layout(keyboard_file)


def config_path() -> Path:
    """Where the configuration is read from and written to."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("tillterm", appauthor=False) / "scanner.toml"


def system_layout(keyboard_file: Path = SYSTEM_KEYBOARD) -> str:
    """The first layout of ``XKBLAYOUT`` in ``/etc/default/keyboard`` if we know it, else us."""
    try:
        text = keyboard_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "us"
    match = re.search(r'^\s*XKBLAYOUT\s*=\s*"?([^"\n]*)"?', text, re.MULTILINE)
    if not match:
        return "us"
    first = match.group(1).split(",")[0].strip().lower()
    return XKB_ALIASES.get(first, "us")


def _check(config: ScannerConfig, where: str) -> ScannerConfig:
    if config.layout and config.layout.lower() not in XKB_ALIASES:
        known = ", ".join(sorted(LAYOUTS))
        raise ScannerConfigError(
            _("{where}: unknown layout {layout} (use one of {known})").format(
                where=where, layout=repr(config.layout), known=known
            )
        )
    if not 10 <= config.gap_ms <= 5000:
        raise ScannerConfigError(
            _("{where}: gap_ms must be between 10 and 5000").format(where=where)
        )
    return replace(config, layout=XKB_ALIASES.get(config.layout.lower(), ""))


def load_config(path: Path | None = None) -> ScannerConfig:
    """The configuration from ``path`` (default :func:`config_path`); missing file = defaults."""
    path = path or config_path()
    values = read_settings(path, "scanner", ScannerConfig, ScannerConfigError)
    if values is None:
        return ScannerConfig()
    return _check(ScannerConfig(**values), str(path))


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def save_config(config: ScannerConfig, path: Path | None = None) -> Path:
    """Write ``config`` (all keys, so the file documents itself); returns the path."""
    path = path or config_path()
    config = _check(config, str(path))
    lines = ["# tillterm scanner configuration (see README, section Scanner)", "[scanner]"]
    lines += [f"{name} = {_toml_value(value)}" for name, value in asdict(config).items()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise ScannerConfigError(
            _("cannot write {path}: {error}").format(path=path, error=exc)
        ) from exc
    return path
