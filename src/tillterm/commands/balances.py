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

EXIT_REFUSED = 1
EXIT_DATABASE = 4


def _number(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not an import number (the N that tillterm import printed)"
        )
    return int(text)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    balances = sub.add_parser(
        "balances",
        help="reverse the opening balances an import brought over",
        description="Opening balances brought over by tillterm import --opening-balances.",
    )
    actions = balances.add_subparsers(dest="balances", metavar="ACTION", required=True)
    reverse = actions.add_parser(
        "reverse",
        help="take back the opening balances of one import (once)",
        description="Add, dated now, the opposite of every opening loyalty and account "
        "entry (and year-to-date spend figure) of opening-balance import N (the number "
        "tillterm import --opening-balances printed). The import's entries stay on file "
        "beside their reversal; an import is reversed once. Exit status: 0 reversed, 1 refused, "
        "4 database error (nothing changed).",
    )
    add_db_option(reverse)
    reverse.add_argument("number", metavar="N", type=_number, help="the opening-balance import")


def run(args: argparse.Namespace) -> int:
    from tillterm.core.errors import DatabaseError
    from tillterm.core.money import format_money
    from tillterm.services.context import Services
    from tillterm.spreadsheet.opening import ReversalRefused

    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        say(f"tillterm balances: {exc}", err=True)
        return EXIT_DATABASE
    try:
        done = Services(lambda: engine).imports.reverse_opening_balances(args.number)
    except ReversalRefused as exc:
        say(f"tillterm balances: {exc}", err=True)
        return EXIT_REFUSED
    except DatabaseError as exc:
        say(f"tillterm balances: {exc}; nothing was changed.", err=True)
        return EXIT_DATABASE
    finally:
        engine.dispose()
    say(
        f"Reversed opening-balance import {done.number}: {done.loyalty:,} loyalty "
        f"balance{'s' * (done.loyalty != 1)} ({done.points:,} points taken back), "
        f"{done.accounts:,} account balance{'s' * (done.accounts != 1)} "
        f"({format_money(done.cents, done.currency)} taken back), year-to-date spend "
        f"of {done.spends:,} customer{'s' * (done.spends != 1)} "
        f"({format_money(done.spend_cents, done.currency)} taken back)."
    )
    return EXIT_OK
