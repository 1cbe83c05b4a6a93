"""How text is folded for matching: one rule for every index and every comparison.

A customer typed as "Léa" must be found by "lea", and a card printed "AB12" by a scan
reading "ab12 ". The word indexes (SQLite's ``unicode61 remove_diacritics 2``,
PostgreSQL's ``unaccent`` fold), the search parser and the code lookup of a sale all
cut and fold text the same way, so they live here, below every package that needs them.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")


def fold(value: str) -> str:
    """Lower-case and strip accents: "Léa" → "lea" (what the word indexes store)."""
    decomposed = unicodedata.normalize("NFD", value.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def words(value: str) -> list[str]:
    """The searchable words of a text, as the indexes cut them."""
    return _WORD.findall(fold(value))


def normalise_code(code: str) -> str:
    """The key a customer code is compared by: trimmed, case-folded."""
    return code.strip().casefold()


def printable(value: str) -> str:
    """The text without control characters (a NUL cannot even be sent to PostgreSQL)."""
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else " " for ch in value)
