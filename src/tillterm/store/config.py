"""Where the database lives and which register this process is.

Resolution order for the database: ``--db`` on the command line, else the
``TILLTERM_DB`` environment variable, else ``tillterm.db`` in the user data directory
(created on first run). A value containing ``://`` is an SQLAlchemy URL; anything else is
a path to an SQLite file.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tillterm.core.errors import DatabaseError
from tillterm.i18n import _

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


# --------------------------------------------------------------------------- PostgreSQL

ENV_PG_CONNECT_TIMEOUT = "TILLTERM_PG_CONNECT_TIMEOUT"
ENV_PG_ANSWER_TIMEOUT = "TILLTERM_PG_ANSWER_TIMEOUT"
ENV_PG_STATEMENT_TIMEOUT = "TILLTERM_PG_STATEMENT_TIMEOUT"
ENV_PG_IDLE_TX_TIMEOUT = "TILLTERM_PG_IDLE_IN_TRANSACTION_TIMEOUT"
ENV_PG_DEAD_LINK = "TILLTERM_PG_DEAD_LINK_TIMEOUT"


@dataclass(frozen=True)
class PgTimeouts:
    """How long a register waits on the PostgreSQL server before it says so (seconds).

    A paused or partitioned server answers nothing and closes nothing: without these a
    register froze silently for minutes. Each figure covers one way of going silent:

    - ``connect``: opening a connection (libpq's ``connect_timeout``; 2 s is its minimum);
    - ``answer``: how long one register action (a scan, a completion, a search) may wait
      for the server's answer before the connection is dropped and the action retried
      (the client's own clock: a paused server cannot time anything out);
    - ``statement``: the server's ``statement_timeout``, a backstop for a runaway
      statement (bulk loads and upgrades run with it too, so it is generous);
    - ``idle_in_transaction``: the server's ``idle_in_transaction_session_timeout``, so a
      register that vanished mid-transaction releases its row locks;
    - ``dead_link``: TCP keepalives and ``tcp_user_timeout`` on both ends, so a network
      gone quiet is noticed even when no statement is running.

    ``0`` turns a figure off (not ``connect``: libpq's minimum applies).
    """

    connect: int = 2
    answer: float = 2.0
    statement: float = 120.0
    idle_in_transaction: float = 60.0
    dead_link: int = 3


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise DatabaseError(
            _("{name} must be a number of seconds (0 or more), not “{raw}”.").format(
                name=name, raw=raw
            )
        )
    return value


def resolve_pg_timeouts(environ: Mapping[str, str] | None = None) -> PgTimeouts:
    """The PostgreSQL timeouts: the defaults of :class:`PgTimeouts`, each one changed by
    its environment variable (``TILLTERM_PG_ANSWER_TIMEOUT=5``...). Parameters written in
    the ``TILLTERM_DB`` URL itself (``?connect_timeout=10&keepalives_idle=30``) win over
    both, for whoever needs libpq's own knobs."""
    env = os.environ if environ is None else environ
    base = PgTimeouts()
    return PgTimeouts(
        connect=max(2, math.ceil(_seconds(env, ENV_PG_CONNECT_TIMEOUT, base.connect))),
        answer=_seconds(env, ENV_PG_ANSWER_TIMEOUT, base.answer),
        statement=_seconds(env, ENV_PG_STATEMENT_TIMEOUT, base.statement),
        idle_in_transaction=_seconds(env, ENV_PG_IDLE_TX_TIMEOUT, base.idle_in_transaction),
        dead_link=math.ceil(_seconds(env, ENV_PG_DEAD_LINK, base.dead_link)),
    )
