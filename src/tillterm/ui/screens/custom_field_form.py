"""Define a custom customer field, or rename one / change its choices.

The type is chosen once: customers' values were checked against it, so an existing
field's type is shown but cannot change. Choices are typed one per line. Everything is
checked by the domain (:mod:`tillterm.customers.custom_fields`); its messages land
under their fields and what was typed stays.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static, TextArea

from tillterm.customers.custom_fields import TYPE_NAMES
from tillterm.i18n import _
from tillterm.services.back_office import CustomFieldDef, Refused
from tillterm.ui.plain import plain, plain_options
from tillterm.ui.screens.back_office_form import BackOfficeForm
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow, field_value, set_field_value


class CustomFieldForm(BackOfficeForm[CustomFieldDef]):
    """Dismisses with the saved field, or ``None`` on Esc."""

    HELP_TITLE = _("Custom field")
    CSS_PATH = css("custom_field_form.tcss")
    FORM = "field-form"
    WHAT = _("saving the custom field")

    def __init__(self, field: CustomFieldDef | None = None) -> None:
        super().__init__()
        self.field = field
        self._initial: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="field-form-box"):
            title = (
                _("Edit field {name}").format(name=self.field.name)
                if self.field
                else _("New custom field")
            )
            yield Static(plain(title), id="field-form-title")
            yield FormRow(_("Name"), Input(id="field-form-name", compact=True), field_name="name")
            yield FormRow(
                _("Type"),
                Select[str](
                    plain_options((label, key) for key, label in TYPE_NAMES.items()),
                    value="text",
                    allow_blank=False,
                    id="field-form-type",
                    compact=True,
                    disabled=self.field is not None,
                ),
                field_name="field_type",
            )
            yield FormRow(
                _("Choices"),
                TextArea(id="field-form-choices", soft_wrap=False),
                field_name="choices",
            )
            yield Static(
                plain(_("Choices: one per line (choice fields). Ctrl+S saves · Esc cancels")),
                id="field-form-status",
                markup=False,
            )

    def on_mount(self) -> None:
        if self.field is not None:
            set_field_value(self.query_one("#field-form-name"), self.field.name)
            set_field_value(self.query_one("#field-form-type"), self.field.field_type)
            set_field_value(self.query_one("#field-form-choices"), "\n".join(self.field.choices))
        self._initial = self._values()
        self.query_one("#field-form-name").focus()

    def _values(self) -> tuple[str, str, str]:
        return (
            str(field_value(self.query_one("#field-form-name"))),
            str(field_value(self.query_one("#field-form-type")) or "text"),
            str(field_value(self.query_one("#field-form-choices"))),
        )

    def _saver(self) -> Callable[[], CustomFieldDef | Refused]:
        name, field_type, choices = self._values()
        office = self.services.back_office
        field_id = None if self.field is None else self.field.id
        return lambda: office.save_custom_field(field_id, name, field_type, choices)
