"""The private Textual internals tillterm extends, checked one by one.

``ResultsTable`` (a ``DataTable`` with a fast path for plain cells), ``KeyFooter`` (a
``Footer`` that does not rebuild itself for nothing), ``TerminalScans`` (scans typed into
the terminal, seen in the app's key dispatch), ``TypeAhead`` and ``EscapeFirstParser``
(keys handed on one at a time; Esc then a key read as two keys), ``RegisterInput`` and
``PlainTextArea``
override or call names Textual does not promise to keep. Textual is pinned to the minor
range these were written against (``pyproject.toml``); before that pin moves, this file
must pass on the new version. A renamed method, a changed signature or a different
drawing then fails one test here that names what moved and who relies on it, instead of
a till that crashes or draws wrongly at the first customer list.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import tomllib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from rich.style import Style
from textual import events
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.drivers.linux_driver import LinuxDriver
from textual.filter import LineFilter
from textual.geometry import Region
from textual.message_pump import MessagePump
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Static, TextArea
from textual.widgets._footer import FooterKey
from textual.widgets.data_table import RowKey

from tillterm.ui.widgets.key_footer import KeyFooter, shown_keys
from tillterm.ui.widgets.results_table import PlainCell, ResultsTable

ROOT = Path(__file__).resolve().parents[1]
TEXTUAL = version("textual")


def _pin() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return next(
        req for req in map(Requirement, project["dependencies"]) if req.name.lower() == "textual"
    )


def test_installed_textual_is_in_the_pinned_range() -> None:
    pin = _pin()
    assert pin.specifier, "textual must be pinned to the tested minor range, not left open"
    assert pin.specifier.contains(TEXTUAL), (
        f"Textual {TEXTUAL} is installed but pyproject.toml pins {pin}: the tests below "
        "were not run against the version in use"
    )
    upper = [spec for spec in pin.specifier if spec.operator == "<"]
    assert upper, f"{pin} has no upper bound: a new minor version would be taken untested"


# -- signatures ------------------------------------------------------------------------

#: (owner, name, the parameters tillterm passes or overrides with, coroutine?, who relies)
SIGNATURES: list[tuple[type[Any], str, list[str], bool, str]] = [
    (DataTable, "render_line", ["self", "y"], False, "ResultsTable.render_line"),
    (DataTable, "render_lines", ["self", "crop"], False, "ResultsTable.render_lines"),
    (
        DataTable,
        "_render_line",
        ["self", "y", "x1", "x2", "base_style"],
        False,
        "ResultsTable.render_line (draws a line with the frame's base style)",
    ),
    (DataTable, "_clear_caches", ["self"], False, "ResultsTable._clear_caches"),
    (DataTable, "get_row_height", ["self", "row_key"], False, "ResultsTable.render_line"),
    (
        DataTable,
        "_render_line_in_row",
        ["self", "row_key", "line_no", "base_style", "cursor_location", "hover_location"],
        False,
        "ResultsTable._render_line_in_row (the plain-cell fast path)",
    ),
    (
        DataTable,
        "_render_cell",
        ["self", "row_index", "column_index", "base_style", "width", "cursor", "hover"],
        False,
        "ResultsTable._render_cell",
    ),
    (
        DataTable,
        "_get_styles_to_render_cell",
        [
            "self",
            "is_header_cell",
            "is_row_label_cell",
            "is_fixed_style_cell",
            "hover",
            "cursor",
            "show_cursor",
            "show_hover_cursor",
            "has_css_foreground_priority",
            "has_css_background_priority",
        ],
        False,
        "ResultsTable (calls it positionally, in this order)",
    ),
    (
        DataTable,
        "_get_row_style",
        ["self", "row_index", "base_style"],
        False,
        "ResultsTable._render_line_in_row",
    ),
    (DataTable, "notify_style_update", ["self"], False, "ResultsTable.notify_style_update"),
    (DataTable, "action_cursor_up", ["self"], False, "ResultsTable.action_cursor_up"),
    (Footer, "bindings_changed", ["self", "screen"], False, "KeyFooter.bindings_changed"),
    (LinuxDriver, "write", ["self", "data"], False, "ConsoleDriver.write (filters sequences)"),
    (LineFilter, "apply", ["self", "segments", "background"], False, "GlyphFilter.apply"),
    (
        Widget,
        "get_visual_style",
        ["self", "component_classes", "partial"],
        False,
        "PickList.get_visual_style (keeps the reverse Textual drops)",
    ),
    (App, "on_event", ["self", "event"], True, "TerminalScans.on_event (every key first)"),
    (App, "get_driver_class", ["self"], False, "TilltermApp.get_driver_class (EscapeFirstParser)"),
    (
        XTermParser,
        "_sequence_to_key_events",
        ["self", "sequence", "alt"],
        False,
        "EscapeFirstParser._sequence_to_key_events",
    ),
    (Input, "_on_key", ["self", "event"], True, "RegisterInput._on_key (+/- on an empty field)"),
    (TextArea, "_on_paste", ["self", "event"], True, "PlainTextArea._on_paste"),
    (
        MessagePump,
        "_get_dispatch_methods",
        ["self", "method_name", "message"],
        False,
        "PlainTextArea._on_paste (runs before TextArea's own, one handler per class)",
    ),
    (
        Screen,
        "_on_screen_resume",
        ["self", "event"],
        False,
        "QuickFirstFrame._skip_first_restyle (clears refresh_styles before it runs)",
    ),
    (
        Screen,
        "_on_resize",
        ["self", "event"],
        True,
        "QuickFirstFrame._skip_first_relayout (prevent_default)",
    ),
]


def test_screen_resume_still_reads_refresh_styles() -> None:
    """Every screen's first resume turns the restyle off through this attribute."""
    assert events.ScreenResume().refresh_styles is True
    assert "event.refresh_styles" in inspect.getsource(Screen._on_screen_resume)


