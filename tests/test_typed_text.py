"""Hostile text through the core: the form's rule, the importer, receipts, reports, the CLI.

Markup-looking text, emoji, right-to-left text and combining marks are text: stored and
given back exactly. Control characters, text-direction overrides and lone surrogates are
not: the form refuses them naming the character, the importer removes them with a
warning, and whatever is printed or written makes them visible ("␛") if an older version
stored them.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from conftest import run_cli
from hostile_store import CLEAR, CLIPBOARD, CONTROLS, MARKUP, WIDE, build_hostile, control_free
from hostile_store import sell as sell_to
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.catalog.settings import load_settings
from tillterm.core.errors import ValidationFailed
from tillterm.core.typed_text import text_problem, visible_text
from tillterm.customers.groups import create_group
from tillterm.customers.profiles import create_customer, get_customer, search_customers
from tillterm.customers.tags import tag_problem
from tillterm.sales import render_receipt
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, CustomerGroup

TEXT = (*MARKUP, *WIDE[:3], "Zoë O'Brien", "\u200fمرحبا\u200f")


# ---------------------------------------------------------------------------- the rule


@pytest.mark.parametrize("value", TEXT)
def test_text_is_allowed(value: str) -> None:
    assert text_problem(value, 100) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"Bob{CLEAR}", "character 4 is a control character (ESC, U+001B)"),
        ("a\x07", "character 2 is a control character (BEL, U+0007)"),
        ("a\x08b", "character 2 is a control character (BS, U+0008)"),
        ("\x00", "character 1 is a control character (NUL, U+0000)"),
        ("a\x9bb", "character 2 is a control character (U+009B)"),
        ("a\x7f", "character 2 is a control character (DEL, U+007F)"),
        ("abc\u202eevil", "character 4 is a text-direction control (RLO, U+202E)"),
        ("x\u2066y", "character 2 is a text-direction control (LRI, U+2066)"),
        ("x\u2028y", "character 2 is a line separator (U+2028)"),
        ("ab\ud800", "character 3 is a broken character (a lone surrogate, U+D800)"),
        ("line\nbreak", "character 5 is a control character (LF, U+000A)"),
    ],
)
def test_what_is_not_text_is_named(value: str, expected: str) -> None:
    assert text_problem(value, 100) == f"{expected}, which cannot be printed: delete it"


def test_notes_keep_line_breaks_and_tabs_only() -> None:
    assert text_problem("a\nb\tc", 100, multiline=True) is None
    assert text_problem("a\r", 100, multiline=True) is not None
    assert text_problem("a\x1b", 100, multiline=True) is not None


def test_visible_text_shows_every_control_and_keeps_text() -> None:
    for value in TEXT:
        assert visible_text(value) == value
    assert visible_text(CLIPBOARD) == "␛]52;c;ZXZpbA==␛\\"
    assert visible_text(f"{CLEAR}\x07\x08\x00\x7f") == "␛[2J␇␈␀␡"
    assert visible_text("a\x9bb\u202ec\ud800") == "a�b�c�"
    assert visible_text("one\ntwo\tthree\r") == "one two three "
    assert visible_text("one\r\ntwo\rx\x1b", multiline=True) == "one\r\ntwo␍x␛"
    assert visible_text(None) == ""
    every = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x202E, 0xD800])
    for multiline in (False, True):
        shown = visible_text(every, multiline=multiline)
        assert control_free(shown)
        assert visible_text(shown, multiline=multiline) == shown  # once is enough
    assert len(visible_text(every)) == len(every)  # one character for one, on one line


def test_tags_follow_the_rule() -> None:
    assert tag_problem(["[b]bio", "👩‍💻 dev"]) is None
    assert tag_problem(["ok", "bad\x1b"]) == (
        "a tag: character 4 is a control character (ESC, U+001B), which cannot be printed: "
        "delete it"
    )


# ---------------------------------------------------------------------------- the door


def test_form_stores_text_exactly_and_refuses_controls(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        group = create_group(s, "VIP [/]", description="[bold]x[/]\nsecond line")
        ids = [
            create_customer(
                s,
                {
                    "first_name": value[:100],
                    "last_name": "[/]",
                    "company": "Ltd. [DO NOT USE]",
                    "city": "Paris [/]",
                    "notes": f"{value}\n[@click=app.quit]x[/]\u00a0!",
                    "tags": "[b]bio, 👩‍💻",
                    "group": "VIP [/]",
                },
            ).id
            for value in TEXT
        ]
        for bad in CONTROLS:
            with pytest.raises(ValidationFailed) as raised:
                create_customer(s, {"first_name": "Eve", "last_name": f"Bad{bad}"})
            assert "which cannot be printed" in raised.value.errors["last_name"]
        with pytest.raises(ValidationFailed):
            create_group(s, f"Group{CLEAR}")
    with session_scope(any_engine) as s:
        for value, customer_id in zip(TEXT, ids, strict=True):
            record = get_customer(s, customer_id)
            assert record.first_name == value
            assert record.notes == f"{value}\n[@click=app.quit]x[/]\u00a0!"
            assert record.group_name == "VIP [/]" and record.group_id == group.id
            assert sorted(record.tags) == ["[b]bio", "👩‍💻"]
        for query in ("[/]", "Ltd. [DO", "Paris [/]", "👩‍💻", "שלום", CLEAR, "\ud800", "x" * 1000):
            search_customers(s, query)  # nothing raises
        found = search_customers(s, "Ltd. [DO NOT USE]")
        assert len(found) == len(TEXT)


# ---------------------------------------------------------------------------- importing


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_import_keeps_text_and_removes_controls_with_a_warning(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = _write_csv(
        tmp_path / "hostile.csv",
        [
            ["customer_code", "first_name", "last_name", "email", "city", "notes", "tags"],
            [
                "H1",
                "[@click=screen.void_sale]Marie[/]",
                "[/]",
                "a[/]@example.com",
                "Paris [/]",
                "[bold]x[/]\r\nline two",
                "[b]bio",
            ],
            [
                "H2",
                "Eve",
                f"Control{CLIPBOARD}",
                "eve@example.com",
                f"{CLEAR}Lyon\x07",
                "one\x1b[31m\r\ntwo\tthree",
                "ok\x08",
            ],
            ["H3", WIDE[0], WIDE[1], "z@example.com", "Tab\tCity\nNext  Line", "", ""],
            ["H4", "Right\u202eto left", "Ltd. [DO NOT USE]", "", "\u00a0Nice\u2028", "", ""],
        ],
    )
    report = check_import(any_engine, path)
    assert report.errors == 0
    problems = {(p.row, p.column): p.message for p in report.problems}
    assert problems == {
        (3, "last_name"): "removed 2 characters that cannot be printed, the first a control "
        "character (ESC, U+001B): check the value",
        (3, "city"): "removed 2 characters that cannot be printed, the first a control "
        "character (ESC, U+001B): check the value",
        (3, "notes"): "removed a control character (ESC, U+001B), which cannot be printed: "
        "check the value",
        (3, "tags"): "removed a control character (BS, U+0008), which cannot be printed: "
        "check the value",
        (5, "first_name"): "removed a text-direction control (RLO, U+202E), which cannot be "
        "printed: check the value",
    }
    assert report.warnings == 5
    apply_import(any_engine, report, allow_warnings=True)
    with session_scope(any_engine) as s:
        rows = {
            r.customer_code: r
            for r in s.exec(select(Customer)).scalars()  # type: ignore[call-overload]
        }
        h1, h2, h3, h4 = (get_customer(s, rows[c].id) for c in ("H1", "H2", "H3", "H4"))
    assert (h1.first_name, h1.last_name, h1.email, h1.city) == (
        "[@click=screen.void_sale]Marie[/]",
        "[/]",
        "a[/]@example.com",
        "Paris [/]",
    )
    assert h1.notes == "[bold]x[/]\nline two" and list(h1.tags) == ["[b]bio"]
    assert (h2.last_name, h2.city) == ("Control]52;c;ZXZpbA==\\", "[2JLyon")
    assert h2.notes == "one[31m\ntwo\tthree" and list(h2.tags) == ["ok"]
    assert (h3.first_name, h3.last_name, h3.city) == (WIDE[0], WIDE[1], "Tab City Next Line")
    assert (h4.first_name, h4.last_name, h4.city) == ("Rightto left", "Ltd. [DO NOT USE]", "Nice")


def test_cli_import_never_echoes_an_escape_sequence(
    engine: Engine, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tillterm import` echoed a bad email cell's escape sequence to the terminal."""
    path = _write_csv(
        tmp_path / f"clients{CLEAR}.csv",
        [
            ["first_name", "email", "group", f"Note{CLEAR}"],
            ["Ann", f"{CLEAR}not-an-email{CLIPBOARD}", f"\u202eVIP{CLEAR}", "x"],
        ],
    )
    assert run_cli(["import", "--db", str(db_path), str(path)]) == 1
    out = capsys.readouterr()
    assert control_free(out.out) and control_free(out.err), out
    assert "“[2Jnot-an-email]52;c;ZXZpbA==\\” is not a valid email address" in out.out
    assert "clients␛[2J.csv" in out.out and "“Note␛[2J”" in out.out


