"""``tillterm customers ACTION``: care of the customer file from the command line.

``merge KEEP_CODE OTHER_CODE...`` merges duplicate customers into the first (each field
keeps the first customer's value unless empty, then the first other's; tags and custom
values united; sales and ledgers move) and prints ``merge N``; ``unmerge N`` undoes
merge N exactly. ``export-data CODE`` writes everything stored about the customer
(profile, consents with their date and means, sales, ledgers) as JSON and CSV into a new
private folder; ``erase CODE`` removes the person's identity and keeps the store's books
(it asks to confirm by typing the code again; ``--yes`` for scripts); both are logged.
Exit status: 0 done, 1 refused or not confirmed (nothing changed), 2 no such customer,
4 the database or a file failed (nothing changed).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from tillterm.commands.console import EXIT_OK, add_db_option, open_engine, say
from tillterm.i18n import _, ngettext
from tillterm.i18n.formats import whole

EXIT_REFUSED = 1
EXIT_NOT_FOUND = 2
EXIT_FAILED = 4


def _number(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _(
                "“{text}” is not a merge number (the N that tillterm customers merge printed)"
            ).format(text=text)
        )
    return int(text)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    customers = sub.add_parser(
        "customers",
        help=_("merge duplicates, undo a merge; privacy requests (data export, erasure)"),
        description=_("Care of the customer file."),
    )
    actions = customers.add_subparsers(dest="customers", metavar="ACTION", required=True)
    merge = actions.add_parser(
        "merge",
        help=_("merge duplicate customers into one (prints the merge's number)"),
        description=_(
            "Merge OTHER_CODE... into the customer KEEP_CODE: each field keeps "
            "KEEP_CODE's value unless it is empty, then the first other's; tags and custom "
            "fields are united; sales, loyalty and account entries move to KEEP_CODE. The "
            "others stay on file, hidden; their cards lead to KEEP_CODE. Prints 'merge N'; "
            "'tillterm customers unmerge N' undoes it. Exit status: 0 merged, 1 refused, "
            "4 database error (nothing changed)."
        ),
    )
    add_db_option(merge)
    merge.add_argument("keep", metavar="KEEP_CODE", help=_("the customer kept"))
    merge.add_argument(
        "others", metavar="OTHER_CODE", nargs="+", help=_("customers merged into it")
    )
    unmerge = actions.add_parser(
        "unmerge",
        help=_("undo merge N exactly"),
        description=_(
            "Undo merge N: the merged customers come back with their own sales, "
            "ledgers and fields; what was recorded on the customer kept since the merge stays "
            "with it. Refused when it cannot be exact (undo later merges of the same customers "
            "first). Exit status: 0 undone, 1 refused, 4 database error (nothing changed)."
        ),
    )
    add_db_option(unmerge)
    unmerge.add_argument("number", metavar="N", type=_number, help=_("the merge to undo"))
    export = actions.add_parser(
        "export-data",
        help=_("write everything stored about a customer (JSON and CSV)"),
        description=_(
            "Write everything stored about the customer with this code: profile, "
            "tags, custom fields, consents with their date and means, sales with their lines "
            "and payments, loyalty and account ledgers. One new folder (readable by you only) "
            "holding customer.json, profile.csv, sales.csv and ledgers.csv. Logged."
        ),
    )
    add_db_option(export)
    export.add_argument("code", metavar="CODE", help=_("the customer's code"))
    export.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        help=_("the folder to create (default: customer-CODE-DATE in the current folder)"),
    )
    erase = actions.add_parser(
        "erase",
        help=_("remove a customer's identity, keep the store's books"),
        description=_(
            "Erase the person: every field that says who they were is emptied, "
            "their code becomes ERASED-<id>, and their name and code are masked on their "
            "sales and receipt copies. Sales, taxes and ledgers stay (balances unchanged). "
            "Cannot be undone. Asks to type the code again unless --yes. Logged."
        ),
    )
    add_db_option(erase)
    erase.add_argument("code", metavar="CODE", help=_("the customer's code"))
    erase.add_argument("--yes", action="store_true", help=_("do not ask (for scripts)"))


def _confirmed(code: str) -> bool:
    if not sys.stdin.isatty():
        say(
            _(
                "tillterm customers erase: cannot ask for confirmation (no terminal); "
                "add --yes to erase from a script."
            ),
            err=True,
        )
        return False
    say(
        _("Erasing customer {code} cannot be undone. Type the code again to confirm: ").format(
            code=code
        ),
        end="",
    )
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip() == code.strip()


def run(args: argparse.Namespace) -> int:
    if args.customers in ("merge", "unmerge"):
        return _run_merges(args)
    return _run_privacy(args)


def _run_merges(args: argparse.Namespace) -> int:
    from tillterm.core.errors import DatabaseError, TilltermError
    from tillterm.services.context import Services

    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        say(_("tillterm customers: {reason}").format(reason=exc), err=True)
        return EXIT_FAILED
    merges = Services(lambda: engine).merges
    try:
        if args.customers == "merge":
            done = merges.merge_codes(args.keep, args.others)
            moved = ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in done.moved.items() if n)
            say(f"merge {done.id}")  # read by scripts: never translated
            merged = ngettext(
                "Merged {count} customer(s) into {code}; moved: {moved}.",
                "Merged {count} customer(s) into {code}; moved: {moved}.",
                len(done.absorbed),
            )
            say(
                merged.format(
                    count=len(done.absorbed), code=args.keep, moved=moved or _("nothing")
                ),
                err=True,
            )
        else:
            undone = merges.undo(args.number)
            restored = ngettext(
                "Undid merge {number}: {count} customer(s) restored.",
                "Undid merge {number}: {count} customer(s) restored.",
                len(undone.restored),
            )
            say(restored.format(number=undone.id, count=len(undone.restored)))
            if undone.kept:
                say(
                    _("Kept as changed since the merge: {fields}.").format(
                        fields=", ".join(undone.kept)
                    ),
                    err=True,
                )
    except DatabaseError as exc:
        say(_("tillterm customers: {reason}; nothing was changed.").format(reason=exc), err=True)
        return EXIT_FAILED
    except TilltermError as exc:
        say(_("tillterm customers: {reason}").format(reason=exc), err=True)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    return EXIT_OK


def _run_privacy(args: argparse.Namespace) -> int:
    import datetime as dt

    from tillterm.core.errors import DatabaseError, NotFound
    from tillterm.customers.privacy import PrivacyRefused, export_folder_name
    from tillterm.services.context import Services

    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        say(_("tillterm customers: {reason}").format(reason=exc), err=True)
        return EXIT_FAILED
    care = Services(lambda: engine).customers
    actor = getpass.getuser()
    try:
        customer_id = care.find_id_by_code(args.code)
        if customer_id is None:
            say(
                _("tillterm customers: no customer with code “{code}”.").format(code=args.code),
                err=True,
            )
            return EXIT_NOT_FOUND
        if args.customers == "export-data":
            folder = Path(args.output or export_folder_name(args.code, dt.datetime.now(dt.UTC)))
            if folder.exists() and any(folder.iterdir()):
                say(
                    _("tillterm customers: {folder} is not empty; choose another folder.").format(
                        folder=folder
                    ),
                    err=True,
                )
                return EXIT_REFUSED
            written = care.export_data(customer_id, folder, via="cli", actor=actor)
            wrote = ngettext(
                "Wrote {count} files to {folder}: {files}",
                "Wrote {count} files to {folder}: {files}",
                len(written),
            )
            files = ", ".join(p.name for p in written)
            say(wrote.format(count=len(written), folder=folder, files=files))
            return EXIT_OK
        if not args.yes and not _confirmed(args.code):
            say(_("tillterm customers: not erased (not confirmed)."), err=True)
            return EXIT_REFUSED
        done = care.erase(customer_id, via="cli", actor=actor)
        erased = ngettext(
            "Erased customer {code}: now {new_code}; {count} sale kept, name masked.",
            "Erased customer {code}: now {new_code}; {count} sales kept, name masked.",
            done.sales,
        )
        say(erased.format(code=args.code, new_code=done.code, count=whole(done.sales)))
        return EXIT_OK
    except (PrivacyRefused, NotFound) as exc:
        say(_("tillterm customers: {reason}").format(reason=exc), err=True)
        return EXIT_REFUSED
    except DatabaseError as exc:
        say(_("tillterm customers: {reason}; nothing was changed.").format(reason=exc), err=True)
        return EXIT_FAILED
    except OSError as exc:
        say(
            _("tillterm customers: cannot write the export: {reason}.").format(
                reason=exc.strerror or exc
            ),
            err=True,
        )
        return EXIT_FAILED
    finally:
        engine.dispose()
