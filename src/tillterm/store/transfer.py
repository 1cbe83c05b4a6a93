"""Copying a whole store from one database to another, ids kept (``tillterm migrate-store``).

A store that outgrows one machine moves from its SQLite file to a PostgreSQL server.
The move must lose nothing and half-do nothing, so:

- the source must be a tillterm store at this version's schema (an older one is
  refused: opening it once with this version upgrades it; copying an old layout into a
  new schema would need every migration's data steps a second time);
- the source is read in one read transaction (one snapshot: a register still selling
  cannot make the counts disagree) through a read-only connection, so nothing is ever
  written to it;
- the target is written in **one** transaction: the schema is created in it (DDL is
  transactional on PostgreSQL), every table is copied in foreign-key order with its
  ids, the id sequences are moved past the highest id, the counts of every table and
  every customer's loyalty and account balance are compared with the source's, and
  only then is it committed. Any failure rolls it all back: the target is left as it
  was found;
- a target that already holds a store's data is refused; a target that is empty, or
  that an earlier ``tillterm`` only created (its one settings row and an unused receipt
  counter), is filled.

The rows go in with ``COPY`` (through the model's column types, as the app's own INSERTs
would store them). The search index needs no copying: on PostgreSQL it is a set of
expression indexes over the tables; like every secondary index it is set aside during
the copy and built once over all the rows at the end, which is far cheaper than
updating it row by row. ``ANALYZE`` runs before the commit, so the first search on the
new server is planned on real statistics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Table, create_engine, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from tillterm.core.errors import DatabaseError, TilltermError
from tillterm.i18n import N_, _
from tillterm.store.engine import describe, explain, judge_schema, read_schema_state
from tillterm.store.migrations import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    REVISION_PATTERN,
    UNMODELLED_PREFIX,
)
from tillterm.store.models import AccountEntry, LoyaltyEntry, metadata, table_of
from tillterm.store.staging import lift_time_limits
from tillterm.store.target import SQLITE_MAGIC

#: rows read from the source at a time (and a progress report every so many)
BATCH_ROWS = 5000
#: tables an empty tillterm database already has one row in (made by its migrations)
SEEDED_TABLES = ("store_settings", "receipt_counter")
#: the same lock an upgrade takes: a register starting on the target waits for the move
_PG_LOCK = "SELECT pg_advisory_xact_lock(hashtext('tillterm-migrate:' || current_schema()))"

#: the server's refusal of a connection to a database or as a user it does not have
_MISSING = re.compile(r'(database|role) "([^"]+)" does not exist')
#: told what is being done, for a progress line: ("copy", table, rows so far, rows)
Progress = Callable[[str, str, int, int], None]


class TransferRefused(TilltermError):
    """The source or the target is not one the move may use; nothing was written."""


@dataclass(frozen=True)
class TransferSummary:
    """What was copied and checked on both sides."""

    source: str
    target: str
    #: rows per table, equal on both sides
    counts: Mapping[str, int]
    #: customers with loyalty entries, and the sum of all their points (both sides)
    loyalty_customers: int
    loyalty_points: int
    #: customers with account entries, and the sum of all their balances (both sides)
    account_customers: int
    account_cents: int


def _no_progress(_step: str, _table: str, _done: int, _total: int) -> None:
    return None


def read_only_sqlite(path: Path) -> Engine:
    """An engine on an existing SQLite file that can never write to it (nor create it)."""
    if not path.is_file():
        raise TransferRefused(_("There is no store file {path}.").format(path=path))
    with path.open("rb") as fh:
        head = fh.read(16)
    if head != SQLITE_MAGIC:
        raise TransferRefused(
            _("{path} is not a tillterm store (not an SQLite database file).").format(path=path)
        )
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    return create_engine(f"sqlite:///{path}", creator=lambda: _sqlite_connect(uri))


def _sqlite_connect(uri: str) -> Any:
    import sqlite3

    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def copied_tables() -> list[Table]:
    """Every table of the model, parents before children."""
    return list(metadata.sorted_tables)


def _check_source(conn: Connection) -> None:
    label = describe(conn.engine).label
    state = read_schema_state(conn)
    revision = state.revision
    if revision is None or revision not in KNOWN_REVISIONS:
        if revision is not None and REVISION_PATTERN.match(revision) and revision > HEAD_REVISION:
            raise TransferRefused(
                _(
                    "{store} was upgraded by a newer tillterm (schema {revision}); "
                    "move it with that version."
                ).format(store=label, revision=revision)
            )
        raise TransferRefused(
            _("{store} is not a tillterm store; nothing was copied.").format(store=label)
        )
    if revision != HEAD_REVISION:
        raise TransferRefused(
            _(
                "{store} has an older tillterm schema ({revision}, this version's is "
                "{head}): open it once with this version to upgrade it, then move it."
            ).format(store=label, revision=revision, head=HEAD_REVISION)
        )
    names = _source_tables(conn)
    unknown = sorted(names - {t.name for t in copied_tables()})
    if unknown:
        raise TransferRefused(
            _(
                "{store} holds tables this version does not know how to copy "
                "({tables}); nothing was copied."
            ).format(store=label, tables=", ".join(unknown[:3]))
        )


def _source_tables(conn: Connection) -> set[str]:
    rows = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).scalars()
    return {
        str(name)
        for name in rows
        if name != "alembic_version" and not str(name).startswith(UNMODELLED_PREFIX)
    }


def _prepare_target(conn: Connection) -> None:
    """Create (or upgrade) the schema inside the move's transaction; refuse data."""
    if conn.dialect.name != "postgresql":
        raise TransferRefused(_("The target must be a PostgreSQL database (postgresql://…)."))
    # a copy of a large store takes longer than any per-statement limit a register sets
    lift_time_limits(conn)
    conn.exec_driver_sql(_PG_LOCK)
    state = read_schema_state(conn)
    try:
        behind = judge_schema(conn, state)
    except DatabaseError as exc:  # another program's tables, or a newer tillterm's
        raise TransferRefused(str(exc)) from exc
    if behind:
        from alembic import command

        from tillterm.store.migrations import alembic_config

        command.upgrade(alembic_config(conn.engine, conn), "head")
    # a register started on the new server meanwhile waits for the whole store, rather
    # than sell on empty tables whose ids and receipt numbers the copy is about to take
    names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in copied_tables())
    conn.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
    label = describe(conn.engine).label
    for table in copied_tables():
        if table.name in SEEDED_TABLES:
            continue
        if conn.execute(select(text("1")).select_from(table).limit(1)).first() is not None:
            raise TransferRefused(
                _(
                    "The target {target} is not empty (its table {table} has rows): "
                    "migrate-store only fills an empty database; nothing was changed."
                ).format(target=label, table=table.name)
            )
    used = conn.execute(text("SELECT coalesce(max(last_no), 0) FROM receipt_counter")).scalar()
    if used:
        raise TransferRefused(
            _(
                "The target {target} has printed receipts already: migrate-store only fills "
                "an empty database; nothing was changed."
            ).format(target=label)
        )
    for name in SEEDED_TABLES:
        conn.execute(metadata.tables[name].delete())


