"""Duplicates: existing customers that look like the one being entered, and why."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlmodel import Session, col

from tillterm.core.folding import normalise_code
from tillterm.customers.reading import summaries
from tillterm.customers.records import Duplicate
from tillterm.customers.search import word_matches
from tillterm.customers.validation import EMAIL_FIELDS, PHONE_FIELDS, as_text, digits
from tillterm.store.models import Customer


def find_duplicates(
    session: Session, data: Mapping[str, object], *, exclude_id: int | None = None
) -> list[Duplicate]:
    """Existing customers with the same email, customer code or phone number (by digits)."""
    reasons: dict[int, list[str]] = {}

    def note(customer_id: int, reason: str) -> None:
        if customer_id != exclude_id and reason not in reasons.setdefault(customer_id, []):
            reasons[customer_id].append(reason)

    code = as_text(data.get("customer_code")).strip()
    if code and code.isprintable():
        found = session.execute(
            select(col(Customer.id)).where(col(Customer.code_key) == normalise_code(code))
        ).scalar()
        if found is not None:
            note(int(found), "same customer code")
    emails = {as_text(data.get(f)).strip().casefold() for f in EMAIL_FIELDS} - {""}
    for email in sorted(emails):
        for customer_id, values in word_matches(session, "email", email):
            if email in {v.strip().casefold() for v in values}:
                note(customer_id, "same email")
    numbers = {digits(as_text(data.get(f))) for f in PHONE_FIELDS} - {""}
    for number in sorted(n for n in numbers if len(n) >= 6):
        for customer_id, values in word_matches(session, "phone", number):
            if number in " ".join(values).split():
                note(customer_id, "same phone number")
    found = summaries(session, list(reasons))
    return [Duplicate(s, tuple(reasons[s.id])) for s in found]
