"""The command line: fast --help/--version, demo seeding, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from sqlalchemy import func, select

from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import Customer

HEAVY = ("textual", "polars", "sqlalchemy", "sqlmodel", "alembic")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys\nfrom tillterm.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["demo", "--help"], ["import", "--help"], ["export", "--help"]],
)
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    loaded = _modules_after(args)
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from tillterm.cli import COMMAND_MODULES, command_name

    for module in COMMAND_MODULES:
        with pytest.raises(SystemExit) as exit_info:
            run_cli([command_name(module), "--help"])
        assert exit_info.value.code == 0
        assert "usage: tillterm" in capsys.readouterr().out


def test_version_via_python_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tillterm", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("tillterm ")


def test_demo_seeds_then_leaves_a_filled_database_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.db"
    assert run_cli(["demo", "--db", str(db), "--customers", "150", "--products", "30"]) == 0
    assert "150 customers" in capsys.readouterr().out
    assert run_cli(["--db", str(db), "demo", "--customers", "10"]) == 0
    assert "nothing added" in capsys.readouterr().out
    engine = open_db(db)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one()[0] == 150
    engine.dispose()


def test_db_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("TILLTERM_DB", str(db))
    assert run_cli(["demo", "--customers", "5", "--products", "1"]) == 0
    assert db.exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{tmp}/missing/dir/till.db", "does not exist"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot be reached"),
        ("{tmp}/junk.db", "not a tillterm database"),
    ],
)
def test_bad_database_is_one_line_on_stderr(tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "junk.db").write_text("hello")
    out = subprocess.run(
        [sys.executable, "-m", "tillterm", "--db", target.format(tmp=tmp_path), "demo"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert message in lines[0]
    assert "Traceback" not in out.stderr


def test_register_with_a_bad_database_says_so_before_any_screen(tmp_path: Path) -> None:
    """The register's own start checks the path before Textual takes the terminal."""
    out = subprocess.run(
        [sys.executable, "-m", "tillterm", "--db", str(tmp_path / "no" / "till.db")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        f"tillterm: Cannot open database {tmp_path / 'no' / 'till.db'}: "
        f"the folder {tmp_path / 'no'} does not exist."
    ]
    assert not out.stdout


def test_open_services_opens_the_named_database_for_the_named_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.cli import build_parser
    from tillterm.commands.console import open_services

    db = tmp_path / "till.db"
    args = build_parser().parse_args(["--db", str(db), "--register", "till-7", "demo"])
    services = open_services(args)
    engine = services.engine()
    try:
        assert services.register == "till-7"
        assert services.engine() is engine  # one engine per command, not one per call
        assert services.store_settings.load().currency  # the schema is there, at head
    finally:
        engine.dispose()
    monkeypatch.setenv("TILLTERM_REGISTER", "till-from-env")
    services = open_services(build_parser().parse_args(["--db", str(db), "demo"]))
    services.engine().dispose()
    assert services.register == "till-from-env"


def test_a_failure_the_store_did_not_word_is_one_line_naming_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A driver that cannot load (say) is said as the register says it, never a traceback."""
    db = tmp_path / "till.db"

    def broken(target: object, on_upgrade: object = None) -> object:
        raise RuntimeError("driver exploded")

    monkeypatch.setattr("tillterm.store.engine.open_target", broken)
    assert run_cli(["--db", str(db), "demo", "--customers", "1"]) == 1
    assert capsys.readouterr().err == f"tillterm: Cannot open database {db}: driver exploded\n"
