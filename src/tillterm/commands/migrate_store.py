"""``tillterm migrate-store --from store.db --to postgresql://…``: move a store to PostgreSQL.

Everything is copied with its ids (customers, groups, tags, custom fields, products, tax
rates, sales with their lines and payments, receipts, ledgers, settings, the receipt
counter), in one transaction on the target, then counted and balanced on both sides
before the commit. Exit status: 0 moved, 1 refused (the target is not empty, or the
source is not a tillterm store at this version's schema; nothing written), 2 usage,
4 the copy failed (the target was left as it was). The source is only read.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

from tillterm.commands.console import EXIT_OK, say
from tillterm.i18n import N_, _
from tillterm.i18n.formats import decimal_text, whole

COMMAND = "migrate-store"
EXIT_REFUSED = 1
EXIT_FAILED = 4
#: what the progress line says for the steps after the copy
STEPS = {
    "index": N_("building the indexes"),
    "check": N_("checking counts and balances"),
    "analyse": N_("analysing the new tables"),
}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    move = sub.add_parser(
        COMMAND,
        help=_("copy an SQLite store into an empty PostgreSQL database"),
        description=_(
            "Copy everything in the SQLite store FILE into the empty PostgreSQL "
            "database URL, keeping every id, in one transaction: a failure leaves the target "
            "as it was. Counts per table and every customer's loyalty and account balance are "
            "checked on both sides before the commit. The source is only read. Exit status: "
            "0 moved, 1 refused (target not empty, or the source is not a tillterm store at "
            "this version's schema), 2 usage, 4 the copy failed (target unchanged)."
        ),
    )
    move.set_defaults(command_module="migrate_store")
    move.add_argument(
        "--from", dest="source", required=True, metavar="FILE", help=_("the SQLite store file")
    )
    move.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="URL",
        help=_("the PostgreSQL database, postgresql://user@host/database"),
    )


def run(args: argparse.Namespace) -> int:
    from tillterm.core.errors import DatabaseError
    from tillterm.services.store_move import TransferRefused, move_store

    started = time.perf_counter()
    last_said = [0.0]

    def progress(step: str, table: str, done: int, total: int) -> None:
        """One line per table copied, and every few seconds on a large one."""
        if step != "copy":
            doing = _(STEPS[step]) if step in STEPS else step
            say(_("tillterm migrate-store: {step}…").format(step=doing), err=True)
            return
        now = time.perf_counter()
        if done == total or (done and now - last_said[0] >= 5):
            last_said[0] = now
            copied = _("tillterm migrate-store: {table}: {done} / {total} rows")
            say(copied.format(table=table, done=whole(done), total=whole(total)), err=True)

    try:
        summary = move_store(args.source, args.target, progress)
    except TransferRefused as exc:
        say(_("tillterm migrate-store: {reason}").format(reason=exc), err=True)
        return EXIT_REFUSED
    except DatabaseError as exc:
        say(_("tillterm migrate-store: {reason}").format(reason=exc), err=True)
        return EXIT_FAILED
    rows = sum(summary.counts.values())
    moved = _(
        "Moved {source} to {target}: {rows} rows in "
        "{tables} tables ({customers} customers, "
        "{sales} sales), counts equal on both sides; "
        "loyalty {points} points over {loyalty_customers} "
        "customers and accounts {amount} over "
        "{account_customers} customers, equal on both sides "
        "({seconds} s)."
    )
    say(
        moved.format(
            source=summary.source,
            target=summary.target,
            rows=whole(rows),
            tables=len(summary.counts),
            customers=whole(summary.counts.get("customer", 0)),
            sales=whole(summary.counts.get("sale", 0)),
            points=whole(summary.loyalty_points),
            loyalty_customers=whole(summary.loyalty_customers),
            amount=f"{Decimal(summary.account_cents).scaleb(-2):,}",
            account_customers=whole(summary.account_customers),
            seconds=decimal_text(Decimal(f"{time.perf_counter() - started:.1f}"), 1),
        )
    )
    return EXIT_OK
