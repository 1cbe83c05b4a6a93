"""``tillterm export FILE``: write customers to .csv or .xlsx (the import template)."""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal

from tillterm.commands.console import EXIT_OK, EXIT_USAGE, add_db_option, open_engine, say
from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text, whole


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("“{text}” is not a date (YYYY-MM-DD)").format(text=text)
        ) from None


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help=_("export customers to a .csv or .xlsx file"),
        description=_(
            "Write customers with every exportable field; the file is also the "
            "import template. The filters are the Customers screen's."
        ),
    )
    add_db_option(p)
    p.add_argument("file", metavar="FILE", help=_("a .csv or .xlsx path (format by suffix)"))
    p.add_argument("--query", default="", metavar="TEXT", help=_("search text"))
    p.add_argument("--group", metavar="NAME", help=_("only this group ('' = no group)"))
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help=_("having this tag"))
    p.add_argument(
        "--without-tag", action="append", default=[], metavar="TAG", help=_("not having this tag")
    )
    p.add_argument("--created-from", type=_date, metavar="DATE", help=_("created on or after"))
    p.add_argument("--created-to", type=_date, metavar="DATE", help=_("created on or before"))
    p.add_argument("--include-archived", action="store_true", help=_("archived customers too"))
    p.add_argument(
        "--force", action="store_true", help=_("replace FILE if it exists (else refuse)")
    )


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from tillterm.services.context import Services
    from tillterm.services.imports import ExportFilter
    from tillterm.spreadsheet.export import EXPORT_SUFFIXES
    from tillterm.spreadsheet.reading import SpreadsheetError
    from tillterm.store.private_files import OutputExists

    if not args.file.lower().endswith(EXPORT_SUFFIXES):
        say(_("tillterm export: FILE must end in .csv or .xlsx"), err=True)
        return EXIT_USAGE
    target = Path(args.file).expanduser()
    exists = _("tillterm export: {file} already exists; use --force to replace it").format(
        file=args.file
    )
    if not args.force and (target.exists() or target.is_symlink()):
        # before opening the database: nothing is read for a file that will be refused
        say(exists, err=True)
        return EXIT_USAGE
    engine = open_engine(args)
    selection = ExportFilter(
        query=args.query,
        group=args.group,
        tags_all=args.tag,
        tags_none=args.without_tag,
        created_from=args.created_from,
        created_to=args.created_to,
        include_archived=args.include_archived,
    )
    started = time.perf_counter()
    try:
        count = Services(lambda: engine).imports.export(target, selection, overwrite=args.force)
    except OutputExists:  # it appeared while the export ran
        say(exists, err=True)
        return EXIT_USAGE
    except SpreadsheetError as exc:
        say(_("tillterm export: {reason}").format(reason=exc), err=True)
        return EXIT_USAGE
    exported = _("Exported {count} customers to {file} ({seconds} s).")
    seconds = decimal_text(Decimal(f"{time.perf_counter() - started:.1f}"), 1)
    say(exported.format(count=whole(count), file=args.file, seconds=seconds))
    return EXIT_OK
