"""Errors a person can read.

Everything the domain raises for a person to see derives from :class:`TilltermError`,
whose ``str()`` is one plain sentence. The CLI prints it on one line and the app shows
it as a notice, so a cashier never sees a traceback.
"""

from __future__ import annotations

from tillterm.i18n import _, ngettext


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


class ValidationFailed(TilltermError):
    """What a person typed cannot be saved; ``errors`` names every problem at once.

    ``errors`` maps a field name (``email``, ``birth_date``, ``custom.Shoe size``...) to
    a short reason in a cashier's words; nothing has been written.
    """

    def __init__(self, errors: dict[str, str], labels: dict[str, str] | None = None) -> None:
        self.errors = dict(errors)
        labels = labels or {}
        parts = [
            _("{label}: {problem}").format(label=labels.get(name, name), problem=message)
            for name, message in self.errors.items()
        ]
        count = len(parts)
        if not parts:
            super().__init__(_("Nothing to correct."))
            return
        said = ngettext(
            "{count} thing to correct — {problems}", "{count} things to correct — {problems}", count
        )
        super().__init__(said.format(count=count, problems="; ".join(parts)))
