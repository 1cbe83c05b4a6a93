"""``tillterm printer``: check the receipt printer, print a receipt again.

``test`` prints a test page (the settings, a ruler of the paper's width, the accents the
code page has) on the configured printer, or says there is none, or why it could not
print, and exits 1. ``reprint [RECEIPT_NO]`` prints a kept receipt again, marked COPY:
the one numbered RECEIPT_NO, else this register's last (``--register``, else
``$TILLTERM_REGISTER``, else the host name). Neither opens the cash drawer.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tillterm.commands.console import EXIT_ERROR, EXIT_OK, add_db_option, say
from tillterm.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.services.printing import Printed


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    printer = sub.add_parser(
        "printer",
        help=_("test the receipt printer, print a receipt again"),
        description=_(
            "The ESC/POS receipt printer set up in printer.toml (user config "
            "folder, or $TILLTERM_PRINTER_CONFIG)."
        ),
    )
    actions = printer.add_subparsers(dest="printer_command", metavar="ACTION", required=True)
    actions.add_parser(
        "test",
        help=_("print a test page on the configured printer"),
        description=_(
            "Print the settings, a ruler of the paper's width and accented "
            "letters; exit 1 with the reason when there is no printer or it cannot print."
        ),
    )
    reprint = actions.add_parser(
        "reprint",
        help=_("print a kept receipt again, marked COPY"),
        description=_(
            "Print a completed sale's receipt again as it was printed, marked "
            "COPY (never rendered again, never opening the drawer)."
        ),
    )
    reprint.add_argument(
        "receipt_no",
        nargs="?",
        default="",
        metavar="RECEIPT_NO",
        help=_("the receipt to print (default: this register's last)"),
    )
    reprint.add_argument(
        "--register",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help=_("whose last receipt (default: $TILLTERM_REGISTER, else the host name)"),
    )
    add_db_option(reprint)


def _tell(printed: Printed) -> int:
    if printed.ok:
        say(printed.note)
        return EXIT_OK
    say(_("tillterm printer: {reason}").format(reason=printed.note), err=True)
    return EXIT_ERROR


def run(args: argparse.Namespace) -> int:
    from tillterm.services.printing import ReceiptPrinter

    if args.printer_command == "test":

        def no_database() -> Engine:  # a test page reads nothing from the store
            raise AssertionError("the test page needs no database")

        return _tell(ReceiptPrinter(no_database).test_page())

    from tillterm.commands.console import open_services

    services = open_services(args)
    try:
        return _tell(services.printer.reprint(services.register, args.receipt_no))
    finally:
        services.engine().dispose()
