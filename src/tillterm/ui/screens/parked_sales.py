"""F6 on the register: the parked sales of every register, Enter resumes one here."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tillterm.core.errors import TilltermError
from tillterm.sales import ParkedSale, list_parked
from tillterm.store.engine import session_scope
from tillterm.ui.plain import plain
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter


class ParkedSalesScreen(ModalScreen[int | None]):
    """Dismisses with the chosen sale's id, or ``None``."""

    HELP_TITLE = "Parked sales"
    CSS_PATH = css("parked_sales.tcss")
    BINDINGS = [
        Binding("enter", "resume", "Resume"),
        Binding("escape", "close", "Back to sale"),
    ]

    @dataclass
    class Loaded(Message):
        sales: list[ParkedSale]

    @dataclass
    class LoadFailed(Message):
        note: str

    def compose(self) -> ComposeResult:
        with Vertical(id="parked-box"):
            yield Static("Parked sales", id="parked-title")
            yield OptionList(id="parked-list", markup=False)
            yield Static("Loading…", id="parked-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#parked-list", OptionList).focus()
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="parked")
    def _load(self) -> None:
        try:
            with session_scope(self.app.engine) as session:  # type: ignore[attr-defined]
                parked = list_parked(session)
        except TilltermError as exc:
            self.post_message(self.LoadFailed(str(exc)))
            return
        self.post_message(self.Loaded(parked))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        options = self.query_one("#parked-list", OptionList)
        options.clear_options()
        for sale in message.sales:
            when = sale.parked_at.astimezone().strftime("%d/%m %H:%M")
            who = (sale.customer_name or "no customer")[:22]
            label = (
                f"{when}  {sale.register_name[:10]:<10} {who:<22} "
                f"{sale.line_count:>2} l. {sale.total:>9.2f}"
            )
            options.add_option(Option(plain(label), id=str(sale.id)))
        if message.sales:
            options.highlighted = 0
        note = "Enter resumes the sale on this register." if message.sales else "No parked sales."
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
