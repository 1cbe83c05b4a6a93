"""A receipt on paper: the kept receipt text as ESC/POS commands, sent to the printer.

What is sent is what was kept (``sale.receipt_text``): the receipt is never rendered
again for the printer, so the paper says word for word what the file and the screen
say. This module only turns that text into the printer's bytes — initialise
(``ESC @``), select the configured character table (``ESC t n``), the text, feed and cut
(``GS V``), and the drawer kick (``ESC p``) when cash changed hands — through
python-escpos, whose ``Dummy`` printer collects the same bytes for the tests.

Characters: the receipt holds whatever names the store typed ("Crème brûlée", "Łódź",
"€"). A character the printer's code page has is printed as itself; one it lacks is
folded to its letters ("Ł" → "L", "€" → "EUR"), and what cannot be folded becomes
"?": printing never fails on a character. Control characters are never sent as they
are (an ESC in a stored name would be a printer command).
"""

from __future__ import annotations

import contextlib
import os
import socket
import textwrap
import unicodedata
from typing import TYPE_CHECKING, Any

from tillterm.core.errors import TilltermError
from tillterm.i18n import _
from tillterm.printing.config import PrinterConfig, PrinterConfigError

if TYPE_CHECKING:
    from escpos.escpos import Escpos

#: folds no Unicode decomposition gives
_FOLDS = {
    "€": "EUR",
    "£": "GBP",
    "ß": "ss",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "Ø": "O",
    "ø": "o",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Þ": "Th",
    "þ": "th",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "•": "*",
    "\u00a0": " ",
}

#: how a copy is marked, above and below the receipt as it was printed
COPY_MARK = _("*** COPY ***")


class PrinterUnavailable(TilltermError):
    """The receipt could not be printed: no printer there, switched off, out of paper.

    The message is for the status line ("printer not found at /dev/usb/lp0"); the sale
    it was for is complete and kept whatever this says.
    """


def _code_page(printer: Escpos, config: PrinterConfig) -> str:
    """The configured code page under python-escpos's name for it, or a clear refusal."""
    try:
        return str(printer.magic.encoder.get_encoding_name(config.code_page))
    except (ValueError, LookupError):
        known = ", ".join(sorted(printer.profile.get_code_pages()))
        raise PrinterConfigError(
            _("code_page {code_page} is not one this printer knows (use one of {known})").format(
                code_page=config.code_page, known=known
            )
        ) from None


def fit_to_code_page(text: str, printer: Escpos, code_page: str) -> str:
    """``text`` with every character the code page lacks folded (or ``?``); lines kept."""
    encoder = printer.magic.encoder

    def fits(char: str) -> bool:
        if char == "\n":
            return True
        if ord(char) < 32 or ord(char) == 127:
            return False  # a control character: a command to the printer, never sent
        return bool(encoder.can_encode(code_page, char))

    out: list[str] = []
    for char in text:
        if fits(char):
            out.append(char)
            continue
        folded = _FOLDS.get(char)
        if folded is None:
            decomposed = unicodedata.normalize("NFKD", char)
            folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append(folded if folded and all(fits(c) for c in folded) else "?")
    return "".join(out)


def paper_lines(text: str, width: int) -> list[str]:
    """The receipt's lines as the paper takes them: a line wider than the paper is
    wrapped at its width (a 32-column roll), never cut (an amount must not be lost)."""
    lines: list[str] = []
    for line in text.rstrip("\n").split("\n"):
        if len(line) <= width:
            lines.append(line)
        else:
            lines += textwrap.wrap(line, width, drop_whitespace=False) or [""]
    return lines


def mark_copy(text: str, width: int | None = None) -> str:
    """A kept receipt printed again: the same text, said to be a copy above and below,
    centred on the text's own width (its rules span it), whatever the paper is now."""
    if width is None:
        width = max((len(line) for line in text.splitlines()), default=0) or 40
    mark = COPY_MARK.center(width).rstrip()
    return f"{mark}\n{text.rstrip(chr(10))}\n{mark}\n"


def compose(printer: Escpos, text: str, config: PrinterConfig, *, kick: bool) -> None:
    """Send a receipt to ``printer``: initialise, code page, text, cut, drawer kick.

    ``kick``: the sale (or refund) had cash, so the drawer opens, when the printer is set
    to kick it. The kick comes last, once the receipt is out.
    """
    code_page = _code_page(printer, config)
    printer.hw("INIT")
    printer.charcode(code_page)  # ESC t n now; the text below is encoded in it
    for line in paper_lines(fit_to_code_page(text, printer, code_page), config.width):
        printer.text(line + "\n")
    if config.cut:
        printer.cut()
    if kick and config.drawer_kick:
        printer.cashdraw(config.drawer_pin)


def receipt_bytes(text: str, config: PrinterConfig, *, kick: bool) -> bytes:
    """The bytes :func:`compose` sends, collected by python-escpos's ``Dummy`` printer."""
    _profile(config)
    from escpos.printer import Dummy

    dummy = Dummy(profile=config.profile or None)
    try:
        compose(dummy, text, config, kick=kick)
        return bytes(dummy.output)
    finally:
        dummy.close()


