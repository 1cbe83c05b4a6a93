"""Back office > Store: the store's identity and how it sells (issue 17).

Name, address, company registration and VAT numbers head every receipt; currency,
default tax, tax-inclusive prices and loyalty rates price every sale. The form opens
with what is stored, checks nothing itself (the domain's :mod:`tillterm.catalog.store_details`
checks everything at once and each message lands under its field), and keeps what was
typed when a save is refused. Ctrl+S (or Enter) saves, Esc leaves (asking first if
something was typed).

The rows are one :class:`FieldSheet` (text, and one editor laid over the field in hand),
not a widget or four per field: the form opens in one frame within the budget of every
screen (issue 17).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tillterm.catalog.store_details import LABELS
from tillterm.i18n import _, ngettext
from tillterm.services.back_office import Refused, StoreForm
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ask_to_discard
from tillterm.ui.styles import css
from tillterm.ui.widgets.field_sheet import FieldSheet, SheetField, yes_no
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from tillterm.catalog.settings import StoreInfo
    from tillterm.ui.app import TilltermApp

#: the form's fields in order, with a hint where the format is not obvious
_TEXT_FIELDS = (
    ("name", ""),
    ("address_line1", ""),
    ("address_line2", ""),
    ("postal_code", ""),
    ("city", ""),
    ("country", ""),
    ("phone", ""),
    ("company_reg_no", _("printed on receipts")),
    ("vat_number", _("printed on receipts")),
    ("currency", _("3 letters: EUR, GBP, USD")),
)
_AFTER_TAX = (
    ("loyalty_points_per_unit", _("0: no points")),
    ("loyalty_point_value_cents", _("cents")),
    ("receipt_footer", ""),
)


class StoreScreen(TillScreen[None]):
    HELP_TITLE = _("Store")
    CSS_PATH = css("store.tcss")
    #: none: the sheet's editor is focused on the name once the settings are read
    AUTO_FOCUS = ""
    #: the rows are built once the settings are read: keys typed as the screen opens
    #: wait for them, or they would reach a screen with no field to type into
    KEYS_WAIT_FOR = frozenset({"store-open"})
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Back")),
    ]

    @dataclass
    class Opened(Message):
        """The settings and the tax rates to offer were read."""

        form: StoreForm

    @dataclass
    class Saved(Message):
        settings: StoreInfo

    @dataclass
    class Invalid(Message):
        """Field → what to fix (``""``: not about one field)."""

        errors: Mapping[str, str]

    def __init__(self) -> None:
        super().__init__()
        #: the values as opened: what "was something typed?" compares with
        self._initial: dict[str, object] | None = None
        self._saving = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(plain(_("Back office > Store")), classes="screen-title")
        with VerticalScroll(id="store-form"):
            yield FieldSheet(id="store-sheet")
        yield Static(plain(_("Reading the store's settings…")), id="store-status", markup=False)
        yield KeyFooter()

    @property
    def sheet(self) -> FieldSheet:
        return self.query_one("#store-sheet", FieldSheet)

    def on_mount(self) -> None:
        # read while the screen is mounted and laid out: in by its first frame (issue 17)
        self.first_read(
            "store-open",
            self.services.back_office.store_form,
            self.Opened,
            lambda error: self.Invalid(
                {"": _("The settings could not be read: {error}").format(error=error)}
            ),
            show=self._opened,
            description=_("reading the store's settings"),
        )

    @on(Opened)
    def _opened(self, message: Opened) -> None:
        form = message.form
        self._status("" if form.taxes else _("No tax rates yet: create them in Tax rates (2)."))
        sheet = self.sheet
        # the name's value not selected as the form opens: a key typed there (or typed
        # ahead while the settings were read) does not replace the store's name
        sheet.load(_fields(form), form.values)
        self._initial = sheet.values()

    def collect(self) -> dict[str, object]:
        return self.sheet.values()

    @property
    def dirty(self) -> bool:
        return self._initial is not None and self.collect() != self._initial

    def action_save(self) -> None:
        if self._saving or self._initial is None:
            return
        self._saving = True
        self._status(_("Saving…"))
        office = self.services.back_office
        values = self.collect()

        def answered(outcome: StoreInfo | Refused) -> Message:
            if isinstance(outcome, Refused):
                return self.Invalid(outcome.errors)
            return self.Saved(outcome)

        self.run_job(
            "store-save",
            lambda: office.save_store(values),
            answered,
            lambda error: self.Invalid({"": _("Not saved: {error}").format(error=error)}),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=_("saving the store's settings"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """An unexpected failure (told and logged by the app): the form stays as typed."""
        if group == "store-save":
            self._saving = False
            self._status(_("Not saved: an unexpected error (see the log). Ctrl+S tries again."))

    @on(FieldSheet.Submitted)
    def _submitted(self, event: FieldSheet.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Invalid)
    def _invalid(self, message: Invalid) -> None:
        self._saving = False
        unplaced = self.sheet.set_errors(message.errors)
        count = len(message.errors)
        head = ngettext(
            "Not saved: {count} thing to correct.", "Not saved: {count} things to correct.", count
        ).format(count=count)
        self._status(" ".join([head, *unplaced]), error=True)

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self._saving = False
        self._initial = self.collect()
        self.notify(_("Store {name} saved.").format(name=message.settings.name), title=_("Store"))
        cast("TilltermApp", self.app).load_settings()  # the header shows the new name
        self.app.pop_screen()

    def action_cancel(self) -> None:
        ask_to_discard(self, self.dirty, self.app.pop_screen)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#store-status", Static)
        status.update(plain(text))
        status.set_class(error, "-error")


def _fields(form: StoreForm) -> list[SheetField]:
    """The form's rows, in order; the default tax offers the rates not retired."""
    return [
        *(
            SheetField(name, LABELS[name], hint=hint, select_on_enter=True)
            for name, hint in _TEXT_FIELDS
        ),
        SheetField(
            "default_tax_rate_id",
            LABELS["default_tax_rate_id"],
            "choice",
            choices=tuple(form.taxes),
            prompt=_("No tax"),
        ),
        yes_no("prices_include_tax", LABELS["prices_include_tax"]),
        *(SheetField(name, LABELS[name], hint=hint) for name, hint in _AFTER_TAX),
    ]
