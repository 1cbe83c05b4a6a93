"""The receipt printer's configuration: a small TOML file per register, not the database.

A printer is plugged into one machine (its USB port, its serial line, its network
address), so, like the scanner's, its settings live in the user's configuration folder —
``<user config dir>/tillterm/printer.toml``, or the file named by
``TILLTERM_PRINTER_CONFIG`` — never in the store's shared database. No file, or
``connection = ""``: no printer, and the register works as it always did (the receipt
file and the screen). Every key is optional::

    [printer]
    connection = "usb"     # "", "usb", "serial", "network" or "file"
    usb_vendor = "04b8"    # usb: the printer's ids, hex (lsusb shows them)
    usb_product = "0202"
    device = ""            # serial: /dev/ttyS0, /dev/ttyUSB0; file: /dev/usb/lp0
    baudrate = 9600        # serial
    host = ""              # network: the printer's address
    port = 9100            # network: the raw printing port
    timeout = 5            # network: seconds to wait for the printer
    code_page = "CP858"    # the printer's character table (CP858 has é, ü and €)
    profile = ""           # a python-escpos printer profile ("TM-T88V"); "" = generic
    width = 42             # paper width in characters (58 mm paper: 32)
    cut = true             # cut the paper after each receipt
    drawer_kick = true     # open the cash drawer when a sale or refund has cash
    drawer_pin = 2         # the drawer's connector pin: 2 or 5
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tillterm.core.errors import TilltermError
from tillterm.core.settings_file import read_settings
from tillterm.i18n import _

ENV_CONFIG = "TILLTERM_PRINTER_CONFIG"
CONNECTIONS = ("usb", "serial", "network", "file")


class PrinterConfigError(TilltermError):
    """The printer configuration file cannot be read or holds a wrong value."""


@dataclass(frozen=True)
class PrinterConfig:
    connection: str = ""
    usb_vendor: str = ""
    usb_product: str = ""
    device: str = ""
    baudrate: int = 9600
    host: str = ""
    port: int = 9100
    timeout: int = 5
    code_page: str = "CP858"
    profile: str = ""
    width: int = 42
    cut: bool = True
    drawer_kick: bool = True
    drawer_pin: int = 2

    @property
    def configured(self) -> bool:
        """A printer is set up: receipts are printed after each sale."""
        return bool(self.connection)

    @property
    def where(self) -> str:
        """The printer as a cashier or an installer would name it, for messages."""
        if self.connection == "usb":
            return f"USB {self.usb_vendor}:{self.usb_product}"
        if self.connection == "network":
            return f"{self.host}:{self.port}"
        return self.device


def config_path() -> Path:
    """Where the configuration is read from."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("tillterm", appauthor=False) / "printer.toml"


def _usb_id(value: str, name: str, where: str) -> str:
    text = value.strip().lower().removeprefix("0x")
    try:
        number = int(text, 16)
    except ValueError:
        number = -1
    if not 0 <= number <= 0xFFFF:
        raise PrinterConfigError(
            _("{where}: {key} must be a USB id in hex, like 04b8").format(where=where, key=name)
        )
    return f"{number:04x}"


def _check(config: PrinterConfig, where: str) -> PrinterConfig:
    """Refuse what cannot work, saying which key and why (before any printing)."""
    kind = config.connection.strip().lower()
    if kind and kind not in CONNECTIONS:
        raise PrinterConfigError(
            _("{where}: connection must be one of {kinds} (or empty: no printer)").format(
                where=where, kinds=", ".join(CONNECTIONS)
            )
        )
    values: dict[str, Any] = {"connection": kind}
    if kind == "usb":
        values["usb_vendor"] = _usb_id(config.usb_vendor, "usb_vendor", where)
        values["usb_product"] = _usb_id(config.usb_product, "usb_product", where)
    if kind in ("serial", "file") and not config.device.strip():
        raise PrinterConfigError(
            _("{where}: a {kind} printer needs device (like /dev/usb/lp0)").format(
                where=where, kind=kind
            )
        )
    if kind == "network" and not config.host.strip():
        raise PrinterConfigError(_("{where}: a network printer needs host").format(where=where))
    if not 1 <= config.port <= 65535:
        raise PrinterConfigError(_("{where}: port must be between 1 and 65535").format(where=where))
    if not 1 <= config.timeout <= 60:
        raise PrinterConfigError(
            _("{where}: timeout must be between 1 and 60 seconds").format(where=where)
        )
    if config.baudrate <= 0:
        raise PrinterConfigError(_("{where}: baudrate must be positive").format(where=where))
    if not 24 <= config.width <= 80:
        raise PrinterConfigError(
            _("{where}: width must be between 24 and 80 characters").format(where=where)
        )
    if config.drawer_pin not in (2, 5):
        raise PrinterConfigError(_("{where}: drawer_pin must be 2 or 5").format(where=where))
    values["code_page"] = config.code_page.strip().upper() or "CP437"
    return PrinterConfig(**{**_as_dict(config), **values})


def _as_dict(config: PrinterConfig) -> dict[str, Any]:
    return {field.name: getattr(config, field.name) for field in fields(PrinterConfig)}


def _hex_text(value: object) -> object:
    """A USB id written as a TOML number (``0x04b8``) read as the text ``"4b8"``."""
    return f"{value:x}" if isinstance(value, int) and not isinstance(value, bool) else value


def load_printer_config(path: Path | None = None) -> PrinterConfig:
    """The configuration from ``path`` (default :func:`config_path`); no file = no printer."""
    path = path or config_path()
    values = read_settings(
        path,
        "printer",
        PrinterConfig,
        PrinterConfigError,
        coerce={"usb_vendor": _hex_text, "usb_product": _hex_text},
    )
    if values is None:
        return PrinterConfig()
    return _check(PrinterConfig(**values), str(path))
