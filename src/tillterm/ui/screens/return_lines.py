"""F6 in the recent-sales screen: return some items of the sale shown.

The sale's lines are listed with what was sold, what earlier returns already took back
and what this return takes; the cashier moves with the arrows and sets the quantity with
digits (two digits in a row make 12), ``+``/``-``, or ``a`` for everything left. The
refund and how its money goes back are worked out as the quantities change, by the same
pure :func:`tillterm.sales.plan_return` the return itself runs, so what is read before
F10 is what happens. F10 asks yes/no, then returns through the register's till (which
files the refund's receipt); the screen closes with the refund, and the register shows
its receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tillterm.core.errors import TilltermError
from tillterm.core.money import format_money
from tillterm.i18n import _, pgettext
from tillterm.i18n.formats import decimal_text
from tillterm.sales import ReturnableSale, ReturnPlan, describe_plan, plan_return
from tillterm.services.till import Finished
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.pick_list import PickList


class ReturnLinesScreen(TillModal[Finished | None]):
    """Choose lines and quantities of one completed sale to give back."""

    HELP_TITLE = _("Return items")
    CSS_PATH = css("return_lines.tcss")
    KEYS_WAIT_FOR = frozenset({"return"})
    BINDINGS = [
        Binding("f1", "app.show_help", _("Help")),
        Binding("up", "move(-1)", _("Previous line"), show=False),
        Binding("down", "move(1)", _("Next line"), show=False),
        Binding("0", "type_digit(0)", _("Quantity"), key_display="0-9"),
        *(
            Binding(
                str(d),
                f"type_digit({d})",
                _("Quantity {digit} (two digits: 10 and up)").format(digit=d),
                show=False,
            )
            for d in range(1, 10)
        ),
        Binding("plus,equals_sign", "change(1)", _("One more"), key_display="+"),
        Binding("minus", "change(-1)", _("One less"), key_display="-"),
        Binding("a", "all_left", _("All")),
        Binding("f10", "return_items", _("Return")),
        Binding("escape", "back", _("Back")),
    ]

    @dataclass
    class Loaded(Message):
        """What is left to return of the sale was read."""

        returnable: ReturnableSale

    @dataclass
    class Returned(Message):
        """The return is committed and its receipt filed (or why not, in the note)."""

        done: Finished

    @dataclass
    class Failed(Message):
        """Refused (already returned at another register, database busy…): nothing
        changed."""

        note: str

    def __init__(self, sale_id: int) -> None:
        super().__init__()
        self.sale_id = sale_id
        self.returnable: ReturnableSale | None = None
        #: original line id → units this return takes
        self.quantities: dict[int, int] = {}
        #: the line the last digit went to (a second digit there makes two digits)
        self._typing: int | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="return-box"):
            yield Static(plain(_("Return items")), id="return-title")
            yield Static(
                plain(_heading()),
                id="return-head",
            )
            yield PickList(id="return-list", markup=False)
            yield Static("", id="return-plan")
            yield Static(plain(_("Loading…")), id="return-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#return-list", OptionList).focus()
        self._load()

    def _load(self) -> None:
        services = self.services
        sale_id = self.sale_id
        self.run_job(
            "return",
            lambda: services.till.returnable(sale_id),
            self.Loaded,
            self.Failed,
            description=_("reading the sale's lines"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Told and logged already: F10 works again."""
        self._busy = False
        self._note(_("That did not go through; nothing was returned."), error=True)

    # ----------------------------------------------------------------- showing

    def _note(self, text: str, error: bool = False) -> None:
        self.query_one("#return-note", Static).update(plain(text, "bold red" if error else ""))

    def _plan(self) -> ReturnPlan | None:
        if self.returnable is None or not any(self.quantities.values()):
            return None
        try:
            return plan_return(self.returnable, self.quantities)
        except TilltermError:
            return None

    def _show(self) -> None:
        returnable = self.returnable
        if returnable is None:
            return
        plan = self._plan()
        amounts = {p.line_id: p.total_cents for p in plan.parts} if plan else {}
        options = self.query_one("#return-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for line in returnable.lines:
            qty = self.quantities.get(line.line_id, 0)
            cents = amounts.get(line.line_id)
            amount = decimal_text(cents / Decimal(100)) if cents is not None else ""
            mark = "*" if qty else " "  # chosen lines show without colour
            label = (
                f"{mark}{line.description[:33]:<33}{line.sold:>5}{line.returned:>5}"
                f"{qty:>7}{amount:>10}"
            )
            options.add_option(Option(plain(label), id=str(line.line_id)))
        if returnable.lines:
            options.highlighted = highlighted if highlighted is not None else 0
        cur = returnable.sale.currency
        text = describe_plan(plan, cur) if plan else _("Nothing chosen yet.")
        self.query_one("#return-plan", Static).update(plain(text))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        returnable = message.returnable
        reloaded = self.returnable is not None
        self.returnable = returnable
        left = {line.line_id: line.left for line in returnable.lines}
        self.quantities = {k: min(v, left.get(k, 0)) for k, v in self.quantities.items()}
        sale = returnable.sale
        title = _("Return items of {receipt} ({total})").format(
            receipt=sale.receipt_no, total=format_money(sale.total, sale.currency)
        )
        if sale.customer:
            title += f" — {sale.customer.display_name}"
        self.query_one("#return-title", Static).update(plain(title))
        self._show()
        if returnable.legacy_refund or not any(line.left for line in returnable.lines):
            self._note(
                _("Everything on {receipt} was already returned. Esc back.").format(
                    receipt=sale.receipt_no
                )
            )
        elif reloaded:  # after a refusal: its reason stays on screen
            return
        else:
            self._note(_("Digits set the quantity of the highlighted line; F10 returns."))

    @on(Returned)
    def _returned(self, message: Returned) -> None:
        self._busy = False
        self.dismiss(message.done)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        """Refused: say why, and read the sale again (another register may have returned
        some of it meanwhile; the quantities chosen are kept where still possible)."""
        self._busy = False
        self._note(message.note, error=True)
        self.app.bell()
        if self.returnable is not None:
            self._load()

    # ----------------------------------------------------------------- keys

    def _current(self) -> int | None:
        options = self.query_one("#return-list", OptionList)
        if self.returnable is None or options.highlighted is None:
            return None
        return self.returnable.lines[options.highlighted].line_id

    def _set(self, line_id: int, qty: int) -> None:
        assert self.returnable is not None
        line = next(x for x in self.returnable.lines if x.line_id == line_id)
        if qty > line.left:
            self._note(
                _(
                    "Only {left} of “{item}” can be returned ({returned} of {sold} already were)."
                ).format(
                    left=line.left, item=line.description, returned=line.returned, sold=line.sold
                ),
                error=True,
            )
            self.app.bell()
            return
        self.quantities[line_id] = max(qty, 0)
        self._note(_("F10 returns what is marked *; Esc goes back without returning."))
        self._show()

    def action_move(self, delta: int) -> None:
        self._typing = None
        options = self.query_one("#return-list", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else 0
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def action_type_digit(self, digit: int) -> None:
        line_id = self._current()
        if line_id is None:
            return
        qty = digit
        if self._typing == line_id:
            qty = self.quantities.get(line_id, 0) * 10 + digit
        self._typing = line_id
        self._set(line_id, qty)

    def action_change(self, delta: int) -> None:
        self._typing = None
        line_id = self._current()
        if line_id is not None:
            self._set(line_id, max(self.quantities.get(line_id, 0) + delta, 0))

    def action_all_left(self) -> None:
        self._typing = None
        if self.returnable is None:
            return
        self.quantities = {line.line_id: line.left for line in self.returnable.lines}
        self._note(_("Everything left is marked; F10 returns it."))
        self._show()

    def action_return_items(self) -> None:
        returnable = self.returnable
        if returnable is None or self._busy:
            return
        try:
            plan = plan_return(returnable, self.quantities)
        except TilltermError as exc:
            self._note(str(exc), error=True)
            self.app.bell()
            return
        sale = returnable.sale
        quantities = {k: v for k, v in self.quantities.items() if v}
        question = _("Return from {receipt}: {plan}").format(
            receipt=sale.receipt_no, plan=describe_plan(plan, sale.currency)
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy = True
                self._note(_("Returning…"))
                services = self.services
                self.run_job(
                    "return",
                    lambda: services.till.return_items(sale.id, quantities),
                    self.Returned,
                    self.Failed,
                    description=_("returning the items"),
                    holds_keys=True,
                )

        confirm = ConfirmScreen(_("Return these items?"), question, _("Return"))
        self.app.push_screen(confirm, answered)

    def action_back(self) -> None:
        self.dismiss(None)


def _heading() -> str:
    """The columns' titles over the lines (their widths are the lines' own)."""
    item, sold = _("Item"), pgettext("return", "Sold")
    back, taken = pgettext("return", "Back"), pgettext("return", "Return")
    amount = pgettext("return", "Amount")
    return f" {item:<33}{sold:>5}{back:>5}{taken:>7}{amount:>10}"
