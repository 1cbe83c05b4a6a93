"""The customer screens in French, driven as a cashier drives them at 80×24: search and
open a profile, create a customer through refusals, import a file, merge two customers;
and what they look like (SVG snapshots, regenerated with ``--snapshot-update``).

Run with ``TILLTERM_LANG=fr`` (see ``tests/french/conftest.py``). The domain's own
messages (a refused email, a date that does not exist) are its catalog's: these tests
assert that the form shows them under their fields, and assert the screens' own words.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from babel.messages.extract import extract
from conftest import Drive, wait_until
from screens_data import Store, at, screen_text, seed_store, settle
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TabbedContent
from textual.widgets._footer import FooterKey

import tillterm.customers.fields as fields_module
from tillterm.customers.fields import FIELDS
from tillterm.customers.profiles import create_customer, get_customer, search_customers
from tillterm.i18n import language
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import Customer, Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customer_merge import CustomerMerge
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.spreadsheet_import import ImportScreen
from tillterm.ui.widgets.form_row import FormRow
from tillterm.ui.widgets.path_input import PathInput

SnapCompare = Callable[..., bool]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"
NBSP = "\u00a0"


def _table(app: TilltermApp, table_id: str) -> DataTable[Any]:
    return app.screen.query_one(table_id, DataTable)


def _headings(app: TilltermApp, table_id: str) -> list[str]:
    return [str(column.label) for column in _table(app, table_id).columns.values()]


def _rows(app: TilltermApp, table_id: str) -> list[list[str]]:
    table = _table(app, table_id)
    return [[str(cell).rstrip() for cell in table.get_row_at(n)] for n in range(table.row_count)]


def _footer(app: TilltermApp) -> list[tuple[str, str]]:
    """(key, description) of every footer key drawn; fails if one is cut at 80 columns."""
    shown = [k for k in app.screen.query(FooterKey) if k.display and k.region.width]
    cut = [k.key for k in shown if k.region.x < 80 < k.region.right]
    assert cut == [], f"footer keys cut at 80 columns: {cut}"
    return [(k.key, k.description) for k in shown if k.region.right <= 80]


def _error(form: CustomerForm, field: str) -> str | None:
    return form.query_one(f"#row-{field}", FormRow).error


def test_the_field_registry_is_all_in_french() -> None:
    """The form shows the registry's names, sections and hints translated: each has its
    French (a new field added in English only would show English in a French form).

    The registry translates its texts as it is built (``pgettext("customer field", …)``),
    so what it holds in this process is compared with the English texts marked in it.
    """
    assert language() == "fr"
    with Path(fields_module.__file__).open("rb") as source:
        marked = {
            (message if isinstance(message, str) else message[0])
            for _line, message, _comments, _context in extract(
                "python", source, keywords={"pgettext": ((1, "c"), 2), "_": None}
            )
        }
    texts = {t for f in FIELDS for t in (f.label, f.shown_label, f.section, f.placeholder) if t}
    same = {"Contact", "Notes", "Fax", "https://", "Mme, M., Dr"}  # French as in English
    untranslated = sorted(t for t in texts - same if t in marked)
    assert untranslated == []
    assert "Prénom" in texts and "Adresse" in texts


async def test_search_a_customer_and_open_the_profile(engine: Engine, drive: Drive) -> None:
    store = seed_store(engine)
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert _headings(app, "#customer-table")[:3] == ["Nom", "Société", "E-mail"]
        assert ("ctrl+n", "Créer") in _footer(app)
        assert {"f1", "f2", "f4", "f5"} <= {key for key, _words in _footer(app)}
        assert "5 résultats" in screen_text(app)
        await pilot.press(*"dub")
        await settle(pilot)
        assert [row[0] for row in _rows(app, "#customer-table")] == ["Marie Dubois"]
        assert "1 résultat" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert app.screen.customer_id == store.marie
        shown = screen_text(app)
        for words in ("Groupe", "Téléphone", "Adresse", "Remise", "Accords", "Créé"):
            assert words in shown, words
        assert "14/03/2025" in shown  # the day she joined, as French writes it
        assert "Cumul annuel" in shown and f"42,50{NBSP}€" in shown
        assert "Ventes récentes" in shown and "Ticket" in shown and "02/04/2025" in shown
        assert "Points de fidélité" in shown
        keys = dict(_footer(app))
        assert keys["escape"] == "Retour" and keys["e"] == "Éditer"
        assert keys["m"] == "Fusion"


async def test_create_a_customer_through_a_wrong_email_and_a_bad_date(
    engine: Engine, drive: Drive
) -> None:
    seed_store(engine)
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        shown = screen_text(form.app)
        assert "Nouveau client" in shown and "Prénom" in shown and "E-mail" in shown
        assert "Créer (Ctrl+S)" in str(form.query_one("#form-save").label)
        await pilot.press(*"Lucie")
        form.query_one("#field-last_name", Input).value = "Moreau"
        form.query_one("#field-email", Input).value = "lucie-at-example"
        await pilot.press("f7")  # the Details tab: the date of birth
        await settle(pilot)
        birth = form.query_one("#field-birth_date", Input)
        assert birth.placeholder == "JJ/MM/AAAA"
        birth.value = "31/02/1990"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "a refused form stays open"
        assert _error(form, "email") and _error(form, "birth_date")
        tabs = form.query_one(TabbedContent)
        assert tabs.get_tab("tab-contact").label.plain == "Contact !"
        assert tabs.get_tab("tab-details").label.plain == "Détails !"
        status = screen_text(app)
        assert f"2 problèmes à corriger{NBSP}; rien n’a été enregistré." in status
        with session_scope(engine) as session:
            assert search_customers(session, "Moreau") == []
        assert form.query_one("#field-email", Input).has_focus  # the first problem
        form.query_one("#field-email", Input).value = "lucie@example.org"
        birth.value = "25/12/1980"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
        await settle(pilot)
        shown = screen_text(app)
        assert "Lucie Moreau" in shown and "Né(e) le" in shown and "25/12/1980" in shown
    with session_scope(engine) as session:
        [found] = search_customers(session, "Moreau")
        record = get_customer(session, found.id)
    assert record.email == "lucie@example.org"
    assert record.birth_date == dt.date(1980, 12, 25)


async def test_the_import_screen_checks_a_file_in_french(
    engine: Engine, drive: Drive, tmp_path: Path
) -> None:
    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")
    async with drive() as (app, pilot):
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        assert "Importer des clients" in screen_text(app)
        assert "Chemin d’un fichier" in screen.query_one(PathInput).placeholder
        screen.query_one(PathInput).value = str(tmp_path / "errors.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.report is not None and screen.report.errors == 4
        assert _headings(app, "#import-problems") == ["Ligne", "Colonne", "Niveau", "Problème"]
        assert _rows(app, "#import-problems")[0][:3] == ["2", "email", "erreur"]
        assert _headings(app, "#import-mapping")[1:3] == ["Colonne", "Champ"]
        shown = screen_text(app)
        assert f"Erreurs bloquantes{NBSP}:" in shown
        assert "[ ] Créer groupes ^O  [ ] Soldes d’ouverture ^B" in shown
        assert f"Ligne 2, email (erreur){NBSP}:" in shown  # the highlighted problem, whole
        keys = dict(_footer(app))
        assert keys["ctrl+s"] == "Copie annotée" and keys["escape"] == "Annuler"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert "[x] Créer groupes ^O" in screen_text(app)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Customer)).scalar_one() == 0


async def test_the_groups_list_in_french(engine: Engine, drive: Drive) -> None:
    seed_store(engine)
    async with drive() as (app, pilot):
        await pilot.press("f4")
        await settle(pilot)
        assert "Groupes de clients (3)" in screen_text(app)
        assert _headings(app, "#group-table") == ["Nom", "Description", "Remise", "TVA", "Membres"]
        assert _rows(app, "#group-table")[1][2].strip() == "10 %"
        keys = dict(_footer(app))
        assert (keys["ctrl+n"], keys["e"], keys["delete"]) == ("Créer", "Éditer", "Suppr.")
        assert {"f1", "f2", "f3", "f5"} <= set(keys)
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "Supprimer Student" in screen_text(app)


def _twin_of_jean(engine: Engine) -> int:
    """Jean Martin entered a second time (same email), with a sale of his own."""
    with session_scope(engine) as s:
        twin = create_customer(
            s,
            {
                "customer_code": "OLD-JEAN",
                "first_name": "Jean-Luc",
                "last_name": "Martin",
                "email": "jean.martin@example.org",
                "postal_code": "69003",
            },
        )
        s.add(
            Sale(
                register_name="till-1",
                state="completed",
                customer_id=twin.id,
                customer_name="Jean-Luc Martin",
                customer_code="OLD-JEAN",
                receipt_no="R-00009",
                subtotal_cents=990,
                total_cents=990,
                completed_at=at("2025-08-01"),
            )
        )
    return twin.id


async def test_merge_two_customers_in_french(engine: Engine, drive: Drive) -> None:
    store = seed_store(engine)
    twin = _twin_of_jean(engine)
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        customers.open_customer(store.jean)
        await settle(pilot)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerMerge), "the merge screen")
        await settle(pilot)
        assert "Fusionner un doublon dans Jean Martin" in screen_text(app)
        assert _headings(app, "#merge-candidates") == ["Nom", "Code", "Motif"]
        assert _rows(app, "#merge-candidates") == [["Jean-Luc Martin", "OLD-JEAN", "même e-mail"]]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert _headings(app, "#merge-fields") == ["Champ", "Ce client", "Autre"]
        fields = {row[0]: row[1:] for row in _rows(app, "#merge-fields")}
        assert fields["Prénom"] == ["> Jean", "  Jean-Luc"]
        assert fields["Code postal"] == ["", "> 69003"]
        assert "Garder Jean Martin" in screen_text(app)
        keys = dict(_footer(app))
        assert keys["space"] == "Inverser" and keys["ctrl+s"] == "Fusionner"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await settle(pilot)
        assert "Fusionner Jean-Luc Martin (OLD-JEAN) dans Jean Martin" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
        await settle(pilot)
        shown = screen_text(app)
        assert "Fiches fusionnées" in shown and "OLD-JEAN Jean-Luc Martin" in shown
        assert dict(_footer(app))["u"] == "Séparer"
    with session_scope(engine) as s:
        assert get_customer(s, twin).archived
    with engine.connect() as conn:
        owner = conn.execute(text("SELECT customer_id FROM sale WHERE receipt_no = 'R-00009'"))
        assert owner.scalar_one() == store.jean


# -- what the screens look like ----------------------------------------------------------


def _prepare(
    keys: tuple[str, ...] = (), then: Callable[[Pilot[Any], Store], Awaitable[None]] | None = None
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    store_box: dict[str, Store] = {}

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.sub_title = "till-1 · snap.db"  # the real one names a temporary path
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if then is not None:
            await then(pilot, store_box["store"])
            await settle(pilot)
        for field in pilot.app.screen.query(Input):  # a blinking cursor makes flaky pictures
            field.cursor_blink = False
        await pilot.pause()

    run_before.store_box = store_box  # type: ignore[attr-defined]
    return run_before


def _snap(snap_compare: SnapCompare, tmp_path: Path, run_before: Any) -> bool:
    engine = open_db(tmp_path / "snap.db")
    run_before.store_box["store"] = seed_store(engine)
    app = TilltermApp(engine, register="till-1", scanner=False)
    try:
        return snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    finally:
        engine.dispose()


async def _open_marie(pilot: Pilot[Any], store: Store) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, CustomersScreen)
    screen.open_customer(store.marie)


async def _edit_marie(pilot: Pilot[Any], store: Store) -> None:
    await _open_marie(pilot, store)
    await settle(pilot)
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomerForm), "the form")
    await settle(pilot)


async def _edit_marie_details(pilot: Pilot[Any], store: Store) -> None:
    await _edit_marie(pilot, store)
    await pilot.press("f7")


async def _merge_into_jean(pilot: Pilot[Any], store: Store) -> None:
    with session_scope(pilot.app.engine) as s:  # type: ignore[attr-defined]
        create_customer(
            s,
            {
                "customer_code": "OLD-JEAN",
                "first_name": "Jean-Luc",
                "last_name": "Martin",
                "email": "jean.martin@example.org",
                "postal_code": "69003",
            },
        )
    screen = pilot.app.screen
    assert isinstance(screen, CustomersScreen)
    screen.open_customer(store.jean)
    await settle(pilot)
    await pilot.press("m")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CustomerMerge), "merging")
    await settle(pilot)
    await pilot.press("down", "enter")


def _check_errors_file(tmp_path: Path) -> Callable[[Pilot[Any], Store], Awaitable[None]]:
    shutil.copy(FIXTURES / "errors.csv", tmp_path / "errors.csv")

    async def check(pilot: Pilot[Any], store: Store) -> None:
        pilot.app.screen.query_one(PathInput).value = "errors.csv"
        await pilot.press("enter")
        await settle(pilot)

    return check


def test_snapshot_customers_list(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, _prepare(("f3",)))


def test_snapshot_customer_form_contact(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, _prepare(("f3",), _edit_marie))


def test_snapshot_customer_form_details(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, _prepare(("f3",), _edit_marie_details))


def test_snapshot_customer_profile(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, _prepare(("f3",), _open_marie))


def test_snapshot_groups(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, _prepare(("f4",)))


def test_snapshot_import_with_a_file_checked(
    snap_compare: SnapCompare, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # the path shown is the same on every machine
    assert _snap(snap_compare, tmp_path, _prepare(("f5",), _check_errors_file(tmp_path)))


def test_snapshot_merge(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, _prepare(("f3",), _merge_into_jean))
