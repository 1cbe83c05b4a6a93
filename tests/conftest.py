"""Shared fixtures: real SQLite files and, when configured, the real PostgreSQL.

PostgreSQL tests read ``TILLTERM_TEST_PG_URL`` (``.ci/run`` sets it). Each test gets a
schema of its own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tillterm.db import open_db

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from tillterm.ui.app import TilltermApp

#: ``async with drive() as (app, pilot):`` — see the ``drive`` fixture
Drive = Callable[..., AbstractAsyncContextManager[tuple["TilltermApp", "Pilot[int]"]]]

PG_ENV = "TILLTERM_TEST_PG_URL"
PG_URL = os.environ.get(PG_ENV)
needs_pg = pytest.mark.skipif(
    not PG_URL, reason=f"set {PG_ENV} to a PostgreSQL URL to run the PostgreSQL tests"
)


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

    ``async with drive() as (app, pilot):`` (keyword arguments go to the app).
    """
    from tillterm.ui.app import TilltermApp

    @asynccontextmanager
    async def run(**options: Any) -> AsyncIterator[tuple[TilltermApp, Pilot[int]]]:
        app = TilltermApp(engine, scanner=False, **options)
        async with app.run_test(size=(80, 24)) as pilot:
            yield app, pilot

    return run
