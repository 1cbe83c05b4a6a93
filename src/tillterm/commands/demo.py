"""``tillterm demo``: fill the database with a realistic demo store."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from tillterm.commands.console import EXIT_OK, EXIT_USAGE, add_db_option, open_services, say
from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text, whole


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help=_("fill the database with a demo store"),
        description=_(
            "Seed tax rates, groups, tags, products and customers. "
            "A database that already has customers is left alone."
        ),
    )
    add_db_option(demo)
    demo.add_argument(
        "--customers",
        type=int,
        default=2000,
        metavar="N",
        help=_("default {count}").format(count=2000),
    )
    demo.add_argument(
        "--products",
        type=int,
        default=500,
        metavar="N",
        help=_("default {count}").format(count=500),
    )
    demo.add_argument("--seed", type=int, default=2026, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    import time

    from tillterm.services.demo import fill_demo_store

    if args.customers < 0 or args.products < 0:
        say(_("tillterm demo: counts cannot be negative"), err=True)
        return EXIT_USAGE
    services = open_services(args)
    started = time.perf_counter()
    interactive = sys.stderr.isatty()

    def progress(done: int) -> None:
        if interactive:
            sys.stderr.write("\r")  # back to the start of the progress line
            counted = _("  {done} / {total} customers")
            say(counted.format(done=whole(done), total=whole(args.customers)), end="", err=True)

    demo = fill_demo_store(
        services,
        customers=args.customers,
        products=args.products,
        seed=args.seed,
        progress=progress,
    )
    if interactive:
        say(err=True)
    summary, where = demo.summary, demo.where
    if summary.skipped:
        say(
            _("{where} already has {count} customers; nothing added.").format(
                where=where, count=whole(summary.existing_customers)
            )
        )
    else:
        ready = _(
            "Demo store ready in {where}: {customers} customers, "
            "{products} products, {groups} groups ({seconds} s)."
        )
        say(
            ready.format(
                where=where,
                customers=whole(summary.customers),
                products=whole(summary.products),
                groups=summary.groups,
                seconds=decimal_text(Decimal(f"{time.perf_counter() - started:.1f}"), 1),
            )
        )
    return EXIT_OK
