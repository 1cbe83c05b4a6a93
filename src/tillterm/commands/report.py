"""``tillterm report``: sales per customer group (CSV); a register's X and Z reports.

``report z --register NAME --date YYYY-MM-DD`` prints the Z reports that register took
that (local) day, as stored; when it took none and the date is today, its day is closed
first (uncounted: a count belongs to the register's Drawer screen), exactly as the
register's own end-of-day key does. ``report x`` prints the running totals of the open
day and stores nothing.

``--print`` sends the report to the configured receipt printer too, after stdout: a Z
taken by the command as it is taken, a Z taken before as a COPY (its stored text, never
rendered again). A printer that fails is said and exits 1; the report is on stdout and
a Z taken stays taken whatever the printer does."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from tillterm.commands.console import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    add_db_option,
    open_engine,
    say,
)
from tillterm.i18n import _


def _date(text: str) -> dt.date:

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("“{text}” is not a date (use YYYY-MM-DD)").format(text=text)
        ) from None


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report", help=_("print a sales report"), description=_("Sales reports.")
    )
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    by_group = kinds.add_parser(
        "sales-by-group",
        help=_("sales count, revenue and discount per customer group (CSV)"),
        description=_(
            "Completed sales per customer group between two dates (inclusive, "
            "local time): count, refunds, revenue (tax included) and discount given, as CSV."
        ),
    )
    add_db_option(by_group)
    by_group.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    by_group.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    by_group.add_argument(
        "--output", "-o", metavar="FILE", help=_("write the CSV to FILE (default: stdout)")
    )

    for kind, what in (
        ("x", _("the register's running totals since its last Z (stores nothing)")),
        ("z", _("the register's Z report of a date, taking it first if today's is not taken")),
    ):
        day = kinds.add_parser(
            kind,
            help=what,
            description=_("Print {what}. Amounts in the store's currency, times local.").format(
                what=what
            ),
        )
        add_db_option(day)
        day.add_argument(
            "--register",
            metavar="NAME",
            help=_("the register (default: $TILLTERM_REGISTER, else the host name)"),
        )
        day.add_argument(
            "--print",
            dest="to_printer",
            action="store_true",
            help=_(
                "print it on the configured receipt printer as well (a Z taken before "
                "is marked COPY); exit 1 if the printer fails"
            ),
        )
        if kind == "z":
            day.add_argument(
                "--date",
                type=_date,
                default=None,
                metavar="YYYY-MM-DD",
                help=_("the local date the Z was taken (default: today)"),
            )


def _run_day(args: argparse.Namespace) -> int:
    import datetime as dt

    from tillterm.commands.console import open_services
    from tillterm.core.typed_text import visible_text

    services = open_services(args)
    try:
        drawer = services.drawer
        if args.report == "x":
            text = drawer.x_report()
            papers = [(text, _("X report"), False)]
        else:
            reports = drawer.z_for_date(args.date or dt.date.today())
            text = ("=" * 40 + "\n").join(z.text for z in reports)  # several shifts
            papers = [(z.text, z.label, not z.taken_now) for z in reports]
    finally:
        services.engine().dispose()
    sys.stdout.write(visible_text(text, multiline=True))
    if not args.to_printer:
        return EXIT_OK
    sys.stdout.flush()  # the report is out before any word about the printer
    printer = services.printer  # reads no database: the texts are in hand
    for paper, what, copy in papers:  # one paper per Z: each is cut on its own
        label = what if not copy else _("Copy of {what}").format(what=what)
        printed = printer.print_text(paper, label, copy=copy)
        if not printed.ok:
            say(_("tillterm report: {reason}").format(reason=printed.note), err=True)
            return EXIT_ERROR
        say(printed.note, err=True)
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    if args.report in ("x", "z"):
        return _run_day(args)

    from pathlib import Path

    from tillterm.core.typed_text import visible_text
    from tillterm.sales import report_csv
    from tillterm.services.context import Services

    if args.date_to < args.date_from:
        say(_("tillterm report: --to is before --from"), err=True)
        return EXIT_USAGE
    engine = open_engine(args)
    try:
        till = Services(lambda: engine).till  # the report the register's Ctrl+R shows
        text = report_csv(till.sales_by_group(args.date_from, args.date_to))
    finally:
        engine.dispose()
    if args.output:
        from tillterm.store.private_files import write_private

        try:  # sales figures are the store's business: 0600, whole or not at all
            write_private(Path(args.output), visible_text(text, multiline=True))
        except OSError as exc:
            say(
                _("tillterm report: cannot write {file}: {reason}").format(
                    file=args.output, reason=exc.strerror
                ),
                err=True,
            )
            return 1
    else:
        sys.stdout.write(visible_text(text, multiline=True))
    return EXIT_OK
