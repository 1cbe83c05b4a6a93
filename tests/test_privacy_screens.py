"""Privacy requests from a customer's profile at 80×24: export to a folder, erase with
the code typed and F10 — checked on screen, on disk and in the database."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Drive, wait_until
from screens_data import Store, screen_text, seed_store, settle
from sqlalchemy import select
from sqlalchemy.engine import Engine
from textual.widgets import Input

from tillterm.customers.profiles import find_by_code, get_customer
from tillterm.store.engine import session_scope
from tillterm.store.models import PrivacyRequest
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import KeyPromptScreen, PromptScreen
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen


async def _open_marie(app: TilltermApp, pilot) -> CustomerView:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)
    await pilot.press(*"dub")
    await settle(pilot)
    await pilot.press("down", "enter")
    await settle(pilot)
    assert isinstance(app.screen, CustomerView)
    return app.screen


async def test_export_from_the_profile(engine: Engine, drive: Drive, tmp_path: Path) -> None:
    store: Store = seed_store(engine)
    folder = tmp_path / "marie-data"
    async with drive(notifications=True) as (app, pilot):
        await _open_marie(app, pilot)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt")
        field = app.screen.query_one("#prompt-input", Input)
        assert "customer-2900000000017-" in field.value  # a new folder named for the card
        field.value = str(folder)
        await pilot.press("enter")
        await wait_until(pilot, lambda: (folder / "customer.json").exists(), "the export")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert any("4 files written" in n.message for n in app._notifications)
    doc = json.loads((folder / "customer.json").read_text(encoding="utf-8"))
    assert doc["profile"]["last_name"] == "Dubois" and doc["profile"]["id"] == store.marie
    with session_scope(engine) as s:
        assert s.execute(select(PrivacyRequest.kind, PrivacyRequest.via)).all() == [
            ("export", "app")
        ]


async def test_erase_needs_the_code_and_f10(engine: Engine, drive: Drive) -> None:
    store: Store = seed_store(engine)
    async with drive(notifications=True) as (app, pilot):
        await _open_marie(app, pilot)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyPromptScreen), "the prompt")
        # a scanner typing a code and Enter answers nothing
        await pilot.press(*"2900000000017", "enter")
        await settle(pilot)
        assert isinstance(app.screen, KeyPromptScreen)
        app.screen.query_one("#prompt-input", Input).value = "WRONG"
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert any("nothing was erased" in n.message for n in app._notifications)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyPromptScreen), "the prompt")
        app.screen.query_one("#prompt-input", Input).value = "2900000000017"
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomersScreen), "the list")
        await settle(pilot)
        assert "No customer matches “dub”" in screen_text(app)  # the list found her no more
        assert any(f"ERASED-{store.marie}" in n.message for n in app._notifications)
    with session_scope(engine) as s:
        assert find_by_code(s, "2900000000017") is None
        erased = get_customer(s, store.marie)
        assert erased.first_name == "" and erased.last_name == "" and erased.archived
