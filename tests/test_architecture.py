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


def test_every_package_has_a_layer() -> None:
    """A new package must take a place in the layers, or nothing would stop it importing
    the UI (``lint-imports`` checks this too, through ``exhaustive``; this says which)."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    layers = config["tool"]["importlinter"]["contracts"][0]
    assert layers["type"] == "layers" and layers["exhaustive"] is True
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    placed |= set(layers["exhaustive_ignores"])
    package = ROOT / "src" / "tillterm"
    for path in package.iterdir():
        name = path.stem if path.suffix == ".py" else path.name
        if name.startswith("_") or name == "__pycache__":
            continue
        if path.suffix == ".py" or (path / "__init__.py").exists():
            assert name in placed, f"tillterm.{name} has no layer in pyproject.toml"


def test_no_import_cycles_between_modules() -> None:
    """Two modules that import each other (``db`` and ``db_target``, ``cli`` and
    ``commands`` once did) cannot be read or tested one at a time. An import made for
    type hints only (``if TYPE_CHECKING:``) runs nothing and does not count."""
    import grimp

    graph = grimp.build_graph("tillterm", exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if module in graph.find_modules_directly_imported_by(imported) and module < imported:
                cycles.append((module, imported))
    assert not cycles, cycles
