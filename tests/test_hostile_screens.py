"""Hostile text on every screen, driven at 80×24: shown literally, never obeyed.

Each test below was a crash (or worse) before text was drawn through
``tillterm.ui.plain``: a name with ``[/]`` closed the app from the register's customer
search, the recent sales, the parked sales, the groups list, the customer form and the
import screen; a suggestion called ``[@click=screen.void_sale]…`` voided the sale when
clicked; a name with ``ESC]52`` set the terminal's clipboard when drawn.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
from conftest import Drive, wait_until
from hostile_store import (
    CLEAR,
    CLIPBOARD,
    MARKUP,
    Hostile,
    build_hostile,
    control_free,
    open_sale,
    park,
    sell,
)
from screens_data import settle
from sqlalchemy.engine import Engine
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, TextArea

from tillterm import sales
from tillterm.customers.custom_fields import define_field
from tillterm.customers.groups import list_groups
from tillterm.customers.profiles import create_customer, get_customer
from tillterm.store.engine import session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.confirm import ConfirmScreen
from tillterm.ui.screens.customer_form import CustomerForm
from tillterm.ui.screens.customer_view import CustomerView
from tillterm.ui.screens.customers import CustomersScreen
from tillterm.ui.screens.group_form import GroupForm
from tillterm.ui.screens.groups import GroupsScreen
from tillterm.ui.screens.parked_sales import ParkedSalesScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.recent_sales import RecentSalesScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.screens.spreadsheet_import import ImportScreen
from tillterm.ui.widgets.form_row import FormRow
from tillterm.ui.widgets.path_input import PathInput
from tillterm.ui.widgets.suggestions import Suggestions


@pytest.fixture
def engine(any_engine: Engine) -> Engine:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_engine


@pytest.fixture
def drive(drive: Drive) -> Drive:
    """The shared ``drive``, with notifications shown: toasts quote names too."""
    return functools.partial(drive, notifications=True)


@pytest.fixture
def hostile(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hostile:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_hostile(engine)


def drawn(app: TilltermApp) -> str:
    """Every character the current screen sends to the terminal (toasts included)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_inert(app: TilltermApp) -> str:
    """The app still runs and nothing it draws is a control character; the drawing."""
    assert app.is_running, "the app closed"
    text = drawn(app)
    assert control_free(text), [ch for ch in text if not ch.isprintable() and ch != "\n"]
    return text


def toasts(app: TilltermApp) -> list[str]:
    return [n.message for n in app._notifications]


async def type_text(pilot: Pilot[int], text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch.isalnum() else {" ": "space"}.get(ch, ch))


def options(widget: OptionList) -> list[str]:
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


async def test_register_search_shows_a_closing_tag_as_text(hostile: Hostile, drive: Drive) -> None:
    """F7 search on "[/]" exited the app ("auto closing tag ('[/]') has nothing to close")."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f7")
        app.screen.query_one("#customer-input", Input).value = "Closer"
        await settle(pilot)
        labels = options(app.screen.query_one(Suggestions))
        assert labels[0].startswith("[/] Closer · a[/]@example.com · Paris [/]")
        assert "[/] Closer" in assert_inert(app)
        await pilot.press("enter")  # attaches the customer: the panel shows the name too
        await settle(pilot)
        assert "[/] Closer" in assert_inert(app)


async def test_clicking_a_hostile_suggestion_only_picks_it(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """A click on "[@click=screen.void_sale]Marie[/]" voided the open sale."""
    sale_id = open_sale(engine, "till-1", hostile.pen)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f7")
        app.screen.query_one("#customer-input", Input).value = "Clique"
        await settle(pilot)
        suggestions = app.screen.query_one(Suggestions)
        assert options(suggestions)[0].startswith("[@click=screen.void_sale]M")
        await pilot.click(Suggestions, offset=(4, 1))
        await settle(pilot)
        with session_scope(engine) as s:
            assert sales.get_sale(s, sale_id).state == "open", "a click on a name voided it"
        assert_inert(app)
        app.screen.query_one("#customer-input", Input).value = "Quit"
        await settle(pilot)
        assert options(suggestions)[0].startswith("[@click=app.quit]Quit[/]")
        await pilot.click(Suggestions, offset=(4, 1))
        await settle(pilot)
        assert_inert(app)
    with session_scope(engine) as s:
        view = sales.get_sale(s, sale_id)
    assert view.state == "open", "the sale was voided by a click on a name"


async def scroll_to(pilot: Pilot[int], app: TilltermApp, text: str, limit: int = 40) -> str:
    """Scroll a receipt down (its header and VAT table make it taller than 24 rows)
    until ``text`` shows, checking every frame on the way is inert; that frame's text."""
    screen = assert_inert(app)
    for _line in range(limit):
        if text in screen:
            return screen
        await pilot.press("down")
        await settle(pilot)
        screen = assert_inert(app)
    return screen


