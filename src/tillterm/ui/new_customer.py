"""The register's "Add “X” as a new customer" step, kept apart so it can be re-pointed.

The customer form belongs to the customer screens (``CustomerForm``, which dismisses
with the saved ``CustomerRecord`` or ``None``). The register only needs: push the form
pre-filled from what the cashier typed, and on a saved customer call back with its id.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
    screen: Screen[object], text: str, on_created: Callable[[int], None]
) -> bool:
    """Push the customer form pre-filled with ``text``; False if there is no form."""
    try:
        from tillterm.ui.screens.customer_form import CustomerForm
    except ImportError:
        screen.notify("The customer form is not available in this build.", severity="warning")
        return False

    def done(record: object) -> None:
        customer_id = getattr(record, "id", None)
        if isinstance(customer_id, int):
            on_created(customer_id)

    screen.app.push_screen(CustomerForm(prefill=prefill_from_text(text)), done)
    return True
