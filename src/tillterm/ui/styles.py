"""Where the Textual CSS files are.

Installed, they ship inside the package (``tillterm/styles``, put there by the wheel's
``force-include``); in a source checkout they are the repository's ``styles/``.
Textual resolves a relative ``CSS_PATH`` against the module's file, which is neither, so
every screen asks here for an absolute path.
"""

from __future__ import annotations

from pathlib import Path, PurePath

_PACKAGE = Path(__file__).resolve().parent.parent


def styles_dir() -> Path:
    packaged = _PACKAGE / "styles"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent.parent / "styles"


def css(name: str) -> Path:
    """The absolute path of ``styles/<name>``."""
    return styles_dir() / name


def every_stylesheet() -> list[str | PurePath]:
    """``app.tcss``, then every screen's own stylesheet: what the app reads at start-up.

    A screen's stylesheet read only as the screen first opened made Textual parse the
    whole stylesheet again and restyle every widget of the app, 30-37 ms of each
    screen's first opening (issue 17); read with the app's, it is parsed once, before
    the register is first drawn. Each screen still names its own (``CSS_PATH``), which
    Textual then finds already read.
    """
    first = css("app.tcss")
    others = sorted(path for path in styles_dir().glob("*.tcss") if path != first)
    return [first, *others]