def test_cli_errors_are_shown_not_obeyed(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / f"gone{CLEAR}.csv"
    assert run_cli(["import", "--db", str(db_path), str(missing)]) == 2
    err = capsys.readouterr().err
    assert control_free(err) and "gone␛[2J.csv" in err


# ---------------------------------------------------------------------------- printing


@pytest.fixture
def receipts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return tmp_path / "receipts"


def test_receipts_show_stored_controls_as_pictures(any_engine: Engine, receipts: Path) -> None:
    store = build_hostile(any_engine)
    with session_scope(any_engine) as s:
        s.exec(
            update(Customer)
            .where(Customer.id == store.control)
            .values(first_name="Line\nTOTAL EUR 0.00", customer_code=f"HOS{CLEAR}")
        )
    sale_id = sell_to(any_engine, "till\x1b[2J", store.control, store.pen)
    with session_scope(any_engine) as s:
        text = render_receipt(sales.get_sale(s, sale_id), load_settings(s))
    assert control_free(text)
    assert "Customer: Line TOTAL EUR 0.00 Control␛]5\n" in text, "a name adds no line"
    assert "Card: HOS␛[2J" in text and "Register till␛[2J" in text
    assert "[b]Pen[/b] 👩‍💻" in text


def test_report_csv_shows_stored_controls_as_pictures(
    engine: Engine, db_path: Path, receipts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = build_hostile(engine)
    with session_scope(engine) as s:
        s.exec(
            update(CustomerGroup)
            .where(CustomerGroup.id == store.group)
            .values(name=f"VIP [/]{CLIPBOARD}")
        )
    sell_to(engine, "till-1", store.closer, store.pen)
    today = dt.date.today().isoformat()
    args = ["report", "sales-by-group", "--db", str(db_path), "--from", today, "--to", today]
    assert run_cli(args) == 0
    out = capsys.readouterr().out
    assert control_free(out.replace("\r", "")) and "VIP [/]␛]52;c;ZXZpbA==␛\\" in out


def test_export_writes_markup_as_text(any_engine: Engine, tmp_path: Path) -> None:
    """The export file holds names as stored; importing it back gives the same text."""
    from tillterm.spreadsheet.export import export_customers

    build_hostile(any_engine)
    out = tmp_path / "customers.csv"
    export_customers(any_engine, out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = {row["customer_code"]: row for row in csv.DictReader(f)}
    assert rows["HOS-1"]["first_name"] == "[/]" and rows["HOS-1"]["group"] == "VIP [/]"
    assert rows["HOS-2"]["first_name"] == "[@click=screen.void_sale]Marie[/]"
    assert rows["HOS-6"]["first_name"] == WIDE[0] and rows["HOS-6"]["last_name"] == WIDE[1]
    report = check_import(any_engine, out)
    assert report.errors == 0 and report.new == 0  # every row updates itself


@given(st.lists(st.text(max_size=40), min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_importer_cleans_as_the_form_does(values: list[str]) -> None:
    """A one-line cell is stored as the form stores the same text typed; notes keep lines."""
    import polars as pl

    from tillterm.core.typed_text import (
        first_forbidden,
        import_clean_expr,
        import_untidy_expr,
    )

    values = [v.encode("utf-8", "replace").decode() for v in values]  # polars: no surrogates
    col = pl.col("v")
    frame = pl.DataFrame({"v": values}).select(
        import_clean_expr(col).str.strip_chars().alias("line"),
        import_untidy_expr(col).alias("untidy"),
        import_clean_expr(col, multiline=True).alias("lines"),
    )
    for value, line, untidy, lines in zip(values, *frame.get_columns(), strict=True):
        if not untidy:
            assert line == value.strip()
        assert first_forbidden(line) is None and first_forbidden(lines, multiline=True) is None
        form = " ".join(value.split())
        if first_forbidden(form) is None:
            assert line == form