@pytest.mark.parametrize(
    ("owner", "name", "parameters", "coroutine", "relied_on_by"),
    SIGNATURES,
    ids=[f"{owner.__name__}.{name}" for owner, name, *_ in SIGNATURES],
)
def test_overridden_and_called_methods_keep_their_signature(
    owner: type[Any], name: str, parameters: list[str], coroutine: bool, relied_on_by: str
) -> None:
    where = f"Textual {TEXTUAL}: {owner.__name__}.{name}, relied on by {relied_on_by},"
    method = owner.__dict__.get(name)
    assert method is not None, f"{where} is no longer defined on {owner.__name__}"
    found = list(inspect.signature(method).parameters)
    assert found == parameters, f"{where} now takes {found}, not {parameters}"
    assert inspect.iscoroutinefunction(method) == coroutine, (
        f"{where} is {'no longer' if coroutine else 'now'} a coroutine"
    )


def test_footer_takes_the_options_key_footer_passes() -> None:
    parameters = inspect.signature(Footer.__init__).parameters
    for name in ("compact", "show_command_palette"):
        assert parameters.get(name) is not None, (
            f"Textual {TEXTUAL}: Footer.__init__ lost {name!r}, which KeyFooter passes"
        )
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_footer_state_key_footer_reads() -> None:
    ready = Footer.__dict__.get("_bindings_ready")
    assert isinstance(ready, Reactive), (
        f"Textual {TEXTUAL}: Footer._bindings_ready, which KeyFooter reads to know the "
        "footer was built once, is gone"
    )
    assert list(ActiveBinding._fields) == ["node", "binding", "enabled", "tooltip"], (
        f"Textual {TEXTUAL}: Screen.active_bindings values changed shape; "
        "key_footer.shown_keys unpacks (node, binding, enabled, tooltip)"
    )


