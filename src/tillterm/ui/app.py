"""The Textual application: modes for each screen, keys, header and the engine.

The app is handed its database: an engine already built by ``tillterm.store.engine.open_db``
(a test, a benchmark) or a :class:`~tillterm.services.opening.DbTarget` the CLI has
checked. A target is opened by a job (:func:`tillterm.services.opening.open_database`)
once the first frame is on screen, because importing the ORM takes longer than drawing
the register; jobs that need the engine wait for it (``app.engine``), so a code scanned
in that moment queues rather than fails. If the database has to be created or upgraded
first (a large store takes seconds), a box covers the register until it is done and
refuses every key and scan with a "wait" line, so no sale is half-taken meanwhile. If
the database cannot be opened the app exits and the CLI prints the reason on stderr.
Once it is open, the store's settings are read (its name goes in the header).

The app's own jobs run the way every screen's do (:class:`~tillterm.ui.jobs.JobRunner`):
one that fails unexpectedly is told in one line and logged, and the register stays usable.

Each F-key switches to a mode, so every screen keeps its own state (a half-typed search,
the open sale) while the cashier moves around.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input

from tillterm.core.errors import DatabaseError, TilltermError
from tillterm.core.typed_text import visible_text
from tillterm.i18n import _
from tillterm.services import opening
from tillterm.services.context import Services
from tillterm.services.opening import DbTarget
from tillterm.ui.jobs import JobRunner
from tillterm.ui.memory import freeze_start_up, use_job_threads
from tillterm.ui.messages import CustomerAttachRequested, ScannerNoticed, ScanReceived
from tillterm.ui.plain import VisibleControls
from tillterm.ui.scanner_bridge import ScannerBridge
from tillterm.ui.screens.help import HelpScreen, describe_bindings
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.styles import every_stylesheet
from tillterm.ui.terminal_colours import (
    TILL_ANSI,
    till_ansi_theme,
    wants_plain_colours,
    without_colour,
)
from tillterm.ui.terminal_glyphs import GlyphFilter, choose_glyphs
from tillterm.ui.typeahead import TypeAhead, install_escape_first
from tillterm.ui.widgets.scan_input import TerminalScans

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from textual.dom import DOMNode
    from textual.driver import Driver
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from tillterm.services.settings import StoreInfo
    from tillterm.ui.screens.customer_view import CustomerView
    from tillterm.ui.screens.too_small import TooSmallScreen
    from tillterm.ui.screens.upgrading import UpgradingScreen


#: the header's title between the first frame and the database being open
OPENING_DATABASE = _("Opening the database…")


def _lazy(module: str, name: str) -> Callable[[], Screen[None]]:
    """A mode's screen, imported the first time the cashier opens it.

    Only the register is needed to take the first sale; importing every screen up front
    costs start-up time on a low-spec till.
    """

    def build() -> Screen[None]:
        screen: Screen[None] = getattr(import_module(f"tillterm.ui.screens.{module}"), name)()
        return screen

    return build


class TilltermApp(JobRunner, TypeAhead, TerminalScans, App[int]):
    """The register application.

    Keys go through :class:`~tillterm.ui.typeahead.TypeAhead` first (one at a time, each
    to the screen and field the keys before it left), then
    :class:`~tillterm.ui.widgets.scan_input.TerminalScans` (a burst ending in Enter is a
    scan), then Textual.
    """

    TITLE = "tillterm"
    CSS_PATH = every_stylesheet()  # the screens' too: none is parsed as it first opens
    MODES = {
        "register": RegisterScreen,
        "customers": _lazy("customers", "CustomersScreen"),
        "groups": _lazy("groups", "GroupsScreen"),
        "import": _lazy("spreadsheet_import", "ImportScreen"),
        "back_office": _lazy("back_office", "BackOfficeScreen"),
    }
    DEFAULT_MODE = "register"
    BINDINGS = [
        Binding("f1", "show_help", _("Help")),
        Binding("f2", "switch_mode('register')", _("Register")),
        Binding("f3", "switch_mode('customers')", _("Customers")),
        Binding("f4", "switch_mode('groups')", _("Groups")),
        Binding("f5", "switch_mode('import')", _("Import")),
        Binding("f11", "switch_mode('back_office')", _("Back office")),
        Binding("ctrl+q", "quit", _("Quit"), priority=True),
    ]

    def __init__(
        self,
        database: Engine | DbTarget,
        *,
        register: str = "till",
        settings: StoreInfo | None = None,
        scanner: bool = True,
    ) -> None:
        super().__init__()
        self.register_theme(till_ansi_theme())
        if self.no_color:
            self._filters = without_colour(self._filters)
        #: what the terminal can draw: the last filter keeps every cell to it
        self.glyphs = choose_glyphs(os.environ)
        self._filters.append(GlyphFilter(self.glyphs))
        self._engine: Engine | None = None
        self._engine_ready = threading.Event()
        self._target: DbTarget | None = None
        if isinstance(database, DbTarget):
            self._target = database
            self.db_info = database.info()
        else:
            self._engine = database
            self._engine_ready.set()
            self.db_info = opening.database_info(database)
        #: why the database could not be opened; the CLI prints it once the app has exited
        self.startup_error: str | None = None
        #: the box over the register while the database is created or upgraded
        self._upgrading: UpgradingScreen | None = None
        #: the box over everything while the terminal is under 80×24
        self._too_small: TooSmallScreen | None = None
        self._quit_when_open = False
        self.register_name = register
        #: the use cases, for every screen (``self.services``); the engine is waited for
        self.services = Services(lambda: self.engine, register=register)
        self.settings = settings
        self.use_scanner = scanner
        self.scanner_bridge: ScannerBridge | None = None
        self.sub_title = f"{register} · {self.db_info.label}"

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A notification, always drawn as plain text (``markup`` is ignored).

        Notifications quote names, codes and file names; read as markup, a customer
        called ``[/]`` would close the app and ``[@click=app.quit]`` would be a button.
        Widgets' and screens' ``notify`` come here too, so no caller can forget.
        """
        super().notify(
            visible_text(message, multiline=True),
            title=visible_text(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def report_job_failure(self, what: str, error: BaseException) -> None:
        """A job failed in a way nobody planned for: log the traceback, tell the cashier.

        Called from the UI thread by :class:`~tillterm.ui.jobs.JobRunner` (every screen's
        jobs and the app's own) and by the scanner bridge; the screen then resets its
        busy state.
        """
        from tillterm.ui.failure_log import one_line, write_failure

        log_file = opening.failure_log_file()
        logged = write_failure(log_file, what, error)
        self.notify(one_line(what, error, log_file, logged), title=_("Error"), severity="error")

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header's title, with control characters in a customer's name made visible."""
        return super().format_title(visible_text(title), visible_text(sub_title))

    @property
    def engine(self) -> Engine:
        """The open engine; a worker asking before it is open waits for it.

        Only workers may wait: the event loop must never block, so asking from it before
        the database is open is a programming error.
        """
        if not self._engine_ready.is_set():
            if threading.current_thread() is threading.main_thread():
                raise RuntimeError("the database is still opening; use app.engine in a worker")
            self._engine_ready.wait()
        if self._engine is None:
            raise DatabaseError(self.startup_error or "The database is not open.")
        return self._engine

    def get_driver_class(self) -> type[Driver]:
        """On a console or a serial terminal, a driver that sends only what a VT knows;
        on every terminal, Esc then a key read as two keys (see
        :class:`~tillterm.ui.typeahead.EscapeFirstParser`)."""
        driver = super().get_driver_class()
        if issubclass(driver, LinuxDriver) and choose_glyphs(os.environ) != "unicode":
            from tillterm.ui.console_driver import ConsoleDriver

            driver = ConsoleDriver
        install_escape_first(driver)
        return driver

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Restyle ``node`` for a class changed, unless it is not in the app yet.

        A widget being made (in a ``compose``) gets its stylesheet pass as it mounts;
        Textual restyled it already for each class set as it is made (a compact field's
        ``-textual-compact``): one whole stylesheet pass per field, for nothing, a fifth
        of the Store form's opening (issue 17).
        """
        if node._parent is None and node is not self:
            return
        super().update_styles(node, animate)

    def on_load(self) -> None:
        # before any worker runs: each job in a context of its own, so that no pool
        # thread keeps a closed screen alive (tillterm.ui.memory)
        use_job_threads(asyncio.get_running_loop())

    def on_mount(self) -> None:
        if wants_plain_colours(self.console.color_system, self.no_color):
            self.theme = TILL_ANSI
        self.call_after_refresh(self._fit_terminal)
        if self.settings is not None:
            self.title = self.settings.name
        elif self._target is not None:
            self.title = OPENING_DATABASE  # until it is open; then the store's name
        if self._target is None:
            self.load_settings()

    def on_ready(self) -> None:
        """The first layout is done; the footer composes its keys and they are drawn two
        refreshes later. Only then is the database opened (:meth:`_start_background`)."""
        self.call_after_refresh(self.call_after_refresh, self._start_background)

    def _start_background(self) -> None:
        """The register is on screen, keys included: now pay for the database and the
        scanner. Started at ``Ready``, loading the ORM in a thread held the GIL while
        the footer was drawn: the register was complete 0.2 s later (bench_startup)."""
        if self._target is not None:
            self._open_database(self._target)
        if self.use_scanner:
            self.scanner_bridge = ScannerBridge(self)
            self.scanner_bridge.start()

    def on_unmount(self) -> None:
        if self.scanner_bridge is not None:
            self.scanner_bridge.stop()

    @dataclass
    class DatabaseUpgradeStarted(Message):
        """The database is being created (``"create"``) or upgraded (``"upgrade"``)."""

        kind: str

    @dataclass
    class DatabaseOpened(Message):
        """The database finished opening (``error`` says why it could not)."""

        error: str | None = None

    @dataclass
    class SettingsLoaded(Message):
        """The store's settings were read from the database."""

        settings: StoreInfo

    @dataclass
    class SettingsNotLoaded(Message):
        """The store's settings could not be read (the database refused, in words)."""

        error: str

    def _open_database(self, target: DbTarget) -> None:
        """Open ``target`` off the UI thread; jobs asking for the engine meanwhile wait.

        Whatever happens, the engine is marked ready (open or not) so that no waiting
        job hangs; a failure is kept in ``startup_error`` before that, so the waiting
        jobs fail with the reason the CLI will print.
        """

        def upgrading(kind: str) -> None:
            self.post_message(self.DatabaseUpgradeStarted(kind))

        def open_it() -> None:
            try:
                self._engine = opening.open_database(target, on_upgrade=upgrading)
            except TilltermError as exc:
                self.startup_error = str(exc)
                raise
            finally:
                self._engine_ready.set()

        self.run_job(
            "database",
            open_it,
            lambda _: self.DatabaseOpened(),
            self.DatabaseOpened,
            description=_("opening the database"),
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """One of the app's jobs failed unexpectedly (already told and logged).

        Without a database there is no register: the app ends as for any database that
        cannot be opened, the CLI printing why. Settings that could not be read leave
        the header as it is; the register takes sales with the settings it reads itself.
        """
        if group == "database":
            self.post_message(
                self.DatabaseOpened(
                    self.startup_error
                    or _("Cannot open database {database}: {error}").format(
                        database=self.db_info.label, error=error
                    )
                )
            )

    def on_resize(self, event: events.Resize) -> None:
        # the event's size: the app's own is updated a moment later, on a timer
        self._fit_terminal(event.size.width, event.size.height)

    def _fit_terminal(self, width: int | None = None, height: int | None = None) -> None:
        """Cover every screen while the terminal is under 80×24, uncover it after."""
        from tillterm.ui.screens.too_small import TooSmallScreen, fits

        if width is None or height is None:
            width, height = self.size
        if not fits(width, height):
            if self._too_small is None:
                self._too_small = TooSmallScreen()
                self.push_screen(self._too_small)
            elif self._too_small.is_mounted:
                self._too_small.show_size(width, height)
            return
        if self._too_small is not None and self.screen is self._too_small:
            too_small = self._too_small
            self._too_small = None
            too_small.dismiss()

    @on(DatabaseUpgradeStarted)
    def _upgrade_started(self, message: DatabaseUpgradeStarted) -> None:
        """Cover the register until the upgrade is done: nothing typed or scanned
        meanwhile reaches it (each is refused with a "wait" line instead)."""
        from tillterm.ui.screens.upgrading import UpgradingScreen

        self._upgrading = UpgradingScreen(message.kind, self.db_info.label)
        self.push_screen(self._upgrading)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A field about to be typed or pasted into draws control characters as pictures.

        A paste may carry ESC or a lone surrogate; the field keeps the text (the core
        refuses it with a message naming the character) but never sends it to the
        terminal. Fields filled from the database get the same (``set_field_value``).
        """
        widget = event.widget
        if isinstance(widget, Input) and widget.highlighter is None:
            widget.highlighter = VisibleControls()

    @on(DatabaseOpened)
    def _database_opened(self, message: DatabaseOpened) -> None:
        upgrading, self._upgrading = self._upgrading, None
        if message.error is not None:
            self.startup_error = message.error
            self.exit(1, return_code=1)
            return
        if upgrading is not None:
            if self.screen is upgrading:
                upgrading.dismiss()
            self.call_after_refresh(self._fit_terminal)
            if upgrading.kind == "upgrade":
                self.notify(_("The database is up to date."), markup=False)
        if self._quit_when_open:
            self.exit()
            return
        if self.title == OPENING_DATABASE:
            self.title = self.TITLE  # open: the store's name follows once it is read
        self.refresh_bindings()
        self.load_settings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No other screen while the database is upgraded or the terminal is too small:
        their box must stay on top. The key of the screen already shown is left out."""
        if action == "switch_mode" and parameters and parameters[0] == self.current_mode:
            return False  # the screen the cashier is on: its key would take room in the footer
        covered = self._upgrading is not None or self._too_small is not None
        return not covered or action not in ("switch_mode", "show_help")

    async def action_quit(self) -> None:
        """Ctrl+Q during an upgrade closes tillterm once it is done (a thread cannot be
        stopped half-way; the upgrade is one transaction, so closing the terminal or a
        power cut is safe too)."""
        if self._upgrading is not None:
            self._quit_when_open = True
            self._upgrading.say(_("tillterm will close as soon as the upgrade is done."))
            return
        await super().action_quit()

    def load_settings(self) -> None:
        """Read the store's settings (its name goes in the header)."""
        self.run_job(
            "settings",
            lambda: self.services.store_settings.load(),
            self.SettingsLoaded,
            self.SettingsNotLoaded,
            description=_("loading the store's settings"),
        )

    @on(SettingsLoaded)
    def _settings_loaded(self, message: SettingsLoaded) -> None:
        self.settings = message.settings
        self.title = message.settings.name
        if not self.is_headless:
            # the register is up, the database open: what is alive now lives as long
            # as the app, and no full collection need walk it again
            self.call_after_refresh(freeze_start_up)

    @on(SettingsNotLoaded)
    def _settings_not_loaded(self, message: SettingsNotLoaded) -> None:
        self.title = self.TITLE
        self.notify(
            _("The store's settings could not be read: {error}").format(error=message.error),
            title=_("Database"),
            severity="warning",
        )

    @on(ScanReceived)
    def _route_scan(self, message: ScanReceived) -> None:
        """A scan goes to whatever the cashier is looking at.

        The screen gets a copy marked ``routed``. A screen that uses scans stops it; one
        that does not (a question, the payment, a receipt) lets it bubble back here, and
        the cashier is told the scan was not used, rather than losing it in silence. A
        routed copy is never routed again.
        """
        if message.routed:
            where = (
                _("finish this window first (Esc closes it)")
                if isinstance(self.screen, ModalScreen)
                else _("scan on the register (F2) or the customers (F3)")
            )
            self.bell()
            self.notify(
                _("Scan {code} not used: {where}.").format(code=message.code, where=where),
                title=_("Scan"),
                severity="warning",
                markup=False,
            )
            return
        self.screen.post_message(ScanReceived(message.code, message.source, routed=True))

    @on(ScannerNoticed)
    def _scanner_noticed(self, message: ScannerNoticed) -> None:
        severity: SeverityLevel = "information" if message.severity == "information" else "warning"
        self.notify(message.text, title=_("Scanner"), severity=severity, markup=False)

    async def on_customer_view_attach_requested(
        self, message: CustomerView.AttachRequested
    ) -> None:
        """A profile's "attach to sale": go to the register and hand it the customer."""
        await self.switch_mode("register")
        for screen in reversed(self.screen_stack):
            if isinstance(screen, RegisterScreen):
                screen.post_message(CustomerAttachRequested(message.customer_id))
                return

    def action_show_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen_keys = describe_bindings(getattr(self.screen, "BINDINGS", []))
        # and those of the app's own widgets around the focus (a form sheet's Tab, ←/→)
        focused = self.screen.focused
        for node in reversed(focused.ancestors_with_self if focused else []):
            if getattr(node, "HELP_LISTED", False):
                screen_keys.extend(describe_bindings(getattr(node, "BINDINGS", [])))
        app_keys = describe_bindings(self.BINDINGS)
        if self.ENABLE_COMMAND_PALETTE:  # not in the footer: 80 columns hold few keys
            app_keys.append((self.COMMAND_PALETTE_BINDING, _("Command palette: every action")))
        title = getattr(self.screen, "HELP_TITLE", type(self.screen).__name__)
        typed = list(getattr(self.screen, "HELP_TYPED", []))
        self.push_screen(HelpScreen([(_("Everywhere"), app_keys), (title, screen_keys)], typed))
