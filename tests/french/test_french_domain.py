"""In the French run, the domain's refusals and notices are French: a customer's problems
under their fields, a sale refused, a scanner notice, a database error explained.

The English suite checks the same refusals in English; here only the wording's language
is checked (with a French word or phrase a wrong or missing translation would not have).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal as D
from pathlib import Path

import pytest
from sales_store import Store, build_store
from scanner_fakes import decode_all, scan
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from tillterm import sales
from tillterm.catalog.settings import update_settings
from tillterm.core.errors import DatabaseError, ValidationFailed
from tillterm.core.money import format_money
from tillterm.customers import create_customer
from tillterm.scanner import ScanDecoder
from tillterm.scanner.decoder import RESCAN
from tillterm.store.engine import explain, open_db, session_scope
from tillterm.store.models import LoyaltyEntry

REG = "caisse-1"


def _do(engine: Engine, fn, *args, **kw):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return fn(s, *args, **kw)


def test_a_customers_problems_are_french_under_their_fields(engine: Engine) -> None:
    with session_scope(engine) as s:
        update_settings(s, country="France")
    bad = {
        "first_name": "Marie",
        "email": "marie.example.com",
        "birth_date": "31/02/1980",
        "phone": "06 98 76 54 3",
        "discount_percent": "120",
    }
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as caught:
        create_customer(s, bad)
    errors = caught.value.errors
    assert errors["email"] == "pas une adresse e-mail (elle ressemble à marie@exemple.fr)"
    assert errors["birth_date"] == "la date « 31/02/1980 » n’existe pas"
    assert errors["phone"] == "« 06 98 76 54 3 » est trop court pour un numéro français"
    assert errors["discount_percent"] == "une remise est comprise entre 0 et 100 %"
    message = str(caught.value)
    # the head counts in French, each problem is named by its French label
    assert message.startswith("4 points à corriger — ")
    assert "Date de naissance : la date « 31/02/1980 »" in message
    assert "E-mail : pas une adresse" in message


def test_one_problem_is_counted_in_the_singular(engine: Engine) -> None:
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as caught:
        create_customer(s, {"first_name": "Léa", "birth_date": "1/1/80"})
    assert str(caught.value) == (
        "1 point à corriger — Date de naissance : écrivez l’année en 4 chiffres (« 1/1/80 »)"
    )


def test_a_customer_without_a_name_is_refused_in_french(engine: Engine) -> None:
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as caught:
        create_customer(s, {"city": "Lyon"})
    assert caught.value.errors["first_name"] == (
        "indiquez au moins un prénom, un nom, une société ou un e-mail"
    )


@pytest.fixture
def store(engine: Engine) -> Store:
    return build_store(engine)


def test_a_sale_on_account_over_the_limit_is_refused_in_french(
    engine: Engine, store: Store
) -> None:
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, REG)
    _do(engine, sales.add_product, sale_id, store.pen, 5)  # 5 x 24.90, limit 100.00
    with pytest.raises(sales.PaymentRefused, match="Rattachez un client"):
        _do(engine, sales.add_payment, sale_id, "account")
    _do(engine, sales.attach_customer, sale_id, store.marie)
    with pytest.raises(sales.PaymentRefused) as refused:
        _do(engine, sales.add_payment, sale_id, "account")
    assert str(refused.value) == "Marie Dubois n’a pas le droit d’acheter sur compte."
    _do(engine, sales.attach_customer, sale_id, store.paul)
    with pytest.raises(sales.PaymentRefused) as refused:
        _do(engine, sales.add_payment, sale_id, "account")
    said = str(refused.value)
    assert said.startswith("Il reste 100,00\u00a0€ sur le compte de ")
    assert "(solde 0,00\u00a0€, plafond 100,00\u00a0€)." in said


def test_loyalty_points_not_enough_and_an_unpaid_sale_in_french(
    engine: Engine, store: Store
) -> None:
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, REG)
    _do(engine, sales.add_product, sale_id, store.pen, 1)
    _do(engine, sales.attach_customer, sale_id, store.marie)
    with pytest.raises(sales.PaymentRefused) as refused:
        _do(engine, sales.add_payment, sale_id, "loyalty")
    assert str(refused.value) == "Marie Dubois n’a pas de points de fidélité à utiliser."
    with session_scope(engine) as s:
        s.add(LoyaltyEntry(customer_id=store.marie, points=300, reason="welcome"))
    view = _do(engine, sales.add_payment, sale_id, "loyalty")
    assert view.payments[0].label == "Points de fidélité"
    with pytest.raises(sales.SaleError) as refused:
        _do(engine, sales.complete_sale, sale_id)
    assert str(refused.value) == f"Il reste {format_money(view.due)} à payer."
    assert "\u00a0€" in str(refused.value)
    with pytest.raises(sales.SaleError, match="Retirez le paiement sur compte ou en points"):
        _do(engine, sales.detach_customer, sale_id)


def test_a_scan_status_line_is_french(engine: Engine, store: Store) -> None:
    with session_scope(engine) as s:
        unknown = sales.scan_code(s, REG, "999")
        added = sales.scan_code(s, REG, "3000000000017")
        several = sales.enter_text(s, REG, "3*3000000000017")
    assert unknown.message == "Aucun client ni produit avec le code « 999 »."
    assert added.message == "Café moulu ajouté."
    assert several.message == "3 x Café moulu ajoutés."
    with session_scope(engine) as s, pytest.raises(sales.SaleError) as refused:
        sales.void_sale(s, added.view.id if added.view else 0)
        sales.void_sale(s, added.view.id if added.view else 0)
    assert str(refused.value) == "Cette vente est déjà annulée."


def test_the_scanner_speaks_french() -> None:
    assert RESCAN == "Scan lu en partie — scannez à nouveau."
    notices: list[str] = []
    too_long = ScanDecoder("us", on_notice=notices.append, max_length=3)
    assert decode_all(too_long, scan("ABCDE", "us")) == []
    assert notices == ["Un scan a été ignoré (plus de 3 caractères) : scannez à nouveau."]
    # an AZERTY scanner read as US: the hint names the right layout, in French
    notices.clear()
    wrong_layout = ScanDecoder("us", on_notice=notices.append)
    decode_all(wrong_layout, scan("4006381333931", "fr"))
    assert any(
        n.startswith("Scanné ") and "c’est un code-barres valide" in n and 'layout = "fr"' in n
        for n in notices
    ), notices


def test_a_database_error_is_explained_in_french(tmp_path: Path) -> None:
    locked = OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
    assert explain(locked) == "une autre caisse occupe la base ; réessayez dans un instant"
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert explain(lost) == "la connexion au serveur de base de données a été perdue"
    folder = tmp_path / "magasin.db"
    folder.mkdir()
    with pytest.raises(DatabaseError) as refused:
        open_db(folder)
    assert str(refused.value) == (
        f"Impossible d’ouvrir la base {folder} : c’est un dossier, pas un fichier."
    )


def test_money_in_a_refusal_is_french(engine: Engine, store: Store) -> None:
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, REG)
    _do(engine, sales.add_product, sale_id, store.coffee, 1)
    with pytest.raises(sales.PaymentRefused) as refused:
        _do(engine, sales.add_payment, sale_id, "card", D("9.00"))
    assert str(refused.value) == ("Carte : impossible de payer plus que les 4,50\u00a0€ dus.")


def test_plurals_follow_the_french_rule() -> None:
    """The catalog keeps the files' two French forms (1 → singular, 2 and more → plural);
    Babel's CLDR rule for French has three, which sent every plural back to English."""
    from tillterm.i18n import catalogs, ngettext

    assert catalogs.merged("fr").plural_expr == "(n > 1)"
    said = ngettext("{count} product matches.", "{count} products match.", 2)
    assert said == "{count} produits correspondent."
    assert ngettext("{count} product matches.", "{count} products match.", 1) == (
        "{count} produit correspond."
    )


