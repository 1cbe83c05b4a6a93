"""The app's record of what went wrong unexpectedly: one line for the cashier, the whole
traceback for whoever looks after the till.

A bug must never be silent (the screen would just stop answering) and never shown as a
traceback (the cashier cannot act on it). The log is appended to, kept private (0600:
tracebacks can quote customers' data), and a log that cannot be written costs the
cashier nothing more than the missing file.
"""

from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path

from tillterm.i18n import _


def write_failure(log_file: Path, what: str, error: BaseException) -> bool:
    """Append ``error``'s traceback under a dated heading; False if the log is unwritable."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(error))
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(f"--- {stamp} {what}\n{text}\n")
    except OSError:
        return False
    return True


def one_line(what: str, error: BaseException, log_file: Path, logged: bool) -> str:
    """What the cashier reads: what failed, the error's own first line, where to look."""
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
    where = (
        _("details in {file}").format(file=log_file)
        if logged
        else _("the log could not be written")
    )
    return _(
        "Unexpected error while {what}: {reason} ({where}). The screen is usable again."
    ).format(what=what, reason=reason, where=where)
