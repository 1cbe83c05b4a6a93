"""Add or edit a customer group: name, description, discount and sales tax (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Select, Static

from tillterm.core.money import parse_amount
from tillterm.customers.groups import GroupRecord
from tillterm.i18n import _
from tillterm.services.customer_care import GroupOutcome
from tillterm.services.customer_care import Invalid as Refused
from tillterm.ui.plain import plain, plain_options
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css
from tillterm.ui.widgets.form_row import FormRow, set_field_value, show_errors


def parse_discount(text: str) -> Decimal | None:
    """``""`` → no discount; ``"10"``, ``"12,5"``, ``"10 %"`` → the percentage."""
    cleaned = text.strip().rstrip("%").strip()
    if not cleaned:
        return None
    try:
        return parse_amount(cleaned)
    except ValueError:
        raise ValueError(
            _("“{text}” is not a percentage (e.g. 10 or 12.5)").format(text=text.strip())
        ) from None


class GroupForm(TillModal[GroupRecord | None]):
    """The group dialog; dismisses with the saved group, or ``None`` on Esc."""

    HELP_TITLE = _("Group")
    CSS_PATH = css("group_form.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
    ]

    @dataclass
    class TaxesLoaded(Message):
        taxes: tuple[tuple[str, int], ...]

    @dataclass
    class Saved(Message):
        """The group was created or changed."""

        group: GroupRecord

    @dataclass
    class Invalid(Message):
        """Field → message for everything that must be fixed (or ``error`` for the rest)."""

        errors: dict[str, str]

    def __init__(self, group: GroupRecord | None = None) -> None:
        super().__init__()
        self.group = group
        #: a save is under way: another Ctrl+S (or Enter) waits for its answer
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="group-box"):
            title = (
                _("Edit group {name}").format(name=self.group.name)
                if self.group
                else _("New group")
            )
            yield Static(plain(title), id="group-title")
            yield FormRow(_("Name"), Input(id="group-name", compact=True), field_name="name")
            yield FormRow(
                _("Description"),
                Input(id="group-description", compact=True),
                field_name="description",
            )
            yield FormRow(
                _("Discount %"),
                Input(id="group-discount", placeholder=_("empty = none"), compact=True),
                field_name="discount_percent",
            )
            yield FormRow(
                _("Sales tax"),
                Select[int]([], prompt=_("Store default"), id="group-tax", compact=True),
                field_name="tax_rate_id",
            )
            yield Static("", id="group-status", markup=False)
            with Horizontal(id="group-buttons"):
                label = _("Save changes (Ctrl+S)") if self.group else _("Create (Ctrl+S)")
                yield Button(plain(label), id="group-save", variant="primary", compact=True)
                yield Button(plain(_("Cancel (Esc)")), id="group-cancel", compact=True)

    def on_mount(self) -> None:
        if self.group is not None:
            set_field_value(self.query_one("#group-name"), self.group.name)
            set_field_value(self.query_one("#group-description"), self.group.description)
            discount = self.group.discount_percent
            set_field_value(
                self.query_one("#group-discount"),
                "" if discount is None else f"{discount.normalize():f}",
            )
        self.query_one("#group-name").focus()
        self._load_taxes()

    def _load_taxes(self) -> None:
        care = self.services.customers
        keep = None if self.group is None else self.group.tax_rate_id
        self.run_job(
            "group-form-taxes",
            lambda: care.tax_choices(keep),
            self.TaxesLoaded,
            lambda _error: self.TaxesLoaded(()),  # "Store default" is still a choice
            description=_("reading the sales taxes"),
        )

    @on(TaxesLoaded)
    def _taxes_loaded(self, message: TaxesLoaded) -> None:
        select = self.query_one("#group-tax", Select)
        select.set_options(plain_options(message.taxes))
        if self.group is not None:
            set_field_value(select, self.group.tax_rate_id)

    def action_save(self) -> None:
        if self._saving:
            return
        for row in self.query(FormRow):
            row.set_error(None)
        name = self.query_one("#group-name", Input).value.strip()
        description = self.query_one("#group-description", Input).value.strip()
        tax = self.query_one("#group-tax", Select).selection  # None: the store default
        errors: dict[str, str] = {}
        if not name:
            errors["name"] = _("A group needs a name.")
        try:
            discount = parse_discount(self.query_one("#group-discount", Input).value)
        except ValueError as exc:
            errors["discount_percent"] = str(exc)
            discount = None
        if errors:
            self._show_errors(errors)
            return
        self._saving = True
        self._save(name, description, discount, None if tax is None else int(tax))

    @on(Button.Pressed, "#group-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def _save(
        self, name: str, description: str, discount: Decimal | None, tax_rate_id: int | None
    ) -> None:
        care = self.services.customers
        group_id = self.group.id if self.group is not None else None

        def answered(outcome: GroupOutcome) -> Message:
            if isinstance(outcome, Refused):
                return self.Invalid(dict(outcome.errors))
            return self.Saved(outcome.group)

        self.run_job(
            "group-form-save",
            lambda: care.save_group(
                group_id,
                name,
                description=description,
                discount_percent=discount,
                tax_rate_id=tax_rate_id,
            ),
            answered,
            lambda error: self.Invalid({"": _("Not saved: {error}").format(error=error)}),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=_("saving the group"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """An unexpected failure (told and logged by the app): the form stays, as typed."""
        if group == "group-form-save":
            self._saving = False
            self.query_one("#group-status", Static).update(
                plain(_("Not saved: an unexpected error (see the log). Ctrl+S tries again."))
            )

    @on(Invalid)
    def _invalid(self, message: Invalid) -> None:
        self._saving = False
        self._show_errors(message.errors)

    def _show_errors(self, errors: dict[str, str]) -> None:
        unplaced = show_errors(self, errors)
        self.query_one("#group-status", Static).update(plain(" ".join(unplaced)))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.dismiss(message.group)

    @on(Button.Pressed, "#group-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
