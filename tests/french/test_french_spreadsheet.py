"""In French, an import says what is wrong in French, on the right row and column; the
annotated copy's comments are French; the command line's help, prompts and errors too.

The file's own words (its headers, the problems column's name) stay as they are: the
importer recognises them whatever the language.
"""

from __future__ import annotations

import csv
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import tillterm
from tillterm.customers.profiles import create_customer
from tillterm.demo.seeding import seed_demo
from tillterm.spreadsheet.annotate import write_annotated
from tillterm.spreadsheet.columns import PROBLEMS_HEADER
from tillterm.spreadsheet.importing import ImportBlocked, apply_import, check_import
from tillterm.store.engine import session_scope

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"
SRC = Path(tillterm.__file__).resolve().parent.parent
NB = "\u00a0"

BAD_ROWS = (
    "customer_code,first_name,last_name,email,discount_percent,group,birth_date\n"
    "F-1,Anne,Martin,pas-un-email,150,Nulle part,1980-01-01\n"
    "F-2,Luc,Petit,luc@example.org,10,,31/02/1988\n"
    "F-3,,,,,,\n"
    "F-1,Jean,Double,jean@example.org,5,,\n"
)


def _tillterm(*args: str, stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it, asked for French (``--lang fr``) in a process
    whose environment speaks English: the option decides."""
    return subprocess.run(
        [sys.executable, "-m", "tillterm", "--lang", "fr", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(SRC)},
    )


def test_a_file_with_bad_rows_is_explained_in_french(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    report = check_import(engine, path)
    found = {(p.row, p.column, p.level): p.message for p in report.problems}
    assert (
        found[(2, "email", "error")]
        == f"«{NB}pas-un-email{NB}» n’est pas une adresse e-mail valide"
    )
    assert found[(2, "discount_percent", "error")].startswith(f"150{NB}%{NB}: une remise")
    assert found[(2, "group", "error")].startswith(f"groupe inconnu «{NB}Nulle part{NB}»")
    assert (
        found[(3, "birth_date", "warning")] == f"«{NB}31/02/1988{NB}» n’existe pas{NB}; laissé vide"
    )
    assert found[(4, "first_name", "warning")].startswith("sans nom")
    assert found[(5, "customer_code", "error")] == f"le code client «{NB}F-1{NB}» est déjà ligne 2"
    assert (report.errors, report.warnings) == (4, 2)
    assert (
        report.summary() == f"4 lignes{NB}: 4 nouveaux, 0 mis à jour, 4 erreurs, 2 avertissements"
    )
    assert any("Groupes absents du magasin" in n for n in report.notices)
    lines = report.mapping_lines()
    assert lines[0] == "  1 «\u00a0customer_code\u00a0» → customer_code (F-1, F-2)"
    with pytest.raises(ImportBlocked, match=f"clients.csv a 4 erreurs{NB}: rien n’a été importé"):
        apply_import(engine, report)


def test_left_out_columns_say_why_in_french(engine: Engine) -> None:
    seed_demo(engine, customers=0, products=0)
    report = check_import(engine, FIXTURES / "errors.csv")
    lines = report.mapping_lines()
    assert any(
        "«\u00a0Favourite colour\u00a0» → non importée\u00a0: en-tête inconnu" in ln for ln in lines
    )
    assert any("colonne d’activité en lecture seule" in ln for ln in lines)
    assert any(n.startswith("Colonnes inconnues, ignorées") for n in report.notices)


def test_the_annotated_copy_speaks_french(engine: Engine, tmp_path: Path) -> None:
    report = check_import(engine, FIXTURES / "cp1252_semicolon.csv")
    out = write_annotated(report, tmp_path / "corrigé.csv")
    with out.open(encoding="cp1252", newline="") as fh:
        table = list(csv.reader(fh, delimiter=";"))
    assert table[0][-1] == PROBLEMS_HEADER  # recognised on the next import: never translated
    assert table[1][-1].startswith("ERREUR ")
    assert "groupe inconnu «\u00a0" in table[1][-1] and table[2][-1] == ""
    assert check_import(engine, out).errors == report.errors


def test_the_import_command_prints_french(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    done = _tillterm("import", str(path), "--db", str(db_path))
    assert done.returncode == 1, done.stderr
    assert "Colonnes\u00a0:" in done.stdout
    assert (
        f"  ligne 2, email{NB}: erreur{NB}: «{NB}pas-un-email{NB}» n’est pas une adresse "
        "e-mail valide" in done.stdout
    )
    assert f"  ligne 3, birth_date{NB}: avertissement{NB}:" in done.stdout
    assert "4 lignes\u00a0: 4 nouveaux" in done.stdout
    assert f"Bloqué par des erreurs{NB}: rien n’a été importé." in done.stderr
    missing = _tillterm("import", str(tmp_path / "absent.csv"), "--db", str(db_path))
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"tillterm import{NB}: Le fichier ")


def test_erase_asks_and_refuses_in_french(db_path: Path, engine: Engine) -> None:
    with session_scope(engine) as s:
        create_customer(s, {"first_name": "Zoé", "customer_code": "ZOE-1"})
    engine.dispose()
    unknown = _tillterm("customers", "erase", "NOBODY", "--db", str(db_path))
    assert unknown.returncode == 2
    assert f"aucun client avec le code «{NB}NOBODY{NB}»" in unknown.stderr
    scripted = _tillterm("customers", "erase", "ZOE-1", "--db", str(db_path))
    assert scripted.returncode == 1
    assert "impossible de demander confirmation (pas de terminal)" in scripted.stderr
    assert "ajoutez --yes" in scripted.stderr
    # at a terminal it asks, in French; a wrong code erases nothing
    main, other = pty.openpty()
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tillterm",
                "--lang",
                "fr",
                "customers",
                "erase",
                "ZOE-1",
                "--db",
                str(db_path),
            ],
            stdin=other,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(SRC)},
        )
        os.write(main, b"ZOE-2\n")
        stdout, stderr = process.communicate(timeout=120)
    finally:
        os.close(main)
        os.close(other)
    assert process.returncode == 1
    assert "L’effacement du client ZOE-1 est irréversible. Retapez le code pour confirmer" in stdout
    assert "pas effacé (non confirmé)" in stderr
    erased = _tillterm("customers", "erase", "ZOE-1", "--yes", "--db", str(db_path))
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("Client ZOE-1 effacé\u00a0: désormais ERASED-")
    assert "0 vente gardée, nom masqué." in erased.stdout


def test_the_help_is_french() -> None:
    shown = _tillterm("--help")
    assert shown.returncode == 0
    assert shown.stdout.startswith("utilisation\u00a0: tillterm")
    assert "Une caisse enregistreuse pilotée au clavier" in shown.stdout
    assert "affiche cette aide et quitte" in shown.stdout
    assert "importe des clients depuis un fichier .csv" in shown.stdout
    sub = _tillterm("import", "--help")
    assert "vérifie seulement\u00a0; ne modifie rien" in sub.stdout
    assert "arguments positionnels" in sub.stdout
    wrong = _tillterm("customers", "frobnicate")
    assert wrong.returncode == 2
    assert f"erreur{NB}: argument ACTION{NB}: choix invalide" in wrong.stderr
