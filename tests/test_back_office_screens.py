"""Back office (F11) at 80×24, key by key from an empty database: the store's name and
VAT number, tax rates created, made default, retired, a sold rate refused an edit, a
yes/no custom field defined; checked on screen and in the database."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from conftest import Drive, wait_until
from screens_data import screen_text, settle
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from tillterm.customers.custom_fields import customer_values, define_field, retire_field
from tillterm.services.back_office import BackOffice
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, CustomField, Sale, SaleLine, StoreSettings, TaxRate
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.back_office import BackOfficeScreen
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.custom_field_form import CustomFieldForm
from tillterm.ui.screens.custom_fields import CustomFieldsScreen
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.store import StoreScreen
from tillterm.ui.screens.tax_rate_form import TaxRateForm
from tillterm.ui.screens.tax_rates import TaxRatesScreen
from tillterm.ui.widgets.form_row import FormRow


def _rows(app: TilltermApp, table_id: str) -> list[tuple[str, ...]]:
    table = app.screen.query_one(table_id, DataTable)
    return [
        tuple(str(cell).strip() for cell in table.get_row_at(n)) for n in range(table.row_count)
    ]


async def _keys(pilot: Pilot[int], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def _add_rate(pilot: Pilot[int], name: str, rate: str) -> None:
    await _keys(pilot, "ctrl+n")
    assert isinstance(pilot.app.screen, TaxRateForm)
    await _keys(pilot, *name, "tab", *rate, "ctrl+s")
    assert isinstance(pilot.app.screen, TaxRatesScreen)


def _settings(engine: Engine) -> StoreSettings:
    with session_scope(engine) as s:
        row = s.get(StoreSettings, 1)
        assert row is not None
        s.expunge(row)
        return row


def _rates(engine: Engine) -> dict[str, tuple[D, bool]]:
    with session_scope(engine) as s:
        return {t.name: (t.rate, t.retired_at is not None) for t in s.exec(select(TaxRate))}


async def test_a_new_store_is_set_up_key_by_key(engine: Engine, drive: Drive) -> None:
    async with drive(notifications=True) as (app, pilot):
        await settle(pilot)
        await _keys(pilot, "f11")
        assert isinstance(app.screen, BackOfficeScreen)
        assert "Store" in str(app.screen.query_one("#back-office-list").render_line(0))
        await _keys(pilot, "f1")  # F11 and the hub's keys are in the help
        assert isinstance(app.screen, HelpScreen)
        helped = screen_text(app)
        assert "F11          Back office" in helped and "1            Store" in helped
        await _keys(pilot, "escape")

        # -- Store: a bad currency is refused under its field, nothing written ----------
        await _keys(pilot, "1")
        assert isinstance(app.screen, StoreScreen)
        await _keys(pilot, "f1")  # the form's own keys are in the help too
        helped = screen_text(app)
        assert "Tab          Next field" in helped and "←/→          Choose" in helped
        await _keys(pilot, "escape")
        assert isinstance(app.screen, StoreScreen)
        await _keys(pilot, "ctrl+u", *"Épicerie du Port")
        await _keys(pilot, *["tab"] * 8, *"FR12345678901", "tab", "ctrl+u", *"EUE", "ctrl+s")
        assert isinstance(app.screen, StoreScreen)
        assert "“EUE” is not an ISO 4217 currency code" in screen_text(app)
        assert "Not saved: 1 thing to correct." in screen_text(app)
        assert _settings(engine).name == "My store"
        await _keys(pilot, "ctrl+u", *"gbp", "ctrl+s")
        assert isinstance(app.screen, BackOfficeScreen)
        saved = _settings(engine)
        assert (saved.name, saved.vat_number, saved.currency) == (
            "Épicerie du Port",
            "FR12345678901",
            "GBP",
        )
        assert app.title == "Épicerie du Port"

        # -- Tax rates: create three, make one the default, retire one ------------------
        await _keys(pilot, "2")
        assert isinstance(app.screen, TaxRatesScreen)
        assert "none yet" in screen_text(app)
        await _add_rate(pilot, "Standard", "20")
        # the store's first rate is its default tax, and the owner is told so
        assert _rows(app, "#tax-table")[0][2:] == ("store default", "default")
        assert any(
            n.message == "Tax rate Standard saved: the store's default tax."
            for n in app._notifications
        )
        await _add_rate(pilot, "Reduced", "5,5")
        await _add_rate(pilot, "Old", "19.6")
        await _keys(pilot, "ctrl+n", *"Bad", "tab", *"120", "ctrl+s")
        assert isinstance(app.screen, TaxRateForm)
        assert "a tax rate is between 0 and 100 %" in screen_text(app)
        await _keys(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen)  # something was typed: asked first
        await _keys(pilot, "y")
        assert isinstance(app.screen, TaxRatesScreen)
        assert [row[:2] for row in _rows(app, "#tax-table")] == [
            ("Old", "19.6"),
            ("Reduced", "5.5"),
            ("Standard", "20"),
        ]
        assert [row[2] for row in _rows(app, "#tax-table")] == [
            "unused",
            "unused",
            "store default",
        ]
        await _keys(pilot, "down", "d")  # Reduced
        assert _rows(app, "#tax-table")[1][2:] == ("store default", "default")
        await _keys(pilot, "down", "d")  # Standard again
        assert _rows(app, "#tax-table")[2][2:] == ("store default", "default")
        assert _settings(engine).default_tax_rate_id is not None
        await _keys(pilot, "r")  # the default cannot be retired
        assert not _rates(engine)["Standard"][1]
        assert any("default tax" in n.message for n in app._notifications)
        await _keys(pilot, "up", "up", "r")  # Old
        assert _rows(app, "#tax-table")[0][3] == "retired"
        assert _rates(engine)["Old"] == (D("19.6"), True)

        # a sale is completed at 20 %: the rate can be renamed, never rewritten
        with session_scope(engine) as s:
            sale = Sale(register_name="till", state="completed")
            s.add(sale)
            s.flush()
            s.add(
                SaleLine(
                    sale_id=sale.id or 0, description="Pen", unit_price_cents=100, tax_rate=D(20)
                )
            )
        await _keys(pilot, "escape", "2")  # back in: the list is read again
        assert "sold" in _rows(app, "#tax-table")[2][2]
        await _keys(pilot, "down", "down", "e")
        assert isinstance(app.screen, TaxRateForm)
        await _keys(pilot, "tab", "ctrl+u", *"21", "ctrl+s")
        assert isinstance(app.screen, TaxRateForm)
        assert "create a new rate and retire this one" in screen_text(app)
        assert _rates(engine)["Standard"] == (D(20), False)
        await _keys(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await _keys(pilot, "y")
        await _keys(pilot, "escape")
        assert isinstance(app.screen, BackOfficeScreen)

        # -- Store again: the retired rate is not offered as the default ---------------
        await _keys(pilot, "1")
        assert isinstance(app.screen, StoreScreen)
        (tax,) = (row for row in app.screen.sheet.fields if row.name == "default_tax_rate_id")
        assert [shown for shown, _value in tax.choices] == ["Reduced", "Standard"]
        await _keys(pilot, "escape")  # nothing typed: no question
        assert isinstance(app.screen, BackOfficeScreen)

        # -- Custom fields: a yes/no field -------------------------------------------
        await _keys(pilot, "4")
        assert isinstance(app.screen, CustomFieldsScreen)
        await _keys(pilot, "ctrl+n")
        assert isinstance(app.screen, CustomFieldForm)
        await _keys(pilot, *"Vegan", "tab", "enter", "down", "down", "down", "enter", "ctrl+s")
        assert isinstance(app.screen, CustomFieldsScreen)
        assert _rows(app, "#field-table") == [("Vegan", "yes/no", "", "active")]
        await _keys(pilot, "r")
        assert _rows(app, "#field-table")[0][3] == "retired"
        with session_scope(engine) as s:
            field = s.exec(select(CustomField)).one()
            assert (field.name, field.field_type, field.retired_at is not None) == (
                "Vegan",
                "bool",
                True,
            )


async def test_the_customer_form_asks_yes_no_and_skips_retired_fields(
    engine: Engine, drive: Drive
) -> None:
    with session_scope(engine) as s:
        retire_field(s, define_field(s, "Old field", "text").id)
        define_field(s, "Vegan", "bool")
    async with drive() as (app, pilot):
        await settle(pilot)
        await _keys(pilot, "f3")
        await _keys(pilot, "ctrl+n")
        assert isinstance(app.screen, CustomerForm)
        await _keys(pilot, *"Ana", "f7")
        rows = [row.label for row in app.screen.query(FormRow)]
        assert "Vegan" in rows and "Old field" not in rows
        vegan = app.screen.query_one("#field-custom-0", Select)
        assert [str(label) for label, _ in vegan._options][1:] == ["yes", "no"]
        vegan.focus()
        await _keys(pilot, "enter", "down", "enter", "ctrl+s")
        assert not isinstance(app.screen, CustomerForm)
    with session_scope(engine) as s:
        (customer_id,) = s.exec(select(Customer.id)).all()
        assert customer_values(s, customer_id or 0) == {"Vegan": "yes"}


async def test_keys_typed_while_the_store_is_read_reach_its_name(
    drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store form's rows are built once its settings are read: keys typed before
    (a slow disk, a busy database) wait for them and land in the name, in order, rather
    than reaching a screen with no field (and no key is answered by the menu behind)."""
    release = threading.Event()
    read = BackOffice.store_form

    def slow(self: BackOffice) -> object:
        release.wait(10)
        return read(self)

    monkeypatch.setattr(BackOffice, "store_form", slow)
    async with drive() as (app, pilot):
        await _keys(pilot, "f11")
        assert isinstance(app.screen, BackOfficeScreen)
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, StoreScreen), "the store form")
        assert not app.screen.sheet.fields, "its rows wait for the read"
        # typed as a terminal hands them in, not through Pilot (which waits for the app
        # to be idle after each key: with the read held, for as long as it pleases)
        for key, character in (("end", None), ("space", " "), ("Z", "Z"), ("2", "2")):
            app.post_message(events.Key(key, character))
        await pilot.pause()
        release.set()
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, StoreScreen)
                and str(app.screen.sheet.values().get("name", "")).endswith(" Z2")
            ),
            lambda: f"the keys in the name (screen {app.screen!r})",
        )
        assert isinstance(app.screen, StoreScreen), "2 was typed, not the menu's Tax rates"
