"""The French (and any later) catalog: ``.po`` sources merged and compiled with Babel.

Babel is needed only here: by the build, by ``make``, and by a checkout whose compiled
catalog is missing or older than its sources. A running till with a built catalog never
imports it.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from tillterm.i18n.locations import DOMAIN, LANGUAGES, LOCALE_DIR


def sources(code: str, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The ``.po`` files of one language, in a stable order."""
    return sorted((locale_dir / code / "LC_MESSAGES").glob("*.po"))


def merged(code: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """One catalog from all of a language's ``.po`` files.

    A message translated in two files keeps the first translation; tests check the files
    never disagree. Fuzzy and empty translations are left out, as ``msgfmt`` does, so an
    unfinished entry shows the English text rather than a wrong one.
    """
    catalog = Catalog(locale=code, domain=DOMAIN, charset="utf-8")
    for path in sources(code, locale_dir):
        # Babel prints a malformed entry's warning on stdout: a command's output (or a
        # screen) is no place for it; tests read the files strictly instead
        with path.open("rb") as handle, contextlib.redirect_stdout(io.StringIO()):
            part = read_po(handle, locale=code)
        # the files' own Plural-Forms, not Babel's CLDR rule for the locale (three forms
        # for French since CLDR 42: the files' two-form plurals would fall back to English)
        catalog.mime_headers = [("Plural-Forms", part.plural_forms)]
        for message in part:
            if not message.id or message.fuzzy or not _translated(message.string):
                continue
            if catalog.get(message.id, message.context) is None:
                catalog.add(message.id, message.string, context=message.context)
    return catalog


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


def compiled_in_memory(code: str, locale_dir: Path = LOCALE_DIR) -> io.BytesIO:
    """A language's catalog compiled to ``.mo`` bytes, ready for ``GNUTranslations``."""
    buffer = io.BytesIO()
    write_mo(buffer, merged(code, locale_dir))
    buffer.seek(0)
    return buffer


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write ``tillterm.mo`` for every language with sources; returns the files written."""
    written = []
    for code in LANGUAGES[1:]:
        if not sources(code, locale_dir):
            continue
        target = locale_dir / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.write_bytes(compiled_in_memory(code, locale_dir).getvalue())
        written.append(target)
    return written


#: how texts are marked in the code (``tillterm.i18n``): Babel's keyword specs
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
SOURCE_DIR = LOCALE_DIR.parent.parent


def template(source_dir: Path = SOURCE_DIR) -> Catalog:
    """Every text marked in the code, with where it is: the ``.pot`` a translator starts
    from (a new language) or checks a catalog against (the tests do)."""
    catalog = Catalog(domain=DOMAIN, project="tillterm", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source_dir), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        catalog.add(
            message,
            None,
            [(f"tillterm/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def main(argv: list[str] | None = None) -> int:
    """``python -m tillterm.i18n.catalogs``: compile the catalogs next to their sources;
    ``… extract FILE``: write the template of every marked text (``make messages``)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["extract"] and len(args) == 2:
        with open(args[1], "wb") as out:
            write_po(out, template(), width=100, sort_by_file=True)
        print(f"extracted {len(template())} texts into {args[1]}", file=sys.stderr)
        return 0
    if args:
        print("usage: python -m tillterm.i18n.catalogs [extract FILE.pot]", file=sys.stderr)
        return 2
    for path in compile_all():
        print(f"compiled {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
