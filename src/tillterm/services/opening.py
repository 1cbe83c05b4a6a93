"""What a register or a command needs before its first sale: which database (named,
checked, opened), which register this is, and where its failures are logged.

What can be said about a database from its name alone (a missing folder, a read-only
file, a file that is not SQLite) is said by :func:`named_target` before any window opens
or SQLAlchemy loads; :func:`open_database` then builds the engine, creating or upgrading
the schema, and turns whatever goes wrong into one sentence (:class:`DatabaseError`), so
the register and the CLI say it the same way and never as a traceback.

This module is imported at cold start (the app names its database in the header before
the first frame): it loads the engine module only when a database is opened, in the
opener's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm.core.errors import DatabaseError, TilltermError
from tillterm.i18n import _
from tillterm.store.config import resolve_db, resolve_log_file, resolve_register
from tillterm.store.target import DbInfo, DbTarget, describe_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = [
    "DbInfo",
    "DbTarget",
    "UpgradeNotice",
    "database_info",
    "failure_log_file",
    "named_target",
    "open_database",
    "register_name",
]

#: told ``"create"`` or ``"upgrade"`` just before the schema is created or upgraded
UpgradeNotice = Callable[[str], None]


def named_target(value: str | None = None) -> DbTarget:
    """The database named by ``value`` (``--db``), else ``$TILLTERM_DB``, else the user's
    default file; checked, not opened.

    Only the default location may have its folder created: an explicit path in a
    missing folder is a typo to report. Raises :class:`DatabaseError` for a name no
    register could use.
    """
    url_or_path, is_default = resolve_db(value)
    target = DbTarget(url_or_path, create_dirs=is_default)
    target.check()
    return target


def open_database(target: DbTarget, on_upgrade: UpgradeNotice | None = None) -> Engine:
    """The engine of ``target``, its schema at head, or :class:`DatabaseError`.

    ``on_upgrade`` hears ``"create"`` or ``"upgrade"`` before a slow schema change (the
    register covers itself, a command says so on stderr); a database already at head
    never calls it. A failure the store did not put in words (a driver missing, an
    import failing) still comes out as one line naming the database.
    """
    try:
        from tillterm.store.engine import open_target

        return open_target(target, on_upgrade=on_upgrade)
    except TilltermError:
        raise
    except Exception as exc:
        raise DatabaseError(
            _("Cannot open database {database}: {why}").format(
                database=target.info().label, why=exc
            )
        ) from exc


def database_info(engine: Engine) -> DbInfo:
    """What the header says about an engine's database (never its password)."""
    return describe_url(engine.url.render_as_string(hide_password=True))


def register_name(value: str | None = None) -> str:
    """This register's name: ``value`` (``--register``), else ``$TILLTERM_REGISTER``,
    else the host name (at most 40 characters)."""
    return resolve_register(value)


def failure_log_file() -> Path:
    """Where unexpected failures are logged with their traceback (``$TILLTERM_LOG``, else
    the user data folder): read at each failure, so a test or an installer can move it."""
    return resolve_log_file()
