"""The one-editor form (``tillterm.ui.widgets.field_sheet``), in a bare app at 80×24:
what a person types goes to the field drawn under the editor, choices change in place,
errors sit under their field and go when it is edited, and what the form reads back is
what the sheet shows."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input

from tillterm.ui.widgets.field_sheet import LABEL_WIDTH, FieldSheet, SheetField, yes_no

FIELDS = [
    SheetField("name", "Name"),
    SheetField("city", "City", hint="where the store is"),
    SheetField(
        "tax", "Default tax", "choice", choices=(("Reduced", 1), ("Standard", 2)), prompt="No tax"
    ),
    yes_no("incl", "Prices incl. tax"),
    SheetField("footer", "A label far too long for its column of twenty cells"),
]


class SheetApp(App[None]):
    def __init__(self, values: dict[str, object], height: int | None = None) -> None:
        super().__init__()
        self.values = values
        self.height = height
        self.edited: list[str] = []
        self.submitted = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="scroll"):
            yield FieldSheet(id="sheet")

    def on_mount(self) -> None:
        if self.height:
            self.query_one("#scroll").styles.height = self.height
        self.query_one(FieldSheet).load(FIELDS, self.values)

    def on_field_sheet_edited(self, event: FieldSheet.Edited) -> None:
        self.edited.append(event.name)

    def on_field_sheet_submitted(self, event: FieldSheet.Submitted) -> None:
        self.submitted += 1


def _sheet(app: App[None]) -> FieldSheet:
    return app.query_one(FieldSheet)


async def test_typing_goes_to_the_field_under_the_editor() -> None:
    app = SheetApp({"name": "Shop", "tax": 2, "incl": True})
    async with app.run_test(size=(80, 24)) as pilot:
        sheet = _sheet(app)
        assert app.focused is sheet.editor and sheet.current == "name"
        await pilot.press("end", *" Z")  # the name not selected as the form opens
        await pilot.press("tab", *"Lyon")
        await pilot.pause()
        assert sheet.current == "city"
        # the editor lies over the city's value: second line, after the label column
        assert (sheet.editor.region.x, sheet.editor.region.y) == (LABEL_WIDTH, 1)
        assert sheet.editor.region.right == sheet.region.right
        assert sheet.values() == {
            "name": "Shop Z",
            "city": "Lyon",
            "tax": 2,
            "incl": True,
            "footer": "",
        }
        assert app.edited[-1] == "city" and set(app.edited) == {"name", "city"}
        await pilot.press("up", "enter")  # back on the name, Enter: save asked
        assert sheet.current == "name" and app.submitted == 1
        assert "Name                Shop Z" in sheet.text
        assert "City                Lyon" in sheet.text


async def test_a_text_entered_by_tab_is_selected_so_typing_replaces_it() -> None:
    app = SheetApp({"name": "Shop", "city": "Paris"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", *"Lyon")
        assert _sheet(app).values()["city"] == "Lyon"


async def test_choices_change_in_place_with_arrows_space_and_letters() -> None:
    app = SheetApp({"name": "Shop", "tax": "2"})  # a prefill's "2" is option 2
    async with app.run_test(size=(80, 24)) as pilot:
        sheet = _sheet(app)
        assert sheet.values()["tax"] == 2 and sheet.values()["incl"] is False
        await pilot.press("tab", "tab")
        assert app.focused is sheet and sheet.current == "tax"
        assert not sheet.editor.display
        assert "Default tax         ‹ Standard ›" in sheet.text
        await pilot.press("right")  # past the last: back to "No tax"
        assert sheet.values()["tax"] is None
        await pilot.press("s")  # a letter: the next option starting with it
        assert sheet.values()["tax"] == 2
        await pilot.press("left")
        assert sheet.values()["tax"] == 1
        await pilot.press("x")  # no option starts with x: nothing changes
        assert sheet.values()["tax"] == 1
        await pilot.press("down", "space")
        assert sheet.current == "incl" and sheet.values()["incl"] is True
        assert "Prices incl. tax    ‹ yes ›" in sheet.text
        await pilot.press("n")
        assert sheet.values()["incl"] is False
        await pilot.press("enter")
        assert app.submitted == 1
        assert app.edited == ["tax", "tax", "tax", "incl", "incl"]
        await pilot.press("tab")  # a text again: the editor takes the keys
        assert app.focused is sheet.editor and sheet.current == "footer"
        await pilot.press("tab")  # from the last field to the first
        assert sheet.current == "name"


async def test_errors_go_under_their_field_and_leave_when_it_is_edited() -> None:
    app = SheetApp({"name": "Shop"})
    async with app.run_test(size=(80, 24)) as pilot:
        sheet = _sheet(app)
        message = "a postcode of 5 digits is expected here, and this message is long enough to wrap"
        unplaced = sheet.set_errors({"city": message, "": "the record as a whole"})
        await pilot.pause()
        assert unplaced == ["the record as a whole"]
        assert sheet.current == "city" and sheet.error("city") == message
        lines = sheet.text.splitlines()
        assert lines[1].startswith("City")
        assert lines[2].startswith(" " * LABEL_WIDTH + "↑ a postcode")
        assert lines[3].startswith(" " * LABEL_WIDTH) and "wrap" in lines[3]
        assert lines[4].startswith("Default tax"), "the rows below moved down"
        # the long label wraps in its column, its row as tall as its lines
        assert [line[:LABEL_WIDTH].rstrip() for line in lines[-3:]] == [
            "A label far too",
            "long for its column",
            "of twenty cells",
        ]
        await pilot.press("L")
        await pilot.pause()
        assert sheet.error("city") is None
        assert sheet.text.splitlines()[2].startswith("Default tax")
        assert sheet.size.height == len(FIELDS) + 2


async def test_a_click_takes_the_editor_to_the_row() -> None:
    app = SheetApp({"name": "Shop"})
    async with app.run_test(size=(80, 24)) as pilot:
        sheet = _sheet(app)
        await pilot.click(FieldSheet, offset=(2, 3))
        assert sheet.current == "incl" and app.focused is sheet
        await pilot.click(FieldSheet, offset=(30, 1))
        assert sheet.current == "city" and app.focused is sheet.editor


async def test_a_control_character_stored_earlier_is_shown_to_be_deleted() -> None:
    app = SheetApp({"name": "Shop", "city": "Ly\x1bon"})
    async with app.run_test(size=(80, 24)) as pilot:
        sheet = _sheet(app)
        assert "Ly␛on" in sheet.text
        await pilot.press("tab")
        assert sheet.editor.value == "Ly\x1bon", "kept as stored: saving names it"


async def test_the_field_in_hand_is_scrolled_into_view() -> None:
    app = SheetApp({"name": "Shop"}, height=3)
    async with app.run_test(size=(80, 24)) as pilot:
        scroll = app.query_one("#scroll", VerticalScroll)
        await pilot.press("up")  # from the first to the last: three lines tall
        await pilot.pause()
        assert _sheet(app).current == "footer"
        assert scroll.scroll_y >= 2
        assert app.focused is _sheet(app).editor
        assert isinstance(app.focused, Input) and app.focused.region.y >= scroll.region.y
