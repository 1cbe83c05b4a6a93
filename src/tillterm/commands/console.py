"""What every command shares: exit codes, the one way to print, the database option.

Kept apart from :mod:`tillterm.cli` so that the commands never import the entry point
that loads them (the two used to import each other).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.store.target import DbTarget

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
    parser.add_argument(
        "--db",
        metavar="URL|PATH",
        default=argparse.SUPPRESS,
        help="database: an SQLite file path or a postgresql:// URL "
        "(default: $TILLTERM_DB, else tillterm.store.engine in the user data folder)",
    )


def db_target(args: argparse.Namespace) -> DbTarget:
    """The database named by the arguments or the environment, checked but not opened."""
    from tillterm.store.config import resolve_db
    from tillterm.store.target import DbTarget

    value, is_default = resolve_db(getattr(args, "db", None))
    target = DbTarget(value, create_dirs=is_default)
    target.check()
    return target


def open_engine(args: argparse.Namespace) -> Engine:
    """Open the database named by the arguments or the environment.

    An upgrade of a large store takes a few seconds: the command says so on stderr
    rather than seem to hang.
    """
    target = db_target(args)

    def upgrading(kind: str) -> None:
        if kind == "upgrade":
            say(f"tillterm: upgrading the database {target.info().label}…", err=True)

    from tillterm.store.engine import open_target

    return open_target(target, on_upgrade=upgrading)
