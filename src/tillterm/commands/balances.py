"""``tillterm balances reverse N``: take back the opening balances an import brought over.

``tillterm import FILE --opening-balances`` writes the old system's loyalty and account
balances as dated ledger entries of "opening-balance import N" (and its year-to-date
spend as opening figures of that import) and prints N. Reversing adds the opposite
entries (what was printed is never rewritten; balances stay the sum of their entries)
and is refused a second time. Exit status: 0 reversed, 1 refused (no
such import, or reversed already), 4 the database failed (nothing changed).
"""

from __future__ import annotations

import argparse

from tillterm.commands.console import EXIT_OK, add_db_option, open_engine, say
from tillterm.i18n import _, ngettext
from tillterm.i18n.formats import whole

EXIT_REFUSED = 1
EXIT_DATABASE = 4


def _number(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _("“{text}” is not an import number (the N that tillterm import printed)").format(
                text=text
            )
        )
    return int(text)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    balances = sub.add_parser(
        "balances",
        help=_("reverse the opening balances an import brought over"),
        description=_("Opening balances brought over by tillterm import --opening-balances."),
    )
    actions = balances.add_subparsers(dest="balances", metavar="ACTION", required=True)
    reverse = actions.add_parser(
        "reverse",
        help=_("take back the opening balances of one import (once)"),
        description=_(
            "Add, dated now, the opposite of every opening loyalty and account "
            "entry (and year-to-date spend figure) of opening-balance import N (the number "
            "tillterm import --opening-balances printed). The import's entries stay on file "
            "beside their reversal; an import is reversed once. Exit status: 0 reversed, "
            "1 refused, 4 database error (nothing changed)."
        ),
    )
    add_db_option(reverse)
    reverse.add_argument("number", metavar="N", type=_number, help=_("the opening-balance import"))


def run(args: argparse.Namespace) -> int:
    from tillterm.core.errors import DatabaseError
    from tillterm.core.money import format_money
    from tillterm.services.context import Services
    from tillterm.spreadsheet.opening import ReversalRefused

    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        say(_("tillterm balances: {reason}").format(reason=exc), err=True)
        return EXIT_DATABASE
    try:
        done = Services(lambda: engine).imports.reverse_opening_balances(args.number)
    except ReversalRefused as exc:
        say(_("tillterm balances: {reason}").format(reason=exc), err=True)
        return EXIT_REFUSED
    except DatabaseError as exc:
        say(_("tillterm balances: {reason}; nothing was changed.").format(reason=exc), err=True)
        return EXIT_DATABASE
    finally:
        engine.dispose()
    loyalty = ngettext(
        "{count} loyalty balance ({points} points taken back)",
        "{count} loyalty balances ({points} points taken back)",
        done.loyalty,
    ).format(count=whole(done.loyalty), points=whole(done.points))
    accounts = ngettext(
        "{count} account balance ({amount} taken back)",
        "{count} account balances ({amount} taken back)",
        done.accounts,
    ).format(count=whole(done.accounts), amount=format_money(done.cents, done.currency))
    spends = ngettext(
        "year-to-date spend of {count} customer ({amount} taken back)",
        "year-to-date spend of {count} customers ({amount} taken back)",
        done.spends,
    ).format(count=whole(done.spends), amount=format_money(done.spend_cents, done.currency))
    say(
        _("Reversed opening-balance import {number}: {loyalty}, {accounts}, {spends}.").format(
            number=done.number, loyalty=loyalty, accounts=accounts, spends=spends
        )
    )
    return EXIT_OK
