"""F6 on the register: the parked sales of every register, Enter resumes one here."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tillterm.i18n import _
from tillterm.i18n.formats import decimal_text
from tillterm.sales import ParkedSale
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.pick_list import PickList


class ParkedSalesScreen(TillModal[int | None]):
    """Dismisses with the chosen sale's id, or ``None``."""

    HELP_TITLE = _("Parked sales")
    CSS_PATH = css("parked_sales.tcss")
    #: F6 then Enter resumes the first sale: keys wait for the list
    KEYS_WAIT_FOR = frozenset({"parked"})
    BINDINGS = [
        Binding("enter", "resume", _("Resume")),
        Binding("escape", "close", _("Back to sale")),
    ]

    @dataclass
    class Loaded(Message):
        sales: list[ParkedSale]

    @dataclass
    class LoadFailed(Message):
        note: str

    def compose(self) -> ComposeResult:
        with Vertical(id="parked-box"):
            yield Static(plain(_("Parked sales")), id="parked-title")
            yield PickList(id="parked-list", markup=False)
            yield Static(plain(_("Loading…")), id="parked-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#parked-list", OptionList).focus()
        self._load()

    def _load(self) -> None:
        services = self.services
        self.run_job(
            "parked",
            lambda: services.till.parked(),
            self.Loaded,
            self.LoadFailed,
            description=_("listing the parked sales"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Not "Loading…" forever: say the list is not there; Esc goes back."""
        self.query_one("#parked-note", Static).update(
            plain(_("The parked sales could not be listed. Esc: back to the sale."))
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        options = self.query_one("#parked-list", OptionList)
        options.clear_options()
        for sale in message.sales:
            lines = _("l.")  # lines, in two letters
            when = sale.parked_at.astimezone().strftime("%d/%m %H:%M")
            who = (sale.customer_name or _("no customer"))[:22]
            label = (
                f"{when}  {sale.register_name[:10]:<10} {who:<22} "
                f"{sale.line_count:>2} {lines} {decimal_text(sale.total):>9}"
            )
            options.add_option(Option(plain(label), id=str(sale.id)))
        if message.sales:
            options.highlighted = 0
        note = (
            _("Enter resumes the sale on this register.")
            if message.sales
            else _("No parked sales.")
        )
        self.query_one("#parked-note", Static).update(plain(note))

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        self.query_one("#parked-note", Static).update(plain(message.note))

    @on(OptionList.OptionSelected, "#parked-list")
    def action_resume(self) -> None:
        options = self.query_one("#parked-list", OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        self.dismiss(int(option.id or 0))

    def action_close(self) -> None:
        self.dismiss(None)
