"""Build hook: the wheel carries compiled catalogs (``tillterm.mo``), not only ``.po``.

A checkout compiles them in memory when they are missing or stale (``tillterm.i18n``); an
installed till should not parse ``.po`` files with Babel at every start, so the build
compiles them once, with the same code (``tillterm.i18n.catalogs``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        sys.path.insert(0, str(Path(self.root) / "src"))
        try:
            from tillterm.i18n.catalogs import compile_all
        finally:
            sys.path.pop(0)
        for target in compile_all():
            if version != "editable":  # an editable install reads them from src/
                relative = target.relative_to(Path(self.root) / "src").as_posix()
                build_data["force_include"][str(target)] = relative
