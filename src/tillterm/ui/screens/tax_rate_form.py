"""Add or edit a tax rate: its name and its percentage (Back office > Tax rates).

The percentage of a rate charged on past sales is refused by the domain with what to do
instead (create a new rate, retire this one); the message lands under the field and
what was typed stays.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from tillterm.catalog.tax_rates import rate_text
from tillterm.i18n import _
from tillterm.services.back_office import Refused, TaxRateRecord
from tillterm.ui.plain import plain
from tillterm.ui.screens.back_office_form import BackOfficeForm
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow, set_field_value


class TaxRateForm(BackOfficeForm[TaxRateRecord]):
    """Dismisses with the saved rate, or ``None`` on Esc."""

    HELP_TITLE = _("Tax rate")
    CSS_PATH = css("tax_rate_form.tcss")
    FORM = "tax-form"
    WHAT = _("saving the tax rate")

    def __init__(self, rate: TaxRateRecord | None = None) -> None:
        super().__init__()
        self.rate = rate

    def compose(self) -> ComposeResult:
        with Vertical(id="tax-form-box"):
            title = (
                _("Edit tax rate {name}").format(name=self.rate.name)
                if self.rate
                else _("New tax rate")
            )
            yield Static(plain(title), id="tax-form-title")
            yield FormRow(_("Name"), Input(id="tax-form-name", compact=True), field_name="name")
            yield FormRow(
                _("Rate %"),
                Input(id="tax-form-rate", placeholder=_("e.g. 20 or 5.5"), compact=True),
                field_name="rate",
            )
            if self.rate is not None and self.rate.sold:
                yield Static(
                    plain(_("Charged on past sales: its rate stays; its name may change.")),
                    id="tax-form-note",
                    markup=False,
                )
            yield Static(plain(_("Ctrl+S saves · Esc cancels")), id="tax-form-status", markup=False)

    def on_mount(self) -> None:
        if self.rate is not None:
            set_field_value(self.query_one("#tax-form-name"), self.rate.name)
            set_field_value(self.query_one("#tax-form-rate"), rate_text(self.rate.rate))
        self._initial = self._values()
        self.query_one("#tax-form-name").focus()

    def _values(self) -> tuple[str, str]:
        return (
            self.query_one("#tax-form-name", Input).value,
            self.query_one("#tax-form-rate", Input).value,
        )

    def _saver(self) -> Callable[[], TaxRateRecord | Refused]:
        name, rate = self._values()
        office = self.services.back_office
        rate_id = None if self.rate is None else self.rate.id
        return lambda: office.save_tax_rate(rate_id, name, rate)
