"""Back office > Tax rates: the store's sales taxes, what uses each, and their state.

A rate charged on a past sale is never rewritten: its percentage cannot be edited
(the form says to create a new rate and retire this one) and it cannot be deleted.
Retiring (R) takes a rate out of every picker while what points at it keeps it; D makes
the highlighted rate the store's default. The rules are the domain's
(:mod:`tillterm.catalog.tax_rates`); this screen shows their answers.
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

from tillterm.catalog.tax_rates import describe_use, rate_text
from tillterm.i18n import _
from tillterm.services.back_office import Refused, TaxRateRecord
from tillterm.ui.plain import plain, plain_text
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.tax_rate_form import TaxRateForm
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.results_table import PlainCell, ResultsTable, fit
from tillterm.ui.widgets.title_bar import TitleBar


def _state(rate: TaxRateRecord) -> str:
    if rate.retired:
        return _("retired")
    return _("default") if rate.is_default else _("active")


class TaxRatesScreen(TillScreen[None]):
    #: its letter keys act: a scan typed as keys starting with one must not
    HOLD_KEYS_FOR_SCANS = True

    HELP_TITLE = _("Tax rates")
    CSS_PATH = css("tax_rates.tcss")
    AUTO_FOCUS = "#tax-table"
    KEYS_WAIT_FOR = frozenset({"tax-rates"})
    BINDINGS = [
        Binding("ctrl+n", "add_rate", _("Add")),
        Binding("e", "edit_rate", _("Edit")),
        Binding("r", "retire_rate", _("Retire/restore")),
        Binding("d", "make_default", _("Default")),
        Binding("delete", "delete_rate", _("Delete")),
        Binding("escape", "app.pop_screen", _("Back")),
        Binding("enter", "edit_rate", _("Edit"), show=False),
    ]

    @dataclass
    class Loaded(Message):
        rates: tuple[TaxRateRecord, ...]
        error: str | None = None

    @dataclass
    class Changed(Message):
        """An action on a rate was done (``said``) or refused (``error``)."""

        said: str = ""
        error: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.rates: tuple[TaxRateRecord, ...] = ()

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(plain(_("Back office > Tax rates")), classes="screen-title", id="tax-title")
        table = ResultsTable(id="tax-table")  # plain rows drawn on its fast path
        table.add_column(plain_text(_("Name")), width=20, key="name")
        table.add_column(plain_text(_("Rate %")), width=8, key="rate")
        table.add_column(plain_text(_("Used by")), width=30, key="use")
        table.add_column(plain_text(_("State")), width=8, key="state")
        yield table
        yield Static(
            plain(_("A rate charged on past sales never changes: add a new rate, retire the old.")),
            id="tax-status",
            markup=False,
        )
        yield KeyFooter()
        # read while the screen is mounted and laid out: in by its first frame (issue 17)
        self.load(first=True)

    def on_screen_resume(self) -> None:
        if not self.never_covered:  # back from a form, a question: read again
            self.load()

    def load(self, *, first: bool = False) -> None:
        run = partial(self.first_read, show=self._loaded) if first else self.run_job
        run(
            "tax-rates",
            self.services.back_office.tax_rates,
            self.Loaded,
            lambda error: self.Loaded((), error),
            description=_("reading the tax rates"),
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.error:
            self.notify(message.error, title=_("Tax rates"), severity="error")
            return
        table = self.query_one("#tax-table", DataTable)
        keep = table.cursor_row
        table.clear()
        self.rates = message.rates
        for rate in message.rates:
            table.add_row(
                PlainCell(fit(rate.name, 20)),
                PlainCell(rate_text(rate.rate).rjust(8)),
                PlainCell(fit(describe_use(rate), 30)),
                PlainCell(_state(rate)),
                key=str(rate.id),
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        count = len(message.rates)
        self.query_one("#tax-title", Static).update(
            plain(
                _("Back office > Tax rates ({count})").format(count=count)
                if count
                else _("Back office > Tax rates: none yet (Ctrl+N adds one)")
            )
        )

    @property
    def current(self) -> TaxRateRecord | None:
        table = self.query_one("#tax-table", DataTable)
        if not self.rates or not 0 <= table.cursor_row < len(self.rates):
            return None
        return self.rates[table.cursor_row]

    def action_add_rate(self) -> None:
        self.app.push_screen(TaxRateForm(), self._form_closed)

    def action_edit_rate(self) -> None:
        if self.current is not None:
            self.app.push_screen(TaxRateForm(self.current), self._form_closed)

    @on(DataTable.RowSelected, "#tax-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_rate()

    def _form_closed(self, rate: TaxRateRecord | None) -> None:
        if rate is None:
            return
        said = (
            _("Tax rate {name} saved: the store's default tax.")
            if rate.is_default
            else _("Tax rate {name} saved.")
        )
        self.notify(said.format(name=rate.name), title=_("Tax rates"))

    def _act(self, what: str, job: Callable[[], object], said: str) -> None:
        """Run a change to a rate; its answer, or its refusal in words, comes back."""

        def run() -> Message:
            outcome = job()
            if isinstance(outcome, Refused):
                return self.Changed(error=" ".join(outcome.errors.values()))
            return self.Changed(said)

        self.run_job(
            "tax-rates-change",
            run,
            lambda message: message,
            lambda error: self.Changed(error=error),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=what,
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Whatever failed, the list is read again: it shows what is really stored."""
        if group == "tax-rates-change":
            self.load()

    @on(Changed)
    def _changed(self, message: Changed) -> None:
        if message.error:
            self.notify(message.error, title=_("Tax rates"), severity="warning")
        else:
            self.notify(message.said, title=_("Tax rates"))
        self.load()

    def action_retire_rate(self) -> None:
        rate = self.current
        if rate is None:
            return
        office = self.services.back_office
        if rate.retired:
            self._act(
                _("restoring the tax rate"),
                lambda: office.retire_tax_rate(rate.id, retired=False),
                _("{name} is offered again.").format(name=rate.name),
            )
        else:
            self._act(
                _("retiring the tax rate"),
                lambda: office.retire_tax_rate(rate.id),
                _("{name} retired: no longer offered; what uses it keeps it.").format(
                    name=rate.name
                ),
            )

    def action_make_default(self) -> None:
        rate = self.current
        if rate is None or rate.is_default:
            return
        office = self.services.back_office
        self._act(
            _("changing the default tax"),
            lambda: office.make_default_tax(rate.id),
            _("{name} is the store's default tax.").format(name=rate.name),
        )

    def action_delete_rate(self) -> None:
        rate = self.current
        if rate is None:
            return
        if rate.in_use:
            self.notify(
                _("{name} is in use ({use}): retire it (R) instead.").format(
                    name=rate.name, use=describe_use(rate)
                ),
                title=_("Not deleted"),
                severity="warning",
            )
            return
        office = self.services.back_office

        def answered(yes: bool | None) -> None:
            if yes:
                self._act(
                    _("deleting the tax rate"),
                    lambda: office.delete_tax_rate(rate.id),
                    _("Tax rate {name} deleted.").format(name=rate.name),
                )

        self.app.push_screen(
            ConfirmScreen(
                _("Delete {name}").format(name=rate.name),
                _("Delete {name}? Nothing uses it.").format(name=rate.name),
                _("Delete"),
                _("Keep"),
            ),
            answered,
        )
