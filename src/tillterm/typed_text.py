"""The rules every typed text follows, whatever the field.

What a cashier or a spreadsheet types ends up on receipts, labels and exports: control
characters would garble them, and every column has a length. Each problem has one
wording, so the same sentence appears on every form and in every import report.
"""

from __future__ import annotations


def text_problem(value: str, limit: int, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored (``None`` when it can): length first, then characters.

    ``multiline`` lets notes keep their line breaks and tabs.
    """
    if len(value) > limit:
        return f"too long (at most {limit} characters, not {len(value)})"
    allowed = "\n\t" if multiline else ""
    if any(not (ch.isprintable() or ch in allowed) for ch in value):
        return "contains characters that cannot be printed"
    return None
