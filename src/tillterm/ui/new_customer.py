"""The register's ways to a new customer: "Add “X” as a new customer" and unknown cards.

An unknown card is never offered in a dialog (the next scan's Enter would answer it):
the register says so in its status line and Ctrl+N opens the form with that code.

The customer form belongs to the customer screens (``CustomerForm``, which dismisses
with the saved ``CustomerRecord`` or ``None``). The register only needs: push the form
pre-filled from what the cashier typed, and on a saved customer call back with its id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def prefill_from_text(text: str) -> dict[str, str]:
    """Guess which field the typed text belongs to: email, phone, or first/last name."""
    text = " ".join(text.split())
    if not text:
        return {}
    if _EMAIL.match(text):
        return {"email": text}
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 6 and digits >= len(text.replace(" ", "")) - 2:
        return {"phone": text}
    first, _, last = text.partition(" ")
    if not last:
        return {"last_name": first}
    return {"first_name": first, "last_name": last}


def open_new_customer_form(
    screen: Screen[Any],
    text: str,
    on_created: Callable[[int], None],
    *,
    prefill: dict[str, str] | None = None,
) -> None:
    """Push the customer form pre-filled (from ``text``, or ``prefill``); call back on Create."""
    from tillterm.ui.screens.customer_form import CustomerForm

    def done(record: object) -> None:
        customer_id = getattr(record, "id", None)
        if isinstance(customer_id, int):
            on_created(customer_id)

    values = prefill if prefill is not None else prefill_from_text(text)
    screen.app.push_screen(CustomerForm(prefill=values, via="register"), done)
