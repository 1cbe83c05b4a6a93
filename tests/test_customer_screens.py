"""The customer screens driven as a cashier drives them, at 80×24, checked on screen and in
the database: search, open, edit, create (also from a blank database), invalid input,
duplicates, filters, scans, unsaved changes, attach to sale."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import Drive, wait_until
from screens_data import Store, screen_text, seed_store, settle
from sqlalchemy.engine import Engine
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from tillterm.core.errors import DatabaseError
from tillterm.customers import profiles as customer_profiles
from tillterm.customers.profiles import (
    count_customers,
    create_customer,
    find_by_code,
    get_customer,
    search_customers,
)
from tillterm.store.engine import session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import CustomerAttachRequested, ScanReceived
from tillterm.ui.screens.confirm import ChoiceScreen, ConfirmScreen
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.widgets.customer_filters import CustomerFilters
from tillterm.ui.widgets.form_row import FormRow


@pytest.fixture
def store(engine: Engine) -> Store:
    return seed_store(engine)


def listed_names(app: TilltermApp) -> list[str]:
    table = app.screen.query_one("#customer-table", DataTable)
    return [str(table.get_row_at(n)[0]) for n in range(table.row_count)]


async def open_customers(app: TilltermApp, pilot) -> CustomersScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)
    return app.screen


async def new_customer_form(app: TilltermApp, pilot) -> CustomerForm:  # type: ignore[no-untyped-def]
    """The Customers screen, then Ctrl+N: a blank form, ready."""
    await open_customers(app, pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, CustomerForm)
    return form


def row_error(form: CustomerForm, field: str) -> str | None:
    return form.query_one(f"#row-{field}", FormRow).error


async def test_search_open_edit_save(engine: Engine, drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        assert len(listed_names(app)) == 5
        await pilot.press(*"dub")
        await settle(pilot)
        assert listed_names(app) == ["Marie Dubois"]
        assert "1 match" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        text = screen_text(app)
        assert "Marie Dubois" in text and "2900000000017" in text and "VIP" in text
        assert "R-00001" in text and "42.50 EUR" in text
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerForm), "the form")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        assert form.query_one("#field-first_name", Input).value == "Marie"
        assert form.query_one("#field-group_id", Select).value == store.vip
        await pilot.press("tab", "tab")  # last name → email
        email = form.query_one("#field-email", Input)
        assert email.has_focus
        email.value = "marie@dubois.example"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert "marie@dubois.example" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert listed_names(app) == ["Marie Dubois"]
    with session_scope(engine) as session:
        saved = get_customer(session, store.marie)
    assert saved.email == "marie@dubois.example"
    assert saved.first_name == "Marie" and saved.group_id == store.vip
    assert saved.tags == ("bio", "newsletter") or set(saved.tags) == {"bio", "newsletter"}


async def test_create_with_invalid_email_then_fix(
    engine: Engine, drive: Drive, store: Store
) -> None:
    async with drive() as (app, pilot):
        form = await new_customer_form(app, pilot)
        await pilot.press(*"Lucie", "tab", "tab")
        form.query_one("#field-last_name", Input).value = "Moreau"
        form.query_one("#field-email", Input).value = "lucie-at-example"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "an invalid form must stay open"
        assert row_error(form, "email")
        assert form.query_one(TabbedContent).get_tab("tab-contact").label.plain.endswith("!")
        assert "nothing was saved" in screen_text(app)
        with session_scope(engine) as session:
            assert search_customers(session, "Moreau") == []
        email = form.query_one("#field-email", Input)
        assert email.has_focus
        email.value = "lucie@example.org"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert "Lucie Moreau" in screen_text(app)
    with session_scope(engine) as session:
        [found] = search_customers(session, "Moreau")
        record = get_customer(session, found.id)
    assert record.email == "lucie@example.org"
    assert record.customer_code, "a blank code is generated"


async def test_invalid_field_on_details_tab_flags_that_tab(
    engine: Engine, drive: Drive, store: Store
) -> None:
    async with drive() as (app, pilot):
        form = await new_customer_form(app, pilot)
        await pilot.press(*"Anne")
        await pilot.press("f7", "f6")
        form.query_one("#field-email2", Input).value = "not-an-email"
        await pilot.press("ctrl+s")
        await settle(pilot)
        tabs = form.query_one(TabbedContent)
        assert tabs.get_tab("tab-details").label.plain.endswith("!")
        assert not tabs.get_tab("tab-contact").label.plain.endswith("!")
        assert tabs.active == "tab-details"
        assert row_error(form, "email2")
        form.query_one("#field-email2", Input).value = ""
        await pilot.pause()
        assert not tabs.get_tab("tab-details").label.plain.endswith("!")


async def test_a_tab_opens_at_its_top_with_its_first_field_focused(
    engine: Engine, drive: Drive, store: Store
) -> None:
    """F7 shows the Details tab from its heading down, every time. Textual scrolled to
    the focused field before the tab just shown was laid out (the field had no place
    yet): on a loaded machine the tab opened a line down, its "Card" heading hidden."""
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        screen.open_customer(store.marie)
        await settle(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerForm), "the form")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        blind: list[str] = []
        scroll_to_center = form.scroll_to_center

        def watched(widget, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not widget.region.area:
                blind.append(str(widget.id))
            return scroll_to_center(widget, *args, **kwargs)

        form.scroll_to_center = watched  # type: ignore[method-assign]
        details = form.query_one("#details-scroll")
        for _round in range(2):
            await pilot.press("f7")
            await settle(pilot)
            await wait_until(pilot, lambda: details.scroll_y == 0, "the Details tab at its top")
            assert blind == [], "scrolled to a field not yet laid out"
            assert form.query_one("#field-customer_code", Input).has_focus
            details.scroll_end(animate=False)  # read further down, then away and back
            await wait_until(pilot, lambda: details.scroll_y > 0, "the Details tab scrolled down")
            await pilot.press("f6")
            await settle(pilot)


async def test_a_problem_far_down_the_details_tab_is_shown(
    engine: Engine, drive: Drive, store: Store
) -> None:
    async with drive() as (app, pilot):
        form = await new_customer_form(app, pilot)
        await pilot.press(*"Anne", "f7")
        await settle(pilot)
        form.query_one("#field-balance_limit", Input).value = "lots"
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form.query_one(TabbedContent).active == "tab-details"
        assert row_error(form, "balance_limit")
        assert form.query_one("#field-balance_limit", Input).has_focus
        row = form.query_one("#row-balance_limit", FormRow)
        await wait_until(pilot, lambda: form.can_view_entire(row), "the refused limit in view")


async def test_create_from_blank_database(engine: Engine, drive: Drive) -> None:
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        assert listed_names(app) == []
        assert "No customers yet" in screen_text(app)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press(*"Zoé", "tab", *"Petit", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        await pilot.press("escape")
        await settle(pilot)
        assert listed_names(app) == ["Zoé Petit"]
    with session_scope(engine) as session:
        assert count_customers(session, "") == 1


async def test_duplicate_warning_then_save_anyway(
    engine: Engine, drive: Drive, store: Store
) -> None:
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#field-last_name", Input).value = "Dubois"
        app.screen.query_one("#field-email", Input).value = "marie.dubois@example.org"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        assert "Marie Dubois" in app.screen.message and "email" in app.screen.message
        with session_scope(engine) as session:
            assert count_customers(session, "dubois") == 1, "nothing saved before the answer"
        await pilot.press("s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceScreen), "the answer")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
    with session_scope(engine) as session:
        assert count_customers(session, "dubois") == 2


async def test_duplicate_warning_open_existing(engine: Engine, drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#field-last_name", Input).value = "Martin"
        app.screen.query_one("#field-phone", Input).value = "01 23 45 67 89"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("o")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceScreen), "the answer")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert app.screen.customer_id == store.jean
    with session_scope(engine) as session:
        assert count_customers(session, "") == 5


async def test_unsaved_changes_prompt(engine: Engine, drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        await pilot.press("escape")  # nothing typed: closes at once
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        await pilot.press(*"Hugo", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep editing
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#field-first_name", Input).value == "Hugo"
        await pilot.press("escape", "y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
    with session_scope(engine) as session:
        assert search_customers(session, "Hugo") == []


async def test_prefilled_form_from_register(engine: Engine, drive: Drive, store: Store) -> None:
    """The register pushes the form pre-filled and gets the new customer back."""
    results: list[object] = []
    async with drive() as (app, pilot):
        await settle(pilot)
        app.push_screen(
            CustomerForm(prefill={"first_name": "Nadia", "last_name": "Roux"}), results.append
        )
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        assert form.query_one("#field-last_name", Input).value == "Roux"
        assert not form.dirty
        await pilot.press("ctrl+s")
        await settle(pilot)
    [record] = results
    assert getattr(record, "display_name", None) == "Nadia Roux"


async def test_database_error_keeps_the_form(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("the database server cannot be reached")

    monkeypatch.setattr(customer_profiles, "create_customer", broken)
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        form.query_one("#field-last_name", Input).value = "Garnier"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "cannot be reached" in screen_text(app)
        assert form.query_one("#field-last_name", Input).value == "Garnier"
        monkeypatch.undo()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
    with session_scope(engine) as session:
        assert len(search_customers(session, "Garnier")) == 1


async def test_no_match_says_so_and_esc_clears(engine: Engine, drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press(*"zzzqx")
        await settle(pilot)
        assert listed_names(app) == []
        assert "No customer matches “zzzqx”" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#customer-search", Input).value == ""
        assert len(listed_names(app)) == 5


async def test_filters(engine: Engine, drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        filters = screen.query_one(CustomerFilters)
        assert filters.display
        filters.query_one("#filter-group", Select).value = store.wholesale
        await settle(pilot)
        assert listed_names(app) == ["Sophie Leroy"]
        filters.query_one("#filter-group", Select).value = 0  # no group
        await settle(pilot)
        assert sorted(listed_names(app)) == ["Jean Martin", "Paul Durand"]
        filters.query_one("#filter-group", Select).clear()
        filters.query_one("#filter-tags-all", Input).value = "b2b"
        await settle(pilot)
        assert sorted(listed_names(app)) == ["Jean Martin", "Sophie Leroy"]
        filters.query_one("#filter-tags-none", Input).value = "bio"
        await settle(pilot)
        assert listed_names(app) == ["Jean Martin"]
        filters.query_one("#filter-tags-all", Input).value = ""
        filters.query_one("#filter-tags-none", Input).value = ""
        filters.query_one("#filter-from", Input).value = "2025-06-01"
        filters.query_one("#filter-to", Input).value = "10/09/2025"
        await settle(pilot)
        assert sorted(listed_names(app)) == ["Jean Martin", "Sophie Leroy"]
        filters.query_one("#filter-to", Input).value = "31/02/2025"  # not a date: left out
        await settle(pilot)
        assert "not a date" in screen_text(app)
        assert sorted(listed_names(app)) == ["Jean Martin", "Sophie Leroy", "Élodie Bernard"]
        filters.query_one("#filter-from", Input).value = ""
        filters.query_one("#filter-to", Input).value = ""
        filters.query_one("#filter-discount", Input).value = "any"
        await settle(pilot)
        assert listed_names(app) == ["Élodie Bernard"]
        await pilot.press("escape")  # the search box is empty: Esc clears the filters
        await settle(pilot)
        assert not filters.display
        assert len(listed_names(app)) == 5


async def test_scan_on_customers_screen(engine: Engine, drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        app.post_message(ScanReceived(" 2900000000031 "))
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        assert app.screen.customer_id == store.sophie
        await pilot.press("escape")
        await settle(pilot)
        app.post_message(ScanReceived("2999999999999"))
        await settle(pilot)
        customers = app.screen
        assert isinstance(customers, CustomersScreen)  # no dialog: the status line says it
        status = str(customers.query_one("#customer-status", Static).render())
        assert status == (
            "No customer with card 2999999999999. Ctrl+N: new customer with this card."
        )
        assert app.focused is not None and app.focused.id == "customer-search"
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerForm)
        assert form.collect()["customer_code"] == "2999999999999"
        await pilot.press(*"Chloé", "f7")
        assert form.query_one("#field-customer_code", Input).value == "2999999999999"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
    with session_scope(engine) as session:
        created = find_by_code(session, "2999999999999")
    assert created is not None and created.first_name == "Chloé"


async def test_scan_into_code_field(engine: Engine, drive: Drive, store: Store) -> None:
    async with drive() as (app, pilot):
        form = await new_customer_form(app, pilot)
        await pilot.press("f7")
        code = form.query_one("#field-customer_code", Input)
        assert code.has_focus
        app.post_message(ScanReceived("2900000000999"))
        await settle(pilot)
        assert code.value == "2900000000999"
        await pilot.press("f6")
        app.post_message(ScanReceived("2900000000017"))  # Marie's card, focus elsewhere
        await settle(pilot)
        assert code.value == "2900000000999"
        assert app.screen is form
        assert "Marie Dubois's: not used" in str(form.query_one("#form-status").render())
        first = form.query_one("#field-first_name", Input)
        assert first.has_focus
        app.post_message(ScanReceived("2900000000888"))  # a free card, focus elsewhere
        await settle(pilot)
        assert code.value == "2900000000888" and first.value == "" and first.has_focus
        assert app.screen is form


async def test_archive_and_attach(engine: Engine, drive: Drive, store: Store) -> None:
    received: list[int] = []

    def spy(self: RegisterScreen, message: CustomerAttachRequested) -> None:
        received.append(message.customer_id)

    RegisterScreen.on_customer_attach_requested = spy  # type: ignore[attr-defined]
    try:
        async with drive() as (app, pilot):
            screen = await open_customers(app, pilot)
            screen.open_customer(store.jean)
            await settle(pilot)
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, RegisterScreen), "the register")
            await settle(pilot)
            assert isinstance(app.screen, RegisterScreen)
            assert received == [store.jean]
            await pilot.press("f3")
            await settle(pilot)
            screen.open_customer(store.paul)
            await settle(pilot)
            await pilot.press("delete")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
            await settle(pilot)
            assert app.screen is screen
            assert "Paul Durand" not in listed_names(app)
    finally:
        del RegisterScreen.on_customer_attach_requested  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        assert get_customer(session, store.paul).archived_at is not None


async def test_export_current_view(
    engine: Engine, drive: Drive, store: Store, tmp_path: Path
) -> None:
    target = tmp_path / "vip.csv"
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        app.screen.query_one(CustomerFilters).query_one("#filter-group", Select).value = store.vip
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        prompt = app.screen.query_one("#prompt-input", Input)
        prompt.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "Dubois" in lines[1]


async def test_names_that_look_like_markup_are_listed_as_typed(
    engine: Engine, drive: Drive
) -> None:
    with session_scope(engine) as session:
        create_customer(
            session, {"first_name": "[/b]Bob", "last_name": "Smith", "company": "[red]Acme"}
        )
    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        table = app.screen.query_one("#customer-table", DataTable)
        drawn = "\n".join(table.render_line(y).text for y in range(table.size.height))
        assert "[/b]Bob Smith" in drawn and "[red]Acme" in drawn


async def test_one_profile_screen_shows_each_customer_opened(
    engine: Engine, drive: Drive, store: Store
) -> None:
    async with drive() as (app, pilot):
        screen = await open_customers(app, pilot)
        screen.open_customer(store.marie)
        await settle(pilot)
        profile = app.screen
        assert isinstance(profile, CustomerView)
        assert "Marie Dubois" in screen_text(app) and "R-00001" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        screen.open_customer(store.elodie)
        await settle(pilot)
        assert app.screen is profile
        text = screen_text(app)
        assert "Élodie Bernard" in text and "Recent sales: none yet" in text
        assert "Marie Dubois" not in text and "R-00001" not in text
        # editing into a duplicate and opening the existing customer shows that one here
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerForm), "the form")
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        app.screen.query_one("#field-phone", Input).value = "01 23 45 67 89"  # Jean's
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("o")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceScreen), "the answer")
        await settle(pilot)
        assert app.screen is profile and profile.customer_id == store.jean
        assert "Jean Martin" in screen_text(app) and "Élodie" not in screen_text(app)


async def test_a_slow_search_does_not_hold_back_the_typed_key(
    engine: Engine, drive: Drive, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key's frame may wait for quick results, never for a slow search."""
    searching = threading.Event()
    release = threading.Event()
    real = customer_profiles.search_customers

    def slow(*args: object, **kwargs: object) -> object:
        searching.set()
        release.wait(10)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    async with drive() as (app, pilot):
        await open_customers(app, pilot)
        monkeypatch.setattr(customer_profiles, "search_customers", slow)
        frames: list[str] = []
        display = app._display  # what hands each frame to the terminal

        def spy(screen: object, renderable: object) -> None:
            display(screen, renderable)  # type: ignore[arg-type]
            if renderable is not None:
                frames.append(app.screen.query_one("#customer-search", Input).value)

        monkeypatch.setattr(app, "_display", spy)
        await pilot.press("x")
        await wait_until(pilot, lambda: "x" in frames, "a frame showing the typed key")
        assert searching.is_set() and not release.is_set()
        assert "x" in frames, "the key is drawn while its search still runs"
        release.set()
        await settle(pilot)
        assert "No customer matches “x”" in screen_text(app)
