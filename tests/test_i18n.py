"""The catalogs: every marked text has its French, placeholders intact; the language
is chosen from the environment as POSIX says; money and dates per language.

The French screens themselves are tested in ``tests/french`` (their own process).
"""

from __future__ import annotations

import datetime as dt
import re
import string
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import tillterm
from tillterm.i18n import catalogs, formats, language_from_environment, set_language

SRC = Path(tillterm.__file__).resolve().parent


def marked() -> dict[tuple[str, str | None], str]:
    """Every text marked for translation in the source: (id, context) → where."""
    found: dict[tuple[str, str | None], str] = {}
    for message in catalogs.template():
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        where = "{}:{}".format(*message.locations[0]).removeprefix("tillterm/")
        for one in ids:
            found.setdefault((one, message.context), where)
    return found


def french() -> dict[tuple[str, str | None], str | tuple[str, ...]]:
    catalog = catalogs.merged("fr")
    out: dict[tuple[str, str | None], str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for one in ids:
            out[(one, message.context)] = message.string
    return out


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_marked_text_has_its_french() -> None:
    translated = french()
    missing = [
        f"{where}: {key[0]!r}"
        for key, where in sorted(marked().items(), key=str)
        if key not in translated
    ]
    assert not missing, f"{len(missing)} texts without French:\n" + "\n".join(missing[:60])


def test_translations_keep_their_placeholders() -> None:
    wrong = []
    for (msgid, _context), translation in french().items():
        texts = translation if isinstance(translation, tuple) else (translation,)
        for text in texts:
            try:
                if fields(text) != fields(msgid) and not (
                    # a plural's singular may say "one" instead of {count}
                    fields(text) <= fields(msgid) and isinstance(translation, tuple)
                ):
                    wrong.append(f"{msgid!r} → {text!r}")
            except ValueError as exc:
                wrong.append(f"{msgid!r} → {text!r}: {exc}")
    assert not wrong, "\n".join(wrong)


def test_catalog_files_never_disagree() -> None:
    seen: dict[tuple[str, str | None], tuple[str, object]] = {}
    clashes = []
    for path in catalogs.sources("fr"):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="fr", abort_invalid=True):
                if not message.id:
                    continue
                if isinstance(message.id, tuple):  # French has two forms (n > 1)
                    assert len(message.string) == 2, f"{path.name}: {message.id[0]!r}"
                key = (str(message.id), message.context)
                if key in seen and seen[key][1] != message.string:
                    clashes.append(f"{key[0]!r}: {seen[key][0]} vs {path.name}")
                seen.setdefault(key, (path.name, message.string))
    assert not clashes, "\n".join(clashes)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_CA.UTF-8"}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "fr_BE.UTF-8", "LANG": "en_GB.UTF-8"}, "fr"),
        ({"LANGUAGE": "de:fr", "LANG": "en_US.UTF-8"}, "fr"),
        ({"LANGUAGE": "de", "LANG": "fr_FR.UTF-8"}, "fr"),
        ({"TILLTERM_LANG": "en", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"TILLTERM_LANG": "fr", "LC_ALL": "C"}, "fr"),
    ],
)
def test_the_language_follows_the_environment(environ: dict[str, str], expected: str) -> None:
    assert language_from_environment(environ) == expected


def test_money_and_dates_per_language() -> None:
    try:
        assert formats.money(Decimal("1234.50"), "EUR") == "1234.50 EUR"
        assert formats.day(dt.date(1980, 12, 25)) == "1980-12-25"
        set_language("fr")
        assert formats.money(Decimal("12.50"), "EUR") == "12,50\u00a0€"
        assert formats.money(Decimal("-1234567.5"), "EUR") == "-1\u00a0234\u00a0567,50\u00a0€"
        assert formats.money(Decimal("3"), "USD") == "3,00\u00a0$US"
        assert formats.day(dt.date(1980, 12, 25)) == "25/12/1980"
        moment = dt.datetime(2026, 11, 30, 9, 5)
        assert formats.moment(moment) == "30/11/2026 09:05"
    finally:
        set_language("en")


def test_a_language_tillterm_lacks_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="“de” is not a language tillterm speaks"):
        set_language("de")


def test_the_command_line_speaks_the_language_asked() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tillterm", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(SRC.parent)},
        )

    refused = run("--lang", "de", "--version")
    assert refused.returncode != 0
    assert "“de” is not a language tillterm speaks" in refused.stderr
    french_error = run("--lang", "fr", "import", "/nonexistent/file.csv")
    english_error = run("--lang", "en", "import", "/nonexistent/file.csv")
    assert french_error.returncode != 0 and english_error.returncode != 0
    assert french_error.stderr != english_error.stderr
    assert re.search(r"[éèàçù]|fichier", french_error.stderr), french_error.stderr


def test_the_template_lists_every_marked_text(tmp_path: Path) -> None:
    """``make messages`` writes the ``.pot`` a translator starts from."""
    pot = tmp_path / "tillterm.pot"
    assert catalogs.main(["extract", str(pot)]) == 0
    with pot.open("rb") as handle:
        template = read_po(handle)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert "No amount was typed" in ids
    assert len(ids) > 1000


def test_the_compiled_catalog_matches_its_sources(tmp_path: Path) -> None:
    """What the build writes (``.mo``) reads back as the sources say."""
    import gettext
    import shutil

    shutil.copytree(catalogs.LOCALE_DIR, tmp_path / "locale")
    written = catalogs.compile_all(tmp_path / "locale")
    assert [p.name for p in written] == ["tillterm.mo"]
    with written[0].open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    for (msgid, context), text in list(french().items())[:200]:
        if context is None and isinstance(text, str):
            assert translations.gettext(msgid) == text
