"""Files that hold customer data: created for their owner only, whole or not at all.

Exports, annotated copies, reports and receipts carry names, emails and phones, so they
are created ``0600`` like the database. They are written to a temporary file made with
``mkstemp`` in the target's own folder (``O_EXCL``: a symlink planted at a predictable
``.part`` name is never followed), flushed to disk and then moved into place, so a crash
or a full disk leaves either the old file or the new one, never half of one. The
temporary file is removed on any failure.

``overwrite=False`` refuses an existing target; the check is made at the moment the file
is put in place (a hard link cannot replace a file), not only before the work starts.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tillterm.core.errors import TilltermError
from tillterm.i18n import _

PRIVATE_MODE = 0o600


class OutputExists(TilltermError):
    """The output file is already there and the person did not ask to replace it."""


def _exists(path: Path) -> str:
    return _("{path} already exists; choose another name or replace it.").format(path=path)


def _put_in_place(tmp: Path, target: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise OutputExists(_exists(target)) from None
    except OSError:
        # a file system without hard links: the best that is left is check, then move
        if target.exists() or target.is_symlink():
            raise OutputExists(_exists(target)) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


@contextlib.contextmanager
def private_output(target: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes ``target`` (mode 0600) when the block succeeds.

    Raises :class:`OutputExists` when ``overwrite`` is false and ``target`` exists (checked
    before the work starts, so nothing is computed in vain, and again when it is put in
    place), and lets ``OSError`` through for the caller to word.
    """
    path = Path(target)
    if not overwrite and (path.exists() or path.is_symlink()):
        raise OutputExists(_exists(path))
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _put_in_place(tmp, path, overwrite)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_private(
    target: str | os.PathLike[str], data: bytes | str, *, overwrite: bool = True
) -> Path:
    """Write ``data`` (text as UTF-8) to ``target`` through :func:`private_output`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with private_output(target, overwrite=overwrite) as fh:
        fh.write(payload)
    return Path(target)
