"""``tillterm products import FILE`` / ``tillterm products export FILE``.

The same options, messages and exit statuses as ``tillterm import`` / ``export`` (0 done,
1 blocked by errors, 2 unusable file or arguments, 3 stopped on warnings, 4 database
error: nothing imported), so a script treats both alike.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING

from tillterm.commands.console import EXIT_OK, EXIT_USAGE, add_db_option, open_engine, say
from tillterm.commands.import_file import EXIT_DATABASE, say_checked
from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text, whole

COMMAND = "products"

if TYPE_CHECKING:
    from tillterm.services.context import Services


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        COMMAND,
        help=_("import or export products (.csv, .xlsx, .xls)"),
        description=_(
            "Products in and out of the catalogue. Import checks the whole file, "
            "then writes it in one transaction: a row whose SKU (else barcode) exists updates "
            "that product, the others are created. Exit status: 0 done, 1 blocked by errors, "
            "2 unusable file or arguments, 3 stopped on warnings, 4 database error."
        ),
    )
    p.set_defaults(command_module="products")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help=_("import products from a .csv, .xlsx or .xls file"),
        description=_(
            "Recognises tillterm's own export and the product exports of Shopify, "
            "Square (item library) and Lightspeed X-Series."
        ),
    )
    add_db_option(imp)
    imp.add_argument("file", metavar="FILE", help=_("a .csv, .txt, .xlsx or .xls file"))
    imp.add_argument("--dry-run", action="store_true", help=_("check only; change nothing"))
    imp.add_argument(
        "--continue-anyway", action="store_true", help=_("import even if there are warnings")
    )
    imp.add_argument(
        "--annotated",
        metavar="OUT",
        help=_("write a copy of the file with a column saying what to fix"),
    )
    imp.add_argument(
        "--force", action="store_true", help=_("let --annotated replace an existing file")
    )
    exp = actions.add_parser("export", help=_("export every product to a .csv or .xlsx file"))
    add_db_option(exp)
    exp.add_argument("file", metavar="FILE", help=_("a .csv or .xlsx path (format by suffix)"))
    exp.add_argument(
        "--force", action="store_true", help=_("replace FILE if it exists (else refuse)")
    )


def _fail(message: object, status: int, action: str) -> int:
    say(_("tillterm products {action}: {reason}").format(action=action, reason=message), err=True)
    return status


def run(args: argparse.Namespace) -> int:
    from tillterm.core.errors import DatabaseError
    from tillterm.services.context import Services
    from tillterm.spreadsheet.reading import SpreadsheetError
    from tillterm.store.private_files import OutputExists

    action = args.action
    if action == "import" and args.force and not args.annotated:
        return _fail(_("--force only applies to --annotated OUT."), EXIT_USAGE, action)
    if action == "export" and not args.file.lower().endswith((".csv", ".xlsx")):
        return _fail(_("FILE must end in .csv or .xlsx"), EXIT_USAGE, action)
    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        return _fail(exc, EXIT_DATABASE, action)
    services = Services(lambda: engine)
    try:
        if action == "export":
            return _export(args, services)
        return _import(args, services)
    except DatabaseError as exc:
        return _fail(_("{reason}; nothing was imported.").format(reason=exc), EXIT_DATABASE, action)
    except OutputExists as exc:
        return _fail(_("{reason} (--force replaces it)").format(reason=exc), EXIT_USAGE, action)
    except SpreadsheetError as exc:
        return _fail(exc, EXIT_USAGE, action)
    except OSError as exc:
        reason = exc.strerror or exc
        return _fail(_("cannot write: {reason}.").format(reason=reason), EXIT_DATABASE, action)
    finally:
        engine.dispose()


def _export(args: argparse.Namespace, services: Services) -> int:
    import time

    started = time.perf_counter()
    count = services.products.export(args.file, overwrite=args.force)
    exported = _("Exported {count} products to {file} ({seconds} s).")
    seconds = decimal_text(Decimal(f"{time.perf_counter() - started:.1f}"), 1)
    say(exported.format(count=whole(count), file=args.file, seconds=seconds))
    return EXIT_OK


def _import(args: argparse.Namespace, services: Services) -> int:
    if args.annotated and not args.force:
        services.imports.refuse_existing_annotated(args.file, args.annotated)
    checked = services.products.check_import(args.file)
    stop = say_checked(args, checked.report, services.imports)
    if stop is not None:
        return stop
    result = services.products.apply_import(checked, allow_warnings=True)
    say(result.summary(products=True))
    return EXIT_OK
