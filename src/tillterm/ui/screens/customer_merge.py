"""Merge a duplicate into the customer whose profile was open (M on the profile).

First the other customer is picked: the possible duplicates are listed (same email,
phone digits, or name and postal code), or a search finds another. Then both are shown
side by side, a field a row, with ``>`` before the value that stays (no colour needed
to see it): the profile's own unless empty, then the other's. Space flips the
highlighted field. Ctrl+S (or F10) asks, then merges: the other's sales and ledgers
move here, its card leads here; the profile lists the merge and U undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Key
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tillterm.customers.merging import MergeDone, MergeField
from tillterm.customers.records import CustomerSummary, Duplicate
from tillterm.i18n import _
from tillterm.services.merges import MergePreview
from tillterm.ui.plain import plain, plain_text
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.results_table import PlainCell, fit
from tillterm.ui.widgets.title_bar import TitleBar

LABEL = 16
VALUE = 28
#: before the value that stays, and before the one that goes: seen without colour
KEPT, DROPPED = "> ", "  "


def field_cells(field: MergeField) -> tuple[PlainCell, ...]:
    """A field's row: its label, then each value with the marker of the one kept."""
    values = [
        fit((KEPT if n == field.chosen else DROPPED) + value, VALUE)
        for n, value in enumerate(field.values[:2])
    ]
    # the label is the field registry's (English): shown translated
    return (PlainCell(fit(_(field.label), LABEL)), *(PlainCell(v) for v in values))


