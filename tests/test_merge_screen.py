"""The merge screen, driven as a cashier would: M on a profile, pick the duplicate,
flip a field, Ctrl+S, then U on the profile to undo (issue 18)."""

from __future__ import annotations

from conftest import Drive, wait_until
from screens_data import Store, at, screen_text, seed_store, settle
from sqlalchemy import text
from sqlalchemy.engine import Engine
from textual.widgets import DataTable

from tillterm.customers.profiles import create_customer, get_customer
from tillterm.store.engine import session_scope
from tillterm.store.models import Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.customer_merge import CustomerMerge
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen


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


def _rows(app: TilltermApp, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(table_id, DataTable)
    return [[str(cell).rstrip() for cell in table.get_row_at(n)] for n in range(table.row_count)]


def _owner(engine: Engine, receipt: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT customer_id FROM sale WHERE receipt_no = :r"), {"r": receipt}
            ).scalar_one()
        )


async def test_merge_a_duplicate_from_the_profile_then_undo_it(
    engine: Engine, drive: Drive
) -> None:
    store: Store = seed_store(engine)
    twin = _twin_of_jean(engine)
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        customers.open_customer(store.jean)
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerMerge), "the merge screen")
        await settle(pilot)
        assert "Merge a duplicate into Jean Martin" in screen_text(app)
        # the possible duplicates come first, with why
        assert _rows(app, "#merge-candidates") == [["Jean-Luc Martin", "OLD-JEAN", "same email"]]
        await pilot.press("down", "enter")
        await settle(pilot)
        fields = {row[0]: row[1:] for row in _rows(app, "#merge-fields")}
        assert fields["First name"] == ["> Jean", "  Jean-Luc"]
        assert fields["City"] == ["> Lyon", ""]
        assert fields["Postal code"] == ["", "> 69003"]
        # the highlighted field flips to the other's value
        await pilot.press("space")
        await settle(pilot)
        assert _rows(app, "#merge-fields")[0] == ["First name", "  Jean", "> Jean-Luc"]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await settle(pilot)
        assert "Merge Jean-Luc Martin (OLD-JEAN) into Jean Martin" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
        await settle(pilot)
        shown = screen_text(app)
        assert "Jean-Luc Martin" in shown and "69003 Lyon" in shown
        assert "Merged in" in shown and "OLD-JEAN Jean-Luc Martin" in shown
        with session_scope(engine) as s:
            kept = get_customer(s, store.jean)
            assert (kept.first_name, kept.postal_code, kept.city) == ("Jean-Luc", "69003", "Lyon")
            assert get_customer(s, twin).archived
        assert _owner(engine, "R-00009") == store.jean

        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await settle(pilot)
        assert "Undo merge 1?" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerView), "the profile")
        await settle(pilot)
        shown = screen_text(app)
        assert "#1 undone" in shown and "Jean Martin" in shown and "69003" not in shown
        assert app.screen.check_action("undo_merge", ()) is False  # nothing left to undo
    with session_scope(engine) as s:
        kept = get_customer(s, store.jean)
        assert (kept.first_name, kept.postal_code, kept.city) == ("Jean", "", "Lyon")
        assert not get_customer(s, twin).archived
    assert _owner(engine, "R-00009") == twin


async def test_the_other_customer_can_be_found_by_search(engine: Engine, drive: Drive) -> None:
    store: Store = seed_store(engine)
    async with drive() as (app, pilot):
        await pilot.press("f3")
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        customers.open_customer(store.paul)
        await settle(pilot)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerMerge), "the merge screen")
        await settle(pilot)
        assert "No possible duplicate found" in screen_text(app)
        await pilot.press(*"sophie")
        await settle(pilot)
        assert _rows(app, "#merge-candidates") == [
            ["Sophie Leroy", "2900000000031", "contact@boulangerie-leroy.examp…"]
        ]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
    with session_scope(engine) as s:
        assert not get_customer(s, store.sophie).archived
