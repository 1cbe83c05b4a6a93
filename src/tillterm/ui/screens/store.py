"""Back office > Store: the store's identity and how it sells (issue 17).

Name, address, company registration and VAT numbers head every receipt; currency,
default tax, tax-inclusive prices and loyalty rates price every sale. The form opens
with what is stored, checks nothing itself (the domain's :mod:`tillterm.catalog.store_details`
checks everything at once and each message lands under its field), and keeps what was
typed when a save is refused. Ctrl+S saves, Esc leaves (asking first if something was
typed).
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
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch

from tillterm.catalog.store_details import LABELS
from tillterm.i18n import _, ngettext
from tillterm.services.back_office import Refused, StoreForm
from tillterm.ui.plain import plain, plain_options
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ask_to_discard
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow, field_value, set_field_value, show_errors
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
    #: none: ``on_mount`` focuses the first field. Textual's (the first focusable
    #: widget) focused the form's scroll, then ``on_mount`` took the focus from it: two
    #: restyles of the whole form, a third of the CPU time opening the screen took
    #: (issue 17). Not "#store-name" either: the rows are mounted once read.
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
        self._fields: dict[str, Widget] = {}
        #: the values as opened: what "was something typed?" compares with
        self._initial: dict[str, object] | None = None
        self._saving = False
        #: the settings are being read or the rows mounted: typed keys wait (keys_wait)
        self._opening = True

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(plain(_("Back office > Store")), classes="screen-title")
        # the fields come with what they show (:meth:`_opened`): composed up front,
        # the form was laid out and drawn empty first, then again filled, a third of
        # the screen's opening (issue 17)
        yield VerticalScroll(id="store-form")
        yield Static(plain(_("Reading the store's settings…")), id="store-status", markup=False)
        yield KeyFooter()

    def _rows(self, form: StoreForm) -> list[FormRow]:
        """The form's rows, holding what is stored: filled before they are mounted,
        they are laid out and drawn once."""
        rows = [
            self._row(
                name,
                # the name gets the focus as the form opens: its value not selected, so
                # a key typed there does not replace the store's name
                Input(
                    id=f"store-{name}",
                    placeholder=hint,
                    compact=True,
                    select_on_focus=name != "name",
                ),
            )
            for name, hint in _TEXT_FIELDS
        ]
        taxes = plain_options(form.taxes)
        stored = form.values.get("default_tax_rate_id")
        # a retired rate is not offered: no default then
        default = next((rate for _, rate in taxes if rate == stored), Select.NULL)
        rows.append(
            self._row(
                "default_tax_rate_id",
                Select[int](
                    taxes,
                    prompt=_("No tax"),
                    value=default,
                    id="store-default_tax_rate_id",
                    compact=True,
                ),
            )
        )
        included = bool(form.values.get("prices_include_tax"))
        rows.append(
            self._row("prices_include_tax", Switch(included, id="store-prices_include_tax"))
        )
        rows.extend(
            self._row(name, Input(id=f"store-{name}", placeholder=hint, compact=True))
            for name, hint in _AFTER_TAX
        )
        for name, widget in self._fields.items():
            if isinstance(widget, Input):
                set_field_value(widget, form.values.get(name))
        return rows

    def _row(self, name: str, widget: Widget) -> FormRow:
        self._fields[name] = widget
        return FormRow(LABELS[name], widget, field_name=name)

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
        self.hold_frames(self.query_one("#store-form").mount_all(self._rows(form)), self._filled)

    def _filled(self) -> None:
        """The rows are mounted: what they hold now is what "was something typed?"
        compares with (a list's value settles as it mounts), and the keys typed
        meanwhile go to the name, focused now (not a turn later, as ``focus()`` would)."""
        self.set_focus(self._fields["name"])
        self._initial = self.collect()
        self._opening = False

    @property
    def keys_wait(self) -> bool:
        """Keys typed as the form opens wait for its rows, not only for the read: the
        read ends a few turns before its rows are mounted and the name focused, and a
        key handed on in between would reach no field."""
        return self._opening or super().keys_wait

    def collect(self) -> dict[str, object]:
        return {name: field_value(widget) for name, widget in self._fields.items()}

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
        if group == "store-open":
            self._opening = False  # nothing to wait for: Esc leaves
        if group == "store-save":
            self._saving = False
            self._status(_("Not saved: an unexpected error (see the log). Ctrl+S tries again."))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def _edited(self, event: Message) -> None:
        """Editing a field clears its message (the next save checks it again)."""
        widget = getattr(event, "control", None)
        for ancestor in getattr(widget, "ancestors", ()):
            if isinstance(ancestor, FormRow):
                if ancestor.error:
                    ancestor.set_error(None)
                break

    @on(Invalid)
    def _invalid(self, message: Invalid) -> None:
        self._saving = False
        if self._initial is None:  # the settings could not be read: no rows to wait for
            self._opening = False
        unplaced = show_errors(self.query_one("#store-form"), message.errors)
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