#: where python-escpos keeps its parsed printer capabilities (its environment variable)
PICKLE_DIR_ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _prepare_escpos() -> None:
    """Give python-escpos a lasting cache before its first import.

    Unless told where, python-escpos 3.1 makes a new temporary folder at every import and
    parses its YAML list of printer capabilities into it again (~0.5 s of CPU, a folder
    left in /tmp per run of the register). Kept in tillterm's cache folder, it is parsed
    once and read back in milliseconds by every later run.
    """
    if PICKLE_DIR_ENV in os.environ:
        return
    from platformdirs import user_cache_path

    folder = user_cache_path("tillterm", appauthor=False) / "escpos"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: python-escpos's own temporary folder then
    os.environ[PICKLE_DIR_ENV] = str(folder)


def _profile(config: PrinterConfig) -> Any:
    """The configured python-escpos profile (what the model can: cut, code pages)."""
    _prepare_escpos()
    from escpos.capabilities import get_profile

    try:
        return get_profile(config.profile or None)
    except Exception as exc:  # the library says NotSupported, KeyError... by version
        raise PrinterConfigError(
            _("profile {profile} is not a python-escpos printer profile: {reason}").format(
                profile=repr(config.profile), reason=exc
            )
        ) from None


def connect(config: PrinterConfig) -> Escpos:
    """The configured printer, not yet opened."""
    _profile(config)  # a wrong name refused here, in words
    from escpos import printer

    profile = config.profile or None
    if config.connection == "usb":
        return printer.Usb(
            int(config.usb_vendor, 16),
            int(config.usb_product, 16),
            timeout=config.timeout * 1000,
            profile=profile,
        )
    if config.connection == "serial":
        return printer.Serial(
            config.device, baudrate=config.baudrate, timeout=config.timeout, profile=profile
        )
    if config.connection == "network":
        return printer.Network(
            config.host, port=config.port, timeout=config.timeout, profile=profile
        )
    if config.connection == "file":
        return printer.File(config.device, profile=profile)
    raise PrinterConfigError(_("no printer is configured"))


def _open(device: Escpos, config: PrinterConfig) -> None:
    """Open the device. A network printer's socket is opened here: python-escpos 3.1
    drops (without closing) the socket whose connection was refused, one leaked file
    per receipt while the printer is off."""
    if config.connection == "network":
        device.device = socket.create_connection((config.host, config.port), timeout=config.timeout)
    else:
        device.open()


def send(config: PrinterConfig, text: str, *, kick: bool) -> None:
    """Print ``text`` on the configured printer, or say in one line why not.

    Every failure of the device — not there, refused, switched off, unplugged or out of
    paper halfway — becomes :class:`PrinterUnavailable`: the drivers under python-escpos
    (pyusb, pyserial, sockets, files) each raise their own kinds, and none of them may
    reach a cashier as a traceback.
    """
    device = connect(config)
    from escpos.exceptions import DeviceNotFoundError

    try:
        try:
            _open(device, config)
        except (DeviceNotFoundError, OSError):
            raise PrinterUnavailable(
                _("printer not found at {where}").format(where=config.where)
            ) from None
        compose(device, text, config, kick=kick)
    except (PrinterUnavailable, PrinterConfigError):
        raise
    except OSError as exc:
        raise PrinterUnavailable(
            _("printer at {where} stopped: {reason}").format(
                where=config.where, reason=exc.strerror or exc
            )
        ) from None
    except Exception as exc:  # pyusb, pyserial, escpos: their own error types
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if type(exc).__name__ == "NoBackendError":  # pyusb without libusb on the machine
            said = _("USB is not usable here: libusb is not installed (libusb-1.0-0)")
        raise PrinterUnavailable(
            _("printer at {where}: {reason}").format(where=config.where, reason=said)
        ) from None
    finally:
        # a device already gone cannot be closed cleanly; there is nothing left to do
        with contextlib.suppress(Exception):
            device.close()


def test_page_text(config: PrinterConfig) -> str:
    """What ``tillterm printer test`` prints: the settings, a ruler of the paper's width
    and the accents the code page has (to check what is configured is what is there)."""
    ruler = ("1234567890" * 8)[: config.width]
    lines = [
        _("tillterm printer test").center(config.width).rstrip(),
        "-" * config.width,
        _("Connection: {connection} {where}").format(
            connection=config.connection, where=config.where
        ),
        _("Code page:  {code_page}").format(code_page=config.code_page),
        _("Width:      {width} characters").format(width=config.width),
        ruler,
        _("Accents: {letters}").format(letters="àâçéèêëîïôùûü ÄÖÜß ñ €"),
        _("Cut: yes") if config.cut else _("Cut: no"),
        _("Drawer kick: pin {pin}").format(pin=config.drawer_pin)
        if config.drawer_kick
        else _("Drawer kick: off"),
    ]
    return "\n".join(lines) + "\n"
