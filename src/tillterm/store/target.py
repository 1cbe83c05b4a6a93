"""Which database to open, and the checks that need no database driver.

Kept apart from :mod:`tillterm.store.engine` because importing SQLAlchemy and the models costs
about half a second on a till: the register draws its first frame first and opens the
engine behind it. What can be said about a database from its name alone — the header's
label, a path in a missing folder, a read-only file, a file that is not SQLite — is said
here, before any window opens, so the cashier gets one line on stderr rather than a
flash of the register.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tillterm.core.errors import DatabaseError
from tillterm.i18n import _

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class DbInfo:
    """What the header shows about the database in use (never a password)."""

    engine: str
    label: str


def to_url(url_or_path: str | os.PathLike[str]) -> str:
    """Turn a path into an SQLite URL; leave URLs alone (``postgresql://`` gets psycopg 3)."""
    value = os.fspath(url_or_path)
    if "://" in value:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value
    return "sqlite:///" + str(Path(value).expanduser().absolute())


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL (``None`` for other engines or an in-memory one)."""
    if not url.startswith("sqlite"):
        return None
    database = url.split(":///", 1)[1] if ":///" in url else ""
    database = database.split("?", 1)[0]
    if not database or database == ":memory:":
        return None
    return Path(unquote(database))


def describe_url(url: str) -> DbInfo:
    """The header's label for a URL, worked out without SQLAlchemy."""
    backend = url.split("://", 1)[0].split("+", 1)[0]
    if backend == "sqlite":
        path = sqlite_path(url)
        return DbInfo("sqlite", str(path) if path else ":memory:")
    if backend == "postgres":
        backend = "postgresql"
    parts = urlsplit(url)
    database = parts.path.lstrip("/") or None
    return DbInfo(backend, f"{database}@{parts.hostname or 'localhost'}")


def prepare_sqlite_file(path: Path, create_dirs: bool) -> None:
    """Refuse a path no register could use; create a new file readable by its owner only."""
    if not path.parent.exists():
        if not create_dirs:
            raise DatabaseError(
                _("Cannot open database {path}: the folder {folder} does not exist.").format(
                    path=path, folder=path.parent
                )
            )
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if path.exists():
        if path.is_dir():
            raise DatabaseError(
                _("Cannot open database {path}: it is a folder, not a file.").format(path=path)
            )
        if not os.access(path, os.R_OK):
            raise DatabaseError(
                _("Cannot open database {path}: permission denied.").format(path=path)
            )
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise DatabaseError(
                _(
                    "Cannot open database {path}: it is read-only for this user "
                    "(a register must be able to write its sales)."
                ).format(path=path)
            )
        with path.open("rb") as fh:
            head = fh.read(16)
        if head and head != SQLITE_MAGIC:
            raise DatabaseError(
                _("Cannot open database {path}: it is not a tillterm database file.").format(
                    path=path
                )
            )
        return
    if not os.access(path.parent, os.W_OK):
        raise DatabaseError(
            _("Cannot create database {path}: the folder is not writable.").format(path=path)
        )
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


@dataclass(frozen=True)
class DbTarget:
    """A database named on the command line or in the environment, not yet opened."""

    url_or_path: str
    create_dirs: bool = False

    @property
    def url(self) -> str:
        return to_url(self.url_or_path)

    def info(self) -> DbInfo:
        return describe_url(self.url)

    def check(self) -> None:
        """Raise :class:`DatabaseError` for what is wrong with the name alone."""
        path = sqlite_path(self.url)
        if self.url.startswith("sqlite") and path is None:
            raise DatabaseError(
                _("An in-memory database is empty in every thread; give tillterm a file path.")
            )
        if path is not None:
            prepare_sqlite_file(path, self.create_dirs)
