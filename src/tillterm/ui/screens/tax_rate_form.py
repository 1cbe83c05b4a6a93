"""Add or edit a tax rate: its name and its percentage (Back office > Tax rates).

The percentage of a rate charged on past sales is refused by the domain with what to do
instead (create a new rate, retire this one); the message lands under the field and
what was typed stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tillterm.services.back_office import Refused, TaxRateRecord
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.screens.confirm import ask_to_discard
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow, set_field_value, show_errors


class TaxRateForm(TillModal[TaxRateRecord | None]):
    """Dismisses with the saved rate, or ``None`` on Esc."""

    HELP_TITLE = "Tax rate"
    CSS_PATH = css("tax_rate_form.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    @dataclass
    class Saved(Message):
        rate: TaxRateRecord

    @dataclass
    class Invalid(Message):
        errors: Mapping[str, str]

    def __init__(self, rate: TaxRateRecord | None = None) -> None:
        super().__init__()
        self.rate = rate
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="tax-form-box"):
            title = f"Edit tax rate {self.rate.name}" if self.rate else "New tax rate"
            yield Static(plain(title), id="tax-form-title")
            yield FormRow("Name", Input(id="tax-form-name", compact=True), field_name="name")
            yield FormRow(
                "Rate %",
                Input(id="tax-form-rate", placeholder="e.g. 20 or 5.5", compact=True),
                field_name="rate",
            )
            if self.rate is not None and self.rate.sold:
                yield Static(
                    "Charged on past sales: its rate stays; its name may change.",
                    id="tax-form-note",
                    markup=False,
                )
            yield Static("Ctrl+S saves · Esc cancels", id="tax-form-status", markup=False)

    def on_mount(self) -> None:
        if self.rate is not None:
            set_field_value(self.query_one("#tax-form-name"), self.rate.name)
            set_field_value(self.query_one("#tax-form-rate"), f"{self.rate.rate.normalize():f}")
        self._initial = self._values()
        self.query_one("#tax-form-name").focus()

    def _values(self) -> tuple[str, str]:
        return (
            self.query_one("#tax-form-name", Input).value,
            self.query_one("#tax-form-rate", Input).value,
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True
        name, rate = self._values()
        office = self.services.back_office
        rate_id = None if self.rate is None else self.rate.id

        def answered(outcome: TaxRateRecord | Refused) -> Message:
            if isinstance(outcome, Refused):
                return self.Invalid(outcome.errors)
            return self.Saved(outcome)

        self.run_job(
            "tax-form-save",
            lambda: office.save_tax_rate(rate_id, name, rate),
            answered,
            lambda error: self.Invalid({"": f"Not saved: {error}"}),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description="saving the tax rate",
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """An unexpected failure (told and logged by the app): the form stays as typed."""
        if group == "tax-form-save":
            self._saving = False
            self._status("Not saved: an unexpected error (see the log). Ctrl+S tries again.")

    @on(Invalid)
    def _invalid(self, message: Invalid) -> None:
        self._saving = False
        unplaced = show_errors(self.query_one("#tax-form-box"), message.errors)
        self._status(" ".join(unplaced) or "Not saved: correct what is marked.")

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.dismiss(message.rate)

    def action_cancel(self) -> None:
        ask_to_discard(self, self._values() != self._initial, lambda: self.dismiss(None))

    def _status(self, text: str) -> None:
        self.query_one("#tax-form-status", Static).update(plain(text))
