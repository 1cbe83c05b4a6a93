"""TextView: a report or a receipt drawn a row at a time (ui/widgets/text_view.py)."""

from __future__ import annotations

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.strip import Strip

from tillterm.ui.widgets.text_view import TextView

REPORT = "\n".join(f"line {n:02d}  {n * 10:>6}" for n in range(40)) + "\n"


class _Shown(App[None]):
    CSS = "#centred { text-align: center; }"

    def __init__(self, text: str, *, centred: bool = False) -> None:
        super().__init__()
        self.text = text
        self.centred = centred

    def compose(self) -> ComposeResult:
        yield TextView(self.text, id="centred" if self.centred else "plain")


def _rows(view: TextView) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


async def test_the_rows_on_screen_are_the_texts_lines_as_they_are() -> None:
    async with _Shown(REPORT).run_test(size=(40, 10)) as pilot:
        view = pilot.app.query_one(TextView)
        rows = _rows(view)
        assert len(rows) == 10
        assert rows[0].rstrip() == "line 00       0"
        assert rows[9].rstrip() == "line 09      90"
        assert view.text == REPORT  # the text given back whole, its last line end too


async def test_scrolling_draws_the_lines_scrolled_to_and_a_new_text_starts_at_the_top() -> None:
    async with _Shown(REPORT).run_test(size=(40, 10)) as pilot:
        view = pilot.app.query_one(TextView)
        view.scroll_relative(y=25, animate=False)
        await pilot.pause()
        assert _rows(view)[0].rstrip() == "line 25     250"
        view.set_text("Z REPORT\nnothing sold")
        await pilot.pause()
        rows = _rows(view)
        assert [rows[0].rstrip(), rows[1].rstrip(), rows[2].strip()] == [
            "Z REPORT",
            "nothing sold",
            "",
        ]


async def test_control_characters_are_drawn_as_their_pictures() -> None:
    """A customer name stored by an older version with ESC in it never reaches the
    terminal as ESC: it is drawn as ␛."""
    async with _Shown("Client: Bob\x1b[2J\nTotal").run_test(size=(40, 5)) as pilot:
        view = pilot.app.query_one(TextView)
        assert _rows(view)[0].rstrip() == "Client: Bob␛[2J"
        assert "\x1b" not in view.text


async def test_centred_text_moves_as_a_block_so_its_columns_stay_aligned() -> None:
    receipt = "RECEIPT\nCoffee        4.50\nTOTAL         4.50"
    async with _Shown(receipt, centred=True).run_test(size=(40, 5)) as pilot:
        view = pilot.app.query_one(TextView)
        rows = _rows(view)
        width = view.scrollable_content_region.width
        margin = (width - len("Coffee        4.50")) // 2
        assert margin > 0
        assert rows[0] == " " * margin + "RECEIPT" + " " * (width - margin - len("RECEIPT"))
        assert rows[1].index("4.50") == rows[2].index("4.50") == margin + 14


async def test_the_base_style_is_worked_out_once_a_drawing_not_once_a_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``rich_style`` walks the ancestors: asked once per drawing (``FrameStyle``), not
    for each of the rows drawn (the same holds for the results tables)."""
    async with _Shown(REPORT).run_test(size=(40, 10)) as pilot:
        view = pilot.app.query_one(TextView)
        asked: list[int] = []
        rows: list[int] = []
        style = DOMNode.rich_style
        draw_row = TextView.render_line

        def counted_style(node: DOMNode) -> Style:
            if node is view:
                asked.append(1)
            return style.fget(node)  # type: ignore[attr-defined,no-any-return]

        def counted_row(widget: TextView, y: int) -> Strip:
            rows.append(y)
            return draw_row(widget, y)

        monkeypatch.setattr(DOMNode, "rich_style", property(counted_style))
        monkeypatch.setattr(TextView, "render_line", counted_row)
        view.scroll_relative(y=5, animate=False)  # new rows: none drawn before
        await pilot.pause()
        assert len(rows) >= 10
        # once for the drawing (Textual asks a few times more itself), not once a row
        assert sum(asked) < len(rows) // 2, (len(rows), sum(asked))
