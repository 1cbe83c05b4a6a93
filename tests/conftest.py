"""Shared fixtures: real SQLite files and, when configured, the real PostgreSQL.

PostgreSQL tests read ``TILLTERM_TEST_PG_URL`` (``.ci/run`` sets it). Each test gets a
schema of its own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

# The suite reads English unless it is the French run (``TILLTERM_LANG=fr pytest
# tests/french``): a machine whose LANG is French must not turn every assertion red.
os.environ.setdefault("TILLTERM_LANG", "en")

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tillterm.i18n import language
from tillterm.store.engine import open_db

#: tests/french runs in its own process, in French (``make test`` runs both)
collect_ignore = [] if language() == "fr" else ["french"]

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

    from tillterm.ui.app import TilltermApp

#: ``async with drive() as (app, pilot):`` — see the ``drive`` fixture
Drive = Callable[..., AbstractAsyncContextManager[tuple["TilltermApp", "Pilot[int]"]]]

#: what a wait is for: a phrase, or a function giving one (to show the state at the timeout)
What = str | Callable[[], str]

#: how long a wait lasts before it fails: generous, so a loaded machine is slow, not red
WAIT_TIMEOUT_S = 10.0
POLL_S = 0.02

PG_ENV = "TILLTERM_TEST_PG_URL"
PG_URL = os.environ.get(PG_ENV)
needs_pg = pytest.mark.skipif(
    not PG_URL, reason=f"set {PG_ENV} to a PostgreSQL URL to run the PostgreSQL tests"
)


def _open_files_under(folder: Path) -> set[str]:
    """The files under ``folder`` this process holds open (Linux: /proc/self/fd)."""
    prefix = f"{folder}{os.sep}"
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(prefix):
                found.add(target)
    return found


@pytest.fixture(autouse=True)
def _failure_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own failure log (``TILLTERM_LOG``), never the real user's."""
    log = tmp_path / "tillterm.log"
    monkeypatch.setenv("TILLTERM_LOG", str(log))
    return log


@pytest.fixture(autouse=True)
def _files_closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A ResourceWarning for every test file a test leaves open (an engine not disposed,
    a connection not closed). Python's sqlite3 says nothing before 3.13, so this does;
    ``-W error::ResourceWarning`` makes it fail the test."""
    if not os.path.isdir("/proc/self/fd"):
        yield
        return
    base = tmp_path_factory.getbasetemp()
    before = _open_files_under(base)
    yield
    left = _open_files_under(base) - before
    if left:
        warnings.warn(
            ResourceWarning(f"left open by this test (an engine not disposed?): {sorted(left)}"),
            stacklevel=1,
        )


def run_cli(argv: list[str]) -> int:
    """``tillterm.cli.main`` run in this process, as the CLI tests do.

    The commands leave their engine to the end of the process (a real command's process
    ends at once), so it is collected here: the test must not keep the database open.
    """
    from tillterm.cli import main

    try:
        return main(argv)
    finally:
        gc.collect()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "till.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    eng = open_db(db_path)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search path is a fresh schema (plus public, for extensions)."""
    if not PG_URL:
        pytest.skip(f"set {PG_ENV} to a PostgreSQL URL to run the PostgreSQL tests")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema},public')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    eng = open_db(pg_url)
    yield eng
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_pg)])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The same test on both engines."""
    if request.param == "sqlite":
        eng = open_db(tmp_path / "till.db")
        yield eng
        eng.dispose()
    else:
        yield request.getfixturevalue("pg_engine")


@pytest.fixture
def drive(engine: Engine) -> Drive:
    """The app on ``engine`` as the screen tests drive it: 80×24, no scanner.

    ``async with drive() as (app, pilot):`` (keyword arguments go to the app, so
    ``scanner=True`` gives it one); ``notifications`` and ``message_hook`` go to
    ``run_test``.
    """
    from tillterm.ui.app import TilltermApp

    @asynccontextmanager
    async def run(
        *,
        notifications: bool = False,
        message_hook: Callable[[Any], None] | None = None,
        **options: Any,
    ) -> AsyncIterator[tuple[TilltermApp, Pilot[int]]]:
        options.setdefault("scanner", False)
        app = TilltermApp(engine, **options)
        async with app.run_test(
            size=(80, 24), notifications=notifications, message_hook=message_hook
        ) as pilot:
            yield app, pilot

    return run


def _timed_out(what: What, timeout: float, app: App[Any] | None = None) -> AssertionError:
    said = what() if callable(what) else what
    where = f"\n{app_state(app)}" if app is not None else ""
    return AssertionError(f"timed out after {timeout:g} s waiting for {said}{where}")


def app_state(app: App[Any]) -> str:
    """Where the app stood, for a wait that timed out: a flake seen once in a CI run
    (a key that seemed to do nothing) is read from its failure message, not guessed."""
    typeahead = app.__dict__.get("_typeahead_state")
    held = app.__dict__.get("_held_keys")
    lines = [
        "screens: " + " > ".join(type(screen).__name__ for screen in app.screen_stack),
        f"focus: {app.focused!r}",
        "workers running: "
        + repr([worker.name for worker in app.workers if not worker.is_finished]),
        "keys in line: "
        + repr([getattr(key, "key", key) for key in getattr(typeahead, "keys", ())])
        + f", settling: {getattr(getattr(typeahead, 'pending', None), 'key', None)!r}",
        "keys held for the scan gap: " + repr([key.key for key in getattr(held, "keys", ())]),
        "notifications: " + repr([n.message for n in app._notifications]),
    ]
    return "\n".join(lines)


async def wait_until(
    pilot: Pilot[Any] | None,
    condition: Callable[[], object],
    what: What,
    *,
    timeout: float = WAIT_TIMEOUT_S,
) -> None:
    """Poll ``condition`` until it holds; fail loudly, naming ``what``, when it never does.

    The one way tests wait for something to happen: a positive sign that it did, never a
    sleep and hope. With a ``pilot`` each poll lets the app process its messages; without
    one (after the app has shut down) it only yields to the event loop.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout, pilot.app if pilot is not None else None)
        if pilot is not None:
            await pilot.pause(POLL_S)
        else:
            await asyncio.sleep(POLL_S)


def wait_until_blocking(
    condition: Callable[[], object], what: What, *, timeout: float = WAIT_TIMEOUT_S
) -> None:
    """``wait_until`` for tests without an event loop (a reader thread, a child process)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout)
        time.sleep(POLL_S / 4)


@pytest.fixture
def printer_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Set this register's printer to a device node (a file; ``lp0`` by default)."""

    def configure(device: Path | None = None) -> Path:
        device = device or tmp_path / "lp0"
        config = tmp_path / "printer.toml"
        config.write_text(
            f'[printer]\nconnection = "file"\ndevice = "{device}"\n', encoding="utf-8"
        )
        monkeypatch.setenv("TILLTERM_PRINTER_CONFIG", str(config))
        return device

    return configure
