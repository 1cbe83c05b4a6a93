"""The one place that reads the database through its driver, past SQLAlchemy.

A customer search runs several word-index lookups and a scan at the register must
attach its customer well inside a millisecond; SQLAlchemy's per-statement bookkeeping
costs about as much as an FTS5 lookup itself. So the hot reads (search tiers, counts,
summaries, a profile by id or code) hand their SQL straight to the session's own
SQLite connection, in the session's transaction. Elsewhere (PostgreSQL) the same SQL
goes through ``text()``, because psycopg's round trip dwarfs the bookkeeping.

Everything else about those reads is kept the same as the SQLAlchemy path:

- the connection is reached through public API only
  (``Session.connection().connection.driver_connection``);
- values are encoded and decoded by the columns' own types (``bind_processor`` /
  ``result_processor``), so a timestamp or a percentage reads back as it would
  through the ORM;
- a driver error (a locked file, a damaged database) comes out as the same
  :class:`DatabaseBusy` / :class:`DatabaseError` with the same readable line that
  :func:`tillterm.store.engine.session_scope` gives, never a raw ``sqlite3`` error.

SQL given here names its parameters ``:name``, which both SQLite and ``text()`` read.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

from sqlalchemy import Integer, bindparam, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, TextClause
from sqlalchemy.types import TypeEngine

from tillterm.store.engine import generic_plan_engine, translate

__all__ = [
    "Decoder",
    "Typed",
    "decode",
    "decoders",
    "fetch_all",
    "fetch_one",
    "fetch_planned",
    "sqlite_connection",
    "statement",
]

#: turns a stored value into its Python value (``None`` when the driver's value is it)
Decoder = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Typed:
    """A parameter whose value needs its column type to be stored (a UTC timestamp,
    a percentage kept as thousandths), encoded as SQLAlchemy would encode it."""

    value: Any
    type_: TypeEngine[Any]


def _fail(exc: BaseException) -> NoReturn:
    """The error ``session_scope`` would have raised for this driver error (busy,
    unreachable, or just unusable)."""
    raise translate(exc) from exc


def sqlite_connection(session: Session) -> sqlite3.Connection | None:
    """The session's own SQLite connection (same transaction), or ``None`` elsewhere."""
    try:
        connection = session.connection()
    except DBAPIError as exc:
        _fail(exc)
    if connection.dialect.name != "sqlite":
        return None
    driver = connection.connection.driver_connection
    return driver if isinstance(driver, sqlite3.Connection) else None


def _encode(value: Any, dialect: Dialect) -> Any:
    if not isinstance(value, Typed):
        return value
    if value.value is None:
        return None
    process = value.type_.dialect_impl(dialect).bind_processor(dialect)
    return process(value.value) if process is not None else value.value


def statement(sql: str, params: Mapping[str, Any] | None = None) -> TextClause:
    """The same SQL and parameters as a ``text()`` statement, for a caller that streams
    it through SQLAlchemy (an export reads a million ids in chunks)."""
    binds: list[BindParameter[Any]] = []
    for name, value in (params or {}).items():
        if isinstance(value, Typed):
            binds.append(bindparam(name, value.value, type_=value.type_))
        elif isinstance(value, list | tuple):
            binds.append(bindparam(name, list(value), expanding=True))
        else:
            binds.append(
                bindparam(name, value, type_=Integer() if isinstance(value, int) else None)
            )
    stmt = text(sql)
    return stmt.bindparams(*binds) if binds else stmt