async def test_recent_sales_list_a_customer_called_closing_tag(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """After a sale to "[/]", Ctrl+T crashed on every register."""
    sell(engine, "till-2", hostile.closer, hostile.pen)
    sell(engine, "till-2", hostile.control, hostile.pen)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, RecentSalesScreen)
        labels = options(app.screen.query_one("#recent-list", OptionList))
        assert any("[/] Closer" in label for label in labels)
        assert_inert(app)
        await pilot.press("down", "enter")  # the sale to "[/]": its receipt
        await settle(pilot)
        assert "Customer: [/] Closer" in await scroll_to(pilot, app, "Customer:")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")  # the sale to the customer with control characters
        await settle(pilot)
        # shown from its top (the last receipt was scrolled down): scrolled to its customer
        shown = await scroll_to(pilot, app, "Customer:")
        assert "Customer: Eve Control␛]52;c;ZXZpbA==␛\\" in shown


async def test_parked_sale_of_a_closing_tag_customer_resumes(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """A parked sale of "[/]" made F6 crash everywhere and could never be resumed."""
    sale_id = park(engine, "till-2", hostile.closer, hostile.pen)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ParkedSalesScreen)
        assert "[/] Closer" in assert_inert(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert "[b]Pen[/b]" in assert_inert(app)
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, "till-1")
    assert view is not None and view.id == sale_id


