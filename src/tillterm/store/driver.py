"""The driver's own connection under a SQLAlchemy one, checked instead of assumed.

SQLAlchemy types ``Connection.connection.dbapi_connection`` as the bare DB-API protocol
(or ``None`` once detached), which has neither ``sqlite3``'s ``in_transaction`` and
``deserialize`` nor psycopg's ``COPY``. The few places that need the driver itself get it
here: a wrong guess (another driver, a detached connection) is a clear ``TypeError`` at
the call, not an ``AttributeError`` somewhere later, and the type checker believes it
without being told to.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection
from sqlalchemy.pool import PoolProxiedConnection

if TYPE_CHECKING:
    import psycopg


def sqlite_driver(conn: Connection) -> sqlite3.Connection:
    """The ``sqlite3`` connection under ``conn`` (SQLAlchemy's pysqlite hands it over as is)."""
    raw = conn.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"expected a sqlite3 connection under {conn.dialect.name}, got {raw!r}")
    return raw


def psycopg_driver(conn: Connection | PoolProxiedConnection) -> psycopg.Connection[Any]:
    """The psycopg connection under ``conn``, a connection or one taken straight from
    the pool (PostgreSQL only; imports psycopg when asked)."""
    import psycopg

    pooled = conn.connection if isinstance(conn, Connection) else conn
    raw = pooled.dbapi_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError(f"expected a psycopg connection, got {raw!r}")
    return raw
