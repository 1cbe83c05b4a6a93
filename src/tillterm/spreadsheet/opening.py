"""Opening balances from the old system (``--opening-balances``), and their reversal.

Seed 003 keeps the activity columns read-only; with the option, the old system's
loyalty and account balances land as dated ledger entries, one per customer and ledger,
whose reason names the import ("opening balance, import 3"): balances stay the sum of
their entries, never a stored counter, and what a receipt or statement printed is never
rewritten. Its year-to-date spend lands the same way in ``opening_spend``, dated
``as_of`` the import: the year to date adds the figures of the current year to the sales
made here, so one brought over in December stops counting on 1 January by itself.
Reversing an import adds the opposite entries ("reversal of opening balance, import 3"),
an opposite spend figure keeping the original's ``as_of`` (it cancels it in the year it
counts in, and a reversal made next year does not make this year's spend negative); an
import whose reversal is on file is not reversed twice.

The check reads the figures (:func:`read_balances`), the apply writes them inside the
import's transaction (:func:`write_opening_entries`), and the service reverses them
(:func:`reverse_opening_entries`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from tillterm.core.errors import TilltermError
from tillterm.core.money import parse_amount, to_cents
from tillterm.i18n import _
from tillterm.spreadsheet.cells import restore_expr
from tillterm.spreadsheet.checking import WARNING, empty_problems
from tillterm.spreadsheet.import_report import (
    OPENING_CENTS,
    OPENING_POINTS,
    OPENING_PREFIX,
    OPENING_SPEND,
    REVERSAL_PREFIX,
    CheckedRows,
)
from tillterm.spreadsheet.insert_paths import LOOKUP_CHUNK
from tillterm.store.models import (
    AccountEntry,
    LoyaltyEntry,
    OpeningSpend,
    StoreSettings,
    utcnow,
)

if TYPE_CHECKING:
    import polars as pl

#: the tables holding opening entries (their ``reason`` names the import)
_OPENING_TABLES = (LoyaltyEntry, AccountEntry, OpeningSpend)
#: the spilled column of each activity figure read as an opening balance
_TARGETS = {
    "loyalty_balance": OPENING_POINTS,
    "account_balance": OPENING_CENTS,
    "year_to_date_spend": OPENING_SPEND,
}

#: PostgreSQL's transaction-level advisory lock serialising the numbering of opening
#: imports and their reversals (SQLite's write transaction already does)
_OPENING_LOCK = 0x7117_0B41


def db_now(dialect: str) -> Any:
    """Now, as the driver binds a timestamp column (SQLite stores UTC text)."""
    now = dt.datetime.now(dt.UTC)
    if dialect == "sqlite":
        return now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


#: whole points written with thousands separators: "1,500", "1.500", "12 000"
_GROUPED_POINTS = re.compile(r"[+-]?[0-9]{1,3}(?:[,.\u00a0\u202f ][0-9]{3})+")


def _points(text: str) -> int | None:
    """Loyalty points as the old system wrote them (whole numbers only): ``None`` if not.

    Points are whole, so ``1,500`` is fifteen hundred, never one and a half.
    """
    if _GROUPED_POINTS.fullmatch(text):
        points = int(re.sub(r"[^0-9+-]", "", text))
        return points if abs(points) < 10**9 else None
    value = _amount(text)
    return int(value) if value is not None and value == int(value) else None


def _amount(text: str) -> Decimal | None:
    try:
        return parse_amount(text)
    except ValueError:
        return None


def opened_customers(conn: Connection) -> dict[int, int]:
    """Customer id → the latest opening-balance import (not reversed) with an entry
    for it: what a new opening balance for that customer would add to."""
    imports: dict[int, set[int]] = {}
    reversed_: set[int] = set()
    for table in _OPENING_TABLES:
        reason = col(table.reason)
        for text in conn.execute(
            select(reason).where(reason.startswith(REVERSAL_PREFIX)).distinct()
        ).scalars():
            if (tail := str(text)[len(REVERSAL_PREFIX) :]).isdigit():
                reversed_.add(int(tail))
        opening = select(col(table.customer_id), reason).where(reason.startswith(OPENING_PREFIX))
        for cid, text in conn.execute(opening.distinct()):
            if (tail := str(text)[len(OPENING_PREFIX) :]).isdigit():
                imports.setdefault(int(cid), set()).add(int(tail))
    return {cid: max(n - reversed_) for cid, n in imports.items() if n - reversed_}


def read_balances(
    batch: pl.DataFrame,
    rows: pl.Series,
    ids: pl.Series,
    headers: Sequence[str],
    activity: dict[int, str],
    opened: dict[int, int],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each row's opening loyalty points, account cents and year-to-date spend cents
    (null: none), and a
    warning naming the column and the value for each figure that cannot be read,
    or that would add to the opening balance an earlier import gave the customer
    (the same file imported twice would count every balance twice).

    Read cell by cell in Python: only with ``--opening-balances``, and a balance
    column is short text. Loyalty points are whole numbers; an account balance is
    an amount as a person types it (``12.50``, ``12,50``, ``€ 3``), kept in cents, and
    so is a year-to-date spend.
    """
    import polars as pl

    columns: dict[str, pl.Series] = {}
    unread: list[tuple[int, str, str, str]] = []
    row_numbers = rows.to_list()
    for index, name in activity.items():
        target = _TARGETS[name]
        if target in columns:
            continue
        header = headers[index] or f"column {index + 1}"
        text = batch.select(
            restore_expr(pl.col(f"c{index}")).fill_null("").str.strip_chars().alias("t")
        ).get_column("t")
        # the plain figures every system writes are read column-wise; the rest
        # (thousands separators, currency signs, mistakes) one by one below
        if target == OPENING_POINTS:
            plain = text.str.contains(r"^[+-]?[0-9]{1,9}$")
            values = pl.select(
                pl.when(plain).then(text.cast(pl.Int64, strict=False)).alias("v")
            ).get_column("v")
        else:
            plain = text.str.contains(r"^[+-]?[0-9]{1,9}(?:[.,][0-9]{1,2})?$")
            # below 10⁹ with two decimals, a float times 100 rounds to the exact cents
            cents = (
                text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False) * 100
            ).round(0)
            values = pl.select(
                pl.when(plain).then(cents.cast(pl.Int64, strict=False)).alias("v")
            ).get_column("v")
        slow = ((text != "") & ~plain).arg_true().to_list()
        if slow:
            found: list[int | None] = []
            for at in slow:
                cell = str(text[at])
                value = _points(cell) if target == OPENING_POINTS else _amount(cell)
                if value is None:
                    unread.append(
                        (
                            row_numbers[at],
                            header,
                            WARNING,
                            (
                                _("“{value}” is not a whole number of points: no opening balance")
                                if target == OPENING_POINTS
                                else _("“{value}” is not an amount: no opening balance")
                            ).format(value=cell[:40]),
                        )
                    )
                    found.append(None)
                else:
                    found.append(value if isinstance(value, int) else to_cents(value))
            values = values.scatter(slow, pl.Series(found, dtype=pl.Int64))
        if opened:
            again = (values.is_not_null() & (values != 0) & ids.is_in(list(opened))).arg_true()
            for at in again.to_list():
                earlier = opened[int(ids[at])]
                unread.append(
                    (
                        row_numbers[at],
                        header,
                        WARNING,
                        _(
                            "“{value}” adds to the opening balance of import {number} "
                            "this customer has (undo that one: tillterm balances reverse "
                            "{number})"
                        ).format(value=text[at][:40], number=earlier),
                    )
                )
        columns[target] = values.alias(target)
    frame = pl.DataFrame(
        [
            columns.get(t, pl.Series(t, [None] * len(row_numbers), dtype=pl.Int64))
            for t in (OPENING_POINTS, OPENING_CENTS, OPENING_SPEND)
        ]
    )
    problems = (
        pl.DataFrame(unread, schema=empty_problems().schema, orient="row")
        if unread
        else empty_problems()
    )
    return frame, problems


