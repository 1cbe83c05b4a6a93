"""F5: Import customers from a spreadsheet.

Type or Tab-complete a path, Enter checks it (a worker reads and validates the whole
file, posting progress); the screen shows what was detected, a summary (N new, M updated,
K warnings, how many values blank cells will clear, by column) and every error or
warning by row and column, and the mapping: every column of the file → the field it goes
to (two sample values), or why it is not imported. The mapping can be changed before
importing: Enter on a column picks its field from a list, ``-`` leaves it out; each change
checks the file again with it, so what is imported is what the mapping shows. Ctrl+O
switches on (or off) creating the groups the file names that the store lacks; Ctrl+B
bringing the old system's balances and year-to-date spend over as opening entries of a
numbered import (the CLI's ``--opening-balances``). Both switches are drawn as ``[x]`` /
``[ ]`` beside the progress bar, readable without colour, and each change checks the file
again, so the summary always says what the import would bring over. Then: save the
annotated copy, import (when the file is clean), continue anyway (warnings only), or
cancel. The import itself runs in a worker too and is all or nothing. Right after an
import that brought opening balances over, Ctrl+R takes them back (asked first): the
screen's counterpart of ``tillterm balances reverse N``, which stays the way for later.

Esc always answers: while a file is read or checked it stops the reader (a workbook's
reader process is killed); while an import applies it rolls the whole import back;
after a result or a failure it clears the screen. The work is the import service's
(``self.services.imports``), run as the app's jobs: what the person can act on (a file
that cannot be read, a cancel, a locked database) comes back as :class:`Failed`; anything
else is told and logged by the app, and :meth:`ImportScreen.job_failed` makes the screen
usable again, so no job leaves it busy. Text from the file (names, cells, headers) is
never drawn as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, ProgressBar, Static

from tillterm.core.money import format_money
from tillterm.i18n import _, ngettext
from tillterm.i18n.formats import whole
from tillterm.spreadsheet.import_report import ImportReport, ImportResult, Problem, Progress
from tillterm.spreadsheet.mapping import IGNORE, ColumnRow, Override, field_title
from tillterm.spreadsheet.reading import ImportCancelled
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillScreen
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.field_picker import FieldPicker
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.path_input import PathInput
from tillterm.ui.widgets.results_table import PlainCell, fit
from tillterm.ui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    # the reversal's result only: importing the module would load SQLAlchemy in the UI
    from tillterm.spreadsheet.opening import Reversal

SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".vcf")
CANCELLED = _("Import cancelled: nothing was imported.")
VERBS = {"reading": _("Reading"), "checking": _("Checking"), "importing": _("Importing")}
#: the screen's one job group: a check, an import or a save, one at a time
JOB = "import"
#: a header is cut to this many characters in the mapping table
HEADER_WIDTH = 24
#: the summary line after an unexpected error (the app's notification says which)
#: the import check's error for a group the store lacks (``spreadsheet.checking``), whose
#: start says Ctrl+O would help: looked up in the catalog, not marked (the check owns it)
UNKNOWN_GROUP = "unknown group “{value}” (create it first in the Groups screen (F4))"
STOPPED = _("Stopped by an unexpected error: nothing was imported.")
STOPPED_SAVING = _("Stopped by an unexpected error: the annotated copy was not saved.")
#: the problems table's columns and widths: with the cell padding (one each side), the
#: vertical scrollbar and the screen's margins they fill 80 columns, so no horizontal
#: scrollbar hides the end of a message (the duplicate's code); a message cut to fit is
#: shown whole in the detail line under the table, for the highlighted row
PROBLEM_COLUMNS = ((_("Row"), 5), (_("Column"), 16), (_("Level"), 7), (_("Problem"), 40))


class MappingTable(DataTable[PlainCell]):
    """The mapping, one column of the file a row: Enter picks its field, ``-`` leaves it
    out (the screen does both, and checks the file again)."""

    BINDINGS = [
        Binding("enter", "select_cursor", _("Pick field"), show=True),
        Binding("minus", "ignore_column", _("Leave out")),
    ]

    @dataclass
    class IgnoreRequested(Message):
        """``-`` on a row: leave that column out."""

        row: int

    def action_ignore_column(self) -> None:
        if self.row_count:
            self.post_message(self.IgnoreRequested(self.cursor_row))


def _level(level: str) -> str:
    """A problem's level as stored ("error", "warning"), in words."""
    return {"error": _("error"), "warning": _("warning")}.get(level, level)


