"""Files holding customer data: 0600, whole or nothing, no planted symlink followed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tillterm.store.private_files import OutputExists, private_output, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_private_and_whole(tmp_path: Path) -> None:
    os.umask(0o022)
    target = write_private(tmp_path / "out.csv", "a,b\n")
    assert target.read_text() == "a,b\n"
    assert _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_refuses_existing_without_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(OutputExists, match="already exists"):
        write_private(target, "new", overwrite=False)
    assert target.read_text() == "old"
    write_private(target, "new", overwrite=True)
    assert target.read_text() == "new"
    assert _mode(target) == 0o600


def test_existing_file_appearing_during_the_write_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(OutputExists), private_output(target, overwrite=False) as fh:
        fh.write(b"new")
        target.write_text("someone else's")
    assert target.read_text() == "someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), private_output(target) as fh:
        fh.write(b"half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_planted_symlink_at_a_temporary_name_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for name in (".out.csv.part", ".out.csv.tmp", "out.tmp"):
        (tmp_path / name).symlink_to(victim)
    write_private(tmp_path / "out.csv", "data")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out.csv").read_text() == "data"
