"""``pip install .`` ships the styles inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_styles_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("tillterm-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    styles = {p.name for p in (ROOT / "styles").glob("*.tcss")}
    assert styles and {f"tillterm/styles/{name}" for name in styles} <= names
    assert "tillterm/store/migrations/versions/0001_initial.py" in names
    assert "tillterm/store/migrations/script.py.mako" in names
    assert "tillterm/demo/names/last_names.txt" in names
    # the French catalog, compiled by the build (hatch_build.py)
    assert "tillterm/i18n/locale/fr/LC_MESSAGES/tillterm.mo" in names