def _binding_attributes_read(function: Callable[..., object]) -> set[str]:
    """The attributes read from a variable named ``binding`` in ``function``'s source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "binding"
    }


def test_key_footer_compares_everything_the_footer_draws() -> None:
    """KeyFooter skips the rebuild when ``shown_keys`` is unchanged: so everything
    ``Footer.compose`` draws from a binding must be in it, or a change would not show."""
    drawn = _binding_attributes_read(Footer.compose)
    # key_display reaches the footer through App.get_key_display(binding); a binding
    # not shown is left out of shown_keys altogether
    compared = {"key", "action", "description", "key_display", "group", "tooltip", "show"}
    assert drawn, f"Textual {TEXTUAL}: Footer.compose no longer reads bindings by that name"
    assert drawn <= compared, (
        f"Textual {TEXTUAL}: Footer.compose now draws {sorted(drawn - compared)} of a "
        "binding, which key_footer.shown_keys does not compare"
    )


def test_data_table_state_results_table_reads() -> None:
    table = DataTable[str]()
    where = f"Textual {TEXTUAL}: DataTable"
    for name in ("_row_locations", "_column_locations"):
        locations = getattr(table, name, None)
        assert callable(getattr(locations, "get", None)), f"{where}.{name}.get is gone"
        assert callable(getattr(locations, "get_key", None)), f"{where}.{name}.get_key is gone"
    assert isinstance(getattr(table, "_header_row_key", None), RowKey), (
        f"{where}._header_row_key is gone"
    )
    assert isinstance(getattr(table, "_data", None), dict), f"{where}._data is gone"
    for flag in ("_labelled_row_exists", "_show_hover_cursor"):
        assert isinstance(getattr(table, flag, None), bool), f"{where}.{flag} is gone"
    for public in (
        "cursor_foreground_priority",
        "cursor_background_priority",
        "cell_padding",
        "fixed_rows",
        "fixed_columns",
        "show_row_labels",
        "ordered_columns",
        "rows",
    ):
        assert hasattr(table, public), f"{where}.{public} is gone"


def test_data_table_pending_measures_the_tests_wait_for() -> None:
    """``tests/screens_data.settle`` waits for a table to size its columns (it does so
    when idle) before a picture is taken: it reads these two."""
    table = DataTable[str]()
    where = f"Textual {TEXTUAL}: DataTable"
    assert isinstance(getattr(table, "_require_update_dimensions", None), bool), (
        f"{where}._require_update_dimensions is gone"
    )
    assert isinstance(getattr(table, "_updated_cells", None), set), (
        f"{where}._updated_cells is gone"
    )


def test_keys_carry_what_terminal_scans_reads() -> None:
    key = events.Key("a", "a")
    for name in ("time", "is_forwarded", "is_printable", "character"):
        assert hasattr(key, name), f"Textual {TEXTUAL}: events.Key.{name} is gone"
    assert isinstance(key.time, float)


def test_key_dispatch_is_what_type_ahead_settles_behind() -> None:
    """TypeAhead posts its settle to ``self.focused or self.screen`` right after a key
    because that is where ``App.on_event`` forwards it (posted to the widget's queue,
    from which it bubbles); its rounds end when every widget's ``message_queue_size``
    is 0; ``Widget.focus`` is queued at the app (``call_later``), so a settle bubbling
    back finds the focus moved. ``TerminalScans`` stamps changes with the keys' clock."""
    from textual.drivers import linux_driver
    from textual.widget import Widget

    source = inspect.getsource(App.on_event)
    assert "forward_target = self.focused or self.screen" in source, (
        f"Textual {TEXTUAL}: App.on_event no longer forwards keys to the focus or the "
        "screen: TypeAhead's settle would not follow the key"
    )
    assert "_forward_event(event)" in source
    # a click is queued as its press and release: the app makes the Click of a release
    # when it handles it, so the Click lands where the queued release does
    assert "isinstance(event, events.MouseUp)" in source and "Click.from_event" in source, (
        f"Textual {TEXTUAL}: App.on_event no longer makes a Click from a MouseUp: "
        "TypeAhead queues MouseDown/MouseUp, and a Click made elsewhere would skip the queue"
    )
    assert "self.app.call_later(set_focus" in inspect.getsource(Widget.focus), (
        f"Textual {TEXTUAL}: Widget.focus is no longer queued at the app"
    )
    assert isinstance(MessagePump.__dict__["message_queue_size"], property)
    assert abs(events.Key("a", "a").time - get_time()) < 1.0
    assert "XTermParser(" in inspect.getsource(linux_driver.LinuxDriver.run_input_thread), (
        f"Textual {TEXTUAL}: the Linux driver no longer builds its parser from its "
        "module's XTermParser: EscapeFirstParser would not be used"
    )


def test_screen_refresh_state_type_ahead_reads_before_a_click() -> None:
    """TypeAhead hands a click on once the screen is drawn (``TypeAhead._drawn``): it
    reads the screen's pending layout, scroll, repaint, recompose, dirty widgets and the
    callbacks waiting for a refresh (where ``call_after_refresh`` puts them: the footer
    builds its keys there)."""
    from textual.screen import Screen

    where = f"Textual {TEXTUAL}: Screen"
    screen: Screen[None] = Screen()
    for flag in (
        "_layout_required",
        "_scroll_required",
        "_repaint_required",
        "_recompose_required",
    ):
        assert isinstance(getattr(screen, flag, None), bool), f"{where}.{flag} is gone"
    assert isinstance(getattr(screen, "_dirty_widgets", None), set), f"{where}._dirty_widgets"
    assert isinstance(getattr(screen, "_callbacks", None), list), f"{where}._callbacks"
    assert "self._callbacks.append" in inspect.getsource(Screen._invoke_later), (
        f"{where}._invoke_later no longer keeps after-refresh callbacks in _callbacks"
    )
    assert "call_after_refresh(self.recompose)" in inspect.getsource(Footer.bindings_changed)