async def test_group_with_closing_tag_saves_lists_and_deletes(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """A group named "VIP [/]" crashed on save, then on every F4, and could not be deleted."""
    async with drive() as (app, pilot):
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        screen = assert_inert(app)
        assert "VIP [/]" in screen and "Old␛[2J" in screen
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, GroupForm)
        app.screen.query_one("#group-name", Input).value = "[bold]New[/] [/]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert "Group [bold]New[/] [/] saved." in assert_inert(app)  # the toast
        table = app.screen.query_one("#group-table", DataTable)
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=names.index("VIP [/]"))
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, GroupForm), "the form")
        await settle(pilot)
        assert isinstance(app.screen, GroupForm)
        assert "Edit group VIP [/]" in assert_inert(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete VIP [/]?" in assert_inert(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        await settle(pilot)
        assert_inert(app)
        assert any(t.startswith("Group VIP [/] deleted.") for t in toasts(app))
    with session_scope(engine) as s:
        assert sorted(g.name for g in list_groups(s)) == ["Old\x1b[2J", "[bold]New[/] [/]"]


async def test_customer_form_saves_a_closing_tag_customer(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """Saving a customer with "[/]" in the form crashed after the save."""
    async with drive() as (app, pilot):
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        screen.action_add_customer({"first_name": "[/]", "last_name": "[@click=app.quit]Q[/]"})
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        assert_inert(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        drawing = assert_inert(app)
        assert "[/] [@click=app.quit]Q[/]" in drawing
        assert "[/] [@click=app.quit]Q[/] created." in drawing  # the toast
        await pilot.press("e")  # edit it again: the title names it
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerForm), "the form")
        await settle(pilot)
        assert "Edit customer: [/] [@click=app.quit]Q[/]" in assert_inert(app)


async def test_form_refuses_a_control_character_with_a_clear_message(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """An old value with ESC is drawn as ␛ in its field, and saving names it."""
    async with drive() as (app, pilot):
        await settle(pilot)
        app.push_screen(CustomerForm(hostile.control))
        await settle(pilot)
        await pilot.press("f7")  # Details: the city holds ESC[2J, BEL and BS
        await settle(pilot)
        assert "␛[2JLyon" in assert_inert(app)  # (Rich drops the BEL and BS itself)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        assert_inert(app)
        errors = [row.error for row in app.screen.query(FormRow) if row.error]
        problem = "is a control character (ESC, U+001B), which cannot be printed: delete it"
        assert errors == [  # last name, email, city (the notes got pictures: see form_row)
            f"character 8 {problem}",
            f"character 4 {problem}",
            f"character 1 {problem}",
        ], errors
    with session_scope(engine) as s:
        assert get_customer(s, hostile.control).city == "\x1b[2JLyon\x07\x08", "unchanged"


async def test_import_screen_quotes_hostile_cells_as_text(
    engine: Engine, hostile: Hostile, drive: Drive, tmp_path: Path
) -> None:
    """A problem message quoting a "[/]" cell crashed the Import screen."""
    path = tmp_path / "hostile.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["first_name", "last_name", "email", "group"])
        writer.writerow(["Ann", "[/]", "[/]", "[@click=app.quit]x[/]"])
        writer.writerow(["Bob", "Clear\x1b[2J", "bob@example.com", ""])
    async with drive() as (app, pilot):
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        app.screen.query_one(PathInput).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        report = app.screen.report
        assert report is not None and report.errors == 2 and report.warnings == 1
        # each problem is read whole in the detail line as the cashier goes down the list
        seen = [assert_inert(app)]
        for _problem in range(report.errors + report.warnings):
            await pilot.press("down")
            await settle(pilot)
            seen.append(assert_inert(app))
        text = "\n".join(seen)
        assert "“[/]” is not a valid email address" in text
        assert "unknown group “[@click=app.quit]x[/]”" in text
        assert "removed a control character (ESC, U+001B)" in text


async def test_every_screen_with_hostile_customers(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """Walk the screens that show customers, groups and products: shown, never obeyed."""
    sell(engine, "till-2", hostile.control, hostile.pen)
    park(engine, "till-2", hostile.wide, hostile.pen)
    open_sale(engine, "till-1", hostile.pen)
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(sales_scan("HOS-5"))  # the card of the customer with ESC]52
        await settle(pilot)
        screen = assert_inert(app)
        assert "Eve Control␛]52;c;ZXZpbA==␛\\"[:30] in screen
        assert "[b]Pen[/b]" in screen
        await pilot.press("f9")  # pay by card, complete: the receipt on screen
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert "[b]Pen[/b]" in assert_inert(app)
        receipt = await scroll_to(pilot, app, "Customer:")
        assert "Customer: Eve Control␛]5" in receipt
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+r")  # sales by group
        await settle(pilot)
        assert_inert(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        customers = assert_inert(app)
        for name in ("[/] Closer", "[@click=screen.void", "Ltd. [DO NO", "Eve Cont"):
            assert name in customers, name
        search = app.screen.query_one("#customer-search", Input)
        for text in (*MARKUP, "x" * 1000, "\x1b[2J", "\ud800"):
            search.value = text
            await settle(pilot)
            assert_inert(app)
        search.value = "Eve"
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerView)
        profile = assert_inert(app)
        assert "Control␛]52;c;ZXZpbA==␛\\" in profile and "␛[2JLyon␇␈" in profile
        await pilot.press("escape")
        await settle(pilot)
        search.value = "שלום"
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert "👩‍💻 Zoë" in assert_inert(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+f")  # filters: the group choices
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "VIP [/]" in assert_inert(app)
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("f2", "f6")  # the parked sale of the wide customer
        await settle(pilot)
        assert "👩‍💻 Zoë" in assert_inert(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "Eve Control" in assert_inert(app)
        assert app.is_running


def sales_scan(code: str):  # type: ignore[no-untyped-def]
    from tillterm.ui.messages import ScanReceived

    return ScanReceived(code)


async def test_a_lone_surrogate_typed_at_the_register_says_so(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """It reached the database driver as a raw UnicodeEncodeError."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.screen.query_one("#scan-input", Input).value = "AB\ud800C"
        await pilot.press("enter")
        await settle(pilot)
        text = assert_inert(app)
        assert "character 3 is a broken character (a lone surrogate, U+D800)" in text


async def test_a_pasted_escape_sequence_is_shown_not_obeyed(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """A paste may carry anything: fields show ␛, and the core names what to delete."""
    async with drive() as (app, pilot):
        await settle(pilot)
        app.push_screen(CustomerForm())
        await settle(pilot)
        first = app.screen.query_one("#field-first_name", Input)
        first.focus()
        await pilot.pause()
        app.post_message(events.Paste(f"Ann{CLEAR}"))  # as the terminal sends it
        await settle(pilot)
        assert first.value == f"Ann{CLEAR}"  # kept as pasted...
        assert "Ann␛[2J" in assert_inert(app)  # ...drawn inert
        await pilot.press("f7")
        await settle(pilot)
        notes = app.screen.query_one("#field-notes", TextArea)
        notes.focus()
        await pilot.pause()
        app.post_message(events.Paste(f"one{CLIPBOARD}\ntwo"))
        await settle(pilot)
        assert notes.text == "one␛]52;c;ZXZpbA==␛\\\ntwo"
        assert_inert(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm), "refused: the first name holds ESC"
        assert_inert(app)


async def test_custom_fields_named_like_markup_on_the_form(
    engine: Engine, hostile: Hostile, drive: Drive
) -> None:
    """A custom field's name is a label, its choices a list: both drawn as text."""
    with session_scope(engine) as s:
        define_field(s, "[b]Size[/]", "choice", ["[/]", "[@click=app.quit]XL[/]"])
        define_field(s, "Note [/]", "text")
        customer_id = create_customer(
            s,
            {"first_name": "Cu", "custom": {"[b]Size[/]": "[/]", "Note [/]": "[bold]n[/]"}},
        ).id
    async with drive() as (app, pilot):
        await settle(pilot)
        app.push_screen(CustomerForm(customer_id))
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        app.screen.query_one("#details-scroll").scroll_end(animate=False)
        await settle(pilot)
        text = assert_inert(app)
        assert "[b]Size[/]" in text and "Note [/]" in text and "[bold]n[/]" in text
        app.screen.query_one("#field-custom-0").focus()
        await pilot.press("enter")  # the choices open
        await settle(pilot)
        assert "[@click=app.quit]XL[/]" in assert_inert(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_inert(app)
    with session_scope(engine) as s:
        assert get_customer(s, customer_id).custom == {
            "[b]Size[/]": "[/]",
            "Note [/]": "[bold]n[/]",
        }
