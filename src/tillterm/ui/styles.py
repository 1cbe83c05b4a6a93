"""Where the Textual CSS files are.

Installed, they ship inside the package (``tillterm/styles``, put there by the wheel's
``force-include``); in a source checkout they are the repository's ``styles/``.
Textual resolves a relative ``CSS_PATH`` against the module's file, which is neither, so
every screen asks here for an absolute path.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def styles_dir() -> Path:
    packaged = _PACKAGE / "styles"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent.parent / "styles"


def css(name: str) -> Path:
    """The absolute path of ``styles/<name>``."""
    return styles_dir() / name
