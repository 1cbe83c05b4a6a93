"""Between the scanner reader thread and the app: callbacks in, Textual messages out.

The domain listener (``tillterm.scanner.listener``) knows nothing of Textual; it calls
plain functions from its own thread. Here those become messages posted to the app
(``post_message`` is thread-safe), which routes each ``ScanReceived`` to the current
screen and shows each notice. Nothing here blocks the UI: the listener reads its
configuration and opens devices in its thread.

What the listener expects to go wrong (no evdev, no permission, a device unplugged) it
says itself, as a notice. A listener that cannot even start is a bug: it is reported
like any job failing unexpectedly (one line for the cashier, the traceback in the log),
and the register goes on without the scanner, scans typed into the terminal included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from tillterm.i18n import N_, _
from tillterm.ui.messages import ScannerNoticed, ScanReceived

if TYPE_CHECKING:
    from textual.message import Message


class BridgedApp(Protocol):
    """What the bridge needs of the app (the app module imports this one, not back)."""

    def post_message(self, message: Message) -> bool: ...
    def report_job_failure(self, what: str, error: BaseException) -> None: ...


class Listener(Protocol):
    def start(self) -> bool: ...
    def stop(self, timeout: float = 2.0) -> None: ...


def make_listener(
    on_code: Callable[[str, str], None], on_notice: Callable[[str], None]
) -> Listener:
    """The real listener, configured from the scanner configuration file (tests replace this)."""
    from tillterm.scanner.listener import ScannerListener

    return ScannerListener(on_code, on_notice)


#: what the cashier reads after "Unexpected error while …"
STARTING = _("starting the barcode scanner reader")


#: the listener's two good-news notices (its own catalog translates them): information,
#: every other notice a warning
_READY = N_("Scanner ready: {scanner} ({layout} layout).")
_BACK = N_("Scanner {scanner} is back.")


def _severity(text: str) -> str:
    """Recognised by their fixed words, in English and in the process's language."""
    starts = tuple(ready.split("{", 1)[0] for ready in (_READY, _(_READY)))
    ends = tuple(back.rsplit("}", 1)[-1] for back in (_BACK, _(_BACK)))
    return "information" if text.startswith(starts) or text.endswith(ends) else "warning"


class ScannerBridge:
    """Owns the app's scanner listener from mount to unmount."""

    def __init__(self, app: BridgedApp) -> None:
        self.app = app
        self.listener: Listener | None = None

    def start(self) -> None:
        """Start the listener (from the UI thread: it opens no device here)."""
        try:
            self.listener = make_listener(self._code, self._notice)
            self.listener.start()
        except Exception as exc:  # a scanner problem must never stop the register
            self.listener = None
            self.app.report_job_failure(STARTING, exc)

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None

    def _code(self, code: str, device: str) -> None:
        self.app.post_message(ScanReceived(code, source="scanner"))

    def _notice(self, text: str) -> None:
        self.app.post_message(ScannerNoticed(text, _severity(text)))
