"""F11: Back office — where a store is set up: its details, tax rates, products and
custom fields (issue 17). Before it, a new store could set none of them without the
demo or hand-written SQL.

The hub is a short list; each entry opens its screen over it with its number key or
Enter, and Esc there comes back here. Entries are one line each in :data:`ENTRIES`; an
entry whose screen module is not installed (Products, built separately) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tillterm.i18n import _
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.pick_list import PickList
from tillterm.ui.widgets.title_bar import TitleBar


@dataclass(frozen=True)
class Entry:
    """One line of the hub: its key, its name, what it holds, and the screen it opens."""

    key: str
    label: str
    what: str
    module: str
    screen: str

    @property
    def available(self) -> bool:
        return find_spec(f"tillterm.ui.screens.{self.module}") is not None


ENTRIES = tuple(
    entry
    for entry in (
        Entry(
            "1",
            _("Store"),
            _("name, address, VAT no., currency, tax, loyalty"),
            "store",
            "StoreScreen",
        ),
        Entry("2", _("Tax rates"), _("create, edit, retire"), "tax_rates", "TaxRatesScreen"),
        Entry("3", _("Products"), _("what the store sells"), "products", "ProductsScreen"),
        Entry(
            "4",
            _("Custom fields"),
            _("the customer fields the store defines"),
            "custom_fields",
            "CustomFieldsScreen",
        ),
    )
    if entry.available
)


class BackOfficeScreen(TillScreen[None]):
    #: its number keys act: a scan typed as keys starting with one must not
    HOLD_KEYS_FOR_SCANS = True

    HELP_TITLE = _("Back office")
    CSS_PATH = css("back_office.tcss")
    AUTO_FOCUS = "#back-office-list"
    #: the list itself shows each entry's key, so the footer keeps room for F2–F5
    BINDINGS = [
        Binding(entry.key, f"open_entry('{entry.key}')", entry.label, show=False)
        for entry in ENTRIES
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(plain(_("Back office: setting up the store")), classes="screen-title")
        yield PickList(
            *(
                Option(plain(f"{entry.key}  {entry.label:<14} {entry.what}"), id=entry.key)
                for entry in ENTRIES
            ),
            id="back-office-list",
        )
        yield Static(
            plain(_("Press a number, or choose with Up/Down and Enter. Esc comes back here.")),
            id="back-office-status",
            markup=False,
        )
        yield KeyFooter()

    @on(OptionList.OptionSelected, "#back-office-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.action_open_entry(event.option.id)

    def action_open_entry(self, key: str) -> None:
        entry = next((e for e in ENTRIES if e.key == key), None)
        if entry is None:
            return
        module = import_module(f"tillterm.ui.screens.{entry.module}")
        self.app.push_screen(getattr(module, entry.screen)())
