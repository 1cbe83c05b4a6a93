"""Moving a store from its SQLite file to a PostgreSQL server (``tillterm migrate-store``).

The use case: name the two databases, check the target is a PostgreSQL URL before
anything is opened, then hand both to :func:`tillterm.store.transfer.transfer`, which
copies everything in one transaction on the target and verifies it. The command only
parses, prints and maps outcomes to exit codes.
"""

from __future__ import annotations

from pathlib import Path

from tillterm.i18n import _, ngettext
from tillterm.sales.registers import open_registers
from tillterm.store.engine import build_engine
from tillterm.store.target import sqlite_path, to_url
from tillterm.store.transfer import (
    Progress,
    TransferRefused,
    TransferSummary,
    read_only_sqlite,
    transfer,
)

__all__ = ["Progress", "TransferRefused", "TransferSummary", "move_store"]


def move_store(source: str, target: str, progress: Progress | None = None) -> TransferSummary:
    """Copy the SQLite store ``source`` (a path) into the empty PostgreSQL ``target`` (a URL).

    Raises :class:`TransferRefused` when either side is not one the move may use, and
    :class:`~tillterm.core.errors.DatabaseError` when the copy failed; in both cases the
    target was left as it was and the source was never written to.
    """
    source_path = sqlite_path(to_url(source))
    if source_path is None:
        raise TransferRefused(
            _("The source must be a tillterm store file (an SQLite path), not “{source}”.").format(
                source=source
            )
        )
    if not to_url(target).startswith("postgresql"):
        raise TransferRefused(
            _(
                "The target must be a PostgreSQL URL (postgresql://user@host/database), "
                "not “{target}”."
            ).format(target=target)
        )
    still_open = open_registers(source_path)
    if still_open:
        raise TransferRefused(
            ngettext(
                "{count} register is still open on {path}: close it first (a sale rung up "
                "after the copy would be left behind); nothing was copied.",
                "{count} registers are still open on {path}: close them first (a sale rung "
                "up after the copy would be left behind); nothing was copied.",
                still_open,
            ).format(count=still_open, path=source_path)
        )
    source_engine = read_only_sqlite(Path(source_path))
    try:
        target_engine = build_engine(target)
        try:
            if progress is None:
                return transfer(source_engine, target_engine)
            return transfer(source_engine, target_engine, progress)
        finally:
            target_engine.dispose()
    finally:
        source_engine.dispose()