def _mapping_cells(row: ColumnRow) -> tuple[str, str, str, str]:
    """A mapping row: number, header, field (``*`` when the person chose it), and the
    samples, or why the column is not imported."""
    field = row.target + (" *" if row.chosen else "")
    samples = " · ".join(row.samples)
    note = samples if row.field else f"{row.reason}" + (f": {samples}" if samples else "")
    if row.looks_like:
        note = _("looks like {field}: {note}").format(field=row.looks_like, note=note)
    header = row.header or _("column {number}").format(number=row.number)
    if len(header) > HEADER_WIDTH:  # the samples stay in sight at 80 columns
        header = header[: HEADER_WIDTH - 1] + "…"
    return (str(row.number), header, field, note)


class ImportScreen(TillScreen[None]):
    HELP_TITLE = _("Import")
    CSS_PATH = css("spreadsheet_import.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save_annotated", _("Save annotated")),
        Binding("ctrl+y", "confirm_import", _("Import")),
        Binding("ctrl+g", "continue_anyway", _("Continue anyway")),
        # at 80 columns the footer holds one switch beside Esc and the F-keys: Ctrl+O is
        # named on the switches line (and by F1, and by the summary when it would help)
        Binding("ctrl+o", "toggle_create_groups", _("Create groups"), show=False),
        Binding("ctrl+b", "toggle_opening_balances", _("Balances")),
        Binding("ctrl+r", "reverse_opening_balances", _("Undo balances")),
        Binding("escape", "cancel_import", _("Cancel")),
    ]

    @dataclass
    class Progressed(Message):
        """A worker got further through the file."""

        progress: Progress

    @dataclass
    class Checked(Message):
        """The file was read and checked; nothing was written."""

        report: ImportReport

    @dataclass
    class Applied(Message):
        """The file was imported (one transaction)."""

        result: ImportResult

    @dataclass
    class AnnotatedSaved(Message):
        """The annotated copy was written."""

        path: Path

    @dataclass
    class OpeningReversed(Message):
        """The opening balances of the import just made were taken back."""

        reversal: Reversal

    @dataclass
    class Failed(Message):
        """Reading, importing or saving was refused or cancelled; ``message`` is for the
        person."""

        message: str

    def __init__(self) -> None:
        super().__init__()
        self.report: ImportReport | None = None
        self.busy = False
        self._cancel = False
        #: the running worker saves the annotated copy (a cancel keeps the report)
        self._saving = False
        #: the person's mapping choices (header → field or ``-``), for the next check
        self.overrides: dict[str, str] = {}
        #: create the groups the file names that the store lacks (Ctrl+O)
        self.create_groups = False
        #: bring the old system's balances over as opening entries (Ctrl+B)
        self.opening_balances = False
        #: the opening-balance import the last import made, while Ctrl+R may reverse it
        self.opening_import: int | None = None
        #: the running job reverses them (one short transaction: Esc waits for it)
        self._reversing = False
        #: the file the choices apply to, and the mapping row to come back to
        self._path: Path | None = None
        self._mapping_row = 0

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(plain(_("Import customers")), classes="screen-title")
        yield PathInput(
            placeholder=_("Path to a .csv, .xlsx, .xls or .vcf file (Tab completes, Enter checks)"),
            suffixes=SUFFIXES,
            id="import-path",
        )
        yield Static("", id="import-detected", markup=False)
        with Horizontal(id="import-status"):
            yield ProgressBar(total=100, show_eta=False, id="import-progress")
            yield Static(plain(self._switches()), id="import-options")
        yield Static("", id="import-summary")
        table: DataTable[PlainCell] = DataTable(
            id="import-problems", cursor_type="row", zebra_stripes=True
        )
        for label, width in PROBLEM_COLUMNS:
            table.add_column(label, width=width)  # drawn: the labels are constants
        yield table
        # the highlighted problem whole: the table's column cuts a long message
        yield Static("", id="import-problem-detail", markup=False)
        mapping = MappingTable(id="import-mapping", cursor_type="row", zebra_stripes=True)
        mapping.add_columns("#", _("Column"), _("Field"), _("Samples, or why not imported"))
        yield mapping
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(PathInput).focus()

    # -- what the keys may do now ---------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        report = None if self.busy else self.report
        if action == "save_annotated":
            return bool(report and (report.errors or report.warnings))
        if action == "confirm_import":
            return bool(report and not report.errors and not report.warnings)
        if action == "continue_anyway":
            return bool(report and not report.errors and report.warnings)
        if action == "toggle_create_groups":
            return not self.busy
        if action == "toggle_opening_balances":
            # right after an import that brought balances over, Ctrl+R takes its place
            return not self.busy and self.opening_import is None
        if action == "reverse_opening_balances":
            return not self.busy and self.opening_import is not None
        return True

    def _switches(self) -> str:
        """The two switches as text: readable without colour (``[x]`` on, ``[ ]`` off)."""

        def box(on: bool) -> str:
            return "[x]" if on else "[ ]"

        groups, opening = box(self.create_groups), box(self.opening_balances)
        return _("{groups} Create groups ^O  {opening} Opening balances ^B").format(
            groups=groups, opening=opening
        )

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one(PathInput).disabled = busy
        self.refresh_bindings()

    def _progress(self, progress: Progress) -> None:
        """Called by the workers: stops them (raises) once the person pressed Esc."""
        if self._cancel:
            raise ImportCancelled(CANCELLED)
        self.post_message(self.Progressed(progress))

    def _say(self, text: str) -> None:
        """The summary line: file names and cells quoted in it are drawn as text."""
        self.query_one("#import-summary", Static).update(plain(text, multiline=True))

    # -- actions ---------------------------------------------------------------------------
    @on(Input.Submitted, "#import-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path or self.busy:
            return
        chosen = Path(path).expanduser()
        if chosen != self._path:  # another file: its own mapping
            self.overrides = {}
            self._mapping_row = 0
        self._start_check(chosen)

    def _start_check(self, chosen: Path) -> None:
        """Check ``chosen`` with the mapping choices made so far (and Ctrl+O's choice)."""
        self._path = chosen
        self.report = None
        self.opening_import = None
        self._cancel = False
        self._clear_problems()
        self.query_one(MappingTable).clear()
        self._say(_("Reading…"))
        self.query_one("#import-detected", Static).update("")
        self.query_one(ProgressBar).update(progress=0)
        self._set_busy(True)
        imports = self.services.imports
        overrides = [Override(h, f) for h, f in self.overrides.items()]
        create_groups = self.create_groups
        opening_balances = self.opening_balances
        self.run_job(
            JOB,
            lambda: imports.check(
                chosen,
                overrides=overrides,
                create_groups=create_groups,
                opening_balances=opening_balances,
                progress=self._progress,
            ),
            self.Checked,
            self.Failed,
            description=_("checking the file"),
        )

    # -- the mapping -------------------------------------------------------------------
    @on(DataTable.RowSelected, "#import-mapping")
    def _pick_field(self, event: DataTable.RowSelected) -> None:
        event.stop()
        report = self.report
        if report is None or self.busy or not 0 <= event.cursor_row < len(report.columns):
            return
        row = report.columns[event.cursor_row]
        self._mapping_row = event.cursor_row
        choices = [(name, field_title(name)) for name in report.field_choices]

        def picked(field: str | None) -> None:
            if field is not None and self.report is report and not self.busy:
                self._choose(row, field)

        self.app.push_screen(FieldPicker(row.header, choices, row.field), picked)

    @on(MappingTable.IgnoreRequested)
    def _ignore_column(self, message: MappingTable.IgnoreRequested) -> None:
        report = self.report
        if report is None or self.busy or not 0 <= message.row < len(report.columns):
            return
        self._mapping_row = message.row
        self._choose(report.columns[message.row], IGNORE)

    def _choose(self, row: ColumnRow, field: str) -> None:
        """Set one column's field (or ``-``) and check the file again with it.

        A field another column was chosen for moves here: that column goes back to what
        its header says (never two columns for one field)."""
        if self.report is None or (row.target == field and row.chosen):
            return
        if field != IGNORE:
            self.overrides = {h: f for h, f in self.overrides.items() if f != field}
        header = row.header.strip()
        headers = [c.header.strip() for c in self.report.columns]
        key = header if header and headers.count(header) == 1 else f"#{row.number}"
        self.overrides[key] = field
        self._start_check(self.report.path)

    def action_toggle_create_groups(self) -> None:
        """Ctrl+O: create the unknown groups (or not); a checked file is checked again."""
        if self.busy:
            return
        self.create_groups = not self.create_groups
        self.query_one("#import-options", Static).update(plain(self._switches()))
        said = (
            _("Create unknown groups: on")
            if self.create_groups
            else _("Create unknown groups: off")
        )
        self.notify(said, title=_("Import"))
        if self.report is not None:
            self._start_check(self.report.path)

    def action_toggle_opening_balances(self) -> None:
        """Ctrl+B: bring the old system's balances and year-to-date spend over as
        opening entries (or leave them read-only); a checked file is checked again, so
        the summary says what would come over."""
        if self.busy:
            return
        self.opening_balances = not self.opening_balances
        self.query_one("#import-options", Static).update(plain(self._switches()))
        said = _("Opening balances: on") if self.opening_balances else _("Opening balances: off")
        self.notify(said, title=_("Import"))
        if self.report is not None:
            self._start_check(self.report.path)

    def action_reverse_opening_balances(self) -> None:
        """Ctrl+R, right after an import that brought balances over: take them back
        (asked first; once)."""
        number = self.opening_import
        if number is None or self.busy:
            return

        def answered(reverse: bool | None) -> None:
            if reverse and self.opening_import == number and not self.busy:
                self._start_reversal(number)

        self.app.push_screen(
            ConfirmScreen(
                _("Reverse the opening balances?"),
                _(
                    "Take back every loyalty and account balance and year-to-date spend that "
                    "opening-balance import {number} brought over? Opposite entries are "
                    "added, dated now; the customers stay."
                ).format(number=number),
                _("Reverse"),
                _("Keep"),
            ),
            answered,
        )

    def _start_reversal(self, number: int) -> None:
        self._cancel = False
        self._reversing = True
        self._set_busy(True)
        self._say(_("Reversing opening-balance import {number}…").format(number=number))
        imports = self.services.imports
        self.run_job(
            JOB,
            lambda: imports.reverse_opening_balances(number),
            self.OpeningReversed,
            self.Failed,
            description=_("reversing the opening balances"),
        )

    def action_save_annotated(self) -> None:
        report = self.report
        if not report or self.busy:
            return
        target = self.services.imports.annotated_target(report)
        if not (target.exists() or target.is_symlink()):
            self._start_save(report, overwrite=False)
            return

        def answered(replace: bool | None) -> None:
            if replace and self.report is report and not self.busy:
                self._start_save(report, overwrite=True)

        self.app.push_screen(
            ConfirmScreen(
                _("Replace the annotated copy?"),
                _("{path} already exists. Replace it with this check's annotated copy?").format(
                    path=target
                ),
                _("Replace"),
                _("Keep"),
            ),
            answered,
        )

    def _start_save(self, report: ImportReport, *, overwrite: bool) -> None:
        self._cancel = False
        self._saving = True
        self._set_busy(True)
        self._say(_("Saving the annotated copy…"))
        imports = self.services.imports

        def poll() -> None:
            if self._cancel:
                raise ImportCancelled(_("Cancelled: the annotated copy was not saved."))

        self.run_job(
            JOB,
            lambda: imports.save_annotated(report, overwrite=overwrite, poll=poll),
            self.AnnotatedSaved,
            self.Failed,
            description=_("saving the annotated copy"),
        )

    def action_confirm_import(self) -> None:
        self._start_apply(allow_warnings=False)

    def action_continue_anyway(self) -> None:
        self._start_apply(allow_warnings=True)

    def _start_apply(self, *, allow_warnings: bool) -> None:
        if not self.report or self.busy:
            return
        self._cancel = False
        self.query_one(ProgressBar).update(progress=0)
        self._say(_("Importing…"))
        self._set_busy(True)
        imports, report = self.services.imports, self.report
        self.run_job(
            JOB,
            lambda: imports.apply(report, allow_warnings=allow_warnings, progress=self._progress),
            self.Applied,
            self.Failed,
            description=_("importing the file"),
        )

    def action_cancel_import(self) -> None:
        """Esc: stop what runs (an import rolls back), else clear the screen."""
        if self.busy:
            if not self._reversing:  # a reversal is one short transaction: it ends
                self._cancel = True
                self._say(_("Cancelling…"))
            return
        dropped = self.report is not None
        self.report = None
        self.opening_import = None
        self.overrides = {}  # the next check starts from the headers again
        self._path = None
        self._clear_problems()
        self.query_one(MappingTable).clear()
        # after a result or a failure there is nothing to cancel: the screen just clears
        self._say(_("Cancelled: nothing was imported.") if dropped else "")
        self.query_one("#import-detected", Static).update("")
        self.query_one(ProgressBar).update(progress=0)
        self.refresh_bindings()
        self.query_one(PathInput).focus()

    def job_failed(self, group: str, error: BaseException) -> None:
        """A job failed unexpectedly (the app told the person and logged it): the screen
        is usable again, and says that nothing was imported (or saved)."""
        if group == JOB and self.busy:
            self._stop(STOPPED_SAVING if self._saving else STOPPED)

    # -- results ---------------------------------------------------------------------------
    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        if self._cancel:
            return
        p = message.progress
        self.query_one(ProgressBar).update(progress=round(p.fraction * 100))
        verb = VERBS.get(p.stage) or _("Working")
        if p.rows:
            self._say(
                ngettext("{verb}… {count} row", "{verb}… {count} rows", p.rows).format(
                    verb=verb, count=whole(p.rows)
                )
            )
        else:
            self._say(_("{verb}…").format(verb=verb))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        report = message.report
        self._set_busy(False)
        if self._cancel:  # Esc came as the check finished: drop what it found
            self._cancel = False
            self.action_cancel_import()
            return
        self.report = report
        self.refresh_bindings()
        self.query_one(ProgressBar).update(progress=100)
        self.query_one("#import-detected", Static).update(
            plain(
                "\n".join([f"{report.path.name}: {report.detected}", *report.notices]),
                multiline=True,
            )
        )
        unknown = tuple({"unknown group “", _(UNKNOWN_GROUP).partition("{value}")[0]})
        if report.errors and any(p.message.startswith(unknown) for p in report.problems):
            advice = _(
                "Blocked by errors: Ctrl+O creates the unknown groups; Ctrl+S saves the file."
            )
        elif report.errors:
            advice = _("Blocked by errors: save the annotated file (Ctrl+S), fix it, import again.")
        elif report.warnings:
            advice = _("Warnings only: Ctrl+G continues anyway, Ctrl+S saves the annotated file.")
        else:
            advice = _("Ready: Ctrl+Y imports.")
        lines = [report.summary(), report.clearing(), advice]
        self._say("\n".join(line for line in lines if line))
        table = self._clear_problems()
        for p in report.problems:
            table.add_row(*_problem_cells(p))  # drawn: PlainCell each (_problem_cells)
        self._show_problem(0)
        mapping = self.query_one(MappingTable)
        mapping.clear()
        for row in report.columns:
            mapping.add_row(*(PlainCell(v) for v in _mapping_cells(row)))
        if report.columns:
            mapping.move_cursor(row=min(self._mapping_row, len(report.columns) - 1))
        if self.overrides and report.columns:
            mapping.focus()  # the person is changing the mapping: stay there
        elif report.problems:
            table.focus()
        elif report.columns:
            mapping.focus()

    def _clear_problems(self) -> DataTable[PlainCell]:
        table: DataTable[PlainCell] = self.query_one("#import-problems", DataTable)
        table.clear()
        self._show_problem(None)
        return table

    @on(DataTable.RowHighlighted, "#import-problems")
    def _problem_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_problem(event.cursor_row)

    def _show_problem(self, index: int | None) -> None:
        """The detail line: problem ``index`` of the report whole (wrapped), or nothing."""
        problems = self.report.problems if self.report is not None else []
        text = ""
        if index is not None and 0 <= index < len(problems):
            p = problems[index]
            text = _("Row {row}, {column} ({level}): {message}").format(
                row=p.row, column=p.column, level=_level(p.level), message=p.message
            )
        self.query_one("#import-problem-detail", Static).update(plain(text))

    @on(Applied)
    def _applied(self, message: Applied) -> None:
        self._set_busy(False)
        self._cancel = False
        self.report = None
        self.opening_import = message.result.opening_import
        self.refresh_bindings()
        self.query_one(ProgressBar).update(progress=100)
        summary = message.result.summary()
        if self.opening_import is not None:
            summary += " " + _("Ctrl+R reverses the opening balances now.")
        self._say(summary)
        self._clear_problems()
        self.query_one(MappingTable).clear()
        self.overrides = {}
        self._path = None
        self.notify(message.result.summary(), title=_("Import"), markup=False)
        self.query_one(PathInput).focus()

    @on(OpeningReversed)
    def _reversed(self, message: OpeningReversed) -> None:
        self._reversing = False
        self._set_busy(False)
        self.opening_import = None
        self.refresh_bindings()
        done = message.reversal
        loyalty = ngettext(
            "{count} loyalty balance", "{count} loyalty balances", done.loyalty
        ).format(count=whole(done.loyalty))
        points = ngettext("{count} point", "{count} points", abs(done.points)).format(
            count=whole(done.points)
        )
        accounts = ngettext(
            "{count} account balance", "{count} account balances", done.accounts
        ).format(count=whole(done.accounts))
        spends = ngettext("{count} customer", "{count} customers", done.spends).format(
            count=whole(done.spends)
        )
        text = _(
            "Reversed opening-balance import {number}: {loyalty} ({points}), {accounts} "
            "({amount}), year-to-date spend of {customers} ({spend}) taken back."
        ).format(
            number=done.number,
            loyalty=loyalty,
            points=points,
            accounts=accounts,
            amount=format_money(done.cents, done.currency),
            customers=spends,
            spend=format_money(done.spend_cents, done.currency),
        )
        self._say(text)
        self.notify(text, title=_("Import"), markup=False)

    @on(AnnotatedSaved)
    def _saved(self, message: AnnotatedSaved) -> None:
        self._set_busy(False)
        self._cancel = self._saving = False
        self.notify(_("Annotated copy saved: {path}").format(path=message.path), title=_("Import"))
        summary = self.report.summary() if self.report else ""
        self._say(summary + "\n" + _("Annotated copy: {path}").format(path=message.path))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if not self.busy:
            return  # nothing runs any more: already told
        cancelled = self._cancel
        self._stop(message.message)
        self.notify(
            message.message, title=_("Import"), severity="warning" if cancelled else "error"
        )

    def _stop(self, text: str) -> None:
        """The running job ended without a result: not busy any more, ``text`` said.

        A cancelled check or import leaves nothing behind (the screen clears); a
        cancelled save, or a failed import, keeps the report, so the person can try again.
        """
        cancelled = self._cancel
        saving = self._saving
        self._reversing = False
        self._set_busy(False)
        self._cancel = self._saving = False
        if cancelled and not saving:
            self.report = None
            self._clear_problems()
            self.query_one(MappingTable).clear()
            self.query_one("#import-detected", Static).update("")
            self.query_one(ProgressBar).update(progress=0)
            self.refresh_bindings()
        self._say(text)
        self.query_one(PathInput).focus()


def _problem_cells(problem: Problem) -> tuple[PlainCell, ...]:
    """A problem as the table shows it, each value cut to its column (with "…")."""
    values = (str(problem.row), problem.column, _level(problem.level), problem.message)
    return tuple(
        PlainCell(fit(value, width))
        for value, (_, width) in zip(values, PROBLEM_COLUMNS, strict=True)
    )
