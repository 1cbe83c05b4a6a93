"""One live session per register name.

A register name picks the register's open sale, so two sessions under one name (a cloned
till, a second SSH login) would ring up the same sale. At start-up the register claims
its name with a lock the operating system or the server drops by itself when the session
ends, however it ends (quit, crash, power cut, dropped SSH): nothing stale to clean up,
and a restarted till gets its name back at once.

* SQLite: every session is on the machine holding the file, so the lock is an
  ``flock`` on a small file beside the database, one per register name.
* PostgreSQL: registers run on several machines, so the lock is the server's: a
  session-level advisory lock, keyed by the schema and the name, held by a connection
  kept for the session.

A claim that cannot be taken means another session holds the name right now.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tillterm.core.errors import TilltermError
from tillterm.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MAX_NAME = 40


class RegisterClaim:
    """This session's hold on a register name; :meth:`release` lets it go.

    ``held`` says whether the hold is still there: a PostgreSQL advisory lock lives as
    long as its server session, and a server restart ends every session, so after one
    the name is free for anyone until it is claimed again. A lock file never lapses.
    """

    def __init__(self, name: str, release: Any, held: Any = None) -> None:
        self.name = name
        self._release = release
        self._held = held

    def held(self) -> bool:
        """Whether this session still holds the name (any failure to tell: no)."""
        if self._release is None:
            return False
        if self._held is None:
            return True
        try:
            return bool(self._held())
        except Exception:
            return False

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            with contextlib.suppress(Exception):
                release()


def clean_name(name: str) -> str:
    """A register name as stored: single spaces, at most 40 characters."""
    return " ".join(name.split())[:MAX_NAME]


def lock_file(database: str | os.PathLike[str], name: str) -> Path:
    """The lock file of register ``name`` beside an SQLite database."""
    db = Path(database).resolve()
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return db.with_name(f".{db.name}.register-{digest}.lock")


def open_registers(database: str | os.PathLike[str]) -> int:
    """How many registers hold their name on the SQLite store ``database`` right now.

    Each live session holds its lock file (:func:`lock_file`) beside the database; a file
    that cannot be locked belongs to a register that is open. Moving a store asks first:
    a register still selling would leave its next sales behind in the old file.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no claims are taken, none can be seen
        return 0
    db = Path(database).resolve()
    held = 0
    for path in db.parent.glob(f".{glob.escape(db.name)}.register-*.lock"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held += 1
        finally:
            os.close(fd)
    return held


def _claim_file(database: str, name: str) -> RegisterClaim | None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock to take, the name is not checked
        return RegisterClaim(name, lambda: None)
    path = lock_file(database, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        os.close(fd)
        raise
    return RegisterClaim(name, lambda: os.close(fd))


def _claim_advisory(engine: Engine, name: str) -> RegisterClaim | None:
    conn = engine.connect()
    try:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        digest = hashlib.sha256(f"tillterm-register:{schema}:{name}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        conn.commit()  # a session lock outlives the transaction; nothing stays open
    except BaseException:
        conn.close()
        raise
    if not got:
        conn.close()
        return None

    def release() -> None:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
        finally:
            conn.close()

    def held() -> bool:
        # the lock is this connection's session's: it holds while the session lives
        found = conn.execute(_HELD, {"key": key}).scalar()
        conn.commit()
        return bool(found)

    return RegisterClaim(name, release, held)


#: whether this session holds the advisory lock ``key`` (its two halves, as pg_locks shows)
_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid()"
    " AND classid = ((:key >> 32) & 4294967295)::bigint::oid"
    " AND objid = (:key & 4294967295)::bigint::oid"
)


def claim_register(engine: Engine, name: str) -> RegisterClaim | None:
    """Claim register ``name`` for this session, or ``None`` if another session has it.

    Raises :class:`~tillterm.core.errors.TilltermError` when the check itself fails (a lock
    file that cannot be created, the server gone): the caller says so.
    """
    name = clean_name(name)
    try:
        if engine.dialect.name == "sqlite":
            return _claim_file(engine.url.database or "", name)
        return _claim_advisory(engine, name)
    except (OSError, SQLAlchemyError) as exc:
        raise TilltermError(
            _("Cannot check whether register {register} is open elsewhere: {error}").format(
                register=name, error=exc
            )
        ) from exc
