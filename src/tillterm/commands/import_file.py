"""``tillterm import FILE``: check a customer spreadsheet and import it, all or nothing.

Exit status (README, "Import and export"): 0 imported (or, with ``--dry-run``, would
import), 1 blocked by errors, 2 unusable file or arguments (including a file over the
limits, or an annotated copy that would replace a file without ``--force``, a ``--map`` naming no
column or no field), 3 stopped
on warnings (without ``--continue-anyway``), 4 the database failed (cannot be opened,
locked by another register, disk full, server gone) or the disk under it did: nothing
was imported and the file is not to blame, so a script can tell "fix the file" from
"try again later".
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tillterm.commands.console import EXIT_OK, EXIT_USAGE, add_db_option, open_engine, say
from tillterm.i18n import _, pgettext
from tillterm.i18n.formats import whole

#: the command's name (``import`` is a Python keyword, so the module is ``import_file``)
COMMAND = "import"
EXIT_BLOCKED = 1
EXIT_WARNINGS = 3
EXIT_DATABASE = 4
SHOWN = 50

if TYPE_CHECKING:
    from tillterm.services.imports import Imports
    from tillterm.spreadsheet.import_report import ImportReport


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        COMMAND,
        help=_("import customers from a .csv, .xlsx, .xls or .vcf (vCard) file"),
        description=_(
            "Check a customer spreadsheet, then import it in one transaction: rows "
            "whose customer code exists update that customer (a column in the file is the new "
            "value, a blank cell clears it; rows already as on file are left alone), the others "
            "are created. Exit status: 0 imported, 1 blocked by errors, 2 unusable file or "
            "arguments, 3 stopped on warnings, 4 database error (nothing imported)."
        ),
    )
    p.set_defaults(command_module="import_file")
    add_db_option(p)
    p.add_argument("file", metavar="FILE", help=_("a .csv, .xlsx, .xls or .vcf file"))
    p.add_argument("--dry-run", action="store_true", help=_("check only; change nothing"))
    p.add_argument(
        "--continue-anyway", action="store_true", help=_("import even if there are warnings")
    )
    p.add_argument(
        "--annotated",
        metavar="OUT",
        help=_("write a copy of the file with a column saying what to fix"),
    )
    p.add_argument(
        "--force", action="store_true", help=_("let --annotated replace an existing file")
    )
    p.add_argument(
        "--map",
        metavar="HEADER=FIELD",
        action="append",
        default=[],
        help=_(
            'import the column HEADER into FIELD ("HEADER=-" leaves it out; "#N=FIELD" '
            "names the N-th column); repeatable. The check prints every column and its field."
        ),
    )
    p.add_argument(
        "--create-groups",
        action="store_true",
        help=_(
            "create the groups the file names that the store does not have "
            "(else an unknown group is an error)"
        ),
    )
    p.add_argument(
        "--opening-balances",
        action="store_true",
        help=_(
            "bring the old system's loyalty and account balance columns over as dated "
            "opening ledger entries of this import, and its year-to-date spend as an opening "
            "figure counted until 31 December (else they are read-only, not imported); "
            "the summary prints the import's number N, and "
            "'tillterm balances reverse N' takes them back"
        ),
    )


def _fail(message: object, status: int) -> int:
    say(_("tillterm import: {reason}").format(reason=message), err=True)
    return status


def run(args: argparse.Namespace) -> int:
    from tillterm.core.errors import DatabaseError
    from tillterm.services.context import Services
    from tillterm.spreadsheet.reading import SpreadsheetError
    from tillterm.store.private_files import OutputExists

    if args.force and not args.annotated:
        return _fail(_("--force only applies to --annotated OUT."), EXIT_USAGE)
    try:
        engine = open_engine(args)
    except DatabaseError as exc:
        return _fail(exc, EXIT_DATABASE)
    try:
        return _run(args, Services(lambda: engine).imports)
    except DatabaseError as exc:
        return _fail(_("{reason}; nothing was imported.").format(reason=exc), EXIT_DATABASE)
    except OutputExists as exc:
        return _fail(_("{reason} (--force replaces it)").format(reason=exc), EXIT_USAGE)
    except SpreadsheetError as exc:
        return _fail(exc, EXIT_USAGE)
    except OSError as exc:  # the disk under the checked rows or the database is full
        return _fail(
            _("cannot write: {reason}; nothing was imported.").format(reason=exc.strerror or exc),
            EXIT_DATABASE,
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a panic of a Rust engine (polars) is no Exception
        line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return _fail(
            _("{file} could not be checked ({reason}); nothing was imported.").format(
                file=args.file, reason=line
            ),
            EXIT_USAGE,
        )
    finally:
        engine.dispose()


def say_checked(args: argparse.Namespace, report: ImportReport, imports: Imports) -> int | None:
    """Print what checking found (columns, problems, summary), write the annotated copy
    if asked, and the exit status when the import stops there (``None``: apply it).
    Shared with ``tillterm products import``, whose options are the same."""
    say(_("{file}: {detected}").format(file=report.path.name, detected=report.detected))
    say(_("Columns:"))
    for line in report.mapping_lines():
        say(f"  {line}")
    for notice in report.notices:
        say(f"  {notice}")
    where = _("  row {row}, {column}: {level}: {message}")
    # a problem's level as the report stores it (data) → as a person reads it
    levels = {
        "error": pgettext("problem level", "error"),
        "warning": pgettext("problem level", "warning"),
    }
    for problem in report.problems[:SHOWN]:
        level = levels.get(problem.level, problem.level)
        say(
            where.format(
                row=problem.row, column=problem.column, level=level, message=problem.message
            )
        )
    hidden = report.errors + report.warnings - min(SHOWN, len(report.problems))
    if hidden > 0:
        say(_("  ... and {count} more (see --annotated)").format(count=whole(hidden)))
    say(report.summary())
    if report.clearing():
        say(report.clearing())
    if args.annotated and (report.errors or report.warnings):
        written = imports.save_annotated(report, args.annotated, overwrite=args.force)
        say(_("Annotated copy written to {file}").format(file=written))
    if report.errors:
        say(_("Blocked by errors: nothing was imported."), err=True)
        return EXIT_BLOCKED
    if report.warnings and not args.continue_anyway:
        say(_("Stopped on warnings: nothing was imported (use --continue-anyway)."), err=True)
        return EXIT_WARNINGS
    if args.dry_run:
        say(_("Dry run: nothing was imported."))
        return EXIT_OK
    return None


def _run(args: argparse.Namespace, imports: Imports) -> int:
    if args.annotated and not args.force:
        # refused before the file is read, not after a long check
        imports.refuse_existing_annotated(args.file, args.annotated)
    overrides = [imports.parse_override(text) for text in args.map]
    report = imports.check(
        args.file,
        overrides=overrides,
        create_groups=args.create_groups,
        opening_balances=args.opening_balances,
    )
    stop = say_checked(args, report, imports)
    if stop is not None:
        return stop
    result = imports.apply(report, allow_warnings=True)
    say(result.summary())
    return EXIT_OK
