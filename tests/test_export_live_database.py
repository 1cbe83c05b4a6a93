"""Export never harms the live database (issue 11 §1).

The export's fast reader (the ADBC SQLite driver) carries a SQLite library of its own.
Run inside the app's process, closing it dropped the process's POSIX locks and deleted
``*.db-wal`` and ``*.db-shm`` under the app's connections: customers saved afterwards
were invisible to every other process, two registers printed the same receipt numbers,
the database ended malformed. The rule these tests hold: inside one process the live
database is opened by one SQLite library only (Python's ``sqlite3``).

Each test works the way a shop does: the real app (Pilot) or the real export on a real
file, another register as a real process (``db_peer.py``), and checks from a fresh
process what a person would see.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Drive
from screens_data import settle
from sqlalchemy import text
from sqlalchemy.engine import Engine
from textual.widgets import Input

from tillterm.customers.profiles import create_customer
from tillterm.demo import seeding as demo
from tillterm.demo.seeding import seed_demo
from tillterm.spreadsheet.export import export_customers
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.store.engine import open_db, session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customers import CustomersScreen

HERE = Path(__file__).parent
SRC = HERE.parent / "src" / "tillterm"


class Peer:
    """Another register: a process holding the database, answering one line per command."""

    def __init__(self, db: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC.parent), str(HERE)])}
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "db_peer.py"), str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._line()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.ask("quit")
        self.proc.communicate(timeout=30)


def seen_elsewhere(db: Path, last_name: str) -> int:
    """How many customers named ``last_name`` a freshly started process sees."""
    with Peer(db) as fresh:
        return int(fresh.ask(f"count {last_name}"))


def integrity(db: Path) -> str:
    with Peer(db) as fresh:
        return fresh.ask("integrity")


def deleted_database_files(db: Path) -> list[str]:
    """Files of ``db`` this process still holds open although they were deleted."""
    prefix = str(db.resolve())
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix) and target.endswith("(deleted)"):
            found.append(target)
    return found


def save_in(engine: Engine, last_name: str) -> None:
    with session_scope(engine) as session:
        create_customer(session, {"first_name": "Till", "last_name": last_name})


# -- the export itself ---------------------------------------------------------------


def test_export_leaves_the_live_database_to_its_connections(
    engine: Engine, db_path: Path, tmp_path: Path
) -> None:
    seed_demo(engine, customers=60, products=0)
    with engine.connect() as held:  # the app keeps its connections open
        held.execute(text("SELECT count(*) FROM customer")).scalar_one()
        assert export_customers(engine, tmp_path / "out.csv") == 60
        assert deleted_database_files(db_path) == []
        save_in(engine, "Afterexport")
        assert seen_elsewhere(db_path, "Afterexport") == 1
    assert deleted_database_files(db_path) == []
    assert integrity(db_path) == "ok"


def test_export_with_another_register_holding_the_database(
    engine: Engine, db_path: Path, tmp_path: Path
) -> None:
    seed_demo(engine, customers=60, products=0)
    with engine.connect() as held, Peer(db_path) as register:
        held.execute(text("SELECT 1"))
        export_customers(engine, tmp_path / "out.csv")
        assert register.ask("add Fromtheother") == "ok"
        # the other register closes; if the export had dropped this process's locks,
        # it would think itself the last user and delete the WAL under us
        register.ask("quit")
        save_in(engine, "Afterthequit")
        assert deleted_database_files(db_path) == []
        assert seen_elsewhere(db_path, "Afterthequit") == 1
        assert seen_elsewhere(db_path, "Fromtheother") == 1
    assert integrity(db_path) == "ok"


# -- the same, as a cashier does it in the app -----------------------------------------


async def _export_from_the_screen(app: TilltermApp, pilot: Any, target: Path) -> None:
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)
    await pilot.press("ctrl+e")
    await settle(pilot)
    app.screen.query_one("#prompt-input", Input).value = str(target)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)
    assert target.exists()


async def _save_from_the_form(app: TilltermApp, pilot: Any, last_name: str) -> None:
    screen = app.screen
    assert isinstance(screen, CustomersScreen)
    await pilot.press("ctrl+n")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, CustomerForm)
    form.query_one("#field-first_name", Input).value = "Cashier"
    form.query_one("#field-last_name", Input).value = last_name
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert not isinstance(app.screen, CustomerForm), "the customer was saved"
    app.pop_screen()  # back from the new profile to the list
    await settle(pilot)


async def test_export_from_the_app_then_save_a_customer(
    engine: Engine, db_path: Path, drive: Drive, tmp_path: Path
) -> None:
    seed_demo(engine, customers=40, products=0)
    async with drive() as (app, pilot):
        await _export_from_the_screen(app, pilot, tmp_path / "customers.csv")
        await _save_from_the_form(app, pilot, "Savedafter")
        assert deleted_database_files(db_path) == []
        assert seen_elsewhere(db_path, "Savedafter") == 1
        assert integrity(db_path) == "ok"


async def test_export_from_the_app_with_two_registers_open(
    engine: Engine, db_path: Path, drive: Drive, tmp_path: Path
) -> None:
    seed_demo(engine, customers=40, products=0)
    with Peer(db_path) as register:
        async with drive() as (app, pilot):
            await _export_from_the_screen(app, pilot, tmp_path / "customers.csv")
            await _save_from_the_form(app, pilot, "Beforequit")
            assert register.ask("add Otherregister") == "ok"
            register.ask("quit")
            await _save_from_the_form(app, pilot, "Afterquit")
            assert deleted_database_files(db_path) == []
            for name in ("Beforequit", "Otherregister", "Afterquit"):
                assert seen_elsewhere(db_path, name) == 1, name
            assert integrity(db_path) == "ok"


# -- the rule, enforced ----------------------------------------------------------------


@pytest.fixture
def foreign_sqlite_opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every database the ADBC driver manager opens in this process (its URI).

    Every ADBC path (``adbc_driver_sqlite.connect``, its DB-API, polars'
    ``read_database_uri``) creates an ``AdbcDatabase`` through the module attribute,
    so wrapping it sees them all.
    """
    import adbc_driver_manager
    from adbc_driver_manager import _lib

    opened: list[str] = []
    real = _lib.AdbcDatabase

    def recording(**kwargs: Any) -> Any:
        opened.append(str(kwargs.get("uri", "")))
        return real(**kwargs)

    monkeypatch.setattr(adbc_driver_manager, "AdbcDatabase", recording)
    monkeypatch.setattr(_lib, "AdbcDatabase", recording)
    yield opened


