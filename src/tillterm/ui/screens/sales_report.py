"""Ctrl+R on the register: sales by customer group over a date range."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from tillterm.i18n import _, pgettext
from tillterm.i18n.formats import day, decimal_text
from tillterm.sales import GroupReport
from tillterm.ui.plain import plain, plain_text
from tillterm.ui.screens.base import TillModal
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.results_table import PlainCell, fit


def parse_day(text: str) -> dt.date:
    """``2026-03-31`` or ``31/03/2026`` (how a person types a date here)."""
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            _("“{text}” is not a date (31/03/2026 or 2026-03-31).").format(text=text)
        ) from None


class SalesReportScreen(TillModal[None]):
    HELP_TITLE = _("Sales by group")
    CSS_PATH = css("sales_report.tcss")
    BINDINGS = [
        Binding("enter", "run_report", _("Show")),
        Binding("escape", "close", _("Back to sale")),
    ]

    @dataclass
    class Ready(Message):
        report: GroupReport

    @dataclass
    class Failed(Message):
        note: str

    def compose(self) -> ComposeResult:
        today = dt.date.today()
        with Vertical(id="report-box"):
            yield Static(plain(_("Sales by customer group")), id="report-title")
            with Horizontal(id="report-dates"):
                yield Label(plain(pgettext("date range", "From")))
                yield Input(day(today.replace(day=1)), id="report-from")
                yield Label(plain(pgettext("date range", "To")))
                yield Input(day(today), id="report-to")
            yield DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="report-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#report-table", DataTable)
        table.add_column(plain_text(_("Group")), width=20)
        table.add_column(plain_text(_("Sales")), width=6)
        table.add_column(plain_text(_("Refunds")), width=7)
        table.add_column(plain_text(_("Revenue")), width=11)
        table.add_column(plain_text(_("Discount")), width=10)
        self.query_one("#report-from", Input).focus()
        self.action_run_report()

    @on(Input.Submitted)
    def action_run_report(self) -> None:
        try:
            start = parse_day(self.query_one("#report-from", Input).value)
            end = parse_day(self.query_one("#report-to", Input).value)
        except ValueError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self._run(start, end)

    def _run(self, start: dt.date, end: dt.date) -> None:
        services = self.services
        self.run_job(
            "report",
            lambda: services.till.sales_by_group(start, end),
            self.Ready,
            self.Failed,
            description=_("computing the sales report"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """The table shows the last report that was read, if any: say so."""
        self.query_one("#report-note", Static).update(
            plain(_("The report could not be computed: Enter tries again."))
        )

    @on(Ready)
    def _ready(self, message: Ready) -> None:
        table = self.query_one("#report-table", DataTable)
        table.clear()
        report = message.report
        for row in (*report.rows, report.total):
            table.add_row(
                PlainCell(fit(row.group_name, 20)),
                PlainCell(str(row.sales_count)),
                PlainCell(str(row.refunds_count)),
                PlainCell(decimal_text(row.revenue)),
                PlainCell(decimal_text(row.discount)),
            )
        self.query_one("#report-note", Static).update(
            plain(
                _("{start} – {end}. CSV: tillterm report sales-by-group --from … --to …").format(
                    start=day(report.date_from), end=day(report.date_to)
                )
            )
        )

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#report-note", Static).update(plain(message.note))

    def action_close(self) -> None:
        self.dismiss(None)