def test_escape_then_a_key_needs_the_parser_fix() -> None:
    """Textual's own parser still reads ESC m as Alt+M and drops the Esc of ESC Enter:
    EscapeFirstParser is still needed, and it reads them as Esc then the key."""
    from tillterm.ui.typeahead import EscapeFirstParser

    def keys(parser: XTermParser, data: str) -> list[str]:
        return [e.key for e in [*parser.feed(data), *parser.feed("")] if isinstance(e, events.Key)]

    assert keys(XTermParser(), "\x1bm") == ["alt+m"]
    assert keys(XTermParser(), "\x1b\r") == ["enter"]
    assert keys(EscapeFirstParser(), "\x1bm\x1b\r") == ["escape", "m", "escape", "enter"]


def test_a_long_burst_after_escape_is_what_the_parser_fix_reads() -> None:
    """Textual's parser gathers ESC and what follows an ``O``/``P``/``]`` as one sequence
    and, past ``_MAX_SEQUENCE_SEARCH_THRESHOLD`` characters, hands it on as ``^`` and
    the text (the Esc lost). EscapeFirstParser reads such a burst as Esc then the text
    before that length (it relies on being asked at every length up to it)."""
    from textual import _xterm_parser

    from tillterm.ui.typeahead import EscapeFirstParser

    threshold = getattr(_xterm_parser, "_MAX_SEQUENCE_SEARCH_THRESHOLD", None)
    assert threshold == 32, (
        f"Textual {TEXTUAL}: _xterm_parser._MAX_SEQUENCE_SEARCH_THRESHOLD is {threshold!r}, "
        "which EscapeFirstParser imports to read a long burst after Esc before it"
    )
    source = inspect.getsource(XTermParser.parse)
    assert "len(sequence) > _MAX_SEQUENCE_SEARCH_THRESHOLD" in source
    assert 'events.Key("circumflex_accent", "^")' in source

    def keys(parser: XTermParser, data: str) -> list[str]:
        return [e.key for e in [*parser.feed(data), *parser.feed("")] if isinstance(e, events.Key)]

    text = "P1" + "x" * 40  # might be a DCS reply until it is too long
    assert keys(XTermParser(), "\x1b" + text)[0] == "circumflex_accent"
    assert keys(EscapeFirstParser(), "\x1b" + text) == ["escape", "P", "1", *"x" * 40]


# -- behaviour -------------------------------------------------------------------------

ROWS = [
    ("Ann", "Lee", "ann@example.org"),
    ("Bob", "Stone-Wall", "b@x.org"),
    ("Cy", "Ng", ""),
    ("Dee", "O'Neil", "dee@example.org"),
]


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResultsTable(id="table")


def _fill(table: ResultsTable, cell: Callable[[str], str | PlainCell]) -> None:
    table.clear(columns=True)
    table.add_columns("First", "Last", "Email")
    for index, row in enumerate(ROWS):
        table.add_row(*(cell(value) for value in row), key=str(index))


def _drawn(table: ResultsTable, lines: int) -> list[list[tuple[str, Style | None]]]:
    """Each character of the first ``lines`` lines with its exact style (meta included)."""
    strips = table.render_lines(Region(0, 0, table.size.width, lines))
    return [[(char, seg.style) for seg in strip for char in seg.text] for strip in strips]


def _as_drawn(
    line: list[tuple[str, Style | None]],
) -> list[tuple[str, Style | None, object]]:
    """Each character with its style as drawn (no meta) and the row a click reads."""
    return [
        (char, style.clear_meta_and_links(), style.meta.get("row"))
        if style is not None
        else (char, None, None)
        for char, style in line
    ]


