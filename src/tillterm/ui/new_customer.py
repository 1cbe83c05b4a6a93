"""The register's ways to a new customer: "Add “X” as a new customer" and unknown cards.

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
    screen: Screen[object],
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
    screen.app.push_screen(CustomerForm(prefill=values), done)


def offer_customer_for_code(
    screen: Screen[object], code: str, message: str, on_created: Callable[[int], None]
) -> None:
    """An unknown scanned code: say so, and offer to create a customer with that card."""
    from tillterm.ui.screens.confirm import Choice, ChoiceScreen

    def answered(choice: str | None) -> None:
        if choice == "create":
            open_new_customer_form(screen, code, on_created, prefill={"customer_code": code})

    screen.app.push_screen(
        ChoiceScreen(
            "Unknown code",
            message,
            [
                Choice("create", "New customer", "c", "primary"),
                Choice("back", "Back", "b"),
            ],
        ),
        answered,
    )