def _rows(conn: Connection, table: Table) -> Iterator[Sequence[Any]]:
    """The table's rows in id order, as the model's types read them, a batch at a time."""
    order = list(table.primary_key.columns)
    result = conn.execution_options(yield_per=BATCH_ROWS).execute(select(table).order_by(*order))
    for part in result.partitions(BATCH_ROWS):
        yield from part


def _copy_table(
    source: Connection, target: Connection, table: Table, total: int, progress: Progress
) -> int:
    """``COPY`` the table's rows into the target, through the model's column types.

    Each value goes through its column's bind processing (percentages to thousandths,
    timestamps to UTC), exactly as an INSERT by the app would store it; ``COPY`` only
    saves the round trips, which on a large store are most of the time.
    """
    quote = target.dialect.identifier_preparer.quote
    processors = [column.type.bind_processor(target.dialect) for column in table.columns]
    names = ", ".join(quote(column.name) for column in table.columns)
    done = 0
    progress("copy", table.name, 0, total)
    cursor = target.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in _rows(source, table):
                copy.write_row(
                    [v if p is None else p(v) for p, v in zip(processors, row, strict=True)]
                )
                done += 1
                if done % BATCH_ROWS == 0:
                    progress("copy", table.name, done, total)
    finally:
        cursor.close()
    if done % BATCH_ROWS:
        progress("copy", table.name, done, total)
    return done


def _suspend_indexes(conn: Connection) -> list[str]:
    """Drop the copied tables' secondary indexes; answer the statements that make them again.

    Building an index once over all the rows is far cheaper than updating it row by
    row (the search index computes a folded document per customer). Primary keys and
    unique constraints stay: the copy must still be checked by them as it goes in.
    """
    rows = conn.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND t.relname = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ),
        {"tables": [table.name for table in copied_tables()]},
    ).all()
    for name, _ddl in rows:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    return [str(ddl) for _name, ddl in rows]


