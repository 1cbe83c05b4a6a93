"""Where the database lives and which register this process is.

Resolution order for the database: ``--db`` on the command line, else the
``TILLTERM_DB`` environment variable, else ``tillterm.db`` in the user data directory
(created on first run). A value containing ``://`` is an SQLAlchemy URL; anything else is
a path to an SQLite file.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

ENV_DB = "TILLTERM_DB"
ENV_REGISTER = "TILLTERM_REGISTER"
APP_NAME = "tillterm"


def default_db_path() -> Path:
    """The per-user database file, in the platform's data directory."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "tillterm.db"


def resolve_db(cli_value: str | None = None) -> tuple[str, bool]:
    """Return ``(url_or_path, is_default)``.

    ``is_default`` tells the caller it may create the data directory: an explicit path
    in a missing directory is a typo to report, not a directory to invent.
    """
    if cli_value:
        return cli_value, False
    env = os.environ.get(ENV_DB)
    if env:
        return env, False
    return str(default_db_path()), True


def resolve_register(cli_value: str | None = None) -> str:
    """The register's name: ``--register``, else ``TILLTERM_REGISTER``, else the host name."""
    name = (cli_value or os.environ.get(ENV_REGISTER) or socket.gethostname() or "till").strip()
    return name[:40] or "till"


ENV_RECEIPTS = "TILLTERM_RECEIPTS"


def resolve_receipts_dir(value: str | os.PathLike[str] | None = None) -> Path:
    """Where receipt files go: ``value``, else ``TILLTERM_RECEIPTS``, else ``receipts/``
    in the user data directory (per machine, not per store: it is this register's paper)."""
    chosen = value or os.environ.get(ENV_RECEIPTS)
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "receipts"


ENV_LOG = "TILLTERM_LOG"


def resolve_log_file(value: str | os.PathLike[str] | None = None) -> Path:
    """Where unexpected errors are written in full: ``value``, else ``TILLTERM_LOG``,
    else ``tillterm.log`` in the user data directory (the cashier reads one line on
    screen; whoever looks after the till reads the traceback here)."""
    chosen = value or os.environ.get(ENV_LOG)
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "tillterm.log"