@pytest.mark.parametrize("focused", [True, False])
@pytest.mark.parametrize("cursor_type", ["row", "cell"])
@pytest.mark.parametrize("fixed_rows", [0, 1])
async def test_plain_cells_draw_exactly_as_data_table_draws_text(
    focused: bool, cursor_type: str, fixed_rows: int
) -> None:
    """The fast path (row cursor) and ``_render_cell`` (cell cursor) copy DataTable's
    styling by hand: a Textual change to how a cell is styled shows here first."""
    app = _TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(ResultsTable)
        table.cursor_type = cursor_type  # type: ignore[assignment]
        table.fixed_rows = fixed_rows
        if not focused:
            app.set_focus(None)
        drawn = {}
        for name, cell in (("DataTable", str), ("ResultsTable", PlainCell)):
            _fill(table, cell)
            table.move_cursor(row=2, column=1)
            await pilot.pause()
            drawn[name] = _drawn(table, len(ROWS) + 2)
        # the header, Ann, then Bob's row (the cursor's): what is compared is drawn
        assert "".join(char for char, _ in drawn["ResultsTable"][2]).split()[:2] == [
            "Bob",
            "Stone-Wall",
        ]
        for line, (textual, ours) in enumerate(
            zip(drawn["DataTable"], drawn["ResultsTable"], strict=True)
        ):
            if cursor_type == "row":
                # a row cursor's row is drawn as one segment (issue 16: one colour
                # sequence a line): the same cells in the same styles, the same row under
                # a click; only the column in the meta is the row's first
                textual, ours = _as_drawn(textual), _as_drawn(ours)
            assert ours == textual, (
                f"Textual {TEXTUAL}: line {line} of a ResultsTable of PlainCells "
                f"(cursor {cursor_type}, fixed rows {fixed_rows}) is no longer drawn as "
                "DataTable draws the same text: re-read DataTable._render_line_in_row / "
                "_render_cell and port the change"
            )


class _FooterApp(App[None]):
    # one action each: the footer shows one key per action
    BINDINGS = [Binding("f2", "two", "Two"), Binding("f3", "three", "Three")]

    def compose(self) -> ComposeResult:
        yield Static("till")
        yield KeyFooter()

    def action_two(self) -> None:
        """A key for the footer to show."""

    def action_three(self) -> None:
        """A key for the footer to show."""

    def action_four(self) -> None:
        """A key for the footer to show."""


def _footer_keys(app: App[None]) -> list[FooterKey]:
    return list(app.screen.query(FooterKey))


async def test_key_footer_keeps_its_keys_until_they_change() -> None:
    app = _FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        keys = _footer_keys(app)
        assert [key.key for key in keys] == ["f2", "f3"], (
            f"Textual {TEXTUAL}: KeyFooter shows {[key.key for key in keys]}"
        )
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert _footer_keys(app) == keys, (
            f"Textual {TEXTUAL}: the footer was rebuilt though its keys did not change: "
            "KeyFooter.bindings_changed is no longer what Textual calls"
        )
        app.bind("f4", "four", description="Four")
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert [key.key for key in _footer_keys(app)] == ["f2", "f3", "f4"], (
            f"Textual {TEXTUAL}: a new key did not reach KeyFooter"
        )
        assert shown_keys(app.screen)[-1][:3] == ("f4", "four", "Four")


def test_the_private_parts_the_steady_repaints_touch_are_there() -> None:
    """The register's repaint savings (ui/widgets/suggestions.py, steady_frame.py,
    ui/screens/base.py) reach into Textual: an option list's caches and index maps, an
    option's prompt setter, a screen's pending whole repaint, the focused reactive."""
    from textual.screen import Screen
    from textual.widgets import OptionList
    from textual.widgets.option_list import Option

    where = f"Textual {TEXTUAL}:"
    options = OptionList("a", "b")
    for name in ("_options", "_id_to_option", "_option_to_index", "_line_cache"):
        assert hasattr(options, name), f"{where} OptionList.{name} is gone"
    assert hasattr(options, "_option_render_cache"), f"{where} OptionList render cache gone"
    assert callable(getattr(Option, "_set_prompt", None)), f"{where} Option._set_prompt gone"
    import inspect

    # set by Widget.__init__, read by the screen's refresh to decide a whole repaint
    assert "_repaint_required" in inspect.getsource(Screen), (
        f"{where} Screen._repaint_required is gone"
    )
    assert isinstance(Screen.__dict__.get("focused"), Reactive), f"{where} Screen.focused"


