"""Duplicates: existing customers that look like the one being entered, and why."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlmodel import Session, col

from tillterm.core.folding import normalise_code
from tillterm.customers.phones import digits
from tillterm.customers.reading import search_customers, summaries
from tillterm.customers.records import Duplicate
from tillterm.customers.search import MERGED_AWAY, word_matches
from tillterm.customers.validation import (
    EMAIL_FIELDS,
    PHONE_FIELDS,
    as_text,
    current_values,
)
from tillterm.i18n import _
from tillterm.store.fastpath import fetch_all
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
            note(int(found), _("same customer code"))
    emails = {as_text(data.get(f)).strip().casefold() for f in EMAIL_FIELDS} - {""}
    for email in sorted(emails):
        for customer_id, values in word_matches(session, "email", email):
            if email in {v.strip().casefold() for v in values}:
                note(customer_id, _("same email"))
    numbers = {digits(as_text(data.get(f))) for f in PHONE_FIELDS} - {""}
    for number in sorted(n for n in numbers if len(n) >= 6):
        for customer_id, values in word_matches(session, "phone", number):
            if number in " ".join(values).split():
                note(customer_id, _("same phone number"))
    found = summaries(session, list(reasons))
    return [Duplicate(s, tuple(reasons[s.id])) for s in found]


def possible_duplicates(session: Session, customer_id: int) -> list[Duplicate]:
    """Customers that may be the same person as this one, to merge: the same email or
    phone digits (:func:`find_duplicates`), or the same name and postal code.

    Customers merged away are hidden; archived ones are left out (restore one first).
    """
    values = current_values(session, customer_id)
    data = {k: v for k, v in values.items() if k != "customer_code"}
    found = {d.customer.id: d for d in find_duplicates(session, data, exclude_id=customer_id)}
    name = [values["first_name"].strip(), values["last_name"].strip()]
    postal = " ".join(values["postal_code"].split()).casefold()
    if all(name) and postal:
        for summary in search_customers(session, f"{name[0]} {name[1]} {postal}", limit=50):
            same = (
                summary.first_name.strip().casefold() == name[0].casefold()
                and summary.last_name.strip().casefold() == name[1].casefold()
                and " ".join(summary.postal_code.split()).casefold() == postal
            )
            if not same or summary.id == customer_id:
                continue
            reasons = found[summary.id].reasons if summary.id in found else ()
            found[summary.id] = Duplicate(summary, (*reasons, _("same name and postal code")))
    away = {int(r[0]) for r in fetch_all(session, MERGED_AWAY, {})} if found else set()
    return [d for i, d in found.items() if i not in away and not d.customer.archived]
