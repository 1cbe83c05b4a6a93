"""Ctrl+G on the register: the cash drawer and the register's day (issue 17).

One screen for what a cashier does with the drawer: open it with a float (F6), put
cash in or take it out with a reason (F7/F8), read the running X report (shown on
arrival, Ctrl+R reads it again), close the day with the cash counted (F10: a
confirmation first, then the Z report, with over/short said in words), and show a past
Z report again (arrows pick it, F9 shows it exactly as it was printed).

With a receipt printer, the Z goes to paper as it is taken: its stored text, from a
worker of its own once the day is closed, so a printer that is off or out of paper
never holds up or loses a Z; what went wrong is said in the note line. Ctrl+L prints
the report shown: the X read again (the time on it is the time it was printed), or a Z
as stored, marked COPY like a receipt's copy (never rendered again).

Selling never waits for the drawer: a sale after a Z starts the next day, and the
status line says when the drawer has not been opened (the day still counts its sales,
with a float of zero). Every change is one :class:`~tillterm.services.drawer.Drawer`
call in a worker; the screen only shows what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tillterm.core.money import from_cents, parse_amount, to_cents
from tillterm.i18n import _, pgettext
from tillterm.i18n.formats import decimal_text
from tillterm.sales.day_reports import over_short_words
from tillterm.services.drawer import DrawerState, ZReport, ZSummary
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.pick_list import PickList
from tillterm.ui.widgets.text_view import TextView

if TYPE_CHECKING:
    from tillterm.services.printing import Printed


class DrawerScreen(TillModal[None]):
    HELP_TITLE = _("Drawer & day")
    CSS_PATH = css("drawer.tcss")
    QUICK_WINDOW = True  # 80×23 of its own: a third of its opening was the restyle
    BINDINGS = [
        Binding("f6", "open_drawer", _("Open")),
        Binding("f7", "move_cash('in')", pgettext("drawer key", "Cash in")),
        Binding("f8", "move_cash('out')", pgettext("drawer key", "Cash out")),
        Binding("f9", "show_z", _("Show Z")),
        Binding("f10", "close_day", _("Close day (Z)")),
        Binding("ctrl+l", "print_report", _("Print")),  # the report shown; a Z: a COPY
        Binding("ctrl+r", "show_x", _("X report (running totals)"), show=False),
        Binding("up", "move(-1)", _("Previous Z report"), show=False),
        Binding("down", "move(1)", _("Next Z report"), show=False),
        Binding("pageup", "scroll(-10)", _("Scroll the report up"), show=False),
        Binding("pagedown", "scroll(10)", _("Scroll the report down"), show=False),
        Binding("escape", "close", _("Back")),
    ]

    @dataclass
    class Loaded(Message):
        """The drawer, its X report and the past Z reports were read."""

        state: DrawerState
        x_text: str
        reports: list[ZSummary]
        note: str
        #: the Z kept on show in place of the X (just taken); ``None``: the X is shown
        showing: ZReport | None = None
        #: the Z was just taken here: it goes to the printer, if there is one
        print_it: bool = False

    @dataclass
    class ZShown(Message):
        """A Z report to show: just taken, or a past one (its stored text)."""

        report: ZReport
        note: str

    @dataclass
    class Failed(Message):
        """Refused or not reachable; nothing changed."""

        note: str

    @dataclass
    class ReportPrinted(Message):
        """A report went to the printer, or did not (``printed.ok`` False); ``None``: a
        Z was taken with no printer configured, nothing to say."""

        printed: Printed | None
        #: the note the printer's word follows ("Z0001 taken: exact. …")
        before: str = ""
        #: the X report as it was printed, shown in place of the older reading
        x_text: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.state: DrawerState | None = None
        self.reports: list[ZSummary] = []
        self._busy = False
        #: the Z shown (Ctrl+L prints a copy of it); ``None``: the X report is shown
        self._shown: ZReport | None = None
        self._printing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="drawer-box"):
            # the title and the drawer's state in one widget, the report and the Z list
            # one each (with its title on its edge): each widget mounted, styled and
            # drawn is its share of the opening (issue 17)
            head = self._head(_("Reading the drawer…"))
            yield Static(head, id="drawer-head")  # drawn: _head builds it with plain()
            with Horizontal(id="drawer-fields"):
                yield Label(plain(_("Amount")))
                yield Input(placeholder=decimal_text(Decimal(0)), id="drawer-amount", compact=True)
                yield Label(plain(_("Reason")))
                yield Input(placeholder=_("for cash in/out"), id="drawer-reason", compact=True)
            with Horizontal(id="drawer-body"):
                yield TextView(id="drawer-report")
                z_list = PickList(id="drawer-z-list", markup=False)
                z_list.border_title = plain(_("Z reports (arrows, F9)"))
                yield z_list
            yield Static("", id="drawer-note")
        yield KeyFooter()
        # read while the window is mounted and laid out: in by its first frame (issue 17)
        self._load("", first=True)

    def _head(self, status: str, register: str | None = None) -> Content:
        """The window's title (with the register, once read) over the drawer's state."""
        title = (
            _("Drawer & day — register {register}").format(register=register)
            if register
            else _("Drawer & day")
        )
        return Content.assemble(plain(title, "bold"), "\n", plain(status))

    def on_mount(self) -> None:
        self.query_one("#drawer-z-list", OptionList).can_focus = False  # the fields keep it
        self.query_one("#drawer-amount", Input).focus()

    # ----------------------------------------------------------------- workers

    def _load(self, note: str, *, first: bool = False) -> None:
        drawer = self.services.drawer

        def read() -> DrawerScreen.Loaded:
            return self.Loaded(*drawer.overview(), drawer.z_reports(), note)

        run = partial(self.first_read, show=self._loaded) if first else self.run_job
        run(
            "drawer-read",
            read,
            lambda loaded: loaded,
            self.Failed,
            description=_("reading the drawer"),
        )

    def _change(self, change: Callable[[], object], note: str, description: str) -> None:
        """Run a drawer change (one at a time), then read the drawer again."""
        if self._busy:
            return
        self._busy = True
        drawer = self.services.drawer

        def run() -> DrawerScreen.Loaded:
            change()
            return self.Loaded(*drawer.overview(), drawer.z_reports(), note)

        self.run_job(
            "drawer-change",
            run,
            lambda loaded: loaded,
            self.Failed,
            exclusive=False,
            description=description,
        )

    # ----------------------------------------------------------------- actions

    def _amount(self, what: str) -> int | None:
        field = self.query_one("#drawer-amount", Input)
        try:
            return to_cents(parse_amount(field.value))
        except ValueError as exc:
            self._note(_("{what}: {error}.").format(what=what, error=exc), error=True)
            field.focus()
            return None

    def action_open_drawer(self) -> None:
        cents = self._amount(_("Type the float in Amount, then F6"))
        if cents is None:
            return
        drawer = self.services.drawer
        self._change(
            lambda: drawer.open(cents),
            _("Drawer opened with a float of {amount}.").format(amount=_amount_text(cents)),
            _("opening the drawer"),
        )

    def action_move_cash(self, kind: str) -> None:
        key = "F7" if kind == "in" else "F8"
        cents = self._amount(_("Type the amount, a reason, then {key}").format(key=key))
        if cents is None:
            return
        reason_field = self.query_one("#drawer-reason", Input)
        reason = reason_field.value.strip()
        if not reason:
            why = (
                _("Say why the cash goes in (Reason), then {key}.")
                if kind == "in"
                else _("Say why the cash goes out (Reason), then {key}.")
            )
            self._note(why.format(key=key), error=True)
            reason_field.focus()
            return
        drawer = self.services.drawer
        done = (
            _("{amount} put in: {reason}.") if kind == "in" else _("{amount} taken out: {reason}.")
        )
        self._change(
            lambda: drawer.move(kind, cents, reason),
            done.format(amount=_amount_text(cents), reason=reason),
            _("recording cash in") if kind == "in" else _("recording cash out"),
        )

    def action_show_x(self) -> None:
        self._load(_("X report read again: running totals, nothing stored."))

    def action_close_day(self) -> None:
        state = self.state
        if state is None or self._busy:
            return
        counted = self._amount(_("Count the drawer, type it in Amount, then F10"))
        if counted is None:
            return
        expected = state.x.expected_cash_cents
        gap = counted - expected
        label = f"Z{state.last_z + 1:04d}"
        message = _(
            "Close register {register}'s day with {label}?\n"
            "Counted {counted}, expected {expected}: {gap}.\n"
            "The Z report is kept as printed; it cannot be changed."
        ).format(
            register=state.register_name,
            label=label,
            counted=_amount_text(counted),
            expected=_amount_text(expected),
            gap=over_short_words(gap),
        )

        def answered(yes: bool | None) -> None:
            self.query_one("#drawer-amount", Input).focus()
            if yes:
                self._take_z(counted, state.last_z)

        self.app.push_screen(ConfirmScreen(_("Close the day"), message, yes=_("Take Z")), answered)

    def _take_z(self, counted: int, after: int) -> None:
        if self._busy:
            return
        self._busy = True
        drawer = self.services.drawer

        def take() -> DrawerScreen.ZShown:
            report = drawer.take_z(counted, after=after)
            gap = report.figures.over_short_cents
            if report.taken_now:
                note = _("{label} taken: {gap}. The next sale starts a new day.").format(
                    label=report.label, gap=over_short_words(gap or 0)
                )
            else:
                note = _(
                    "{label} had just been taken elsewhere; shown as it was printed "
                    "(your count was not recorded)."
                ).format(label=report.label)
            return self.ZShown(report, note)

        self.run_job(
            "drawer-change",
            take,
            lambda shown: shown,
            self.Failed,
            exclusive=False,
            description=_("taking the Z report"),
        )

    def action_show_z(self) -> None:
        listed = self.query_one("#drawer-z-list", OptionList)
        if listed.highlighted is None or not self.reports:
            self._note(_("No Z report yet: F10 closes the day and takes the first."), error=True)
            return
        number = self.reports[listed.highlighted].z_no
        drawer = self.services.drawer
        self.run_job(
            "drawer-read",
            lambda: self.ZShown(
                drawer.z_report(number), _("{label} as printed.").format(label=f"Z{number:04d}")
            ),
            lambda shown: shown,
            self.Failed,
            description=_("reading a Z report"),
        )

    def action_print_report(self) -> None:
        if self._printing:
            self._note(_("Still printing the last report; Ctrl+L again once it is out."))
            return
        shown = self._shown
        if shown is None:
            self._print_x()
        else:
            self._print_z(shown, before="", copy=True)

    def _print_x(self) -> None:
        drawer = self.services.drawer
        printer = self.services.printer

        def run() -> DrawerScreen.ReportPrinted:
            text = drawer.x_report()
            return self.ReportPrinted(printer.print_text(text, _("X report")), x_text=text)

        self._run_print(run, _("Printing the X report…"))

    def _print_z(self, report: ZReport, *, before: str, copy: bool) -> None:
        """Print a Z's stored text: as it is taken (``copy`` False: only with a printer
        configured, said after ``before``), or again, marked COPY."""
        printer = self.services.printer
        text = report.text  # as stored when taken, never rendered again

        def run() -> DrawerScreen.ReportPrinted:
            if copy:
                title = _("Copy of {label}").format(label=report.label)
                return self.ReportPrinted(printer.print_text(text, title, copy=True))
            if not printer.configured():
                return self.ReportPrinted(None)
            return self.ReportPrinted(printer.print_text(text, report.label), before)

        saying = _("Printing a copy of {label}…").format(label=report.label) if copy else ""
        self._run_print(run, saying)

    def _run_print(self, run: Callable[[], ReportPrinted], saying: str) -> None:
        """One print at a time, from a worker holding no session: a printer taking its
        time (up to its deadline) never holds up the drawer's keys."""
        self._printing = True
        if saying:
            self._note(saying)
        self.run_job(
            "drawer-print",
            run,
            lambda printed: printed,
            self.Failed,
            exclusive=False,
            description=_("printing a report"),
        )

    def action_move(self, delta: int) -> None:
        options = self.query_one("#drawer-z-list", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else 0
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def action_scroll(self, delta: int) -> None:
        view = self.query_one("#drawer-report", TextView)
        view.scroll_relative(y=delta, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

    # ----------------------------------------------------------------- results

    def _note(self, text: str, *, error: bool = False) -> None:
        note = self.query_one("#drawer-note", Static)
        note.update(plain(text))
        note.set_class(error, "-error")

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self._busy = False
        self.state = state = message.state
        self.reports = message.reports
        if state.opened_at is None:
            status = (
                _(
                    "Drawer NOT opened: sales still count for the next day, float {amount}. "
                    "Type the float, F6 opens it."
                )
                if state.last_z
                else _(
                    "Drawer NOT opened: sales still count for this day, float {amount}. "
                    "Type the float, F6 opens it."
                )
            ).format(amount=decimal_text(Decimal(0)))
        else:
            status = _(
                "Drawer open since {time}, float {float}; expected in drawer {expected}."
            ).format(
                time=f"{state.opened_at.astimezone():%H:%M}",
                float=_amount_text(state.float_cents),
                expected=_amount_text(state.x.expected_cash_cents),
            )
        head = self._head(status, state.register_name)
        self.query_one("#drawer-head", Static).update(head)  # drawn: plain(), in _head
        self._shown = message.showing
        self._show_report(message.showing.text if message.showing else message.x_text)
        listed = self.query_one("#drawer-z-list", OptionList)
        listed.clear_options()
        listed.add_options(
            Option(
                plain(
                    f"{z.label} {z.taken_at.astimezone():%d/%m %H:%M} "
                    + (
                        _("uncounted")
                        if z.over_short_cents is None
                        else over_short_words(z.over_short_cents)
                    )
                )
            )
            for z in message.reports
        )
        if message.reports:
            listed.highlighted = 0
        if message.note:
            self._note(message.note)
            self.query_one("#drawer-amount", Input).value = ""
            self.query_one("#drawer-reason", Input).value = ""
            self.query_one("#drawer-amount", Input).focus()
        else:
            self._note(
                _(
                    "X report: the open day's running totals (Ctrl+R reads them again, "
                    "Ctrl+L prints them)."
                )
            )
        if message.print_it and message.showing is not None:
            self._print_z(message.showing, before=message.note, copy=False)

    @on(ZShown)
    def _z_shown(self, message: ZShown) -> None:
        self._shown = report = message.report
        self._show_report(report.text)
        if report.taken_now or self._busy:
            self._busy = False
            self.query_one("#drawer-amount", Input).value = ""
            drawer = self.services.drawer
            note = message.note
            # the status and the list follow the new day; the Z stays shown, and goes to
            # the printer once it is (taken here: one taken elsewhere was printed there)
            self.run_job(
                "drawer-read",
                lambda: self.Loaded(
                    drawer.state(),
                    "",
                    drawer.z_reports(),
                    note,
                    showing=report,
                    print_it=report.taken_now,
                ),
                lambda loaded: loaded,
                self.Failed,
                description=_("reading the drawer"),
            )
        self._note(message.note)

    def _show_report(self, text: str) -> None:
        self.query_one("#drawer-report", TextView).set_text(text)

    @on(ReportPrinted)
    def _report_printed(self, message: ReportPrinted) -> None:
        self._printing = False
        printed = message.printed
        if printed is None:  # no printer configured: the Z is on screen and kept
            return
        if message.x_text is not None and self._shown is None:
            self._show_report(message.x_text)  # the screen says what the paper says
        note = printed.note
        if printed.retry:
            note += " — " + (
                _("Ctrl+L prints it again") if message.x_text else _("Ctrl+L prints a copy")
            )
        self._note(f"{message.before} {note}".strip(), error=not printed.ok)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._busy = False
        self._printing = False
        self._note(message.note, error=True)

    def job_failed(self, group: str, error: BaseException) -> None:
        """An unexpected failure was logged and said; the keys work again."""
        self._busy = False
        self._printing = False


def _amount_text(cents: int) -> str:
    """Cents as the drawer shows them: ``12.50`` (``12,50`` in French)."""
    return decimal_text(from_cents(cents))
