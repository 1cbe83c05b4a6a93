"""``tillterm import FILE``: check a customer spreadsheet and import it, all or nothing.

Exit status: 0 imported (or, with ``--dry-run``, would import), 1 blocked by errors,
3 stopped on warnings (without ``--continue-anyway``), 2 unusable file or arguments.
"""

from __future__ import annotations

import argparse

from tillterm.cli import EXIT_OK, EXIT_USAGE, add_db_option, open_engine, say

#: the command's name (``import`` is a Python keyword, so the module is ``import_file``)
COMMAND = "import"
EXIT_BLOCKED = 1
EXIT_WARNINGS = 3
SHOWN = 50


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        COMMAND,
        help="import customers from a .csv, .xlsx or .xls file",
        description="Check a customer spreadsheet, then import it in one transaction: rows "
        "whose customer code exists update that customer, the others are created. "
        "Exit status: 0 imported, 1 blocked by errors, 3 stopped on warnings, "
        "2 unusable file or arguments.",
    )
    p.set_defaults(command_module="import_file")
    add_db_option(p)
    p.add_argument("file", metavar="FILE", help="a .csv, .xlsx or .xls file")
    p.add_argument("--dry-run", action="store_true", help="check only; change nothing")
    p.add_argument(
        "--continue-anyway", action="store_true", help="import even if there are warnings"
    )
    p.add_argument(
        "--annotated",
        metavar="OUT",
        help="write a copy of the file with a column saying what to fix",
    )


def run(args: argparse.Namespace) -> int:
    from tillterm.spreadsheet.annotate import write_annotated
    from tillterm.spreadsheet.importing import apply_import, check_import
    from tillterm.spreadsheet.reading import SpreadsheetError

    engine = open_engine(args)
    try:
        report = check_import(engine, args.file)
    except SpreadsheetError as exc:
        say(f"tillterm import: {exc}", err=True)
        return EXIT_USAGE
    say(f"{report.path.name}: {report.detected}")
    for notice in report.notices:
        say(f"  {notice}")
    for problem in report.problems[:SHOWN]:
        say(f"  row {problem.row}, {problem.column}: {problem.level}: {problem.message}")
    hidden = report.errors + report.warnings - min(SHOWN, len(report.problems))
    if hidden > 0:
        say(f"  ... and {hidden:,} more (see --annotated)")
    say(report.summary())
    if args.annotated and (report.errors or report.warnings):
        try:
            out = write_annotated(report, args.annotated)
        except SpreadsheetError as exc:
            say(f"tillterm import: {exc}", err=True)
            return EXIT_USAGE
        say(f"Annotated copy written to {out}")
    if report.errors:
        say("Blocked by errors: nothing was imported.", err=True)
        return EXIT_BLOCKED
    if report.warnings and not args.continue_anyway:
        say("Stopped on warnings: nothing was imported (use --continue-anyway).", err=True)
        return EXIT_WARNINGS
    if args.dry_run:
        say("Dry run: nothing was imported.")
        return EXIT_OK
    try:
        result = apply_import(engine, report, allow_warnings=True)
    except SpreadsheetError as exc:
        say(f"tillterm import: {exc}", err=True)
        return EXIT_USAGE
    say(result.summary())
    return EXIT_OK
