"""What every command shares: exit codes, the one way to print, the database option,
and the services a command works with.

Kept apart from :mod:`tillterm.cli` so that the commands never import the entry point
that loads them (the two used to import each other). Nothing heavy is imported at module
level: ``tillterm --help`` loads this module and must not load SQLAlchemy.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.services.context import Services
    from tillterm.services.opening import DbTarget

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def say(*parts: object, err: bool = False, end: str = "\n", flush: bool = False) -> None:
    """Print for a person (stdout, or stderr with ``err``): the only way the CLI prints.

    What a command prints quotes file names, spreadsheet cells and customers' names;
    a cell holding ``ESC[2J`` or ``ESC]52;…`` would clear the terminal or set its
    clipboard. Every character goes through :func:`tillterm.core.typed_text.visible_text`
    first, so it is shown ("␛"), never obeyed. Line breaks and tabs are kept.
    """
    from tillterm.core.typed_text import visible_text

    text = " ".join(str(part) for part in parts)
    stream = sys.stderr if err else sys.stdout
    print(visible_text(text, multiline=True), end=end, file=stream, flush=flush)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    from tillterm.i18n import _

    parser.add_argument(
        "--db",
        metavar="URL|PATH",
        default=argparse.SUPPRESS,
        help=_(
            "database: an SQLite file path or a postgresql:// URL "
            "(default: $TILLTERM_DB, else tillterm.db in the user data folder)"
        ),
    )


def db_target(args: argparse.Namespace) -> DbTarget:
    """The database named by the arguments or the environment, checked but not opened."""
    from tillterm.services.opening import named_target

    return named_target(getattr(args, "db", None))


def open_engine(args: argparse.Namespace) -> Engine:
    """Open the database named by the arguments or the environment.

    An upgrade of a large store takes a few seconds: the command says so on stderr
    rather than seem to hang.
    """
    from tillterm.i18n import _
    from tillterm.services.opening import open_database

    target = db_target(args)

    def upgrading(kind: str) -> None:
        if kind == "upgrade":
            say(
                _("tillterm: upgrading the database {name}…").format(name=target.info().label),
                err=True,
            )

    return open_database(target, on_upgrade=upgrading)


def open_services(args: argparse.Namespace) -> Services:
    """The services of a command: the database of the arguments (opened, upgraded if it
    must be) and the register named by ``--register`` or the environment."""
    from tillterm.services.context import Services
    from tillterm.services.opening import register_name

    engine = open_engine(args)
    return Services(lambda: engine, register=register_name(getattr(args, "register", None)))
