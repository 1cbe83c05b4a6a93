"""F3: Customers — find anyone among a million as you type, filter, open, add, export.

Searching is latency-first: a keystroke starts the query at once when none is running,
and while one runs, further keystrokes only note that the text changed; when the
running query comes back, the newest text is searched next (so at most one search is
in flight and the table never shows a stale answer for long). The count of matches is
slower on a big store, so it runs separately and never holds up the first page.

It is also frugal with bytes, for a till reached over SSH or a serial line (issue 16):
there, a fast typist's keys are searched at most every ``SEARCH_EVERY`` (always the
newest text, and the typed character is echoed at once, never held for a search that
waits; see ``tillterm.ui.slow_link``; locally each key is searched at once);
only the table lines that differ are redrawn, the same results again draw nothing; the
count waits briefly so that it is drawn in the same frame as the rows; and no text
that did not change is set again (a ``Static`` update re-lays out the screen, which
repaints every scrollbar).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from tillterm.core.errors import TilltermError
from tillterm.core.typed_text import visible_text
from tillterm.customers.records import CustomerActivity, CustomerRecord, CustomerSummary
from tillterm.i18n import _, ngettext, pgettext
from tillterm.i18n.formats import day, whole
from tillterm.services.customer_care import ExportOutcome, Opened, Page
from tillterm.ui.messages import ScanReceived
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ConfirmScreen, PromptScreen
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.slow_link import over_slow_link
from tillterm.ui.styles import css
from tillterm.ui.widgets.customer_filters import CustomerFilters, FilterItems, filters_as_kwargs
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.results_table import PlainCell, ResultsTable, fit
from tillterm.ui.widgets.scan_input import ScanInput
from tillterm.ui.widgets.title_bar import TitleBar

#: a screenful and a half at 80×24: every extra row costs time on each key
PAGE = 25
#: fetch the next page when the cursor gets this close to the last loaded row
PREFETCH = 8
#: the longest the rows wait for their count, to be drawn in one frame with it
COUNT_HOLD = 0.1
#: over a slow link (SSH, a serial line), while keys keep coming, search at most this
#: often (the newest text each time); locally every key is searched at once
SEARCH_EVERY = 0.25
#: the longest a typed character waits to be drawn together with its results
HOLD_FRAME = 0.03
#: a held frame is let go this much after the last change: each widget posts its own
#: repaint from its own task, and one that comes after the release is drawn in a frame
#: of its own (the count a frame after the rows: twice the cursor moves and styles)
RELEASE_AFTER = 0.01

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", _("Name"), 20),
    ("company", _("Company"), 12),
    ("email", _("Email"), 22),
    ("phone", _("Phone"), 15),
    ("group", _("Group"), 10),
    ("code", _("Code"), 13),
    ("created", _("Created"), 10),
)


@dataclass(frozen=True)
class Query:
    """What the list shows: the search text and the filters, comparable and hashable."""

    text: str
    filters: FilterItems = ()

    @property
    def blank(self) -> bool:
        return not self.text.strip() and not self.filters


#: after an archived customer's name in the list, the first that fits with the name
#: (the last, kept whole, when the name must be cut)
ARCHIVED_MARKS = (_(" (archived)"), _(" (arch.)"))

#: which columns stay when not all fit, most wanted first (the order shown is COLUMNS')
KEPT_FIRST = ("name", "phone", "email", "company", "code", "group", "created")
#: columns beside the cells: the vertical scrollbar
SCROLLBAR = 2


def fitting_columns(width: int) -> tuple[tuple[str, str, int], ...]:
    """The columns that fit ``width`` cells with no horizontal scrollbar (at 80: name,
    company, email and phone, the four that were in sight), in ``COLUMNS`` order.

    A horizontal scrollbar costs a line of the list, is redrawn with it (2 KB a key on
    a slow link), and hides what is off to the right from a cashier who has no mouse.
    """
    room = width - SCROLLBAR
    kept: set[str] = set()
    by_key = {column[0]: column for column in COLUMNS}
    for key in KEPT_FIRST:
        cells = by_key[key][2] + 2  # cell padding, one each side
        if cells <= room:
            kept.add(key)
            room -= cells
    return tuple(column for column in COLUMNS if column[0] in kept)


def summary_cells(
    row: CustomerSummary, columns: tuple[tuple[str, str, int], ...] = COLUMNS
) -> tuple[PlainCell, ...]:
    """A result row as the table shows it: plain text (never markup), cut to fit.

    An archived customer's name is cut before its "(archived)" mark, never the mark: it
    is how the list tells them apart without colour (Ctrl+F, Show).
    """
    values = {
        "name": row.display_name,
        "company": row.company,
        "email": row.email,
        "phone": row.phone,
        "group": row.group_name or "",
        "code": row.customer_code,
        "created": day(row.created_at.astimezone().date()),
    }
    cells = {key: fit(values[key] or "", width) for key, _label, width in columns}
    if row.archived and "name" in cells:
        width = next(width for key, _label, width in columns if key == "name")
        name = visible_text(row.display_name)
        mark = next((m for m in ARCHIVED_MARKS if cell_len(name + m) <= width), None)
        mark = mark or ARCHIVED_MARKS[-1]
        cells["name"] = fit(name, width - len(mark)) + mark
    return tuple(PlainCell(cells[key]) for key, _label, _width in columns)


class SearchBox(ScanInput):
    """The search box: each change of its text tells the screen at once (``_hold_frame``)."""

    def __init__(self, changing: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._changing = changing

    def watch_value(self, value: str) -> None:
        # synchronous, inside the key's own handling: before any frame can echo it
        self._changing()


class CustomersScreen(TillScreen[None]):
    """The customer list: a search box, optional filters, the matches and their count."""

    HELP_TITLE = _("Customers")
    CSS_PATH = css("customers.tcss")
    AUTO_FOCUS = "#customer-search"
    #: Enter then E: keys wait for the profile being opened
    KEYS_WAIT_FOR = frozenset({"customer-open", "customer-scan"})
    BINDINGS = [
        Binding("ctrl+n", "add_customer", pgettext("footer", "Add"), priority=True),
        Binding("ctrl+f", "toggle_filters", _("Filters"), priority=True),
        Binding("ctrl+e", "export_view", pgettext("footer", "Export"), priority=True),
        # in F1, not the footer: at 80 columns the footer has room for the F-keys instead
        Binding("escape", "clear_search", _("Clear"), show=False),
        Binding("down", "focus_results", _("To the list"), show=False),
    ]

    @dataclass
    class ResultsLoaded(Message):
        """A page of matches came back (``error`` says why not, when the search failed)."""

        query: Query
        offset: int
        rows: tuple[CustomerSummary, ...]
        more: bool
        error: str | None = None

    @dataclass
    class Counted(Message):
        """The number of matches of ``query`` (``None`` if it could not be counted)."""

        query: Query
        count: int | None

    @dataclass
    class ChoicesLoaded(Message):
        """The groups and sales taxes the filter panel offers, as ``(label, id)``."""

        groups: tuple[tuple[str, int], ...]
        taxes: tuple[tuple[str, int], ...]
        #: why they could not be read (the panel keeps the choices it had)
        error: str | None = None

    @dataclass
    class ScanLookedUp(Message):
        """A scanned code was looked up: its customer, or ``None`` when nobody has it."""

        code: str
        customer: CustomerRecord | None
        error: str | None = None

    @dataclass
    class CustomerRead(Message):
        """A customer to open was read: profile and activity, or ``error``."""

        customer_id: int
        customer: CustomerRecord | None
        activity: CustomerActivity | None
        error: str | None = None

    @dataclass
    class ExportStarted(Message):
        """An export to ``path`` is under way (a new file, or replacing it was confirmed)."""

        path: str
        what: str

    @dataclass
    class Exported(Message):
        """An export ended: ``count`` customers written to ``path``, or ``error``.

        ``exists``: nothing was written because ``path`` is already there and replacing
        it was not confirmed yet; ``query`` and ``what`` let the export start again.
        ``cancelled``: another export replaced it, or the app is closing.
        """

        path: str
        count: int
        error: str | None = None
        exists: bool = False
        cancelled: bool = False
        query: Query | None = None
        what: str = ""

    def __init__(self) -> None:
        super().__init__()
        self._query = Query("")
        self._shown: Query | None = None
        self._in_flight = False
        self._loading_more = False
        self._rows: list[CustomerSummary] = []
        self._more = False
        self._keep_cursor: int | None = None
        #: a count is running (at most one: on a big store it can take a while)
        self._counting = False
        #: when the running count started, and how long the last one took
        self._count_started = 0.0
        self._count_took = 0.0
        #: how far apart a typist's searches start (``SEARCH_EVERY`` over a slow link)
        self._search_every = SEARCH_EVERY if over_slow_link() else 0.0
        #: when the last search started (``time.monotonic()``), to space them
        self._searched_at = -SEARCH_EVERY
        #: a search of the newest query is owed (typed, or forced) and not started yet
        self._search_owed = False
        #: the frame held while the rows wait for their count (``COUNT_HOLD``)
        self._count_hold = ExitStack()
        self._count_hold_timer: Timer | None = None
        #: what the count and status lines show, so the same text is never set again
        self._count_text = ""
        self._status_text: tuple[str, bool] = ("", False)
        #: the columns shown: as many as the width takes (``fitting_columns``)
        self._columns = COLUMNS
        self._pending_group: int | None = None
        self._choices: tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]] | None = None
        self._filters: CustomerFilters | None = None
        self._filters_ready = asyncio.Event()
        self._hold = ExitStack()
        self._hold_frame_timer: Timer | None = None
        self._view: CustomerView | None = None
        #: the unknown card the status line offers to Ctrl+N (a key no scanner types)
        self._unknown_code: str | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="search-bar"):
            yield SearchBox(
                self._hold_frame,
                placeholder=_("Search name, phone, email, postcode, code…"),
                id="customer-search",
                compact=True,
            )
            yield Static("", id="match-count", markup=False)  # fixed width: no re-layout
        # the filter panel is mounted when first asked for: it is half of the screen's
        # widgets, and every widget costs time before the first page can show
        table = ResultsTable(id="customer-table")
        self._columns = fitting_columns(self.app.size.width)
        for key, label, width in self._columns:
            table.add_column(label, width=width, key=key)  # drawn: the app's own headings
        yield table
        yield Static("", id="customer-status", markup=False)
        yield KeyFooter()
        # the first page is read while the screen is being built, and shown in its
        # first frame if it is in by then (FirstRead)
        self._in_flight = True
        self._searched_at = time.monotonic()
        self._run_search(self._query, first=True)

    # -- searching -------------------------------------------------------------------

    def on_screen_resume(self) -> None:
        """Coming back (from a profile, another mode): fresh groups, fresh matches."""
        if self.never_covered:
            return  # first shown: its first page was asked for as it was built
        if self._filters is not None:
            self._load_choices()
        if self._shown is not None:
            self._keep_cursor = self.query_one(ResultsTable).cursor_row
        self._request(force=True)

    def _hold_frame(self) -> None:
        """Draw the typed text and its results in one frame, if they come quickly.

        Textual paints at most one frame per tick (60 a second) and, after a frame that
        came late, skips a tick: echoing the key at once pushes the table's frame 17 to
        33 ms further. So a change of text holds repaints until its results are shown,
        for at most ``HOLD_FRAME``: the cashier sees the key and the matches together,
        sooner, and a slow search never keeps the key from showing.
        """
        if self._hold_frame_timer is not None or not self.is_current:
            return
        self._hold.enter_context(self.app.batch_update())
        self._hold_frame_timer = self.set_timer(HOLD_FRAME, self._release_frame)

    def _release_frame(self) -> None:
        if self._hold_frame_timer is None:
            return
        self._hold_frame_timer.stop()
        self._hold_frame_timer = None
        self._let_go(self._hold)

    def _let_go(self, hold: ExitStack) -> None:
        """End a held frame ``RELEASE_AFTER`` from now (the app's timer: it runs even if
        this screen goes away meanwhile, so the app is never left holding frames)."""
        held = hold.pop_all()
        app = self.app

        def release() -> None:
            held.close()
            if app.screen_stack:  # none while the app closes
                app.screen.check_idle()  # what waited for the frame is drawn now

        app.set_timer(RELEASE_AFTER, release)

    def on_screen_suspend(self) -> None:
        self._release_frame()
        self._release_count_hold()

    def current_query(self) -> Query:
        text = self.query_one("#customer-search", Input).value
        panel = self._filters
        items = panel.items()[0] if panel is not None and self._filters_ready.is_set() else ()
        return Query(text, items)

    def _request(self, *, force: bool = False) -> None:
        query = self.current_query()
        if query == self._query and not force and self._shown is not None:
            self._release_frame()
            return
        self._query = query
        self._search_owed = True
        self._search_newest()

    def _search_newest(self) -> None:
        """Search the newest query: now, or as soon as the typist's spacing allows.

        While a search runs (or waits for its turn), further keys only change the
        query; its result handler calls back here. A search that has to wait lets the
        typed character be drawn at once (the frame is not held for it), and reads the
        query when its turn comes, so it searches what was typed by then.
        """
        if self._in_flight or not self._search_owed:
            return
        now = time.monotonic()
        start_at = max(now, self._searched_at + self._search_every)
        if start_at > now:
            self._release_frame()
        self._in_flight = True
        self._search_owed = False
        self._searched_at = start_at
        self._run_search(self._query, start_at=start_at)

    @on(Input.Changed, "#customer-search")
    def _text_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._request()

    @on(CustomerFilters.Changed)
    def _filters_changed(self, event: CustomerFilters.Changed) -> None:
        event.stop()
        self._request()

    def _run_search(
        self, query: Query, *, start_at: float | None = None, first: bool = False
    ) -> None:
        """The first page of ``query``; or, from ``start_at`` (``time.monotonic()``), of
        the query newest by then (``self._query`` is a frozen value: read, not shared
        state)."""
        care = self.services.customers

        def search() -> tuple[Query, Page]:
            searched = query
            if start_at is not None:
                time.sleep(max(0.0, start_at - time.monotonic()))
                searched = self._query
            filters = filters_as_kwargs(searched.filters)
            return searched, care.page(searched.text, filters, offset=0, limit=PAGE)

        def loaded(found: tuple[Query, Page]) -> CustomersScreen.ResultsLoaded:
            searched, page = found
            return self.ResultsLoaded(searched, 0, page.rows, page.more)

        def failed(error: str) -> CustomersScreen.ResultsLoaded:
            return self.ResultsLoaded(self._query, 0, (), False, error)

        run = partial(self.first_read, show=self._results_loaded) if first else self.run_job
        run("customer-search", search, loaded, failed, description=_("searching customers"))

    def _load_page(self, query: Query, offset: int) -> None:
        care = self.services.customers
        filters = filters_as_kwargs(query.filters)

        def loaded(page: Page) -> CustomersScreen.ResultsLoaded:
            return self.ResultsLoaded(query, offset, page.rows, page.more)

        def failed(error: str) -> CustomersScreen.ResultsLoaded:
            return self.ResultsLoaded(query, offset, (), False, error)

        self.run_job(
            "customer-page",
            lambda: care.page(query.text, filters, offset=offset, limit=PAGE),
            loaded,
            failed,
            description=_("reading more customers"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """A job failed unexpectedly (told and logged by the app): nothing stays busy."""
        if group == "customer-search":
            self._in_flight = False
            self._release_frame()
            self._set_status(_("Search failed; type again to retry."), error=True)
            self._shown = None  # the next keystroke searches again, even the same text
        elif group == "customer-page":
            self._loading_more = False
        elif group == "customer-count":
            self._counting = False
            if self._more:
                self._show_count(
                    _("{page}+ matches…").format(page=PAGE)
                )  # never another list's count
            self._release_count_hold()

    @on(ResultsLoaded)
    def _results_loaded(self, message: ResultsLoaded) -> None:
        if message.offset:
            self._page_loaded(message)
            return
        self._in_flight = False
        if message.query == self._query:
            self._search_owed = False  # a waiting search read the keys typed meanwhile
        if message.error:
            self._set_status(_("Search failed: {error}").format(error=message.error), error=True)
        else:
            self._show(message)
        self._release_frame()
        self._search_newest()  # what was typed meanwhile, if anything

    def _show(self, message: ResultsLoaded) -> None:
        table = self.query_one(ResultsTable)
        cursor = 0
        if self._keep_cursor is not None and message.rows:
            cursor = min(self._keep_cursor, len(message.rows) - 1)
        # drawn: PlainCells; only the lines that differ are redrawn (none if the same)
        table.show_rows([self._cells(row) for row in message.rows], cursor=cursor)
        self._rows = list(message.rows)
        self._more = message.more
        self._shown = message.query
        self._keep_cursor = None
        if self._unknown_code is None:  # an unknown card's offer stays in sight
            self._show_list_status()
        if message.more:
            self._start_count()
        else:
            self._show_count(_matches(len(message.rows)))

    def _cells(self, row: CustomerSummary) -> tuple[PlainCell, ...]:
        return summary_cells(row, self._columns)

    def on_resize(self, event: events.Resize) -> None:
        """Another width: the columns that fit it, the same rows and cursor."""
        columns = fitting_columns(event.size.width)
        if columns == self._columns:
            return
        self._columns = columns
        table = self.query_one(ResultsTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        for key, label, width in columns:
            table.add_column(label, width=width, key=key)  # drawn: the app's own headings
        table.append_rows([self._cells(row) for row in self._rows])  # drawn: PlainCells
        if self._rows:
            table.move_cursor(row=min(cursor, len(self._rows) - 1), animate=False)

    def _show_count(self, text: str) -> None:
        if text != self._count_text:
            self._count_text = text
            # fixed width (styles): the line is redrawn, the screen not laid out again
            self.query_one("#match-count", Static).update(plain(text), layout=False)

    def _start_count(self) -> None:
        """Count the shown matches; hold the frame briefly so the rows come with it.

        Only once typing pauses (no newer text to search): a typist's intermediate
        lists are never counted. One count at a time: a count still running is followed,
        when it ends, by the count of what is shown then. Until the count comes, the
        line says "25+". The rows wait for the count only if the last count was quick:
        on a big store (a count of a million) they are shown at once, as before.
        """
        if self._shown is None:
            return
        if self._counting or self._search_owed or self._shown != self._query:
            # counted later; meanwhile the line does not show another list's count
            self._show_count(_("{page}+ matches…").format(page=PAGE))
            return
        if self._count_took > COUNT_HOLD:
            self._show_count(_("{page}+ matches…").format(page=PAGE))
        elif self.is_current and self._count_hold_timer is None:
            self._count_hold.enter_context(self.app.batch_update())
            self._count_hold_timer = self.set_timer(COUNT_HOLD, self._count_late)
        self._counting = True
        self._count_started = time.monotonic()
        self._run_count(self._shown)

    def _count_late(self) -> None:
        """The count is slow (a big store): show the rows now, the count when it comes."""
        self._release_count_hold()
        if self._counting:
            self._show_count(_("{page}+ matches…").format(page=PAGE))

    def _release_count_hold(self) -> None:
        if self._count_hold_timer is None:
            return
        self._count_hold_timer.stop()
        self._count_hold_timer = None
        self._let_go(self._count_hold)

    def _run_count(self, query: Query) -> None:
        care = self.services.customers
        filters = filters_as_kwargs(query.filters)
        self.run_job(
            "customer-count",
            lambda: care.count(query.text, filters),
            lambda count: self.Counted(query, count),
            lambda _error: self.Counted(query, None),
            description=_("counting customers"),
        )

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        self._counting = False
        self._count_took = time.monotonic() - self._count_started
        if message.query == self._shown:
            self._show_count(
                _matches(message.count)
                if message.count is not None
                else _("{page}+ matches").format(page=PAGE)
            )
        elif self._more:
            self._start_count()  # what is shown now was not counted yet
        self._release_count_hold()

    def _page_loaded(self, message: ResultsLoaded) -> None:
        self._loading_more = False
        if message.error or message.query != self._shown or message.offset != len(self._rows):
            return
        table = self.query_one(ResultsTable)
        table.append_rows([self._cells(row) for row in message.rows])  # drawn: PlainCells
        self._rows.extend(message.rows)
        self._more = message.more

    @on(DataTable.RowHighlighted, "#customer-table")
    def _maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if (
            self._more
            and not self._loading_more
            and self._shown is not None
            and event.cursor_row >= table.row_count - PREFETCH
        ):
            self._loading_more = True
            self._load_page(self._shown, len(self._rows))

    # -- choices for the filter panel --------------------------------------------------

    def _load_choices(self) -> None:
        self.run_job(
            "customer-choices",
            self.services.customers.choices,
            lambda choices: self.ChoicesLoaded(choices.groups, choices.taxes),
            lambda error: self.ChoicesLoaded((), (), error),
            description=_("reading the groups and sales taxes"),
        )

    @on(ChoicesLoaded)
    def _choices_loaded(self, message: ChoicesLoaded) -> None:
        if message.error is not None:
            return
        self._choices = (message.groups, message.taxes)
        self._apply_choices()

    def _apply_choices(self) -> None:
        panel = self._filters
        if panel is None or not self._filters_ready.is_set() or self._choices is None:
            return
        panel.set_choices(*self._choices)
        if self._pending_group is not None:
            panel.select_group(self._pending_group)
            self._pending_group = None

    async def filter_panel(self) -> CustomerFilters:
        """The filter panel, mounted (hidden) the first time it is needed."""
        if self._filters is None:
            self._filters = CustomerFilters(id="customer-filters")
            self._filters.display = False
            await self.mount(self._filters, before=self.query_one(ResultsTable))
            self._filters_ready.set()
            self._apply_choices()
            self._load_choices()
        await self._filters_ready.wait()
        return self._filters

    def show_group(self, group_id: int) -> None:
        """Show one group's customers (the Groups screen's Enter): ready to export."""
        self.query_one("#customer-search", Input).value = ""
        # The group may be newer than the list (or the list not read yet): select it
        # once the fresh choices are in.
        self._pending_group = group_id
        self.call_later(self._show_group)

    async def _show_group(self) -> None:
        known = self._filters is not None
        filters = await self.filter_panel()  # a new panel reads the choices itself
        filters.clear()
        filters.display = True
        if known:
            self._load_choices()
        self.query_one("#customer-search", Input).focus()

    # -- keys ------------------------------------------------------------------------

    def action_focus_results(self) -> None:
        table = self.query_one(ResultsTable)
        if table.row_count:
            # at once, not deferred like focus(): a quick second Down already moves the cursor
            self.set_focus(table)

    @on(ResultsTable.ExitedTop)
    def _back_to_search(self, event: ResultsTable.ExitedTop) -> None:
        event.stop()
        self.query_one("#customer-search", Input).focus()

    @on(Input.Submitted, "#customer-search")
    def _open_first(self, event: Input.Submitted) -> None:
        event.stop()
        self._open_first_match()

    def _open_first_match(self) -> None:
        """The first match for the text as typed: a search still running answers first."""
        if self.after_jobs("customer-search", self._open_first_match):
            return
        table = self.query_one(ResultsTable)
        if table.row_count:
            self._open_row(table.cursor_row)

    @on(Input.Submitted, "CustomerFilters Input")
    def _filters_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_focus_results()

    @on(DataTable.RowSelected, "#customer-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open_row(event.cursor_row)

    def _open_row(self, index: int) -> None:
        if 0 <= index < len(self._rows):
            self.open_customer(self._rows[index].id)

    def open_customer(self, customer_id: int) -> None:
        """Read the customer, then show the profile with everything on it at once."""
        self._read_customer(customer_id)

    def _read_customer(self, customer_id: int) -> None:
        care = self.services.customers

        def read(opened: Opened) -> CustomersScreen.CustomerRead:
            return self.CustomerRead(customer_id, opened.record, opened.activity)

        self.run_job(
            "customer-open",
            lambda: care.open(customer_id),
            read,
            lambda error: self.CustomerRead(customer_id, None, None, error),
            description=_("opening the customer"),
        )

    @on(CustomerRead)
    def _customer_read(self, message: CustomerRead) -> None:
        if message.customer is None or message.activity is None:
            self.notify(
                _("Cannot open this customer: {error}").format(error=message.error),
                title=_("Customer"),
                severity="error",
            )
            return
        view = self._view
        if view is None:
            # one profile screen, kept (installed) and refilled: see CustomerView.show
            view = self._view = CustomerView(
                message.customer.id, (message.customer, message.activity)
            )
            self.app.install_screen(view, self._view_name)
        else:
            view.show(message.customer, message.activity)
        if view not in self.app.screen_stack:
            self.app.push_screen(view)

    @property
    def _view_name(self) -> str:
        return f"customer-view-{id(self)}"

    def on_unmount(self) -> None:
        self._release_frame()
        self._release_count_hold()
        if self._view is not None and self._view not in self.app.screen_stack:
            self.app.uninstall_screen(self._view)

    def action_clear_search(self) -> None:
        """Esc: first the search text, then the filters; the search box gets the focus."""
        search = self.query_one("#customer-search", Input)
        filters = self._filters
        if self._unknown_code is not None:
            self._withdraw_offer()
        if search.value:
            search.value = ""
        elif filters is not None and filters.display:
            filters.clear()
            filters.display = False
        search.focus()

    async def action_toggle_filters(self) -> None:
        filters = await self.filter_panel()
        filters.display = not filters.display
        if filters.display:
            filters.query_one("#filter-group").focus()
        else:
            self.query_one("#customer-search", Input).focus()

    def action_add_customer(self, prefill: dict[str, str] | None = None) -> None:
        """Ctrl+N: a new customer; with the unknown card just scanned, if the status
        line offers it."""
        # imported when first used: the form is the heaviest module of these screens
        from tillterm.ui.screens.customer_form import CustomerForm

        code = self._unknown_code
        if code is not None:
            self._withdraw_offer()
            if prefill is None:
                prefill = {"customer_code": code}
        self.app.push_screen(CustomerForm(prefill=prefill), self._form_closed)

    def _form_closed(self, record: CustomerRecord | None) -> None:
        if record is None:
            return
        self._request(force=True)
        self.open_customer(record.id)

    # -- scans -----------------------------------------------------------------------

    @on(ScanReceived)
    def _scanned(self, message: ScanReceived) -> None:
        message.stop()
        self._withdraw_offer()  # the next scan is just the next scan
        self._look_up_code(message.code)

    def _look_up_code(self, code: str) -> None:
        care = self.services.customers
        self.run_job(
            "customer-scan",
            lambda: care.find_by_code(code),
            lambda found: self.ScanLookedUp(code, found),
            lambda error: self.ScanLookedUp(code, None, error),
            description=_("looking up the scanned card"),
        )

    @on(ScanLookedUp)
    def _scan_looked_up(self, message: ScanLookedUp) -> None:
        if message.error:
            self.notify(message.error, title=_("Scan"), severity="error")
        elif message.customer is not None:
            self.open_customer(message.customer.id)
        else:
            self._unknown_card(message.code.strip())

    def _unknown_card(self, code: str) -> None:
        """Say so in the status line; Ctrl+N (no scanner types it) makes it a new card.

        Never a dialog: the next scan's keys would answer it. The search box keeps the
        focus; the next scan is just the next scan (and withdraws the offer), as on the
        register.
        """
        self._unknown_code = code
        self._set_status(
            _("No customer with card {code}. Ctrl+N: new customer with this card.").format(
                code=code
            ),
            error=True,
        )
        self.app.bell()

    def _withdraw_offer(self) -> None:
        """What the status line offered no longer applies: it shows the list's state."""
        if self._unknown_code is None:
            return
        self._unknown_code = None
        self._show_list_status()

    def _show_list_status(self) -> None:
        """The status line for the list shown: empty, or why nothing is listed."""
        shown = self._shown
        if shown is None or self._rows:
            self._set_status("")
        elif shown.blank:
            self._set_status(_("No customers yet. Press Ctrl+N to add the first one."))
        else:
            self._set_status(no_match_text(shown))

    def _set_status(self, text: str, *, error: bool = False) -> None:
        """The status line; not touched when it already says this (no re-layout)."""
        if (text, error) == self._status_text:
            return
        self._status_text = (text, error)
        status = self.query_one("#customer-status", Static)
        status.set_class(error, "-error")
        status.update(plain(text))

    # -- export ----------------------------------------------------------------------

    def action_export_view(self) -> None:
        query = self._query
        default = Path.home() / f"customers-{dt.date.today():%Y-%m-%d}.csv"
        what = _("every customer") if query.blank else _("the customers listed")

        def chosen(path: str | None) -> None:
            if path:
                self._export(query, path, what, False)

        self.app.push_screen(
            PromptScreen(
                _("Export"),
                _("Export {what} to this file (.csv or .xlsx):").format(what=what),
                str(default),
                _("Export"),
            ),
            chosen,
        )

    def _export(self, query: Query, path: str, what: str, overwrite: bool) -> None:
        """Write the export (its own process reads SQLite natively; see export_writer).

        An existing file is never replaced without the cashier's confirmation: the export
        says so (``Exported.exists``) and the screen asks. Starting another export, or
        leaving, cancels this one (``exclusive``); its process is stopped at once.
        """
        care = self.services.customers
        filters = filters_as_kwargs(query.filters)

        def ended(outcome: ExportOutcome) -> CustomersScreen.Exported:
            if outcome.exists:
                return self.Exported(path, 0, exists=True, query=query, what=what)
            if outcome.cancelled is not None:
                return self.Exported(path, 0, outcome.cancelled, cancelled=True)
            return self.Exported(path, outcome.count)

        def job() -> None:
            # the job posts its own ending: a cancelled export (another one started, or
            # the app is closing) still says so, which run_job's delivery would not
            worker = get_current_worker()

            def started() -> None:
                # not posted (False) only when the screen is closing: nobody to tell
                self.post_message(self.ExportStarted(path, what))

            try:
                outcome = care.export(
                    path,
                    query.text,
                    filters,
                    overwrite=overwrite,
                    cancelled=lambda: worker.is_cancelled,
                    started=started,
                )
            except TilltermError as exc:
                self.post_message(self.Exported(path, 0, str(exc)))
                return
            self.post_message(ended(outcome))

        self.run_job("customer-export", job, description=_("exporting customers"))

    @on(ExportStarted)
    def _export_started(self, message: ExportStarted) -> None:
        self.notify(
            _("Exporting {what} to {path}…").format(what=message.what, path=message.path),
            title=_("Export"),
            markup=False,
        )

    @on(Exported)
    def _exported(self, message: Exported) -> None:
        if message.exists and message.query is not None:
            self._confirm_replace(message.query, message.path, message.what)
        elif message.cancelled:
            self.notify(
                f"{message.path}: {message.error}",
                title=_("Export"),
                severity="warning",
                markup=False,
            )
        elif message.error:
            self.notify(
                message.error, title=_("Export failed"), severity="error", timeout=10, markup=False
            )
        else:
            self.notify(
                _("{customers} written to {path}.").format(
                    customers=_customers(message.count), path=message.path
                ),
                title=_("Export"),
                markup=False,
            )

    def _confirm_replace(self, query: Query, path: str, what: str) -> None:
        """Ask before replacing a file: "y" replaces; Enter, "n" or Esc keep it.

        The safe answer has the focus, so the Enter a scanner ends each code with never
        replaces a file by accident.
        """

        def answered(replace: bool | None) -> None:
            if replace:
                self._export(query, path, what, True)
            else:
                self.notify(
                    _("Nothing exported: {path} was kept.").format(path=path),
                    title=_("Export"),
                    markup=False,
                )

        self.app.push_screen(
            ConfirmScreen(
                _("Replace file?"),
                _("{path} already exists. Replace it with this export?").format(path=path),
                yes=_("Replace"),
                no=_("Keep it"),
            ),
            answered,
        )


def no_match_text(query: Query) -> str:
    text = query.text.strip()
    if not text:
        return _("No customer matches these filters.")
    if query.filters:
        return _("No customer matches “{text}” with these filters.").format(text=text)
    return _("No customer matches “{text}”.").format(text=text)


def _customers(count: int) -> str:
    return ngettext("{count} customer", "{count} customers", count).format(count=whole(count))


def _matches(count: int) -> str:
    if count == 0:
        return _("no match")
    return ngettext("{count} match", "{count} matches", count).format(count=whole(count))
