"""The ``tillterm`` command.

Only ``argparse`` is imported up front: ``--help`` and ``--version`` must answer without
loading Textual, polars or the ORM. Each command imports what it needs when it runs.
Every error meant for a person comes out as one line on stderr with a non-zero status.
"""

from __future__ import annotations

import argparse
import importlib
import signal
from collections.abc import Sequence
from types import ModuleType

from tillterm import __version__
from tillterm.commands.console import (
    EXIT_ERROR,
    add_db_option,
    db_target,
    say,
)
from tillterm.i18n import N_

#: one module per sub-command in ``tillterm.commands``; each has ``add_parser(sub)`` and
#: ``run(args) -> int`` and imports nothing heavy at module level.
COMMAND_MODULES = (
    "demo",
    "import_file",
    "export",
    "report",
    "balances",
    "scanner",
    "printer",
    "migrate_store",
    "customers",
    "products",
)


#: argparse's own words (usage line, section titles, its errors), in tillterm's catalog
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
)


def speak_argparse() -> None:
    """argparse translates its words through ``gettext``'s default domain, where no
    catalog of tillterm's is: pointed at tillterm's, ``--help`` is French from the title
    ("utilisation :") to its errors, like the texts tillterm gives it."""
    from tillterm.i18n import _, ngettext

    setattr(argparse, "_", _)  # noqa: B010 - argparse reads the module global at each use
    setattr(argparse, "ngettext", ngettext)  # noqa: B010


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"tillterm.commands.{name}")


def command_name(module: str) -> str:
    """The sub-command a module provides (``import_file`` provides ``import``)."""
    return str(getattr(_load(module), "COMMAND", module))


def build_parser() -> argparse.ArgumentParser:
    from tillterm.i18n import _

    speak_argparse()
    parser = argparse.ArgumentParser(
        prog="tillterm",
        description=_(
            "A keyboard-first point-of-sale register for the terminal. "
            "Without a command, opens the register."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"tillterm {__version__}",
        # Python 3.11's own text for it is not marked for translation
        help=_("show program's version number and exit"),
    )
    add_db_option(parser)
    parser.add_argument(
        "--register",
        metavar="NAME",
        help=_("this register's name (default: $TILLTERM_REGISTER, else the host name)"),
    )
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help=_(
            "the language of screens, receipts and messages: en or fr "
            "(default: $TILLTERM_LANG, else LANGUAGE / LC_ALL / LC_MESSAGES / LANG)"
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for module in COMMAND_MODULES:
        _load(module).add_parser(sub)
    return parser


def run_app(args: argparse.Namespace) -> int:
    """The register. The database is checked here and opened behind the first frame."""
    from tillterm.services.opening import register_name

    target = db_target(args)
    from tillterm.ui.app import TilltermApp

    app = TilltermApp(target, register=register_name(args.register))
    # A register whose terminal hung up has no one to serve. Started under ``nohup`` (or
    # a shell that ignores SIGHUP) it used to linger, spinning on the dead terminal; the
    # hang-up ends it now, like SIGTERM. That is safe at any moment: every write,
    # an upgrade of the schema included, is one transaction.
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    app.run()
    if app.startup_error:
        from tillterm.i18n import _

        say(_("tillterm: {reason}").format(reason=app.startup_error), err=True)
        return EXIT_ERROR
    return int(app.return_code or 0)


def language_asked(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` in ``argv``, read before the parser exists.

    The language must be set before any module with texts is imported (see
    ``tillterm.i18n``), and the parser's own help is one of those texts.
    """
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith("--lang="):
            return word.partition("=")[2]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    from tillterm.i18n import set_language

    words = list(sys.argv[1:] if argv is None else argv)
    asked = language_asked(words)
    try:
        set_language(asked)
    except ValueError as exc:
        say(f"tillterm: {exc}", err=True)
        return EXIT_ERROR
    parser = build_parser()
    args = parser.parse_args(words)
    # a command whose name is a Python keyword lives in another module (``import_file``)
    module = getattr(args, "command_module", args.command)
    handler = _load(module).run if args.command else run_app
    try:
        return handler(args)
    except KeyboardInterrupt:
        from tillterm.i18n import _

        say(_("tillterm: interrupted"), err=True)
        return 130
    except Exception as exc:  # the one place a traceback is turned into a sentence
        from tillterm.core.errors import TilltermError
        from tillterm.i18n import _

        if isinstance(exc, TilltermError):
            say(_("tillterm: {reason}").format(reason=exc), err=True)
            return EXIT_ERROR
        from tillterm.store.engine import explain

        say(_("tillterm: unexpected error: {reason}").format(reason=explain(exc)), err=True)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
