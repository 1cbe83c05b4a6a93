"""A static check: every text handed to a widget in ``tillterm.ui`` is built to be plain.

Textual reads a ``str`` given to ``Static``, ``Label``, ``Button``, an ``Option``, a
``DataTable`` row or a ``Select`` as markup, so a customer called ``[/]`` closes the app.
The rule this test enforces: such an argument is a literal, or is built by
``tillterm.ui.plain`` (``plain``, ``plain_text``, ``plain_options``) or is a
``PlainCell``; anything else (an f-string with a value in it, a variable) needs a
``# drawn: why`` comment on its line saying why it is safe. So a new
``Static(f"Hello {customer.name}")`` fails here, before any customer sees it.
(``notify`` needs nothing: ``TilltermApp.notify`` never reads markup; see
``test_notifications_are_never_markup``.)
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import Drive

import tillterm.ui

UI = Path(tillterm.ui.__file__).parent
#: widget constructors whose first arguments are drawn
WIDGETS = {"Static", "Label", "Button", "Option"}
#: methods that draw their arguments (on widgets: ``Static.update``, ``DataTable.add_row``)
METHODS = {"update", "add_row", "add_option", "add_options", "set_options", "add_column"}
#: calls that return text already made plain
PLAIN = {"plain", "plain_text", "plain_options", "PlainCell"}


def _safe(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):  # an f-string: only if nothing is interpolated
        return all(isinstance(part, ast.Constant) for part in node.values)
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    if isinstance(node, ast.Starred):
        return _safe(node.value)
    if isinstance(node, ast.ListComp | ast.GeneratorExp):
        return _safe(node.elt)
    if isinstance(node, ast.Dict | ast.DictComp):  # ``dict.update``: not a widget
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in PLAIN or name == "Option":  # an Option is checked as a widget itself
            return True
        # a Rich Text of literals (a fixed message with a style)
        return name == "Text" and all(_safe(arg) for arg in node.args)
    return False


def violations(source: str, filename: str) -> list[str]:
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        drawn = (isinstance(func, ast.Name) and func.id in WIDGETS) or (
            isinstance(func, ast.Attribute) and func.attr in METHODS
        )
        if not drawn or all(_safe(arg) for arg in node.args):
            continue
        span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
        if any("# drawn:" in line for line in span):
            continue
        found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:90]}")
    return found


def test_ui_draws_data_only_as_plain_text() -> None:
    found = []
    for path in sorted(UI.rglob("*.py")):
        found += violations(path.read_text(encoding="utf-8"), str(path.relative_to(UI)))
    assert not found, "\n".join(
        ["Draw data through tillterm.ui.plain (or say why not with '# drawn: ...'):", *found]
    )


def test_the_check_catches_interpolated_data() -> None:
    bad = """
Static(f"Hello {customer.name}")
status.update(message.note)
table.add_row(group.name, "x")
Option(label, id="1")
"""
    good = """
Static("Fixed", markup=False)
status.update(plain(f"Hello {customer.name}"))
table.add_row(PlainCell(group.name), key="1")
status.update(Text("fixed", style="dim"))
panel.update(text)  # drawn: built with visible_text
values.update({k: v for k, v in items})
"""
    assert len(violations(bad, "bad.py")) == 4
    assert violations(good, "good.py") == []


async def test_notifications_are_never_markup(drive: Drive) -> None:
    """Any notify (app, screen or widget) shows its text as given, controls visible."""
    async with drive(notifications=True) as (app, pilot):
        app.screen.notify("[/] [@click=app.quit]x[/] \x1b[2J", title="[b]\x07")
        await pilot.pause()
        notification = next(iter(app._notifications))
        assert notification.markup is False
        assert notification.message == "[/] [@click=app.quit]x[/] ␛[2J"
        assert notification.title == "[b]␇"
        await pilot.pause()
        assert app.is_running
