"""Every string a cashier reads goes through here: gettext catalogs, English or French.

The language is chosen once per process, before the screens are imported: Textual reads
key descriptions and column titles from class attributes built at import time, so a
language switched later would leave half the screen in the old one. The order of choice is
``--lang`` (which calls :func:`set_language` before anything else is loaded), then
``TILLTERM_LANG``, then the POSIX variables (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``). A language tillterm does not have falls back to English, never to an error:
a till must open whatever the machine's locale.

English is the source language: the msgids are the English texts, so an English process
needs no catalog. The French catalog lives in ``locale/fr/LC_MESSAGES`` as one or more
``.po`` files (one per area of the application, so they can be kept by different hands),
compiled into one ``tillterm.mo`` by the build (``hatch_build.py``, ``make``). A checkout
without the compiled file (or with ``.po`` files newer than it) compiles in memory with
Babel, so a translator's edit is seen on the next start without a build step.

Usage: ``_("Customer saved")``; with values, translate the template first and fill it
after, so the translator sees the placeholders: ``_("{count} customers").format(...)``,
and :func:`ngettext` where the number decides the wording. Texts built at import time (a
table of labels) are marked with :func:`N_` and translated where they are shown.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping

from tillterm.i18n.locations import DOMAIN, LANGUAGES, LOCALE_DIR

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "language",
    "language_from_environment",
    "ngettext",
    "pgettext",
    "set_language",
]

#: POSIX locales that mean "no particular language"
_NEUTRAL = {"c", "posix"}
_ENVIRONMENT = ("TILLTERM_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def supported(code: str) -> str | None:
    """``fr_FR.UTF-8``, ``fr-CA``, ``FR`` → ``fr``; ``C`` → ``en``; ``de_DE`` → ``None``."""
    base = code.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    if base in _NEUTRAL:
        return "en"
    return base if base in LANGUAGES else None


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for, English when it names none tillterm has.

    ``LANGUAGE`` may list several (``de:fr``): the first one tillterm has wins. The first
    variable that is set decides, as in POSIX (``LC_ALL=C`` means English even with
    ``LANG=fr_FR.UTF-8``).
    """
    env = os.environ if environ is None else environ
    for name in _ENVIRONMENT:
        value = env.get(name, "").strip()
        if not value:
            continue
        for part in value.split(":"):
            code = supported(part) if part else None
            if code is not None:
                return code
        if name != "LANGUAGE":
            return "en"
    return "en"


def _load(code: str) -> gettext.NullTranslations:
    if code == LANGUAGES[0]:
        return gettext.NullTranslations()
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    compiled = folder / f"{DOMAIN}.mo"
    sources = sorted(folder.glob("*.po"))
    if compiled.exists() and all(
        compiled.stat().st_mtime >= source.stat().st_mtime for source in sources
    ):
        with compiled.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if not sources:
        return gettext.NullTranslations()
    from tillterm.i18n.catalogs import compiled_in_memory

    return gettext.GNUTranslations(compiled_in_memory(code))


def set_language(code: str | None = None) -> str:
    """Switch every later translation to ``code`` (or the environment's choice).

    Returns the language taken. ``ValueError`` for a language tillterm does not have
    (``--lang de``), with the ones it has, so the command line can say so.
    """
    global _translations, _language
    if code is None:
        chosen = language_from_environment()
    else:
        found = supported(code)
        if found is None:
            raise ValueError(
                f"“{code}” is not a language tillterm speaks (choose {', '.join(LANGUAGES)})"
            )
        chosen = found
    _translations = _load(chosen)
    _language = chosen
    return chosen


def language() -> str:
    """The language in use (``en`` or ``fr``)."""
    return _language


def _(message: str) -> str:
    """``message`` in the process's language (the English text when there is none)."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural wording for ``count``, in the process's language."""
    return _translations.ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` translated in ``context``, for one English word with two French ones."""
    return _translations.pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet (see the module doc)."""
    return message


set_language()
