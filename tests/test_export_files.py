"""The export's output file (issue 12 §3) and its process (issue 11 §1).

An export holds names, emails and phones: it is created ``0600`` whatever the umask,
never replaces a file unless the person says so (``--force``; a confirmation in the
app that a scanner's Enter cannot give), never follows a symlink planted where its
temporary file goes, and leaves nothing behind when it fails or is cancelled. The
native reader's process fails with one sentence and never outlives its export.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Drive, run_cli, wait_until
from screens_data import settle
from sqlalchemy.engine import Engine
from textual.widgets import Input

from tillterm.demo.seeding import seed_demo
from tillterm.spreadsheet import export, export_writer
from tillterm.spreadsheet.export import ExportCancelled, export_customers
from tillterm.spreadsheet.reading import SpreadsheetError
from tillterm.store.private_files import OutputExists
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.customers import CustomersScreen

NATIVE = ("adbc_driver_manager", "adbc_driver_sqlite", "nanoarrow")


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask, under which a plain ``open`` makes files readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def customers(engine: Engine) -> Engine:
    seed_demo(engine, customers=50, products=0)
    return engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _without_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NATIVE:
        monkeypatch.setitem(sys.modules, name, None)


def _children(besides: frozenset[int] = frozenset()) -> list[int]:
    """Processes whose parent is this one (still running, or not yet waited for).

    ``besides``: those already there when the test began (left by another test).
    """
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and int(entry) not in besides:
            found.append(int(entry))
    return found


# -- 0600, whole, never over an existing file unasked -----------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("native", [True, False])
def test_export_is_private_under_a_umask_of_022(
    customers: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    native: bool,
) -> None:
    if not native:
        _without_driver(monkeypatch)
    target = tmp_path / f"out{suffix}"
    assert export_customers(customers, target) == 50
    assert _mode(target) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_existing_file_is_replaced_only_when_asked(customers: Engine, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("the manager's own list")
    target.chmod(0o644)
    with pytest.raises(OutputExists, match="already exists"):
        export_customers(customers, target)
    assert target.read_text() == "the manager's own list"
    assert export_customers(customers, target, overwrite=True) == 50
    assert target.read_text(encoding="utf-8-sig").startswith("group,")
    assert _mode(target) == 0o600


def test_planted_symlinks_are_never_followed(customers: Engine, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    # the old predictable temporary name, and the target itself
    (tmp_path / ".out.csv.part").symlink_to(victim)
    target = tmp_path / "out.csv"
    target.symlink_to(victim)
    with pytest.raises(OutputExists):
        export_customers(customers, target)
    export_customers(customers, target, overwrite=True)
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and _mode(target) == 0o600
    assert (tmp_path / ".out.csv.part").is_symlink()  # untouched, and not written through


def _left_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_failing_export_process_leaves_nothing_and_says_why(
    customers: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("old")
    before = frozenset(_children())
    monkeypatch.setattr(export, "_native_sql", lambda *a, **k: "SELECT x FROM no_such_table")
    with pytest.raises(SpreadsheetError) as failed:
        export_customers(customers, out / "old.csv", overwrite=True)
    message = str(failed.value)
    assert message.startswith("The database could not be read:") and "no_such_table" in message
    assert "\n" not in message and "Traceback" not in message
    assert _left_in(out) == {"old.csv"} and (out / "old.csv").read_text() == "old"
    assert _children(before) == []


def test_a_crashing_export_process_is_one_line_too(
    customers: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "_CHILD_CODE", "raise RuntimeError('the disk caught fire')")
    with pytest.raises(SpreadsheetError) as failed:
        export_customers(customers, tmp_path / "out.csv")
    assert str(failed.value) == (
        "The export stopped unexpectedly (RuntimeError: the disk caught fire)."
    )
    assert not (tmp_path / "out.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_child_without_the_driver_falls_back_to_sqlite3_here(
    customers: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    native = tmp_path / "native.csv"
    export_customers(customers, native)
    monkeypatch.setattr(
        export,
        "_CHILD_CODE",
        "import json; print(json.dumps({'unavailable': 'No module named adbc_driver_sqlite'}))",
    )
    fallback = tmp_path / "fallback.csv"
    with caplog.at_level("WARNING", logger="tillterm.spreadsheet.export"):
        assert export_customers(customers, fallback) == 50
    assert "No module named adbc_driver_sqlite" in caplog.text
    assert fallback.read_bytes() == native.read_bytes()
    assert _mode(fallback) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_write_failure_in_this_process_leaves_nothing(
    customers: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    _without_driver(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()

    def disk_full(self: object, frame: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export_writer.CsvWriter, "write", disk_full)
    with pytest.raises(SpreadsheetError, match="No space left on device"):
        export_customers(customers, out / "c.csv")
    assert _left_in(out) == set()


# -- cancelling ----------------------------------------------------------------------


def _endless_sql(query: object, headers: list[str], dialect: object, *, packed: bool) -> str:
    """A packed export query of a hundred million empty rows: an export still running."""
    empty = ", ".join(["''"] * len(headers))
    return (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        f"SELECT concat_ws(char(31), {empty}) AS packed FROM n"
    )


def test_a_cancelled_export_stops_its_process_and_leaves_nothing(
    customers: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "_native_sql", _endless_sql)
    monkeypatch.setattr(export, "NATIVE_BATCH", 1000)
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        proc = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", recording)
    seen: list[int] = []
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ExportCancelled, match="no file was written"):
        export_customers(
            customers, out / "c.csv", progress=seen.append, cancelled=lambda: len(seen) >= 3
        )
    [proc] = started
    assert proc.returncode is not None, "the export process was stopped and waited for"
    assert proc.returncode != 0, "it was stopped, not left to finish"
    assert proc.pid not in _children()
    assert _left_in(out) == set()


def test_the_export_process_leaves_when_its_parent_goes(
    customers: Engine, db_path: Path, tmp_path: Path
) -> None:
    """A parent that dies (or closes stdin) never leaves the reader running."""
    with customers.connect() as conn:
        headers, query = export._prepare(conn, None, False)
        job = export._native_job(conn, query, headers, ".csv")
    assert job is not None
    job["sql"] = _endless_sql(query, headers, None, packed=True)
    with (tmp_path / "c.csv").open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", export._CHILD_CODE, json.dumps(sys.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(fh.fileno(),),
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps({**job, "fd": fh.fileno()}).encode() + b"\n")
            proc.stdin.flush()
            assert "rows" in json.loads(proc.stdout.readline())
            proc.stdin.close()  # what the kernel does when the parent dies
            assert proc.wait(timeout=20) == 3
        finally:
            proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()


# -- the command line ------------------------------------------------------------------


def test_cli_refuses_an_existing_file_without_force(
    customers: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(db_path)]
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    assert run_cli([*db, "export", str(target)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert target.read_text() == "keep me"
    assert run_cli([*db, "export", str(target), "--force"]) == 0
    assert target.read_text(encoding="utf-8-sig").startswith("group,")
    assert _mode(target) == 0o600
    fresh = tmp_path / "new.xlsx"
    assert run_cli([*db, "export", str(fresh)]) == 0
    assert _mode(fresh) == 0o600


# -- the app: Ctrl+E on the Customers screen -------------------------------------------


async def _export_to(app: object, pilot: object, target: Path) -> None:
    await pilot.press("ctrl+e")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    app.screen.query_one("#prompt-input", Input).value = str(target)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


async def test_the_app_asks_before_replacing_a_file(
    customers: Engine, drive: Drive, tmp_path: Path
) -> None:
    target = tmp_path / "customers.csv"
    target.write_text("last month's list")
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)

        await _export_to(app, pilot, target)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # a scanner's Enter: keeps the file
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert target.read_text() == "last month's list"
        assert any("was kept" in n.message for n in app._notifications)

        await _export_to(app, pilot, target)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
    assert target.read_text(encoding="utf-8-sig").count("\n") == 51
    assert _mode(target) == 0o600


async def test_a_new_file_needs_no_question(
    customers: Engine, drive: Drive, tmp_path: Path
) -> None:
    target = tmp_path / "new.csv"
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        await _export_to(app, pilot, target)
        assert isinstance(app.screen, CustomersScreen)
        assert any("50 customers written" in n.message for n in app._notifications)
    assert _mode(target) == 0o600


async def test_another_export_or_quitting_stops_a_running_export(
    customers: Engine, drive: Drive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an export process that takes its time (a big store on a slow disk)
    monkeypatch.setattr(export, "_CHILD_CODE", "import time; time.sleep(120)")
    first, second = tmp_path / "big.csv", tmp_path / "other.csv"
    before = frozenset(_children())

    def children() -> list[int]:
        return _children(before)

    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        pids: list[int] = []
        for target in (first, second):
            await pilot.press("ctrl+e")
            await pilot.pause()
            app.screen.query_one("#prompt-input", Input).value = str(target)
            await pilot.press("enter")
            # the new export's process is there, the one before it is gone
            await wait_until(
                pilot,
                lambda: len(children()) == 1 and children()[0] not in pids,
                lambda: f"one new export process (running: {children()}, before: {pids})",
            )
            pids.append(children()[0])
        await wait_until(
            pilot,
            lambda: any(f"{first}: Export cancelled" in n.message for n in app._notifications),
            "the first export's 'cancelled' notice",
        )

    # quitting cancels the worker, which stops its process within POLL_SECONDS, then
    # removes its temporary file: the worker's thread does that just after the process is
    # reaped, so the test waits for both rather than catching the thread between the two
    def parts() -> list[Path]:
        return [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    await wait_until(
        None,
        lambda: not children() and not parts(),
        lambda: f"no export process ({children()}) and no temporary file ({parts()})",
    )
    assert not first.exists() and not second.exists()
