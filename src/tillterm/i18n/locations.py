"""Where the catalogs live and what they are called, shared by the loader and the build."""

from __future__ import annotations

from pathlib import Path

DOMAIN = "tillterm"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: what tillterm speaks; the first is the source language (no catalog)
LANGUAGES = ("en", "fr")