def _names_the_live_file(uri: str, db: Path) -> bool:
    import urllib.parse

    path = urllib.parse.unquote(uri.removeprefix("file:").split("?")[0])
    if not path:
        return False
    return Path(path).resolve() == db.resolve() or path.startswith(str(db.resolve()))


def test_the_recorder_sees_a_foreign_open(foreign_sqlite_opens: list[str], tmp_path: Path) -> None:
    """The fixture below is trusted only if it records what it is meant to record."""
    import adbc_driver_sqlite.dbapi

    with adbc_driver_sqlite.dbapi.connect(str(tmp_path / "x.db")):
        pass
    assert foreign_sqlite_opens and _names_the_live_file(foreign_sqlite_opens[0], tmp_path / "x.db")


def test_no_second_sqlite_library_opens_the_live_file(
    engine: Engine,
    db_path: Path,
    tmp_path: Path,
    foreign_sqlite_opens: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Export, import (its staging) and the demo (its helper) in this process."""
    monkeypatch.setattr(demo, "PARALLEL_FROM", 100)  # the demo's helper process and staging
    seed_demo(engine, customers=300, products=5)
    with engine.connect() as held:
        held.execute(text("SELECT 1"))
        export_customers(engine, tmp_path / "a.csv")
        export_customers(engine, tmp_path / "a.xlsx")
        assert foreign_sqlite_opens == [], "the export's native reader runs in its own process"

        fresh = open_db(tmp_path / "other.db")
        seed_demo(fresh, customers=0, products=0)  # the groups, taxes and tags
        try:
            report = check_import(fresh, tmp_path / "a.csv")
            result = apply_import(fresh, report)
            assert result.created == 300
            report = check_import(engine, tmp_path / "a.csv")
            apply_import(engine, report)
        finally:
            fresh.dispose()
        assert deleted_database_files(db_path) == []
    live = [db_path, tmp_path / "other.db"]
    assert not [u for u in foreign_sqlite_opens if any(_names_the_live_file(u, d) for d in live)]
    assert integrity(db_path) == "ok"


#: modules that may use a second SQLite library, and why that is safe there
ALLOWED_FOREIGN_SQLITE = {
    # the export's own child process; never imported for it in the app's process
    "spreadsheet/export_writer.py": "runs in the export process (spreadsheet/export.py)",
    # writes a staged image in a fresh temporary folder; sqlite3 deserializes the bytes
    "store/staging.py": "a temporary file of its own",
}
FOREIGN = ("adbc_driver_sqlite", "adbc_driver_manager", "connectorx", "duckdb", "apsw")
FOREIGN_CALLS = ("read_database", "read_database_uri", "write_database")


def test_second_sqlite_libraries_appear_only_where_audited() -> None:
    """A new use of another SQLite driver must be looked at (and listed) before it lands."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Attribute) and node.attr in FOREIGN_CALLS:
                names = [node.attr]
            uses = [n for n in names if n.split(".")[0] in FOREIGN or n in FOREIGN_CALLS]
            if uses and rel not in ALLOWED_FOREIGN_SQLITE:
                offenders.append(f"{rel}:{node.lineno}: {', '.join(uses)}")
    assert offenders == []


def test_the_app_process_never_loads_the_driver_to_export(tmp_path: Path) -> None:
    """Exporting in a fresh process leaves the driver's modules unloaded there."""
    db = tmp_path / "s.db"
    engine = open_db(db)
    try:
        seed_demo(engine, customers=20, products=0)
    finally:
        engine.dispose()
    code = (
        "import sys\nfrom tillterm.store.engine import open_db\n"
        "from tillterm.spreadsheet.export import export_customers\n"
        f"export_customers(open_db({str(db)!r}), {str(tmp_path / 'o.csv')!r})\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert not loaded & {"adbc_driver_sqlite", "adbc_driver_manager", "nanoarrow"}
    assert (tmp_path / "o.csv").read_text(encoding="utf-8-sig").count("\n") == 21