def _reset_sequences(conn: Connection) -> None:
    """Move every id sequence past the highest id copied (the next insert must not clash)."""
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    for table in copied_tables():
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        qualified = f'"{schema}"."{table.name}"'
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, 'id'), coalesce(max(id), 1), "
                f'max(id) IS NOT NULL) FROM "{table.name}"'
            ),
            {"t": qualified},
        )


def _counts(conn: Connection) -> dict[str, int]:
    return {
        table.name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
        for table in copied_tables()
    }


def _balances(conn: Connection) -> tuple[dict[int, int], dict[int, int]]:
    """Every customer's loyalty points and account balance (sums of their ledger rows)."""
    loyalty = table_of(LoyaltyEntry)
    account = table_of(AccountEntry)
    points = {
        int(cid): int(total)
        for cid, total in conn.execute(
            select(loyalty.c.customer_id, func.sum(loyalty.c.points)).group_by(
                loyalty.c.customer_id
            )
        )
    }
    cents = {
        int(cid): int(total)
        for cid, total in conn.execute(
            select(account.c.customer_id, func.sum(account.c.amount_cents)).group_by(
                account.c.customer_id
            )
        )
    }
    return points, cents


def _verify(
    target: Connection,
    counts: dict[str, int],
    balances: tuple[dict[int, int], dict[int, int]],
) -> None:
    copied = _counts(target)
    for name, expected in counts.items():
        if copied[name] != expected:
            raise DatabaseError(
                _(
                    "The copy of {table} has {copied} rows, the source {expected}; "
                    "nothing was kept."
                ).format(table=name, copied=f"{copied[name]:,}", expected=f"{expected:,}")
            )
    points, cents = _balances(target)
    for said, mine, theirs in (
        (
            N_(
                "The loyalty balances differ after the copy (customer {customer} first); "
                "nothing was kept."
            ),
            points,
            balances[0],
        ),
        (
            N_(
                "The account balances differ after the copy (customer {customer} first); "
                "nothing was kept."
            ),
            cents,
            balances[1],
        ),
    ):
        if mine != theirs:
            wrong = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
            raise DatabaseError(_(said).format(customer=wrong[0]))


def transfer(source: Engine, target: Engine, progress: Progress = _no_progress) -> TransferSummary:
    """Copy the store of ``source`` (SQLite, at head) into the empty ``target``.

    Raises :class:`TransferRefused` (nothing written) or :class:`DatabaseError` (the
    target's transaction rolled back: nothing written either).
    """
    current = _("reading the source")
    connecting = _("connecting to the target")
    try:
        with source.connect() as src:
            # one snapshot for every table and the checks after (a deferred BEGIN takes it
            # at the first read)
            src.exec_driver_sql("BEGIN")
            _check_source(src)
            counts = _counts(src)
            balances = _balances(src)
            current = connecting
            with target.connect() as dst, dst.begin():
                current = _("preparing the target")
                _prepare_target(dst)
                indexes = _suspend_indexes(dst)
                for table in copied_tables():
                    current = _("copying {table}").format(table=table.name)
                    _copy_table(src, dst, table, counts[table.name], progress)
                current = _("indexing the copy")
                progress("index", "", 0, 0)
                for ddl in indexes:
                    dst.exec_driver_sql(ddl)
                current = _("checking the copy")
                progress("check", "", 0, 0)
                _reset_sequences(dst)
                _verify(dst, counts, balances)
                current = _("analysing the copy")
                progress("analyse", "", 0, 0)
                for table in copied_tables():
                    dst.exec_driver_sql(f'ANALYZE "{table.name}"')
                current = _("committing")
            src.rollback()
    except (DBAPIError, target.dialect.loaded_dbapi.Error) as exc:
        missing = _MISSING.search(str(getattr(exc, "orig", None) or exc))
        if current == connecting and missing:
            said = (
                _(
                    "The database {name} does not exist on the server {host}: create it "
                    "first (README, PostgreSQL for a store)."
                )
                if missing.group(1) == "database"
                else _(
                    "The user {name} does not exist on the server {host}: create it "
                    "first (README, PostgreSQL for a store)."
                )
            )
            raise TransferRefused(
                said.format(name=missing.group(2), host=target.url.host or "localhost")
            ) from exc
        raise DatabaseError(
            _("The move failed while {step}: {why}; the target was left as it was.").format(
                step=current, why=explain(exc)
            )
        ) from exc
    points, cents = balances
    return TransferSummary(
        source=describe(source).label,
        target=describe(target).label,
        counts=counts,
        loyalty_customers=len(points),
        loyalty_points=sum(points.values()),
        account_customers=len(cents),
        account_cents=sum(cents.values()),
    )