def test_a_database_outage_is_said_in_french(engine: Engine, store: Store, tmp_path: Path) -> None:
    """The status line while the server is away, and when it is back: the first attempt
    finds the server unreachable, the retry goes through."""
    from tillterm.services.till import LinkState, Till
    from tillterm.store.engine import DatabaseUnreachable

    failures = [DatabaseUnreachable("le serveur de base de données est injoignable")]

    def reach() -> Engine:
        if failures:
            raise failures.pop()
        return engine

    till = Till(reach, REG, tmp_path / "tickets")
    told: list[LinkState] = []
    till.watch_link(told.append)
    till.add_product(store.coffee)
    assert [state.reachable for state in told] == [False, True]
    assert told[0].note == "Serveur injoignable — nouvel essai dans 0,25 s ; la vente est gardée."
    assert told[0].reason == "le serveur de base de données est injoignable"
    assert told[1].note == "Serveur revenu : on continue."


def test_an_imported_cells_cleaning_is_reported_in_french() -> None:
    import polars as pl

    from tillterm.core.typed_text import import_problem_expr

    cells = pl.DataFrame({"a": ["ok", "b\x07ad", "x\x01y\x02z"]})
    said = cells.select(import_problem_expr(pl.col("a"))).to_series().to_list()
    assert said == [
        None,
        "un caractère de contrôle (BEL, U+0007) supprimé (ne s’imprime pas) : vérifiez la valeur",
        "2 caractères non imprimables supprimés (le premier : un caractère de contrôle "
        "(SOH, U+0001)) : vérifiez la valeur",
    ]