class CustomerMerge(TillScreen[int | None]):
    """Pick a duplicate, choose field by field what stays, merge (answers the merge id)."""

    HELP_TITLE = _("Merge customers")
    CSS_PATH = css("customer_merge.tcss")
    AUTO_FOCUS = "#merge-search"
    #: Enter then Space: keys wait for both customers being read
    KEYS_WAIT_FOR = frozenset({"merge-preview"})
    BINDINGS = [
        Binding("escape", "back", _("Back")),
        Binding("space", "flip_field", _("Flip")),
        Binding("ctrl+s", "merge_customers", _("Merge")),
        Binding("f10", "merge_customers", _("Merge"), show=False),
    ]

    @dataclass
    class Candidates(Message):
        """Customers to pick the other one from (``error`` says why none)."""

        rows: tuple[tuple[CustomerSummary, str], ...]
        error: str | None = None

    @dataclass
    class Previewed(Message):
        """Both customers' fields were read (``error`` says why not)."""

        preview: MergePreview | None
        error: str | None = None

    @dataclass
    class Merged(Message):
        """The merge was made (``error`` says why not)."""

        done: MergeDone | None
        error: str | None = None

    def __init__(self, survivor_id: int, survivor_name: str) -> None:
        super().__init__()
        self.survivor_id = survivor_id
        self.survivor_name = survivor_name
        self.candidates: tuple[tuple[CustomerSummary, str], ...] = ()
        self.preview: MergePreview | None = None
        self.fields: list[MergeField] = []
        self.other_id: int | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(
            plain(_("Merge a duplicate into {name}").format(name=self.survivor_name)),
            id="merge-title",
            classes="screen-title",
        )
        yield Input(placeholder=_("Search for the other customer"), id="merge-search")
        table = DataTable[PlainCell](id="merge-candidates", cursor_type="row", zebra_stripes=True)
        table.add_column(plain_text(_("Name")), width=24, key="name")
        table.add_column(plain_text(_("Code")), width=14, key="code")
        table.add_column(plain_text(_("Why")), width=32, key="why")
        yield table
        fields = DataTable[PlainCell](id="merge-fields", cursor_type="row", zebra_stripes=True)
        fields.add_column(plain_text(_("Field")), width=LABEL, key="field")
        fields.add_column(plain_text(_("This customer")), width=VALUE, key="kept")
        fields.add_column(plain_text(_("Other")), width=VALUE, key="other")
        yield fields
        yield Static("", id="merge-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#merge-fields").display = False
        self._duplicates()

    # -- picking the other customer ---------------------------------------------------

    def _duplicates(self) -> None:
        merges = self.services.merges
        survivor = self.survivor_id

        def found(dups: tuple[Duplicate, ...]) -> CustomerMerge.Candidates:
            # the reasons are the duplicate finder's words: shown translated
            return self.Candidates(
                tuple((d.customer, ", ".join(_(r) for r in d.reasons)) for d in dups)
            )

        self.run_job(
            "merge-candidates",
            lambda: merges.possible_duplicates(survivor),
            found,
            lambda error: self.Candidates((), error),
            description=_("looking for duplicates"),
        )

    @on(Input.Changed, "#merge-search")
    def _search(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if not text:
            self._duplicates()
            return
        care = self.services.customers
        survivor = self.survivor_id

        def search() -> CustomerMerge.Candidates:
            page = care.page(text, {}, limit=20)
            return self.Candidates(
                tuple((c, c.email or c.city) for c in page.rows if c.id != survivor)
            )

        self.run_job(
            "merge-candidates",
            search,
            lambda found: found,
            lambda error: self.Candidates((), error),
            description=_("searching customers"),
        )

    @on(Candidates)
    def _candidates(self, message: Candidates) -> None:
        self.candidates = message.rows
        table = self.query_one("#merge-candidates", DataTable)
        table.clear()
        for summary, why in message.rows:
            table.add_row(
                PlainCell(fit(summary.display_name, 24)),
                PlainCell(fit(summary.customer_code, 14)),
                PlainCell(fit(why, 32)),
                key=str(summary.id),
            )
        status = self.query_one("#merge-status", Static)
        if message.error:
            status.update(plain(message.error))
        elif not message.rows:
            status.update(
                plain(
                    _("No possible duplicate found: type a name, email or code.")
                    if not self.query_one("#merge-search", Input).value.strip()
                    else _("No customer matches: try another name, email or code.")
                )
            )
        else:
            status.update(plain(_("Down to the list, Enter picks the other customer.")))

    def on_key(self, event: Key) -> None:
        search = self.query_one("#merge-search", Input)
        if event.key == "down" and search.has_focus and self.candidates:
            event.stop()
            self.query_one("#merge-candidates", DataTable).focus()

    @on(DataTable.RowSelected, "#merge-candidates")
    def _picked(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if not 0 <= event.cursor_row < len(self.candidates):
            return
        self.other_id = self.candidates[event.cursor_row][0].id
        self._preview()

    def _preview(self) -> None:
        if self.other_id is None:
            return
        merges = self.services.merges
        ids = (self.survivor_id, self.other_id)
        self.run_job(
            "merge-preview",
            lambda: merges.preview(ids[0], [ids[1]]),
            self.Previewed,
            lambda error: self.Previewed(None, error),
            description=_("reading both customers"),
        )

    # -- choosing field by field --------------------------------------------------------

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        if message.preview is None:
            self.notify(message.error or _("Cannot read the customers."), severity="error")
            return
        self.preview = message.preview
        self.fields = list(message.preview.fields)
        kept, other = message.preview.customers[:2]
        self.query_one("#merge-search").display = False
        self.query_one("#merge-candidates").display = False
        table = self.query_one("#merge-fields", DataTable)
        table.display = True
        self._draw_fields()
        table.focus()
        self.query_one("#merge-title", Static).update(
            plain(
                _("Keep {kept} ({kept_code}), merge {other} ({other_code})").format(
                    kept=fit(kept.display_name, 20),
                    kept_code=fit(kept.customer_code, 14),
                    other=fit(other.display_name, 20),
                    other_code=fit(other.customer_code, 14),
                )
            )
        )
        self.query_one("#merge-status", Static).update(
            plain(
                _(
                    "{other_code}'s sales and ledgers move to {kept_code}; "
                    "tags and custom fields are united. Space: flip. Ctrl+S: merge."
                ).format(other_code=other.customer_code, kept_code=kept.customer_code)
            )
        )
        self.refresh_bindings()

    def _draw_fields(self) -> None:
        table = self.query_one("#merge-fields", DataTable)
        row = table.cursor_row
        table.clear()
        for field in self.fields:
            table.add_row(*field_cells(field), key=field.key)  # drawn: PlainCell cells
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1), animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "flip_field":
            return self.preview is not None
        if action == "merge_customers":
            return True if self.preview is not None else None
        return True

    def action_flip_field(self) -> None:
        table = self.query_one("#merge-fields", DataTable)
        if self.preview is None or not 0 <= table.cursor_row < len(self.fields):
            return
        field = self.fields[table.cursor_row]
        self.fields[table.cursor_row] = replace(field, chosen=1 - field.chosen)
        self._draw_fields()

    def action_back(self) -> None:
        if self.preview is None:
            self.dismiss(None)
            return
        self.preview = None
        self.fields = []
        self.query_one("#merge-fields").display = False
        self.query_one("#merge-search").display = True
        self.query_one("#merge-candidates").display = True
        self.query_one("#merge-title", Static).update(
            plain(_("Merge a duplicate into {name}").format(name=self.survivor_name))
        )
        self.query_one("#merge-candidates", DataTable).focus()
        self.refresh_bindings()

    # -- merging --------------------------------------------------------------------------

    def action_merge_customers(self) -> None:
        if self.preview is None or self.other_id is None:
            return
        kept, other = self.preview.customers[:2]
        choices = {f.key: f.chosen for f in self.fields}
        ids = (self.survivor_id, self.other_id)

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            merges = self.services.merges
            self.run_job(
                "merge-save",
                lambda: merges.merge(ids[0], [ids[1]], choices),
                self.Merged,
                lambda error: self.Merged(None, error),
                exclusive=False,  # a write is never cancelled: its answer always comes
                description=_("merging the customers"),
            )

        self.app.push_screen(
            ConfirmScreen(
                _("Merge customers"),
                _(
                    "Merge {other} ({other_code}) into {kept} ({kept_code})? Sales and "
                    "ledgers move; the card {other_code} will find {kept}. "
                    "U on the profile undoes it."
                ).format(
                    other=other.display_name,
                    other_code=other.customer_code,
                    kept=kept.display_name,
                    kept_code=kept.customer_code,
                ),
                yes=_("Merge"),
                no=_("Not now"),
            ),
            answered,
        )

    @on(Merged)
    def _merged(self, message: Merged) -> None:
        if message.done is None:
            self.notify(message.error or _("Not merged."), title=_("Not merged"), severity="error")
            return
        self.notify(
            _("Merged (merge {number}).").format(number=message.done.id), title=_("Customers")
        )
        self.dismiss(message.done.id)
