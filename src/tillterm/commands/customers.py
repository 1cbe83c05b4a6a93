"""``tillterm customers ACTION``: care of the customer file from the command line.

``merge KEEP_CODE OTHER_CODE...`` merges duplicate customers into the first (each field
keeps the first customer's value unless empty, then the first other's; tags and custom
values united; sales and ledgers move) and prints ``merge N``; ``unmerge N`` undoes
merge N exactly. Exit status: 0 done, 1 refused (nothing changed), 4 the database
failed (nothing changed). Each action is a sub-command of its own, so more can join.
"""

from __future__ import annotations

import argparse

from tillterm.commands.console import EXIT_OK, add_db_option, open_engine, say

EXIT_REFUSED = 1
EXIT_DATABASE = 4


def _number(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not a merge number (the N that tillterm customers merge printed)"
        )
    return int(text)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    customers = sub.add_parser(
        "customers",
        help="merge duplicate customers, undo a merge",
        description="Care of the customer file.",
    )
    actions = customers.add_subparsers(dest="customers", metavar="ACTION", required=True)
    merge = actions.add_parser(
        "merge",
        help="merge duplicate customers into one (prints the merge's number)",
        description="Merge OTHER_CODE... into the customer KEEP_CODE: each field keeps "
        "KEEP_CODE's value unless it is empty, then the first other's; tags and custom "
        "fields are united; sales, loyalty and account entries move to KEEP_CODE. The "
        "others stay on file, hidden; their cards lead to KEEP_CODE. Prints 'merge N'; "
        "'tillterm customers unmerge N' undoes it. Exit status: 0 merged, 1 refused, "
        "4 database error (nothing changed).",
    )
    add_db_option(merge)
    merge.add_argument("keep", metavar="KEEP_CODE", help="the customer kept")
    merge.add_argument("others", metavar="OTHER_CODE", nargs="+", help="customers merged into it")
    unmerge = actions.add_parser(
        "unmerge",
        help="undo merge N exactly",
        description="Undo merge N: the merged customers come back with their own sales, "
        "ledgers and fields; what was recorded on the customer kept since the merge stays "
        "with it. Refused when it cannot be exact (undo later merges of the same customers "
        "first). Exit status: 0 undone, 1 refused, 4 database error (nothing changed).",
    )
    add_db_option(unmerge)
    unmerge.add_argument("number", metavar="N", type=_number, help="the merge to undo")


def run(args: argparse.Namespace) -> int:
    from tillterm.core.errors import DatabaseError, TilltermError
    from tillterm.services.context import Services

    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        say(f"tillterm customers: {exc}", err=True)
        return EXIT_DATABASE
    merges = Services(lambda: engine).merges
    try:
        if args.customers == "merge":
            done = merges.merge_codes(args.keep, args.others)
            moved = ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in done.moved.items() if n)
            say(f"merge {done.id}")
            say(
                f"Merged {len(done.absorbed)} customer(s) into {args.keep}; "
                f"moved: {moved or 'nothing'}.",
                err=True,
            )
        else:
            undone = merges.undo(args.number)
            say(f"Undid merge {undone.id}: {len(undone.restored)} customer(s) restored.")
            if undone.kept:
                say(
                    "Kept as changed since the merge: " + ", ".join(undone.kept) + ".",
                    err=True,
                )
    except DatabaseError as exc:
        say(f"tillterm customers: {exc}; nothing was changed.", err=True)
        return EXIT_DATABASE
    except TilltermError as exc:
        say(f"tillterm customers: {exc}", err=True)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    return EXIT_OK
