"""Errors a person can read.

Everything the domain raises for a person to see derives from :class:`TilltermError`,
whose ``str()`` is one plain sentence. The CLI prints it on one line and the app shows
it as a notice, so a cashier never sees a traceback.
"""

from __future__ import annotations


class TilltermError(Exception):
    """An error whose message is meant for a person, not a developer."""


class DatabaseError(TilltermError):
    """The database cannot be opened or used (missing, read-only, locked, too new)."""


class DatabaseTooNew(DatabaseError):
    """The database was upgraded by a newer tillterm than this one."""


class DatabaseBusy(DatabaseError):
    """Another register holds the database lock for longer than the busy timeout."""


class NotFound(TilltermError):
    """A record the person asked for does not exist (or no longer)."""
