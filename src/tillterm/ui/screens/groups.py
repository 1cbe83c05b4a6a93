"""F4: Groups — the customer groups with their member counts (SPEC §2).

The list comes first and the counts after it (issue 17: the first page <= 50 ms; a
count of a million customers takes about a second): until then the Members column shows
the counts read last, or "…".

Deleting a group asks first and says how many customers it holds; they stay, without a
group. Enter shows the group's customers on the Customers screen, filtered and ready to
export (seed 002).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from tillterm.customers.groups import GroupRecord
from tillterm.i18n import _, ngettext, pgettext
from tillterm.i18n.formats import whole
from tillterm.ui.plain import plain, plain_text
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.group_form import GroupForm
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.results_table import PlainCell, ResultsTable, fit
from tillterm.ui.widgets.title_bar import TitleBar


def _percent(group: GroupRecord) -> str:
    value = group.discount_percent
    return "" if value is None else f"{value.normalize():f} %"


def _members(count: int) -> str:
    return ngettext("{count} customer", "{count} customers", count).format(count=whole(count))


class GroupsScreen(TillScreen[None]):
    #: its letter keys act (see scan_input): a scan starting with one must not act
    HOLD_KEYS_FOR_SCANS = True

    HELP_TITLE = _("Groups")
    CSS_PATH = css("groups.tcss")
    AUTO_FOCUS = "#group-table"
    #: Enter, E and Del act on the list: keys wait for it
    KEYS_WAIT_FOR = frozenset({"groups"})
    BINDINGS = [
        # the footer's words: at 80 columns the other screens' F-keys must fit beside them
        Binding("ctrl+n", "add_group", pgettext("footer", "Add")),
        Binding("e", "edit_group", pgettext("footer", "Edit")),
        Binding("delete", "delete_group", pgettext("footer", "Delete")),
        Binding("enter", "show_customers", _("Customers"), show=False),
    ]

    @dataclass
    class Loaded(Message):
        """The groups were read (``error`` says why not)."""

        groups: tuple[GroupRecord, ...]
        error: str | None = None

    @dataclass
    class Counted(Message):
        """The groups' member counts (by group id; none for a group without members)."""

        counts: dict[int, int]

    @dataclass
    class Deleted(Message):
        """A group was deleted and ``released`` customers left without a group."""

        name: str
        released: int
        error: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.groups: tuple[GroupRecord, ...] = ()
        #: the member counts read last (``None``: none yet)
        self.counts: dict[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(plain(_("Customer groups")), classes="screen-title", id="groups-title")
        table = ResultsTable(id="group-table")  # plain rows drawn on its fast path
        table.add_column(plain_text(_("Name")), width=18, key="name")
        table.add_column(plain_text(_("Description")), width=22, key="description")
        table.add_column(plain_text(_("Discount")), width=8, key="discount")
        table.add_column(plain_text(_("Sales tax")), width=12, key="tax")
        table.add_column(plain_text(_("Members")), width=9, key="members")
        yield table
        # the highlighted group's description in full: the column holds 22 characters
        yield Static("", id="group-detail", markup=False)
        yield Static(
            plain(_("Enter: the group's customers · Ctrl+N: add · E: edit · Del: delete")),
            id="groups-status",
            markup=False,
        )
        yield KeyFooter()
        # read while the screen is mounted and laid out: in by its first frame (issue 17)
        self.load(first=True)

    def on_screen_resume(self) -> None:
        if not self.never_covered:  # back from a form, a question: read again
            self.load()

    def load(self, *, first: bool = False) -> None:
        """Read the groups; a read that a newer one replaced says nothing.

        ``exclusive`` only flags the older thread as cancelled: it still runs to its end.
        Closing the delete question starts one read (the screen resumes) and the delete
        another; the older read, slower, would otherwise draw the deleted group again
        after the newer one. ``run_job`` checks the flag just before posting, which is
        enough: whatever it posted before the newer read started comes first anyway.
        """
        care = self.services.customers
        run = partial(self.first_read, show=self._loaded) if first else self.run_job
        run(
            "groups",
            lambda: care.groups(counted=False),
            self.Loaded,
            lambda error: self.Loaded((), error),
            description=_("reading the groups"),
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.error:
            self.notify(message.error, title=_("Groups"), severity="error")
            return
        table = self.query_one("#group-table", DataTable)
        keep = table.cursor_row
        table.clear()
        self.groups = self._with_counts(message.groups)
        for group in self.groups:
            table.add_row(
                PlainCell(fit(group.name, 18)),
                PlainCell(fit(group.description, 22)),
                PlainCell(_percent(group).rjust(8)),
                PlainCell(fit(group.tax_rate_name or "", 12)),
                self._members_cell(group),  # drawn: a PlainCell of a count
                key=str(group.id),
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        count = len(message.groups)
        self.query_one("#groups-title", Static).update(
            plain(
                _("Customer groups ({count})").format(count=count)
                if count
                else _("Customer groups: none yet (Ctrl+N)")
            )
        )
        if count:
            care = self.services.customers
            self.run_job(
                "groups-count",
                care.group_member_counts,
                self.Counted,
                description=_("counting the groups' customers"),
            )

    def _with_counts(self, groups: tuple[GroupRecord, ...]) -> tuple[GroupRecord, ...]:
        counts = self.counts
        if counts is None:
            return groups
        return tuple(replace(group, member_count=counts.get(group.id, 0)) for group in groups)

    @staticmethod
    def _members_cell(group: GroupRecord) -> PlainCell:
        count = group.member_count
        return PlainCell(("…" if count is None else whole(count)).rjust(9))

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        self.counts = message.counts
        self.groups = self._with_counts(self.groups)
        table = self.query_one("#group-table", DataTable)
        for group in self.groups:
            table.update_cell(str(group.id), "members", self._members_cell(group))

    @on(DataTable.RowHighlighted, "#group-table")
    def _show_detail(self, event: DataTable.RowHighlighted) -> None:
        group = self.current
        detail = self.query_one("#group-detail", Static)
        if group is None or not group.description:
            detail.update("")
        else:
            detail.update(plain(f"{group.name}: {group.description}"))

    @property
    def current(self) -> GroupRecord | None:
        table = self.query_one("#group-table", DataTable)
        if not self.groups or not 0 <= table.cursor_row < len(self.groups):
            return None
        return self.groups[table.cursor_row]

    def action_add_group(self) -> None:
        self.app.push_screen(GroupForm(), self._form_closed)

    def action_edit_group(self) -> None:
        if self.current is not None:
            self.app.push_screen(GroupForm(self.current), self._form_closed)

    def _form_closed(self, group: GroupRecord | None) -> None:
        if group is not None:
            self.notify(_("Group {name} saved.").format(name=group.name), title=_("Groups"))
            self.load()

    def action_delete_group(self) -> None:
        group = self.current
        if group is None:
            return
        if group.member_count is None:
            holds = _(
                "Its customers, if any, stay, without a group "
                "(and without its discount and sales tax from now on)."
            )
        elif group.member_count:
            holds = _(
                "It holds {members}: they stay, without a group "
                "(and without its discount and sales tax from now on)."
            ).format(members=_members(group.member_count))
        else:
            holds = _("It holds no customers.")
        holds += " " + _(
            "Past sales keep {name} on their receipts and in the sales-by-group report."
        ).format(name=group.name)

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(group)

        self.app.push_screen(
            ConfirmScreen(
                _("Delete group {name}").format(name=group.name),
                _("Delete {name}? {holds}").format(name=group.name, holds=holds),
                _("Delete"),
                _("Keep"),
            ),
            answered,
        )

    def _delete(self, group: GroupRecord) -> None:
        care = self.services.customers
        self.run_job(
            "groups-delete",
            lambda: care.delete_group(group.id),
            lambda released: self.Deleted(group.name, released),
            lambda error: self.Deleted(group.name, 0, error),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=_("deleting the group"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """Whatever failed, the list is read again: it shows what is really stored."""
        if group == "groups-delete":
            self.load()

    @on(Deleted)
    def _deleted(self, message: Deleted) -> None:
        if message.error:
            self.notify(message.error, title=_("Not deleted"), severity="error")
            return
        text = _("Group {name} deleted.").format(name=message.name)
        if message.released:
            text += " " + _("{members} now without a group.").format(
                members=_members(message.released)
            )
        self.notify(text, title=_("Groups"))
        self.load()

    @on(DataTable.RowSelected, "#group-table")
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        await self.action_show_customers()

    async def action_show_customers(self) -> None:
        """Open the Customers screen filtered by this group."""
        from tillterm.ui.screens.customer_view import CustomerView
        from tillterm.ui.screens.customers import CustomersScreen

        group = self.current
        if group is None:
            return
        await self.app.switch_mode("customers")
        while isinstance(self.app.screen, CustomerView):
            await self.app.pop_screen()
        for screen in self.app.screen_stack:
            if isinstance(screen, CustomersScreen):
                screen.show_group(group.id)
