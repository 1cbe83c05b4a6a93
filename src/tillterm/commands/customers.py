"""``tillterm customers …``: privacy requests about one customer.

``export-data CODE`` writes everything stored about the customer (profile, consents with
their date and means, sales, ledgers) as JSON and CSV into a new private folder;
``erase CODE`` removes the person's identity and keeps the store's books (it asks to
confirm by typing the code again; ``--yes`` for scripts). Both are logged.
Exit status: 0 done, 1 refused or not confirmed, 2 no such customer, 4 database or
file error (nothing changed).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from tillterm.commands.console import EXIT_OK, add_db_option, open_engine, say

EXIT_REFUSED = 1
EXIT_NOT_FOUND = 2
EXIT_FAILED = 4


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    customers = sub.add_parser(
        "customers",
        help="privacy requests: a customer's data, an erasure",
        description="Requests about one customer.",
    )
    actions = customers.add_subparsers(dest="customers", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export-data",
        help="write everything stored about a customer (JSON and CSV)",
        description="Write everything stored about the customer with this code: profile, "
        "tags, custom fields, consents with their date and means, sales with their lines "
        "and payments, loyalty and account ledgers. One new folder (readable by you only) "
        "holding customer.json, profile.csv, sales.csv and ledgers.csv. Logged.",
    )
    add_db_option(export)
    export.add_argument("code", metavar="CODE", help="the customer's code")
    export.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        help="the folder to create (default: customer-CODE-DATE in the current folder)",
    )
    erase = actions.add_parser(
        "erase",
        help="remove a customer's identity, keep the store's books",
        description="Erase the person: every field that says who they were is emptied, "
        "their code becomes ERASED-<id>, and their name and code are masked on their "
        "sales and receipt copies. Sales, taxes and ledgers stay (balances unchanged). "
        "Cannot be undone. Asks to type the code again unless --yes. Logged.",
    )
    add_db_option(erase)
    erase.add_argument("code", metavar="CODE", help="the customer's code")
    erase.add_argument("--yes", action="store_true", help="do not ask (for scripts)")


def _confirmed(code: str) -> bool:
    if not sys.stdin.isatty():
        say(
            "tillterm customers erase: cannot ask for confirmation (no terminal); "
            "add --yes to erase from a script.",
            err=True,
        )
        return False
    say(f"Erasing customer {code} cannot be undone. Type the code again to confirm: ", end="")
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip() == code.strip()


def run(args: argparse.Namespace) -> int:
    import datetime as dt

    from tillterm.core.errors import DatabaseError, NotFound
    from tillterm.customers.privacy import PrivacyRefused, export_folder_name
    from tillterm.services.context import Services

    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        say(f"tillterm customers: {exc}", err=True)
        return EXIT_FAILED
    care = Services(lambda: engine).customers
    actor = getpass.getuser()
    try:
        customer_id = care.find_id_by_code(args.code)
        if customer_id is None:
            say(f"tillterm customers: no customer with code “{args.code}”.", err=True)
            return EXIT_NOT_FOUND
        if args.customers == "export-data":
            folder = Path(args.output or export_folder_name(args.code, dt.datetime.now(dt.UTC)))
            if folder.exists() and any(folder.iterdir()):
                say(f"tillterm customers: {folder} is not empty; choose another folder.", err=True)
                return EXIT_REFUSED
            written = care.export_data(customer_id, folder, via="cli", actor=actor)
            say(f"Wrote {len(written)} files to {folder}: " + ", ".join(p.name for p in written))
            return EXIT_OK
        if not args.yes and not _confirmed(args.code):
            say("tillterm customers: not erased (not confirmed).", err=True)
            return EXIT_REFUSED
        done = care.erase(customer_id, via="cli", actor=actor)
        say(
            f"Erased customer {args.code}: now {done.code}; "
            f"{done.sales:,} sale{'s' * (done.sales != 1)} kept, name masked."
        )
        return EXIT_OK
    except (PrivacyRefused, NotFound) as exc:
        say(f"tillterm customers: {exc}", err=True)
        return EXIT_REFUSED
    except DatabaseError as exc:
        say(f"tillterm customers: {exc}; nothing was changed.", err=True)
        return EXIT_FAILED
    except OSError as exc:
        say(f"tillterm customers: cannot write the export: {exc.strerror or exc}.", err=True)
        return EXIT_FAILED
    finally:
        engine.dispose()
