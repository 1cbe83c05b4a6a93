"""Back office > Custom fields: the customer fields the store defines ("Shoe size").

Each is text, number, date, yes/no or a choice among listed values. A field is renamed
or given other choices (its type stays: values were checked against it), moved up or
down (the customer form asks in this order), and retired rather than deleted: the form
and the import stop asking for it, while every customer's value stays, shown on the
profile and exported. Retiring again (R) restores it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from tillterm.customers.custom_fields import TYPE_NAMES
from tillterm.i18n import _
from tillterm.services.back_office import CustomFieldDef
from tillterm.ui.plain import plain, plain_text
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.custom_field_form import CustomFieldForm
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.results_table import PlainCell, ResultsTable, fit
from tillterm.ui.widgets.title_bar import TitleBar


class CustomFieldsScreen(TillScreen[None]):
    #: its letter keys act: a scan typed as keys starting with one must not
    HOLD_KEYS_FOR_SCANS = True

    HELP_TITLE = _("Custom fields")
    CSS_PATH = css("custom_fields.tcss")
    AUTO_FOCUS = "#field-table"
    KEYS_WAIT_FOR = frozenset({"custom-fields", "custom-fields-change"})
    BINDINGS = [
        Binding("ctrl+n", "add_field", _("Add")),
        Binding("e", "edit_field", _("Edit")),
        Binding("r", "retire_field", _("Retire/restore")),
        Binding("u", "move_field(-1)", _("Move up")),
        Binding("d", "move_field(1)", _("Move down")),
        Binding("escape", "app.pop_screen", _("Back")),
        Binding("enter", "edit_field", _("Edit"), show=False),
    ]

    @dataclass
    class Loaded(Message):
        fields: tuple[CustomFieldDef, ...]
        error: str | None = None
        #: the field to put the cursor on (one just moved)
        follow: int | None = None

    @dataclass
    class Changed(Message):
        """A field was changed (``said``) or the change refused (``error``)."""

        follow: int
        said: str = ""
        error: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.fields: tuple[CustomFieldDef, ...] = ()

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(
            plain(_("Back office > Custom fields")), classes="screen-title", id="field-title"
        )
        table = ResultsTable(id="field-table")  # plain rows drawn on its fast path
        table.add_column(plain_text(_("Name")), width=22, key="name")
        table.add_column(plain_text(_("Type")), width=7, key="type")
        table.add_column(plain_text(_("Choices")), width=30, key="choices")
        table.add_column(plain_text(_("State")), width=8, key="state")
        yield table
        yield Static(
            plain(_("Retired fields are no longer asked for; customers keep their values.")),
            id="field-status",
            markup=False,
        )
        yield KeyFooter()
        # read while the screen is mounted and laid out: in by its first frame (issue 17)
        self.load(first=True)

    def on_screen_resume(self) -> None:
        if not self.never_covered:  # back from a form, a question: read again
            self.load()

    def load(self, follow: int | None = None, *, first: bool = False) -> None:
        run = partial(self.first_read, show=self._loaded) if first else self.run_job
        run(
            "custom-fields",
            self.services.back_office.custom_fields,
            lambda fields: self.Loaded(fields, follow=follow),
            lambda error: self.Loaded((), error),
            description=_("reading the custom fields"),
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.error:
            self.notify(message.error, title=_("Custom fields"), severity="error")
            return
        table = self.query_one("#field-table", DataTable)
        keep = table.cursor_row
        table.clear()
        self.fields = message.fields
        for field in message.fields:
            table.add_row(
                PlainCell(fit(field.name, 22)),
                PlainCell(TYPE_NAMES.get(field.field_type, field.field_type)),
                PlainCell(fit(", ".join(field.choices), 30)),
                PlainCell(_("retired") if field.retired else _("active")),
                key=str(field.id),
            )
        if message.follow is not None:
            keep = next((i for i, f in enumerate(self.fields) if f.id == message.follow), keep)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        count = len(message.fields)
        self.query_one("#field-title", Static).update(
            plain(
                _("Back office > Custom fields ({count})").format(count=count)
                if count
                else _("Back office > Custom fields: none yet (Ctrl+N adds one)")
            )
        )

    @property
    def current(self) -> CustomFieldDef | None:
        table = self.query_one("#field-table", DataTable)
        if not self.fields or not 0 <= table.cursor_row < len(self.fields):
            return None
        return self.fields[table.cursor_row]

    def action_add_field(self) -> None:
        self.app.push_screen(CustomFieldForm(), self._form_closed)

    def action_edit_field(self) -> None:
        if self.current is not None:
            self.app.push_screen(CustomFieldForm(self.current), self._form_closed)

    @on(DataTable.RowSelected, "#field-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_field()

    def _form_closed(self, field: CustomFieldDef | None) -> None:
        if field is not None:
            self.notify(
                _("Custom field {name} saved.").format(name=field.name), title=_("Custom fields")
            )

    def _change(self, what: str, job: Callable[[], object], follow: int, said: str) -> None:
        """Run a change to a field; the list is read again, its cursor on that field."""
        self.run_job(
            "custom-fields-change",
            job,
            lambda _: self.Changed(follow, said),
            lambda error: self.Changed(follow, error=error),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=what,
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Whatever failed, the list is read again: it shows what is really stored."""
        if group == "custom-fields-change":
            self.load()

    @on(Changed)
    def _changed(self, message: Changed) -> None:
        if message.error:
            self.notify(message.error, title=_("Custom fields"), severity="warning")
        elif message.said:
            self.notify(message.said, title=_("Custom fields"))
        self.load(follow=message.follow)

    def action_retire_field(self) -> None:
        field = self.current
        if field is None:
            return
        office = self.services.back_office
        retire = not field.retired
        said = (
            _("{name} retired: no longer asked for; customers keep their values.")
            if retire
            else _("{name} is asked for again.")
        ).format(name=field.name)
        self._change(
            _("retiring the custom field"),
            lambda: office.retire_custom_field(field.id, retired=retire),
            field.id,
            said,
        )

    def action_move_field(self, step: int) -> None:
        field = self.current
        if field is None:
            return
        office = self.services.back_office
        self._change(
            _("moving the custom field"),
            lambda: office.move_custom_field(field.id, step),
            field.id,
            "",
        )
