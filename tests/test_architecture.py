"""The layering rule, checked from the test suite as well as by ``lint-imports``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_domain_module_is_under_contract() -> None:
    """A new domain module must join the contract, or Textual could creep into it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = config["tool"]["importlinter"]["contracts"][0]
    listed = set(contract["source_modules"])
    package = ROOT / "src" / "tillterm"
    ui_side = {"ui", "cli", "commands", "__main__", "__init__"}
    for path in package.iterdir():
        name = path.stem if path.suffix == ".py" else path.name
        if name in ui_side or name.startswith("_") or name in {"demo_data", "styles"}:
            continue
        if path.suffix == ".py" or (path / "__init__.py").exists():
            assert f"tillterm.{name}" in listed, f"tillterm.{name} is not in the contract"