def fetch_all(
    session: Session, sql: str, params: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """Every row of ``sql`` (values as the driver returns them; see :func:`decoders`).

    A list or tuple parameter is a list of values (``IN :ids``): on SQLite it is spelt
    out as one placeholder per value, elsewhere it is an expanding parameter.
    """
    values = dict(params or {})
    driver = sqlite_connection(session)
    try:
        if driver is None:
            return [tuple(row) for row in session.execute(statement(sql, values))]
        lists = {k: v for k, v in values.items() if isinstance(v, list | tuple)}
        if lists:
            sql, values = _spell_out(sql, values, lists)
        if any(isinstance(v, Typed) for v in values.values()):
            dialect = session.get_bind().dialect
            values = {k: _encode(v, dialect) for k, v in values.items()}
        return driver.execute(sql, values).fetchall()
    except (DBAPIError, sqlite3.Error) as exc:
        _fail(exc)


#: ``:name`` parameters (not a ``::type`` cast) in SQL given here
_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def fetch_planned(
    session: Session, sql: str, params: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """:func:`fetch_all` for a big statement run at every keystroke (a customer search):
    on PostgreSQL it is planned once per connection, not at every run.

    The search statement costs the server about three times as much to plan as to run
    (fifteen CTEs, each part gated by the ones before it: 6 ms of CPU to plan, 2-3 ms to
    run a typical keystroke). So it is a prepared statement (psycopg ``prepare=True``,
    from its first run) with a *generic* plan: left to choose (``auto``), the server
    plans each run again, since a custom plan, which sees the words, always looks
    cheaper than one that does not. The generic plan loses nothing here: which part of
    the statement runs is decided by the executor from its sample, never by the
    planner's estimate of the words.

    A statement that would open the session's transaction (a worker's search, the
    usual case) has nothing uncommitted to see: it runs alone on a connection of
    :func:`~tillterm.store.engine.generic_plan_engine`, where it is the one statement
    sent. Inside a transaction it must see what the transaction wrote, so it runs on
    the session's connection with ``plan_cache_mode`` set for it alone (``SET LOCAL``
    before it, back to the default after it, the three in one pipeline: still one round
    trip, and the rest of the transaction is planned as usual). Elsewhere (SQLite) this
    is :func:`fetch_all`.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return fetch_all(session, sql, params)
    given = params or {}
    query, names = _numbered_query(sql)
    values = [_encode(given[name], bind.dialect) for name in names]
    alone = None
    if isinstance(bind, Engine) and not session.in_transaction():
        alone = generic_plan_engine(bind)
    if alone is not None:
        return _fetch_alone(alone, query, values)
    try:
        connection = session.connection()
    except DBAPIError as exc:
        _fail(exc)
    from tillterm.store.driver import psycopg_driver

    driver = psycopg_driver(connection)
    import psycopg
    from psycopg.pq import TransactionStatus

    # nothing sent yet in this transaction (psycopg opens it with the first statement):
    # the search is all it would hold, so it ends in the same pipeline instead of with
    # a COMMIT round trip of its own when the session closes (psycopg skips the COMMIT
    # of a connection with no transaction open, and opens a new one for anything after)
    opens = driver.info.transaction_status == TransactionStatus.IDLE
    # a raw cursor sends the statement as it is, numbered parameters and all: psycopg's
    # own cursor reads every statement for its placeholders again unless it is under
    # 4 kB (a search is 4-11 kB): 0.13 ms of the register's CPU at every keystroke
    cursor = psycopg.RawCursor(driver)
    try:
        with driver.pipeline():
            driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute(query, values, prepare=True)
            driver.execute("COMMIT" if opens else "SET LOCAL plan_cache_mode = DEFAULT")
        return [tuple(row) for row in cursor.fetchall()]
    except psycopg.Error as exc:
        _fail(exc)
    finally:
        cursor.close()


def _fetch_alone(engine: Engine, query: bytes, values: list[Any]) -> list[Sequence[Any]]:
    """``query`` as the one statement on a pooled connection of ``engine`` (autocommit,
    generic plans: :func:`~tillterm.store.engine.generic_plan_engine`), prepared there
    at its first run. Straight from the pool, past SQLAlchemy's ``Connection``, whose
    bookkeeping would cost as much as the round trip: so a connection that broke is
    dropped from the pool here, as ``Connection`` would."""
    import psycopg

    try:
        pooled = engine.raw_connection()
    except (DBAPIError, psycopg.Error) as exc:
        _fail(exc)
    from tillterm.store.driver import psycopg_driver

    try:
        driver = psycopg_driver(pooled)
        cursor = psycopg.RawCursor(driver)
        try:
            cursor.execute(query, values, prepare=True)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error as exc:
        if driver.closed or engine.dialect.is_disconnect(exc, pooled.dbapi_connection, None):
            pooled.invalidate(exc)
        _fail(exc)
    finally:
        pooled.close()


# :func:`fetch_planned`'s statements in PostgreSQL's spelling, kept by their SQL: a
# search statement is 4-11 kB, and rewriting its parameters cost 0.5 ms of the client's
# CPU at every keystroke; its text holds no typed value, so a few dozen texts cover
# every kind
@lru_cache(maxsize=256)
def _numbered_query(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``sql`` with its ``:name`` parameters numbered as PostgreSQL's own ``$1``,
    ``$2``… (a name used twice keeps its number), and the names in number order."""
    numbers: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        return f"${numbers.setdefault(found.group(1), len(numbers) + 1)}"

    return _PARAMETER.sub(number, sql).encode(), tuple(numbers)


def fetch_one(
    session: Session, sql: str, params: Mapping[str, Any] | None = None
) -> Sequence[Any] | None:
    """The first row of ``sql``, or ``None``."""
    rows = fetch_all(session, sql, params)
    return rows[0] if rows else None


def _spell_out(
    sql: str, values: dict[str, Any], lists: Mapping[str, Sequence[Any]]
) -> tuple[str, dict[str, Any]]:
    """``IN :ids`` with ``ids=[1, 2]`` → ``IN (:ids_0, :ids_1)`` (SQLite has no arrays)."""
    values = {k: v for k, v in values.items() if k not in lists}
    for name, items in lists.items():
        marks = []
        for index, item in enumerate(items):
            key = f"{name}_{index}"
            values[key] = item
            marks.append(f":{key}")
        spelt = "(" + (", ".join(marks) or "NULL") + ")"
        sql = re.sub(rf":{name}\b", lambda _match: spelt, sql)  # noqa: B023 (used at once)
    return sql, values


_DECODERS: dict[tuple[str, tuple[TypeEngine[Any] | None, ...]], list[Decoder]] = {}


def decoders(session: Session, types: Iterable[TypeEngine[Any] | None]) -> list[Decoder]:
    """How each column of a row becomes its Python value, by the columns' own types.

    ``types`` must be long-lived (column types of the models): the answer is cached
    per dialect and per type object, as SQLAlchemy caches its own processors.
    """
    kept = tuple(types)
    dialect = session.get_bind().dialect
    key = (dialect.name, kept)
    found = _DECODERS.get(key)
    if found is None:
        found = [
            None if t is None else t.dialect_impl(dialect).result_processor(dialect, None)
            for t in kept
        ]
        _DECODERS[key] = found
    return found


def decode(row: Sequence[Any], readers: Sequence[Decoder]) -> list[Any]:
    """A row's values through :func:`decoders` (``None`` stays ``None``)."""
    return [
        read(value) if read is not None and value is not None else value
        for read, value in zip(readers, row, strict=False)
    ]
