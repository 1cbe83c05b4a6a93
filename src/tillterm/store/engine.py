"""Opening the database: the engine factory.

``open_db`` is the one way to get an engine. It builds it, checks the database can be
used, and brings its schema to the head revision with the Alembic migrations shipped in
``tillterm.store.migrations`` (an old database is upgraded in place, never recreated). Nothing
here runs at import time: the app and the CLI call the factory and pass the engine on.

SQLite is the embedded default: WAL so the register reads while another process writes,
foreign keys on, a busy timeout so two registers queue rather than fail, and a file only
its owner can read (customer data).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, OperationalError
from sqlmodel import Session

from tillterm.core.errors import DatabaseBusy, DatabaseError, DatabaseTooNew
from tillterm.i18n import N_, _
from tillterm.store.config import PgTimeouts, resolve_pg_timeouts
from tillterm.store.deadline import NO_ANSWER
from tillterm.store.driver import sqlite_driver
from tillterm.store.migrations import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    REVISION_PATTERN,
    MigrationRuleBroken,
)
from tillterm.store.target import DbInfo, DbTarget, prepare_sqlite_file, to_url

BUSY_TIMEOUT_MS = 5000


class DatabaseUnreachable(DatabaseError):
    """The database server cannot be reached or stopped answering (PostgreSQL).

    Nothing of the action that met it can be trusted to have happened or not: it is
    worth trying again once the server is back (with the same idempotency key, for a
    write), which is what the till does.
    """


def describe(engine: Engine) -> DbInfo:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return DbInfo("sqlite", url.database or ":memory:")
    host = url.host or "localhost"
    return DbInfo(url.get_backend_name(), f"{url.database}@{host}")


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA temp_store = MEMORY")
    cur.execute("PRAGMA cache_size = -32000")
    cur.close()


def begin_write(conn: Connection) -> None:
    """Open the write transaction now (SQLite), before the first statement of a bulk write.

    Python's ``sqlite3``, in the mode SQLAlchemy uses, opens a transaction only before an
    INSERT, UPDATE or DELETE: a ``DROP TRIGGER`` or a ``SELECT max(id)`` run earlier is
    outside it and stands on its own. A bulk write that suspends the search triggers, or
    numbers its rows from what it read, must do both inside its transaction, or a failure
    half-way would leave the triggers gone for good. ``IMMEDIATE`` takes the write lock
    at once, so what it reads cannot change before it writes. PostgreSQL needs nothing.
    """
    if conn.dialect.name != "sqlite":
        return
    if not sqlite_driver(conn).in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def build_engine(
    url_or_path: str | os.PathLike[str] | URL,
    *,
    create_dirs: bool = False,
    timeouts: PgTimeouts | None = None,
) -> Engine:
    """Build an engine without touching the schema (``open_db`` is what callers want).

    ``timeouts`` (PostgreSQL only): the environment's (:func:`resolve_pg_timeouts`) when
    not given.
    """
    url = url_or_path if isinstance(url_or_path, URL) else make_url(to_url(url_or_path))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseError(
                _("An in-memory database is empty in every thread; give tillterm a file path.")
            )
        prepare_sqlite_file(Path(url.database), create_dirs)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.get_backend_name() != "postgresql":
        return create_engine(url, pool_pre_ping=True)
    return _pg_engine(url, timeouts or resolve_pg_timeouts())


def pg_connect_args(url: URL, timeouts: PgTimeouts, extra: Sequence[str] = ()) -> dict[str, Any]:
    """libpq parameters for ``timeouts`` and the ``extra`` server settings
    (``name=value``), leaving alone any the URL sets itself.

    The server-side settings go in ``options`` (``-c name=value``) ahead of the URL's
    own ``options`` (a search path...), so that the URL's word is the last.
    """
    query = url.query
    args: dict[str, Any] = {}

    def default(name: str, value: object) -> None:
        if name not in query:
            args[name] = value

    default("connect_timeout", timeouts.connect)
    settings: list[str] = []
    if timeouts.dead_link:
        # idle 1 s, then a probe a second: a silent peer is dropped after dead_link s;
        # unacknowledged data (a statement sent into the void) after dead_link s too
        count = max(1, timeouts.dead_link - 1)
        default("keepalives", 1)
        default("keepalives_idle", 1)
        default("keepalives_interval", 1)
        default("keepalives_count", count)
        default("tcp_user_timeout", timeouts.dead_link * 1000)
        # the same on the server's side, so it lets go of a vanished register's locks
        settings += [
            "tcp_keepalives_idle=1",
            "tcp_keepalives_interval=1",
            f"tcp_keepalives_count={count}",
            f"tcp_user_timeout={timeouts.dead_link * 1000}",
        ]
    # every statement tillterm runs is a few milliseconds; JIT compiles any whose
    # estimated cost passes jit_above_cost, and a customer search (one statement whose
    # parts run only when needed, each costed as if it always did) spent 300 ms
    # compiling itself to save a fraction of one
    settings.append("jit=off")
    settings += extra
    settings.append(f"statement_timeout={round(timeouts.statement * 1000)}")
    settings.append(
        f"idle_in_transaction_session_timeout={round(timeouts.idle_in_transaction * 1000)}"
    )
    given = query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    args["options"] = " ".join([*(f"-c {item}" for item in settings), given]).strip()
    return args


def _pg_engine(url: URL, timeouts: PgTimeouts, extra: Sequence[str] = (), **kwargs: Any) -> Engine:
    """PostgreSQL: timeouts everywhere, waits bounded by the client's clock
    (:mod:`tillterm.store.deadline`), dead pooled connections dropped at checkout."""
    from tillterm.store.deadline import (
        budget,
        connect_bounded,
        no_answer,
        remaining,
        restore_fallback,
    )

    engine = create_engine(url, connect_args=pg_connect_args(url, timeouts, extra), **kwargs)
    _PG_TIMEOUTS[engine] = timeouts
    event.listen(engine, "checkout", _ping_if_needed(engine))
    #: without a deadline, no wait outlasts the server's own statement timeout by much
    fallback = timeouts.statement + 5 if timeouts.statement else None

    def connect(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        left = remaining()
        if left is not None:
            if left <= 0:  # the action's time is up: do not start a connection it cannot use
                import psycopg

                raise psycopg.OperationalError(no_answer(budget() or 0))
            wanted = int(cparams.get("connect_timeout") or timeouts.connect)
            cparams = {**cparams, "connect_timeout": max(2, min(wanted, math.ceil(left)))}
        return connect_bounded(fallback, *cargs, **cparams)

    event.listen(engine, "do_connect", connect)
    event.listen(engine, "checkin", restore_fallback)
    event.listen(engine, "checkin", _note_idle)
    return engine


#: what each PostgreSQL engine was built with (:func:`generic_plan_engine` builds alike)
_PG_TIMEOUTS: weakref.WeakKeyDictionary[Engine, PgTimeouts] = weakref.WeakKeyDictionary()
_GENERIC_PLANS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_GENERIC_LOCK = threading.Lock()
#: connections a register keeps for its searches (a screen runs one search at a time;
#: the customer list and the register's customer field may both be searching), and how
#: many more it may open for a moment
GENERIC_POOL_SIZE = 2
GENERIC_POOL_OVERFLOW = 2


def generic_plan_engine(engine: Engine) -> Engine | None:
    """A PostgreSQL engine's sibling for statements that run alone and are planned once
    per connection (the customer search: :func:`tillterm.store.fastpath.fetch_planned`),
    or ``None`` (SQLite, or an engine this module did not build).

    Its connections have generic plans for the whole session and commit each statement
    by itself, so a search is one statement on the wire: on the engine's own
    connections it took a pipeline of four (``BEGIN``, ``SET LOCAL plan_cache_mode``,
    the search, ``COMMIT``): a quarter of the register's CPU per keystroke (2.4 ms
    against 1.8 on the benchmark's mix), and three statements more for the server.
    Generic plans cannot be the session's setting on the engine's own
    connections: every other statement of the register, one-off ones included, would
    be planned without its values. Built at the first search with the engine's URL and
    timeouts (same deadlines, keepalives and checkout ping), and disposed with it.
    """
    if engine.dialect.name != "postgresql":
        return None
    found = _GENERIC_PLANS.get(engine)
    if found is not None:
        return found
    with _GENERIC_LOCK:
        found = _GENERIC_PLANS.get(engine)
        timeouts = _PG_TIMEOUTS.get(engine)
        if found is None and timeouts is not None:
            found = _pg_engine(
                engine.url,
                timeouts,
                ("plan_cache_mode=force_generic_plan",),
                isolation_level="AUTOCOMMIT",
                pool_size=GENERIC_POOL_SIZE,
                max_overflow=GENERIC_POOL_OVERFLOW,
            )
            event.listen(engine, "engine_disposed", _dispose_too(found))
            _GENERIC_PLANS[engine] = found
    return found


def _dispose_too(sibling: Engine) -> Callable[[Engine], None]:
    def dispose(_engine: Engine) -> None:
        sibling.dispose()

    return dispose


#: a pooled PostgreSQL connection idle this long is pinged before use even when its
#: socket is quiet (:func:`_ping_if_needed`)
PING_AFTER_IDLE = 5.0


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    """When a connection went back to the pool (:func:`_ping_if_needed` reads it)."""
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _has_news(dbapi_connection: Any) -> bool:
    """Whether something is waiting on an idle connection's socket: an idle server
    sends nothing, so it is its goodbye (a restart's "terminating connection"), the
    end of the stream, or an error of a broken link. Asked of the kernel, no round trip.
    """
    try:
        ready, _w, _x = select.select([dbapi_connection.fileno()], [], [], 0)
    except Exception:  # closed (psycopg says so), or not a socket we can ask
        return True  # the ping will tell
    return bool(ready)


def _ping_if_needed(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """A pool checkout that pings the server only when the connection may be dead.

    ``pool_pre_ping`` pings at every checkout: a round trip (and a wake-up of the
    server's process) before each customer search, a third of what a keystroke sent.
    A pooled connection whose server went away (a restart, a crash, a dropped link the
    keepalives noticed) has something on its socket; one that is quiet and was used in
    the last :data:`PING_AFTER_IDLE` seconds is used as is. A fresh connection is not
    pinged. A failed ping drops every pooled connection older than it, as
    ``pool_pre_ping`` does, and the pool connects again. A server that hangs while the
    socket is quiet is noticed by the statement's own deadline, as the ping's would.
    """
    dialect = engine.dialect

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:
            return  # just connected
        if time.monotonic() - idle_since < PING_AFTER_IDLE and not _has_news(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError() from exc
            raise

    return checkout


@dataclass(frozen=True)
class SchemaState:
    """What is in the database (the target schema on PostgreSQL), read without writing."""

    #: the row of ``alembic_version``; ``None`` when the table or its row is missing
    revision: str | None
    has_version_table: bool
    #: tables, indexes, views... other than ``alembic_version``
    other_objects: int


def _schema_name(conn: Connection) -> str:
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    if schema is None:
        raise DatabaseError(
            _(
                "Cannot open database {database}: its search_path names no "
                "schema that exists, so there is nowhere to keep tillterm's tables."
            ).format(database=describe(conn.engine).label)
        )
    return str(schema)


def read_schema_state(conn: Connection) -> SchemaState:
    """Read what the database holds: one or two small queries, no write, no lock kept."""
    if conn.dialect.name == "sqlite":
        # the version table's own index (its primary key) is not "something else"
        total, versioned, with_index = conn.exec_driver_sql(
            "SELECT count(*), coalesce(sum(type = 'table' AND name = 'alembic_version'), 0), "
            "coalesce(sum(tbl_name = 'alembic_version'), 0) FROM sqlite_master"
        ).one()
        total -= with_index - versioned
        table = "alembic_version"
    else:
        schema = _schema_name(conn)
        total, versioned = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN c.relname = 'alembic_version' "
                "AND c.relkind = 'r' THEN 1 ELSE 0 END), 0) FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
            ),
            {"schema": schema},
        ).one()
        table = f"{conn.dialect.identifier_preparer.quote(schema)}.alembic_version"
    revision = None
    if versioned:
        revision = conn.exec_driver_sql(f"SELECT version_num FROM {table}").scalar()
    return SchemaState(revision, bool(versioned), int(total) - int(versioned))


def _foreign_names(conn: Connection, limit: int = 3) -> str:
    """A few of the tables a non-tillterm database holds, for the refusal's one line."""
    if conn.dialect.name == "sqlite":
        query = text(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name <> 'alembic_version' ORDER BY name LIMIT :n"
        )
        params: dict[str, object] = {"n": limit + 1}
    else:
        query = text(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = :schema "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> 'alembic_version' "
            "ORDER BY c.relname LIMIT :n"
        )
        params = {"schema": _schema_name(conn), "n": limit + 1}
    names = [str(row[0]) for row in conn.execute(query, params)]
    shown = ", ".join(names[:limit]) + (", …" if len(names) > limit else "")
    return shown


def judge_schema(conn: Connection, state: SchemaState) -> bool:
    """Is this a database tillterm may use? True when it must be created or upgraded.

    Raises :class:`DatabaseError` (or :class:`DatabaseTooNew`) for a database that holds
    something else or was upgraded by a newer tillterm: the caller has written nothing
    yet and must write nothing (not even the switch to WAL).
    """
    label = describe(conn.engine).label
    if state.revision is not None:
        if state.revision in KNOWN_REVISIONS:
            return state.revision != HEAD_REVISION
        if REVISION_PATTERN.match(state.revision) and state.revision > HEAD_REVISION:
            raise DatabaseTooNew(
                _(
                    "The database {database} was upgraded by a newer tillterm "
                    "(schema {revision}); install that version to use it."
                ).format(database=label, revision=state.revision)
            )
        raise DatabaseError(
            _(
                "Cannot open database {database}: it is not a tillterm database (schema "
                "version {revision} is not tillterm's); tillterm changed nothing in it."
            ).format(database=label, revision=repr(state.revision))
        )
    if state.other_objects == 0:
        return True  # empty: a new database
    if state.has_version_table:
        if conn.dialect.name == "sqlite" and _interrupted_creation(conn):
            return True  # an older tillterm's half-made new database: made again
        raise DatabaseError(
            _(
                "Cannot open database {database}: it is not a tillterm database, or an old "
                "tillterm was interrupted while creating it; tillterm changed nothing in it."
            ).format(database=label)
        )
    raise DatabaseError(
        _(
            "Cannot open database {database}: it is not a tillterm database (it already "
            "holds {objects}); tillterm changed nothing in it."
        ).format(database=label, objects=_foreign_names(conn))
    )


#: how long apart a register tries again to switch a store to WAL
WAL_SWITCH_RETRY_S = 0.02


def _enable_wal(conn: Connection) -> None:
    """Switch to WAL (outside any transaction: SQLite ignores it inside one).

    The switch reads the file's header under a shared lock, then asks for the write
    lock. When two registers start on a store still in rollback mode, both hold the
    shared lock and one gets "database is locked" at once: SQLite does not wait there,
    since each would wait for the other's shared lock. The other register's switch
    takes milliseconds, so the switch is tried again until the busy timeout; by then
    the store is usually in WAL already, and switching it again changes nothing.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = conn.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
            break
        except OperationalError as exc:
            conn.rollback()
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(WAL_SWITCH_RETRY_S)
    if str(mode).lower() != "wal":
        raise DatabaseError(
            _("Cannot switch {database} to WAL mode (got {mode}).").format(
                database=conn.engine.url.database, mode=mode
            )
        )
    conn.commit()


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    check: Callable[[Connection], bool] | None = None,
) -> None:
    """Apply the shipped migrations up to ``revision``, all in one transaction.

    Alembic loads only here, when there is something to do.
    """
    from tillterm.store.migrations import run_upgrade

    if engine.dialect.name != "postgresql":
        run_upgrade(engine, revision, check=check)
        return
    # an upgrade rewrites whole tables and may wait for another register's: the
    # backstop statement and idle timeouts are for registers, not for it
    from sqlalchemy.pool import NullPool

    timeouts = replace(resolve_pg_timeouts(), statement=0, idle_in_transaction=0)
    dedicated = _pg_engine(engine.url, timeouts, poolclass=NullPool)
    try:
        run_upgrade(dedicated, revision, check=check)
    finally:
        dedicated.dispose()


# Stores left half-migrated by a tillterm older than the one-transaction upgrade, where
# each DDL statement committed on its own (SQLite only: PostgreSQL's upgrade always was
# one transaction). Their known half-states are cleared inside the upgrade's transaction,
# then the interrupted step runs again whole; nothing in them is data.

#: the first schema's tables (frozen, like a migration)
FIRST_SCHEMA_TABLES = frozenset(
    {
        "custom_field",
        "tag",
        "tax_rate",
        "customer_group",
        "product",
        "store_settings",
        "customer",
        "custom_field_value",
        "customer_tag",
        "sale",
        "account_entry",
        "loyalty_entry",
        "payment",
        "sale_line",
    }
)
#: what an interrupted ``0001_initial`` -> ``0002_search_index`` step could leave: an
#: index, the search tables (rebuilt from the customers) and their triggers
LEFTOVERS_OF_0002 = (
    "DROP INDEX IF EXISTS ix_customer_archived_at",
    *(
        f"DROP TRIGGER IF EXISTS search_{name}_{event}"
        for name in ("name", "all", "custom")
        for event in ("ai", "au", "ad")
    ),
    *(f"DROP TABLE IF EXISTS search_{name}" for name in ("name", "all", "custom")),
)


def _interrupted_creation(conn: Connection) -> bool:
    """An empty ``alembic_version`` and nothing but some of the first schema's tables
    (with their indexes), all empty: a first creation that never finished."""
    rows = conn.exec_driver_sql(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE tbl_name <> 'alembic_version'"
    ).all()
    if not all(tbl_name in FIRST_SCHEMA_TABLES for _type, _name, tbl_name in rows):
        return False
    tables = [name for type_, name, _tbl in rows if type_ == "table"]
    return not any(
        conn.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first() for name in tables
    )


def _clear_interrupted(conn: Connection, state: SchemaState) -> None:
    if conn.dialect.name != "sqlite":
        return
    if state.revision is None and state.other_objects:
        tables = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'alembic_version'"
        ).scalars()
        for name in list(tables):
            conn.exec_driver_sql(f'DROP TABLE "{name}"')
    elif state.revision == "0001_initial":
        for statement in LEFTOVERS_OF_0002:
            conn.exec_driver_sql(statement)


def _recheck(conn: Connection) -> bool:
    """Inside the upgrade's transaction, with the lock held: still ours, still behind?

    Then clears what an older tillterm's interrupted upgrade left behind, if anything.
    """
    state = read_schema_state(conn)
    behind = judge_schema(conn, state)
    if behind:
        _clear_interrupted(conn, state)
    return behind


#: told, from the opening thread, that the database is about to be created ("create")
#: or upgraded ("upgrade"), which may take a while on a large store
UpgradeNotice = Callable[[str], None]


def open_db(
    url_or_path: str | os.PathLike[str],
    *,
    create_dirs: bool = False,
    migrate: bool = True,
    on_upgrade: UpgradeNotice | None = None,
) -> Engine:
    """Return an engine whose schema is at head, or raise :class:`DatabaseError`.

    ``create_dirs`` lets the default location make its folder; an explicit path in a
    missing folder is refused instead. The database is read before anything is written:
    one that is not tillterm's (it holds other tables) or comes from a newer tillterm is
    refused as it was, journal mode included. A database already at head costs two
    small queries (and on SQLite a journal-mode read); Alembic is not even imported.
    """
    engine = build_engine(url_or_path, create_dirs=create_dirs)
    label = describe(engine).label
    try:
        with engine.connect() as conn:
            state = read_schema_state(conn)
            behind = judge_schema(conn, state)
            if engine.dialect.name == "sqlite":
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                if str(mode).lower() != "wal":
                    conn.rollback()
                    _enable_wal(conn)
        if migrate and behind:
            if on_upgrade is not None:
                on_upgrade("create" if state.revision is None else "upgrade")
            try:
                upgrade(engine, check=_recheck)
            except DatabaseError:
                raise
            except (OperationalError, DBAPIError, sqlite3.Error, MigrationRuleBroken) as exc:
                raise DatabaseError(
                    _("Cannot upgrade database {database} (nothing was changed): {why}").format(
                        database=label, why=explain(exc)
                    )
                ) from exc
    except DatabaseError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        kind = DatabaseUnreachable if is_unreachable(exc) else DatabaseError
        raise kind(
            _("Cannot open database {database}: {why}").format(database=label, why=explain(exc))
        ) from exc
    return engine


#: how a lost or silent server shows in a driver's message (PostgreSQL; SQLite has none)
_UNREACHABLE_WORDS = (
    NO_ANSWER,
    "connection refused",
    "could not connect",
    "connection timeout expired",
    "timeout expired",
    "server closed the connection",
    "connection is closed",
    "connection is lost",
    "connection already closed",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "consuming input failed",
    "no connection to the server",
    "could not receive data",
    "could not send data",
    "connection failed",
    "eof detected",
)
#: SQLSTATEs of a lost connection (class 08) or a server going down or coming up
_UNREACHABLE_STATES = ("57P01", "57P02", "57P03", "57P05")


#: what a server that did answer says as it turns a connection away: a name or a right
#: to fix, never worth a retry. libpq puts it after "connection failed" with no SQLSTATE,
#: so it read as a server out of reach, and a mistyped database name in ``TILLTERM_DB``
#: was "server unreachable — retrying" for ever. (pattern, what it says, its value)
_TURNED_AWAY = (
    (
        re.compile(r'database "([^"]*)" does not exist'),
        N_("the database server has no database {name} (check the name in TILLTERM_DB or --db)"),
    ),
    (
        re.compile(r'role "([^"]*)" does not exist'),
        N_("the database server has no user {name} (check the user in TILLTERM_DB or --db)"),
    ),
    (
        re.compile(r'password authentication failed for user "([^"]*)"'),
        N_("the database server refused the password of user {name}"),
    ),
    (
        re.compile(r'permission denied for database "([^"]*)"'),
        N_("this user may not connect to the database {name} (GRANT CONNECT)"),
    ),
    (
        re.compile(r'no pg_hba\.conf entry for host "([^"]*)"'),
        N_("the database server does not let {name} connect (its pg_hba.conf)"),
    ),
)


def _turned_away(exc: BaseException) -> str | None:
    """What the server said as it refused the connection, in words; ``None`` if not."""
    orig = getattr(exc, "orig", None) or exc
    said = str(orig)
    for pattern, words in _TURNED_AWAY:
        found = pattern.search(said)
        if found:
            return _(words).format(name=found.group(1))
    return None


def is_unreachable(exc: BaseException) -> bool:
    """True when the server was lost, refused us or stopped answering (worth a retry
    once it is back); False for an error the server itself answered with."""
    if getattr(exc, "connection_invalidated", False):
        return True
    if _turned_away(exc) is not None:
        return False
    orig = getattr(exc, "orig", None) or exc
    state = str(getattr(orig, "sqlstate", None) or "")
    if state.startswith("08") or state in _UNREACHABLE_STATES:
        return True
    lowered = str(orig).lower()
    return any(words in lowered for words in _UNREACHABLE_WORDS)


def explain(exc: BaseException) -> str:
    """One readable line for a driver error (no SQL, no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = message.lower()
    if "database is locked" in lowered or "lock timeout" in lowered:
        return _("another register is holding the database; try again in a moment")
    if "readonly" in lowered or "read-only" in lowered:
        return _("the database is read-only for this user")
    if "unable to open" in lowered:
        return _("the file cannot be opened (missing folder or no permission)")
    if NO_ANSWER in lowered:
        waited = lowered.split(NO_ANSWER, 1)[1].strip()
        return _("the database server is not answering (nothing in {waited})").format(waited=waited)
    if "statement timeout" in lowered:
        return _("the database server took too long to answer (statement timeout)")
    turned_away = _turned_away(exc)
    if turned_away is not None:
        return turned_away
    if (
        "connection refused" in lowered
        or "could not connect" in lowered
        or "connection failed" in lowered
        or "timeout expired" in lowered
        or "starting up" in lowered
        or "not yet accepting connections" in lowered
    ):
        return _("the database server cannot be reached")
    if is_unreachable(exc):
        return _("the connection to the database server was lost")
    if "malformed" in lowered or "not a database" in lowered:
        return _("the database file is damaged or is not a tillterm database")
    return message


def is_busy(exc: BaseException) -> bool:
    """True when the error is another connection holding the lock (worth a retry)."""
    orig = getattr(exc, "orig", None) or exc
    text_ = str(orig).lower()
    return (
        "database is locked" in text_
        or "could not obtain lock" in text_
        or "lock timeout" in text_
        or "deadlock" in text_
    )


def translate(exc: BaseException) -> DatabaseError:
    """The project's error for a driver error: busy, unreachable, or just unusable."""
    if is_busy(exc):
        return DatabaseBusy(explain(exc))
    if is_unreachable(exc):
        return DatabaseUnreachable(explain(exc))
    return DatabaseError(explain(exc))


def _roll_back(session: Session) -> None:
    """Roll back after a driver error; a lost connection cannot even do that (the
    server drops the transaction itself), and that must not hide the first error."""
    with contextlib.suppress(DBAPIError):
        session.rollback()


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error.

    Driver errors come out as :class:`DatabaseError` (or :class:`DatabaseBusy`) with a
    readable message, so no caller has to know SQLAlchemy's exception tree.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        _roll_back(session)
        raise translate(exc) from exc
    except BaseException:
        # a read through the driver itself (``tillterm.store.fastpath``) may have met
        # a dead connection SQLAlchemy has not seen: its error is the one to tell
        _roll_back(session)
        raise
    finally:
        session.close()


def open_target(target: DbTarget, on_upgrade: Callable[[str], None] | None = None) -> Engine:
    """The engine of a checked target, schema at head.

    ``on_upgrade`` is told ``"create"`` or ``"upgrade"`` just before the schema is
    created or upgraded (a large store takes a while); a database already at head
    never calls it. It lives here, not on :class:`DbTarget`, so that the target (read at
    cold start) never imports the engine and the two modules do not import each other.
    """
    return open_db(target.url_or_path, create_dirs=target.create_dirs, on_upgrade=on_upgrade)
