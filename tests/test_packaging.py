"""``pip install .`` ships the styles, the migrations and the demo's names inside the package."""

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
    # the data files beside the code: every migration and its template, the demo's names
    package = ROOT / "src" / "tillterm"
    data = [
        *(package / "store" / "migrations" / "versions").glob("[0-9]*.py"),
        package / "store" / "migrations" / "script.py.mako",
        *(package / "demo" / "names").glob("*.txt"),
    ]
    shipped = {f"tillterm/{path.relative_to(package).as_posix()}" for path in data}
    assert "tillterm/store/migrations/versions/0001_initial.py" in shipped
    assert "tillterm/demo/names/last_names.txt" in shipped
    assert shipped <= names, sorted(shipped - names)
