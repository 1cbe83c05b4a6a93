"""The customer form: the two tabs of SPEC §1, Contact and Details.

Used to add a customer (Customers screen, a scanned unknown card, the register's
"Add X as a new customer" with a prefill) and to edit one. Its fields are the field
registry's (``tillterm.customers.fields``), keyed as the registry keys them. The form
only collects what was typed, as typed: validation, duplicate detection and saving are
one use case (``services.customers.save``: Saved, Invalid or Duplicates), and every
problem reported is shown next to its field, with the tab that holds it flagged, so the
person fixes everything in one pass.

It dismisses with the customer the person ended up with: the one just saved, or the
existing duplicate they chose to open instead; ``None`` when they cancel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import (
    Button,
    Input,
    Select,
    Static,
    Switch,
    TabbedContent,
    TabPane,
    TextArea,
)

from tillterm.core.money import format_money
from tillterm.customers.fields import (
    DETAIL_SECTIONS,
    FIELD_BY_KEY,
    FIELDS,
    CustomerField,
    custom_key,
)
from tillterm.customers.records import CustomerActivity, CustomerRecord, Duplicate
from tillterm.i18n import _, ngettext, pgettext
from tillterm.i18n.formats import day, whole
from tillterm.services.customer_care import (
    CustomChoice,
    Duplicates,
    FormStart,
    SaveOutcome,
)
from tillterm.services.customer_care import Invalid as Refused
from tillterm.ui.messages import ScanReceived
from tillterm.ui.plain import plain, plain_options
from tillterm.ui.screens.base import TillModal
from tillterm.ui.screens.confirm import Choice, ChoiceScreen, ConfirmScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow, field_value, set_field_value
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.notes_area import PlainTextArea

CONTACT_TAB = "tab-contact"
DETAILS_TAB = "tab-details"
#: how often, and how many times, a scroll to a row looks again for its tab's layout
SCROLL_RETRY_S = 1 / 60
SCROLL_TRIES = 30
TAB_TITLES = {CONTACT_TAB: _("Contact"), DETAILS_TAB: _("Details")}
#: appended to a tab's title when a field on it is invalid
INVALID_MARK = " !"

#: the Contact tab's fields, the Details tab's sections and the notes, all as the field
#: registry (``tillterm.customers.fields``) lists them: the form keeps no list of its own
CONTACT_FIELDS: tuple[CustomerField, ...] = tuple(f for f in FIELDS if f.tab == "contact")
NOTES: CustomerField = FIELD_BY_KEY["notes"]
#: the kinds a widget other than a one-line input shows (a switch, a list, a text area)
_RAW_KINDS = frozenset({"bool", "group", "tax"})


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date):  # a datetime too
        return value.strftime("%d/%m/%Y")
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def record_values(record: CustomerRecord) -> dict[str, object]:
    """A record's values as the form's fields show them."""
    values: dict[str, object] = {}
    for field in FIELDS:
        value = getattr(record, field.key)
        values[field.key] = value if field.kind in _RAW_KINDS else _text(value)
    for name, value in record.custom.items():
        values[custom_key(name)] = value
    return values


def activity_summary(
    record: CustomerRecord | None, activity: CustomerActivity | None, currency: str
) -> str:
    """The read-only figures at the bottom of the Details tab."""
    if record is None or activity is None:
        return _("Created when saved; figures appear with the first sale.")
    points = activity.loyalty_balance
    rows = (
        (_("Created"), day(record.created_at.astimezone().date())),
        (_("Year to date"), format_money(activity.year_to_date_spend, currency)),
        (_("Account balance"), format_money(activity.account_balance, currency)),
        (
            _("Loyalty balance"),
            ngettext("{count} point", "{count} points", abs(points)).format(count=whole(points)),
        ),
    )
    width = max(17, *(len(label) + 2 for label, _value in rows))
    return "\n".join(f"{label:<{width}}{value}" for label, value in rows)


def form_label(field: CustomerField) -> str:
    """The name the form writes before a field, in the process's language.

    The registry's names are English (they also match import headers). Translated here;
    a language whose name for a field is too long for the form's label column gives a
    shorter one in the "customer form" context.
    """
    label = field.shown_label
    shorter = pgettext("customer form", label)
    return shorter if shorter != label else _(label)


def _blank(kind: str) -> object:
    """What an untouched field of this kind holds (see ``field_value``)."""
    return False if kind == "bool" else None if kind in {"group", "tax"} else ""


def make_field(field: CustomerField) -> Widget:
    kind = field.kind
    widget_id = f"field-{field.key}"
    if kind == "bool":
        # no slide: a snappier form over SSH, and a loaded value shows at once
        return Switch(id=widget_id, animate=False)
    if kind == "group":
        return Select[int]([], prompt=_("No group"), id=widget_id, compact=True)
    if kind == "tax":
        return Select[int]([], prompt=_("Store default"), id=widget_id, compact=True)
    if kind == "notes":
        return PlainTextArea(id=widget_id, compact=True, soft_wrap=True)
    # the registry's texts are English (they also match import headers): shown translated
    placeholder = _(field.placeholder) if field.placeholder else ""
    return Input(placeholder=placeholder, id=widget_id, compact=True)


class CustomerForm(TillModal[CustomerRecord | None]):
    """Add or edit one customer."""

    HELP_TITLE = _("Customer form")
    #: the first field is focused at mount (a new customer) or once its value is in
    #: (editing: see ``_prepared``)
    AUTO_FOCUS = None
    CSS_PATH = css("customer_form.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("f6", "show_tab('tab-contact')", _("Contact tab")),
        Binding("f7", "show_tab('tab-details')", _("Details tab")),
        Binding("ctrl+pagedown", "next_tab", _("Next tab"), show=False),
        Binding("ctrl+pageup", "next_tab", _("Previous tab"), show=False),
        Binding("escape", "cancel", _("Cancel")),
    ]

    @dataclass
    class Prepared(Message):
        """Choices, custom fields and (when editing) the customer were read."""

        groups: tuple[tuple[str, int], ...]
        taxes: tuple[tuple[str, int], ...]
        custom_fields: tuple[CustomChoice, ...]
        customer: CustomerRecord | None
        activity: CustomerActivity | None
        error: str | None = None

    @dataclass
    class Invalid(Message):
        """The core refused the data: field → message, every problem at once."""

        errors: dict[str, str]

    @dataclass
    class DuplicatesFound(Message):
        """Customers that look like the one being saved (same email, phone or code)."""

        duplicates: tuple[Duplicate, ...]

    @dataclass
    class Saved(Message):
        """The customer was created or updated."""

        customer: CustomerRecord

    @dataclass
    class SaveFailed(Message):
        """The database refused the save; the form keeps everything typed."""

        error: str

    @dataclass
    class ExistingOpened(Message):
        """The person chose the existing duplicate rather than saving."""

        customer: CustomerRecord

    @dataclass
    class CodeLookedUp(Message):
        """A scanned code was looked up while the code field did not have the focus."""

        code: str
        owner: CustomerRecord | None

    def __init__(
        self,
        customer_id: int | None = None,
        prefill: Mapping[str, str] | None = None,
        *,
        via: str = "form",
    ) -> None:
        """``via``: how consents given here reach the till ("register" at the till)."""
        super().__init__()
        self.customer_id = customer_id
        self.via = via
        self.prefill = dict(prefill or {})
        self.customer: CustomerRecord | None = None
        self._fields: dict[str, Widget] = {}
        self._initial: dict[str, object] | None = None
        self._saving = False
        self._pending: dict[str, object] = {}
        self._details_ready = False
        self._custom_defs: tuple[CustomChoice, ...] = ()
        self._activity_text = ""
        self._taxes: tuple[tuple[str, int], ...] = ()
        #: field → the value the last save refused (see ``_edited``)
        self._refused: dict[str, object] = {}

    @property
    def _currency(self) -> str:
        return getattr(getattr(self.app, "settings", None), "currency", "EUR")

    @property
    def editing(self) -> bool:
        return self.customer_id is not None

    # -- layout ----------------------------------------------------------------------

    def _id_list(self, key: str) -> Select[int]:
        """The group or tax rate list, kept with the other fields as a plain ``Widget``."""
        widget = self._fields[key]
        if not isinstance(widget, Select):  # make_field builds a Select[int] for these
            raise TypeError(f"the {key} field is not a list")
        return widget

    def _row(self, field: CustomerField) -> FormRow:
        widget = make_field(field)
        self._fields[field.key] = widget
        return FormRow(form_label(field), widget, field_name=field.key)

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            title = _("Edit customer") if self.editing else _("New customer")
            yield Static(plain(title), id="form-title")
            with TabbedContent(id="form-tabs", initial=CONTACT_TAB):
                with (
                    TabPane(TAB_TITLES[CONTACT_TAB], id=CONTACT_TAB),
                    VerticalScroll(classes="form-scroll"),
                ):
                    for field in CONTACT_FIELDS:
                        yield self._row(field)
                with TabPane(TAB_TITLES[DETAILS_TAB], id=DETAILS_TAB):
                    # filled on first need (see _build_details): three quarters of the
                    # form's widgets, which a quick "add customer" at the till never opens
                    yield VerticalScroll(classes="form-scroll", id="details-scroll")
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="form-buttons"):
                label = _("Save changes (Ctrl+S)") if self.editing else _("Create (Ctrl+S)")
                yield Button(plain(label), id="form-save", variant="primary", compact=True)
                yield Button(plain(_("Cancel (Esc)")), id="form-cancel", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        """A new customer's form is ready at once: the prefill is known, the first field
        focused, and the choices (groups, tax rates, custom fields) fill in behind, so a
        name typed right behind Ctrl+N lands in it whole. Editing waits for the customer
        (``keys_wait``): keys typed meanwhile go to the form once its values are in."""
        if not self.editing:
            self._fill(self.prefill)
            self._fields["first_name"].focus()
            self._remember_initial()
        self._prepare()

    @property
    def keys_wait(self) -> bool:
        """While the customer being edited is read, typed keys wait (they would land in
        fields about to be filled): :mod:`tillterm.ui.typeahead`."""
        return (self.editing and self._initial is None) or super().keys_wait

    def _fill(self, values: Mapping[str, object]) -> None:
        """Show ``values`` in their fields; those of a Details tab not built yet wait."""
        for key, value in values.items():
            if key in self._fields:
                set_field_value(self._fields[key], value)
            else:
                self._pending[key] = value

    # -- loading ---------------------------------------------------------------------

    def _prepare(self) -> None:
        customer_id = self.customer_id
        care = self.services.customers

        def prepared(start: FormStart) -> CustomerForm.Prepared:
            choices, opened = start.choices, start.opened
            return self.Prepared(
                choices.groups,
                choices.taxes,
                choices.custom_fields,
                opened.record if opened else None,
                opened.activity if opened else None,
            )

        self.run_job(
            "customer-form-load",
            lambda: care.start_form(customer_id),
            prepared,
            lambda error: self.Prepared((), (), (), None, None, error),
            description=_("reading the customer form's choices"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """An unexpected failure (told and logged by the app) leaves the form usable."""
        if group == "customer-form-save":
            self._saving = False
            self._status(
                _(
                    "Not saved: an unexpected error (see the log). "
                    "Everything you typed is still here."
                ),
                error=True,
            )
        elif group == "customer-form-load":
            # as if read empty: a new customer can still be typed and saved (no choices)
            self._status(_("Cannot read the database (the error is in the log)."), error=True)
            if self.focused is None or not (self.focused.id or "").startswith("field-"):
                self._fields["first_name"].focus()
            if self.editing:  # a new customer's form was remembered at mount
                self.call_after_refresh(self._remember_initial)

    @on(Prepared)
    async def _prepared(self, message: Prepared) -> None:
        if message.error:
            self._status(
                _("Cannot read the database: {error}").format(error=message.error), error=True
            )
        self._id_list("group_id").set_options(plain_options(message.groups))
        self._taxes = message.taxes
        if "tax_rate_id" in self._fields:
            self._id_list("tax_rate_id").set_options(plain_options(message.taxes))
        self._custom_defs = message.custom_fields
        values: dict[str, object] = {}
        if message.customer is not None:
            self.customer = message.customer
            values = record_values(message.customer)
            self.query_one("#form-title", Static).update(
                plain(_("Edit customer: {name}").format(name=message.customer.display_name))
            )
            values.update(self.prefill)  # drawn: a dict of field values, not a widget
            self._fill(values)
        self._activity_text = activity_summary(message.customer, message.activity, self._currency)
        if self._details_ready:  # opened before the data came: fill it now
            if self.editing:  # a new customer's prefill is in since mount (maybe typed over)
                for key, value in self._pending.items():
                    if key in self._fields:
                        set_field_value(self._fields[key], value)
            self.query_one("#form-activity", Static).update(
                plain(self._activity_text, multiline=True)
            )
        if not self.editing:
            # focused and remembered at mount; only the choices came, and the custom
            # fields they add start empty
            if self._initial is not None:
                self._initial["custom"] = {choice.name: "" for choice in self._custom_defs}
            return
        if (
            self.focused is None
            or self.focused.id is None
            or not self.focused.id.startswith("field-")
        ):
            # focused only now, so the first field's "select all on focus" sees its value
            self._fields["first_name"].focus()
        # Loaded values were not typed here: Esc right away loses nothing.
        self.call_after_refresh(self._remember_initial)

    async def _build_details(self) -> None:
        """Mount the Details tab's fields, holding the values read or prefilled so far."""
        if self._details_ready:
            return
        self._details_ready = True
        widgets: list[Widget] = []
        for section, fields in DETAIL_SECTIONS:
            widgets.append(Static(plain(_(section)), classes="form-section"))
            widgets.extend(self._row(field) for field in fields)
        if self._custom_defs:
            widgets.append(Static(plain(_("Custom fields")), classes="form-section"))
        for n, field in enumerate(self._custom_defs):
            widget: Widget
            if field.choices:
                widget = Select[str](
                    plain_options((c, c) for c in field.choices),
                    prompt="—",
                    id=f"field-custom-{n}",
                    compact=True,
                )
            else:
                widget = Input(id=f"field-custom-{n}", compact=True)
            self._fields[custom_key(field.name)] = widget
            widgets.append(FormRow(field.name, widget, field_name=f"custom-{n}"))
        widgets.append(self._row(NOTES))
        widgets.append(Static(plain(_("Activity (read-only)")), classes="form-section"))
        widgets.append(Static(plain(self._activity_text, multiline=True), id="form-activity"))
        await self.query_one("#details-scroll").mount_all(widgets)
        self._id_list("tax_rate_id").set_options(plain_options(self._taxes))
        for key, value in self._pending.items():
            if key in self._fields:
                set_field_value(self._fields[key], value)

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == DETAILS_TAB:
            await self._build_details()

    def _remember_initial(self) -> None:
        self._initial = self.collect()

    # -- values ----------------------------------------------------------------------

    def collect(self) -> dict[str, Any]:
        """What the person typed, keyed by ``CustomerRecord`` field names.

        Fields of a Details tab not yet built count with the values they will show.
        """
        data: dict[str, Any] = {}
        for field in FIELDS:
            widget = self._fields.get(field.key)
            data[field.key] = (
                field_value(widget)
                if widget is not None
                else self._pending.get(field.key, _blank(field.kind))
            )
        custom: dict[str, str] = {}
        for choice in self._custom_defs:
            key = custom_key(choice.name)
            widget = self._fields.get(key)
            value = field_value(widget) if widget is not None else self._pending.get(key)
            custom[choice.name] = "" if value is None else str(value)
        data["custom"] = custom
        return data

    @property
    def dirty(self) -> bool:
        return self._initial is not None and self.collect() != self._initial

    def _row_for(self, key: str) -> FormRow | None:
        """The row of a problem's field: the core reports under the registry's keys."""
        widget = self._fields.get(key)
        if widget is None:
            return None
        for ancestor in widget.ancestors:
            if isinstance(ancestor, FormRow):
                return ancestor
        return None

    # -- saving ----------------------------------------------------------------------

    def action_save(self, allow_duplicates: bool = False) -> None:
        if self._saving:
            return
        self._saving = True
        self._status(_("Saving…"))
        self._save(self.collect(), allow_duplicates)

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    def _save(self, data: dict[str, Any], allow_duplicates: bool) -> None:
        customer_id = self.customer_id
        care, via = self.services.customers, self.via

        def answered(outcome: SaveOutcome) -> Message:
            # delivered after the commit: "Saved" means it is in the database
            if isinstance(outcome, Refused):
                return self.Invalid(dict(outcome.errors))
            if isinstance(outcome, Duplicates):
                return self.DuplicatesFound(outcome.candidates)
            return self.Saved(outcome.record)

        self.run_job(
            "customer-form-save",
            lambda: care.save(
                data, customer_id=customer_id, allow_duplicates=allow_duplicates, via=via
            ),
            answered,
            self.SaveFailed,
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=_("saving the customer"),
        )

    @on(Invalid)
    async def _invalid(self, message: Invalid) -> None:
        self._saving = False
        await self.show_errors(message.errors)

    async def show_errors(self, errors: Mapping[str, str]) -> None:
        """Put each message next to its field, flag the tabs, focus the first problem."""
        if any(self._row_for(key) is None for key in errors):
            await self._build_details()
        for row in self.query(FormRow):
            row.set_error(None)
        unplaced: list[str] = []
        first: FormRow | None = None
        for key, text in errors.items():
            placed = self._row_for(key)
            if placed is None:
                unplaced.append(text)
                continue
            placed.set_error(text)
            self._refused[placed.field_name] = field_value(placed.field)
            first = first or placed
        self._flag_tabs()
        count = len(errors)
        summary = ngettext(
            "{count} problem to fix; nothing was saved.",
            "{count} problems to fix; nothing was saved.",
            count,
        ).format(count=count)
        self._status(" ".join([summary, *unplaced]), error=True)
        if first is not None:
            pane = next(a for a in first.ancestors if isinstance(a, TabPane))
            self.query_one(TabbedContent).active = pane.id or CONTACT_TAB
            first.field.focus(scroll_visible=False)
            self._scroll_to_row(first)

    def _scroll_to_row(self, row: FormRow, tries: int = SCROLL_TRIES) -> None:
        """Scroll ``row`` into view once its tab is laid out.

        A tab just shown is laid out when the screen next updates, which it does on a
        timer: until then the row has no place and a scroll to it is lost. Textual's own
        scroll to a focused field is worked out before then too, so a problem far down
        the Details tab was focused out of sight. The row is looked at again each frame
        until it has its place (or a few frames have passed).
        """
        if row.region.area or tries <= 0:
            # centred, as Textual places a field it focuses: the row's message line
            # below it (laid out with it) is in view too
            self.scroll_to_center(row, animate=False, origin_visible=True)
        else:
            self.set_timer(SCROLL_RETRY_S, partial(self._scroll_to_row, row, tries - 1))

    def _flag_tabs(self) -> None:
        tabs = self.query_one(TabbedContent)
        for pane_id, title in TAB_TITLES.items():
            pane = tabs.get_pane(pane_id)
            invalid = any(row.error for row in pane.query(FormRow))
            tabs.get_tab(pane_id).label = title + (INVALID_MARK if invalid else "")

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    @on(TextArea.Changed)
    def _edited(self, event: Message) -> None:
        """Editing a field that had a problem clears its message (the next save rechecks)."""
        widget = getattr(event, "control", None)
        for ancestor in getattr(widget, "ancestors", ()):
            if isinstance(ancestor, FormRow):
                # a late "changed" for the very value that was refused changes nothing
                if ancestor.error and field_value(ancestor.field) != self._refused.get(
                    ancestor.field_name
                ):
                    ancestor.set_error(None)
                    self._flag_tabs()
                break

    @on(DuplicatesFound)
    def _duplicates_found(self, message: DuplicatesFound) -> None:
        self._saving = False
        self._status("")
        lines = []
        for dup in message.duplicates[:3]:
            who = dup.customer
            reasons = ", ".join(_(reason) for reason in dup.reasons)
            lines.append(
                _("• {name} (code {code}): {reasons}").format(
                    name=who.display_name, code=who.customer_code, reasons=reasons
                )
            )
        more = len(message.duplicates) - 3
        if more > 0:
            lines.append(
                ngettext("• and {count} more", "• and {count} more", more).format(count=more)
            )
        existing = message.duplicates[0].customer

        def answered(choice: str | None) -> None:
            if choice == "save":
                self.action_save(allow_duplicates=True)
            elif choice == "open":
                self._open_existing(existing.id)

        self.app.push_screen(
            ChoiceScreen(
                _("Possible duplicate"),
                _("This customer may already exist:") + "\n" + "\n".join(lines),
                [
                    Choice(
                        "open",
                        _("Open {name}").format(name=existing.display_name)[:30],
                        "o",
                        "primary",
                    ),
                    Choice("save", _("Save anyway"), "s", "warning"),
                ],
            ),
            answered,
        )

    def _open_existing(self, customer_id: int) -> None:
        care = self.services.customers
        self.run_job(
            "customer-form-open",
            lambda: care.get(customer_id),
            self.ExistingOpened,
            self.SaveFailed,
            description=_("opening the existing customer"),
        )

    @on(ExistingOpened)
    def _existing_opened(self, message: ExistingOpened) -> None:
        self.dismiss(message.customer)

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self._saving = False
        done = _("{name} updated.") if self.editing else _("{name} created.")
        self.notify(done.format(name=message.customer.display_name), title=_("Customer"))
        self.dismiss(message.customer)

    @on(SaveFailed)
    def _save_failed(self, message: SaveFailed) -> None:
        self._saving = False
        self._status(
            _("Not saved: {error} Everything you typed is still here.").format(error=message.error),
            error=True,
        )
        self.notify(message.error, title=_("Not saved"), severity="error")

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#form-status", Static)
        status.update(plain(text, multiline=True))
        status.set_class(error, "-error")

    # -- tabs, cancel ------------------------------------------------------------------

    async def action_show_tab(self, pane_id: str) -> None:
        if pane_id == DETAILS_TAB:
            await self._build_details()
        tabs = self.query_one(TabbedContent)
        tabs.active = pane_id
        pane = tabs.get_pane(pane_id)
        first = next(iter(pane.query(FormRow)), None)
        if first is not None:
            # the tab opens at its top, where its first field is. Textual's own scroll
            # to a field it focuses would be worked out before the tab just shown is
            # laid out (the field has no place yet): on a loaded machine it left the
            # Details tab a line down, its heading hidden (a snapshot caught it)
            first.field.focus(scroll_visible=False)
            pane.query_one(VerticalScroll).scroll_home(animate=False)

    async def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        await self.action_show_tab(DETAILS_TAB if tabs.active == CONTACT_TAB else CONTACT_TAB)

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                _("Unsaved changes"),
                _("Discard what you typed in this form?"),
                yes=_("Discard"),
                no=_("Keep editing"),
            ),
            answered,
        )

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    # -- scans -----------------------------------------------------------------------

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        """A scan is the customer code (SPEC §7), whatever field has the focus.

        Never a question: a dialog here would be answered by the next scan's Enter. The
        code is looked up, then goes straight into the Customer code field (on the
        Details tab, built or not yet) unless it is another customer's card; the status
        line says which.
        """
        message.stop()
        code = message.code.strip()
        if code:
            self._look_up_code(code)

    def _look_up_code(self, code: str) -> None:
        care = self.services.customers
        self.run_job(
            "customer-form-scan",
            lambda: care.find_by_code(code),
            lambda owner: self.CodeLookedUp(code, owner),
            self.SaveFailed,
            description=_("looking up the scanned card"),
        )

    @on(CodeLookedUp)
    def _code_looked_up(self, message: CodeLookedUp) -> None:
        owner = message.owner
        if owner is not None and owner.id != self.customer_id:
            self._status(
                _("Card {code} is {name}'s: not used. Scan another card.").format(
                    code=message.code, name=owner.display_name
                ),
                error=True,
            )
            self.app.bell()
            return
        code_field = self._fields.get("customer_code")
        if code_field is not None:
            set_field_value(code_field, message.code)
        else:
            self._pending["customer_code"] = message.code
        self._status(
            _("Customer code {code} (scanned; Details tab, F7).").format(code=message.code)
        )