def lock_opening_entries(conn: Connection) -> None:
    """Serialise opening imports and reversals from here to the end of the transaction."""
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OPENING_LOCK})


def _import_numbers(conn: Connection, prefix: str) -> set[int]:
    """The import numbers named by the entries whose reason starts with ``prefix``."""
    found: set[int] = set()
    for table in _OPENING_TABLES:
        reason = col(table.reason)
        for (text,) in conn.execute(select(reason).where(reason.startswith(prefix)).distinct()):
            tail = str(text)[len(prefix) :]
            if tail.isdigit():
                found.add(int(tail))
    return found


def next_opening_import(conn: Connection) -> int:
    """The number the next opening import gets (one more than any on file)."""
    return max(_import_numbers(conn, OPENING_PREFIX), default=0) + 1


def _customer_ids(existing: pl.Series | None, height: int, new_ids: pl.Series) -> list[int]:
    """Each row's customer: its existing id, else the next new id in row order (the
    order :meth:`CustomerWriter.prepare` hands them out in)."""
    fresh = iter(new_ids.to_list())
    if existing is None:
        return [next(fresh) for _ in range(height)]
    return [next(fresh) if i is None else int(i) for i in existing.to_list()]


def write_opening_entries(
    conn: Connection,
    checked: CheckedRows,
    existing: list[pl.Series | None],
    new_ids: pl.Series,
    number: int,
) -> int:
    """Write the checked rows' opening balances as ledger entries of import ``number``,
    and their year-to-date spend as opening spend figures dated now, in the import's
    transaction; how many entries were written.

    A zero or blank figure writes nothing. An unchanged customer (not rewritten by the
    import) still gets its opening entries: the balance is not part of the profile.
    """
    import polars as pl

    reason = f"{OPENING_PREFIX}{number}"
    now = db_now(conn.dialect.name)
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    written = 0
    taken = 0
    for index, height in enumerate(checked.heights):
        frame = checked.batch(index, [OPENING_POINTS, OPENING_CENTS, OPENING_SPEND])
        ids = existing[index]
        new = height if ids is None else ids.null_count()
        customers = _customer_ids(ids, height, new_ids.slice(taken, new))
        taken += new
        frame = frame.with_columns(pl.Series("__cid", customers, dtype=pl.Int64))
        for table, column, amount in (
            ("loyalty_entry", "points", OPENING_POINTS),
            ("account_entry", "amount_cents", OPENING_CENTS),
            ("opening_spend", "amount_cents", OPENING_SPEND),
        ):
            given = frame.filter(pl.col(amount).is_not_null() & (pl.col(amount) != 0))
            if not given.height:
                continue
            # bound by the driver, like the customers themselves: 100k opening entries
            # through the ORM's type processing took seconds
            dated = [pl.lit(now).alias("a")] if table == "opening_spend" else []
            rows = given.select(
                "__cid", amount, *dated, pl.lit(reason).alias("r"), pl.lit(now).alias("t")
            ).rows()
            as_of = ", as_of" if dated else ""
            marks = ", ".join([mark] * (4 + len(dated)))
            conn.exec_driver_sql(
                f"INSERT INTO {table} (customer_id, {column}{as_of}, reason, created_at) "
                f"VALUES ({marks})",
                rows,
            )
            written += len(rows)
    return written


