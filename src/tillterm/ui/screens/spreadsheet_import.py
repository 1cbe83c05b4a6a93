"""F5: Import customers from a spreadsheet.

Type or Tab-complete a path, Enter checks it (a worker reads and validates the whole
file, posting progress); the screen shows what was detected, a summary (N new, M updated,
K warnings) and every error or warning by row and column. Then: save the annotated
copy, import (when the file is clean), continue anyway (warnings only), or cancel. The
import itself runs in a worker too and is all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, ProgressBar, Static

from tillterm.errors import TilltermError
from tillterm.spreadsheet.importing import (
    ImportCancelled,
    ImportReport,
    ImportResult,
    Progress,
    apply_import,
    check_import,
)
from tillterm.ui.plain import plain
from tillterm.ui.styles import css
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.path_input import PathInput
from tillterm.ui.widgets.results_table import PlainCell

SUFFIXES = (".csv", ".xlsx", ".xls")


class ImportScreen(Screen[None]):
    HELP_TITLE = "Import"
    CSS_PATH = css("spreadsheet_import.tcss")
    BINDINGS = [
        Binding("ctrl+s", "save_annotated", "Save annotated"),
        Binding("ctrl+y", "confirm_import", "Import"),
        Binding("ctrl+g", "continue_anyway", "Continue anyway"),
        Binding("escape", "cancel_import", "Cancel"),
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
    class Failed(Message):
        """Reading, importing or saving failed; ``message`` is for the person."""

        message: str

    def __init__(self) -> None:
        super().__init__()
        self.report: ImportReport | None = None
        self.busy = False
        self._cancel = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Import customers", classes="screen-title")
        yield PathInput(
            placeholder="Path to a .csv, .xlsx or .xls file (Tab completes, Enter checks)",
            suffixes=SUFFIXES,
            id="import-path",
        )
        yield Static("", id="import-detected")
        yield ProgressBar(total=100, show_eta=False, id="import-progress")
        yield Static("", id="import-summary")
        table: DataTable[PlainCell] = DataTable(
            id="import-problems", cursor_type="row", zebra_stripes=True
        )
        table.add_columns("Row", "Column", "Level", "Problem")
        yield table
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
        return True

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one(PathInput).disabled = busy
        self.refresh_bindings()

    def _progress(self, progress: Progress) -> None:
        if self._cancel:
            raise ImportCancelled("Import cancelled: nothing was imported.")
        self.post_message(self.Progressed(progress))

    # -- actions ---------------------------------------------------------------------------
    @on(Input.Submitted, "#import-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path or self.busy:
            return
        self.report = None
        self._cancel = False
        self.query_one(DataTable).clear()
        self.query_one("#import-summary", Static).update("Checking…")
        self.query_one("#import-detected", Static).update("")
        self.query_one(ProgressBar).update(progress=0)
        self._set_busy(True)
        self.check_file(Path(path).expanduser())

    def action_save_annotated(self) -> None:
        if self.report:
            self._set_busy(True)
            self.save_annotated(self.report)

    def action_confirm_import(self) -> None:
        self._start_apply(allow_warnings=False)

    def action_continue_anyway(self) -> None:
        self._start_apply(allow_warnings=True)

    def _start_apply(self, *, allow_warnings: bool) -> None:
        if not self.report or self.busy:
            return
        self._cancel = False
        self.query_one(ProgressBar).update(progress=0)
        self.query_one("#import-summary", Static).update("Importing…")
        self._set_busy(True)
        self.apply_file(self.report, allow_warnings)

    def action_cancel_import(self) -> None:
        if self.busy:
            self._cancel = True
            return
        self.report = None
        self.query_one(DataTable).clear()
        self.query_one("#import-summary", Static).update("Cancelled: nothing was imported.")
        self.query_one("#import-detected", Static).update("")
        self.query_one(ProgressBar).update(progress=0)
        self.refresh_bindings()
        self.query_one(PathInput).focus()

    # -- workers ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def check_file(self, path: Path) -> None:
        try:
            report = check_import(self.app.engine, path, progress=self._progress)  # type: ignore[attr-defined]
        except TilltermError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Checked(report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def apply_file(self, report: ImportReport, allow_warnings: bool) -> None:
        try:
            result = apply_import(
                self.app.engine,  # type: ignore[attr-defined]
                report,
                allow_warnings=allow_warnings,
                progress=self._progress,
            )
        except TilltermError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Applied(result))

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def save_annotated(self, report: ImportReport) -> None:
        from tillterm.spreadsheet.annotate import write_annotated

        try:
            path = write_annotated(report)
        except TilltermError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.AnnotatedSaved(path))

    # -- results ---------------------------------------------------------------------------
    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        p = message.progress
        self.query_one(ProgressBar).update(progress=round(p.fraction * 100))
        verb = "Checking" if p.stage == "checking" else "Importing"
        self.query_one("#import-summary", Static).update(plain(f"{verb}… {p.rows:,} rows"))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        report = message.report
        self.report = report
        self._set_busy(False)
        self.query_one(ProgressBar).update(progress=100)
        self.query_one("#import-detected", Static).update(
            plain(
                "\n".join([f"{report.path.name}: {report.detected}", *report.notices]),
                multiline=True,
            )
        )
        if report.errors:
            advice = "Blocked by errors: save the annotated file (Ctrl+S), fix it, import again."
        elif report.warnings:
            advice = "Warnings only: Ctrl+G continues anyway, Ctrl+S saves the annotated file."
        else:
            advice = "Ready: Ctrl+Y imports."
        self.query_one("#import-summary", Static).update(
            plain(f"{report.summary()}\n{advice}", multiline=True)
        )
        table = self.query_one(DataTable)
        table.clear()
        for p in report.problems:
            table.add_row(*(PlainCell(str(v)) for v in (p.row, p.column, p.level, p.message)))
        if report.problems:
            table.focus()

    @on(Applied)
    def _applied(self, message: Applied) -> None:
        self._set_busy(False)
        self.report = None
        self.refresh_bindings()
        self.query_one(ProgressBar).update(progress=100)
        self.query_one("#import-summary", Static).update(plain(message.result.summary()))
        self.query_one(DataTable).clear()
        self.notify(message.result.summary(), title="Import")
        self.query_one(PathInput).focus()

    @on(AnnotatedSaved)
    def _saved(self, message: AnnotatedSaved) -> None:
        self._set_busy(False)
        self.notify(f"Annotated copy saved: {message.path}", title="Import")
        self.query_one("#import-summary", Static).update(
            plain(
                f"{self.report.summary() if self.report else ''}\nAnnotated copy: {message.path}",
                multiline=True,
            )
        )

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        cancelled = self._cancel
        self._set_busy(False)
        if cancelled:
            self.report = None
            self.query_one(DataTable).clear()
            self.refresh_bindings()
        self.query_one("#import-summary", Static).update(plain(message.message, multiline=True))
        self.notify(message.message, title="Import", severity="error")
        self.query_one(PathInput).focus()