async def test_a_screen_first_frame_skips_the_restyle_and_layout_textual_repeats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QuickFirstFrame (every screen of the app): the restyle of a resume before the
    screen was ever covered and the first layout's same-size Resize are skipped, the
    screen's own handlers still run, and a later resume and a real resize still restyle
    and lay out. A plain Screen, pushed the
    same way, shows what is skipped: if Textual stops doing it, this says so."""
    from tillterm.ui.screens.base import QuickFirstFrame

    restyled: list[str] = []
    laid_out: list[str] = []
    update_node_styles = Screen.update_node_styles
    screen_resized = Screen._screen_resized

    def restyle(self: Screen[Any], animate: bool = True) -> None:
        restyled.append(type(self).__name__)
        update_node_styles(self, animate)

    def resized(self: Screen[Any], size: Any) -> None:
        laid_out.append(type(self).__name__)
        screen_resized(self, size)

    monkeypatch.setattr(Screen, "update_node_styles", restyle)
    monkeypatch.setattr(Screen, "_screen_resized", resized)

    class Plain(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Static("plain")

    class Quick(QuickFirstFrame[None]):
        def __init__(self) -> None:
            super().__init__()
            self.resumed = 0
            self.resizes = 0

        def compose(self) -> ComposeResult:
            yield Static("quick")

        def on_screen_resume(self) -> None:
            self.resumed += 1

        def on_resize(self) -> None:
            self.resizes += 1

    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(Plain())
        await pilot.pause()
        assert "Plain" in restyled and "Plain" in laid_out, (
            f"Textual {TEXTUAL} no longer restyles or lays out a screen again as it is "
            "pushed: QuickFirstFrame has nothing left to skip"
        )
        restyled.clear()
        laid_out.clear()
        quick = Quick()
        await app.push_screen(quick)
        await pilot.pause()
        assert quick.resumed == 1 and quick.resizes == 1  # its own handlers ran
        assert restyled == [] and laid_out == []
        assert quick.query_one(Static).size.width == 80  # laid out all the same
        quick.post_message(events.ScreenResume())  # a second resume, never covered
        await pilot.pause()
        assert quick.resumed == 2 and restyled == []
        quick.post_message(events.ScreenSuspend())  # covered, then shown again (a mode)
        quick.post_message(events.ScreenResume())
        await pilot.pause()
        assert quick.resumed == 3 and restyled == ["Quick"]  # restyled as Textual does
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert quick.resizes > 1 and "Quick" in laid_out and "Plain" in laid_out
        assert quick.query_one(Static).size.width == 100


async def test_a_mode_screen_first_shown_skips_the_stylesheet_refresh_and_restyles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mode's screen (F3, F4) is resumed twice as the mode starts, and a screen marked
    as having missed the stylesheet's refreshes (``_css_update_count``) makes the switch
    refresh the whole app's CSS. QuickFirstFrame screens are marked as made and skip
    both restyles; a plain screen shows what Textual does without."""
    from tillterm.ui.screens.base import QuickFirstFrame

    restyled: list[str] = []
    refreshed: list[str] = []
    update_node_styles = Screen.update_node_styles
    refresh_css = App.refresh_css

    def restyle(self: Screen[Any], animate: bool = True) -> None:
        restyled.append(type(self).__name__)
        update_node_styles(self, animate)

    def refresh(self: App[Any], animate: bool = True) -> None:
        refreshed.append(type(self.screen).__name__)
        refresh_css(self, animate)

    monkeypatch.setattr(Screen, "update_node_styles", restyle)
    monkeypatch.setattr(App, "refresh_css", refresh)
    assert Screen().__dict__.get("_css_update_count") == -1, (
        f"Textual {TEXTUAL}: a new screen is no longer marked with _css_update_count"
    )

    class Plain(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Static("plain")

    class Quick(QuickFirstFrame[None]):
        def compose(self) -> ComposeResult:
            yield Static("quick")

    class Modes(App[None]):
        MODES = {"plain": Plain, "quick": Quick}

    app = Modes()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("plain")
        await pilot.pause()
        assert "Plain" in restyled and "Plain" in refreshed, (
            f"Textual {TEXTUAL} no longer restyles a mode's new screen as it switches to "
            "it: QuickFirstFrame has nothing left to skip"
        )
        restyled.clear()
        refreshed.clear()
        await app.switch_mode("quick")
        await pilot.pause()
        assert restyled == [] and refreshed == []
        assert app.screen.query_one(Static).size.width == 80
        await app.switch_mode("plain")
        await pilot.pause()
        restyled.clear()
        await app.switch_mode("quick")  # covered once: resumed as Textual does
        await pilot.pause()
        assert restyled == ["Quick"]