@dataclass(frozen=True)
class Reversal:
    """What reversing an opening import did: the entries added per ledger, and the
    points and cents they took back (the import's totals, so positive when it added),
    and the year-to-date spend figures it cancelled (with their total)."""

    number: int
    loyalty: int
    points: int
    accounts: int
    cents: int
    currency: str = "EUR"
    spends: int = 0
    spend_cents: int = 0


class ReversalRefused(TilltermError):
    """The opening import named does not exist, or was already reversed."""


def reverse_opening_entries(conn: Connection, number: int) -> Reversal:
    """Add, for every opening entry of import ``number``, the opposite entry dated now
    (in the caller's write transaction). Refused if there is no such import or its
    reversal is already on file: reversing twice would take the balances back twice.
    """
    lock_opening_entries(conn)
    if number in _import_numbers(conn, REVERSAL_PREFIX):
        raise ReversalRefused(
            _("Opening-balance import {number} was already reversed.").format(number=number)
        )
    if number not in _import_numbers(conn, OPENING_PREFIX):
        raise ReversalRefused(
            _("There is no opening-balance import {number}.").format(number=number)
        )
    reason = f"{OPENING_PREFIX}{number}"
    undo = f"{REVERSAL_PREFIX}{number}"
    now = utcnow()
    totals: list[tuple[int, int]] = []
    for table, amount in ((LoyaltyEntry, "points"), (AccountEntry, "amount_cents")):
        value = getattr(table, amount)
        rows = [
            {"customer_id": cid, amount: -int(v), "reason": undo, "created_at": now}
            for cid, v in conn.execute(
                select(col(table.customer_id), col(value))
                .where(col(table.reason) == reason)
                .order_by(col(table.id))
            )
        ]
        for start in range(0, len(rows), LOOKUP_CHUNK):
            conn.execute(insert(table), rows[start : start + LOOKUP_CHUNK])
        totals.append((len(rows), -sum(int(r[amount]) for r in rows)))
    spend: list[dict[str, Any]] = [
        {
            "customer_id": cid,
            "amount_cents": -int(v),
            "as_of": as_of,
            "reason": undo,
            "created_at": now,
        }
        for cid, v, as_of in conn.execute(
            select(
                col(OpeningSpend.customer_id),
                col(OpeningSpend.amount_cents),
                col(OpeningSpend.as_of),
            )
            .where(col(OpeningSpend.reason) == reason)
            .order_by(col(OpeningSpend.id))
        )
    ]
    for start in range(0, len(spend), LOOKUP_CHUNK):
        conn.execute(insert(OpeningSpend), spend[start : start + LOOKUP_CHUNK])
    (loyalty, points), (accounts, cents) = totals
    currency = conn.execute(select(col(StoreSettings.currency))).scalar() or "EUR"
    spent = -sum(int(r["amount_cents"]) for r in spend)
    return Reversal(number, loyalty, points, accounts, cents, currency, len(spend), spent)
