"""How long a PostgreSQL connection waits for the server: the client's own clock.

A server whose processes are paused (what a network partition looks like from the
register) keeps its TCP connections open: the kernel still acknowledges every packet
and every keepalive probe, so neither ``tcp_user_timeout`` nor keepalives fire, and a
``statement_timeout`` is the paused server's own clock. The register froze for minutes.
Only the client can notice, so every wait of a psycopg connection for the server is
bounded here:

- inside :func:`answer_within` (the till wraps each register action in it), by what
  is left of that action's deadline: the checkout's ping, the statements and the commit
  share it, and a reconnection is not even tried once it has run out;
- elsewhere, by the connection's ``fallback`` (the statement timeout plus a margin):
  a bulk load may run long, but nothing waits forever.

A wait that runs out closes the connection (its state is unknown: the statement may
or may not have run) and raises psycopg's ``OperationalError``; SQLAlchemy sees a
closed connection, treats it as a disconnect and drops it from the pool with every
connection opened before it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

#: the words of the error a silent server gives (``explain`` and ``is_unreachable`` read them)
NO_ANSWER = "the database server did not answer within"

_local = threading.local()


@contextlib.contextmanager
def answer_within(seconds: float | None) -> Iterator[None]:
    """Bound every wait for the server in this block (this thread) to ``seconds`` in all.

    ``None`` or ``0``: no bound beyond the connections' fallback. Blocks nest; the
    inner one never extends the outer one's deadline.
    """
    outer: float | None = getattr(_local, "deadline", None)
    outer_budget: float | None = getattr(_local, "budget", None)
    if seconds:
        mine = time.monotonic() + seconds
        if outer is None or mine < outer:
            _local.deadline, _local.budget = mine, seconds
    try:
        yield
    finally:
        _local.deadline, _local.budget = outer, outer_budget


def remaining() -> float | None:
    """Seconds left before this thread's deadline (``None``: no deadline set)."""
    deadline: float | None = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


def budget() -> float | None:
    """The seconds the innermost :func:`answer_within` allowed (for the error's text)."""
    allowed: float | None = getattr(_local, "budget", None)
    return allowed


def no_answer(seconds: float) -> str:
    """The error's text: also what :func:`tillterm.store.engine.explain` recognises."""
    return f"{NO_ANSWER} {seconds:g} s"


def connect_bounded(fallback: float | None, *cargs: Any, **cparams: Any) -> psycopg.Connection[Any]:
    """A psycopg connection whose waits are bounded; ``fallback`` outside any
    :func:`answer_within` (``None``: unbounded there)."""
    conn: psycopg.Connection[Any] = _connection_class().connect_with(fallback, *cargs, **cparams)
    return conn


def lift_fallback(dbapi_connection: Any) -> None:
    """No bound on this connection's waits outside :func:`answer_within` until it goes
    back to the pool (:func:`restore_fallback`): one statement of a bulk load (a COPY of
    a million rows, an index built over them) may outlast a register's backstop."""
    if hasattr(dbapi_connection, "fallback") and hasattr(dbapi_connection, "usual_fallback"):
        dbapi_connection.fallback = None


def restore_fallback(dbapi_connection: Any, _record: Any = None) -> None:
    """The connection's usual bound again (on its way back to the pool)."""
    if hasattr(dbapi_connection, "usual_fallback"):
        dbapi_connection.fallback = dbapi_connection.usual_fallback


_CLASS: list[Any] = []


def _connection_class() -> Any:
    """The psycopg connection class whose waits are bounded (imports psycopg when asked)."""
    if _CLASS:
        return _CLASS[0]
    import psycopg
    from psycopg import errors, waiting

    class BoundedConnection(psycopg.Connection[Any]):
        """A psycopg connection that never waits for the server past its deadline."""

        #: the longest any wait may last without a deadline (``None``: unbounded)
        fallback: float | None = None
        #: ``fallback`` as the connection was made (a bulk load lifts it for a while)
        usual_fallback: float | None = None

        @classmethod
        def connect_with(
            cls, fallback: float | None, *cargs: Any, **cparams: Any
        ) -> BoundedConnection:
            conn = cls.connect(*cargs, **cparams)
            conn.fallback = conn.usual_fallback = fallback
            return conn

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            left = remaining()
            bound = self.fallback if left is None else max(left, 0.001)
            if bound is None or (timeout is not None and timeout <= bound):
                return super().wait(gen, interval, timeout)
            try:
                return waiting.wait(gen, self.pgconn.socket, interval=interval, timeout=bound)
            except errors._WaitTimeout:  # psycopg's own "ran out": ours to translate
                # the statement may or may not have run: the connection cannot be trusted
                self.pgconn.finish()
                allowed = (self.fallback if left is None else budget()) or bound
                raise psycopg.OperationalError(no_answer(round(allowed, 1))) from None

    _CLASS.append(BoundedConnection)
    return BoundedConnection
