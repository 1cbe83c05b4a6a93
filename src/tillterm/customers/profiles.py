"""Customer profiles: create, update, archive, restore and delete (SPEC §1).

Screens and the CLI reach these through ``tillterm.services.customer_care``, the import
directly, each with a session from ``tillterm.store.engine.session_scope``; they get
plain frozen dataclasses back, never ORM rows. Nothing is written unless everything is
valid (:mod:`tillterm.customers.validation`); a blank code gets a generated one
(:mod:`tillterm.customers.codes`).

The rest of the customer context lives beside this module (records, validation, codes,
reading, duplicates, activity); its names are re-exported here, where callers have
always found them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from tillterm.core.errors import TilltermError, ValidationFailed
from tillterm.core.folding import normalise_code
from tillterm.customers import consents, custom_fields, tags
from tillterm.customers.activity import customer_activity
from tillterm.customers.codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CUSTOMER_TABLE,
    code_holder,
    generate_code,
    generate_codes,
    insert_or_nothing,
)
from tillterm.customers.duplicates import find_duplicates
from tillterm.customers.fields import FALSE_WORDS, TRUE_WORDS
from tillterm.customers.reading import (
    count_customers,
    find_by_code,
    get_customer,
    record,
    search_customers,
    summaries,
)
from tillterm.customers.records import (
    AccountLine,
    CustomerActivity,
    CustomerRecord,
    CustomerSummary,
    Duplicate,
    LedgerLine,
    SaleBrief,
)
from tillterm.customers.search import SearchFilters
from tillterm.customers.validation import (
    EMAIL_FIELDS,
    EMAIL_PATTERN,
    LABELS,
    PHONE_FIELDS,
    as_text,
    clean,
    current_values,
    labels_for,
    parse_bool,
    phone_digits,
    validate_customer,
)
from tillterm.i18n import _
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerMerge,
    CustomerMergeAbsorbed,
    LoyaltyEntry,
    OpeningSpend,
    Sale,
    utcnow,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "EMAIL_FIELDS",
    "EMAIL_PATTERN",
    "FALSE_WORDS",
    "LABELS",
    "PHONE_FIELDS",
    "TRUE_WORDS",
    "AccountLine",
    "CustomerActivity",
    "CustomerRecord",
    "CustomerSummary",
    "Duplicate",
    "LedgerLine",
    "SaleBrief",
    "SearchFilters",
    "ValidationFailed",
    "archive_customer",
    "count_customers",
    "create_customer",
    "customer_activity",
    "delete_customer",
    "find_by_code",
    "find_duplicates",
    "generate_code",
    "generate_codes",
    "get_customer",
    "normalise_code",
    "parse_bool",
    "phone_digits",
    "restore_customer",
    "search_customers",
    "summaries",
    "update_customer",
    "validate_customer",
]


def create_customer(
    session: Session, data: Mapping[str, object], *, via: str = "form"
) -> CustomerRecord:
    """Validate and add a customer (a blank code gets a generated one); ``via``: how the
    consents given here reached the till (:mod:`tillterm.customers.consents`).

    Raises :class:`ValidationFailed` with every problem; nothing is written then.
    """
    cleaned = clean(session, data, customer_id=None, current=None)
    if cleaned.errors:
        raise ValidationFailed(cleaned.errors, labels_for(cleaned.errors))
    now = utcnow()
    values: dict[str, Any] = Customer(customer_code="", code_key="").model_dump()
    values.update(cleaned.columns)
    values.pop("id", None)
    values.update(created_at=now, updated_at=now, archived_at=None)
    values.update(consents.stamps(None, values, via, now))
    values.setdefault("phone_digits", "")
    typed_code = values.get("customer_code", "")
    new_id = None
    for _attempt in range(50):
        code = typed_code or generate_code()
        values.update(customer_code=code, code_key=normalise_code(code))
        new_id = insert_or_nothing(session, values)
        if new_id is not None:
            break
        if typed_code:
            holder = code_holder(session, typed_code)
            said = (
                _("this code was just given to {name}").format(name=holder.display_name)
                if holder
                else _("this code was just given to another customer")
            )
            raise ValidationFailed({"customer_code": said}, LABELS)
    if new_id is None:  # pragma: no cover - 50 collisions in 850 billion
        raise TilltermError(_("Could not find a free customer code; please try again."))
    stored_tags: tuple[str, ...] = ()
    if cleaned.tags:
        stored_tags = tags.set_customer_tags(session, new_id, cleaned.tags)
    custom: dict[str, str] = {}
    if cleaned.custom:
        custom_fields.store_values(session, new_id, cleaned.custom)
        custom = custom_fields.customer_values(session, new_id)
    return record(
        {**values, "id": new_id},
        group_name=cleaned.group_name,
        tax_rate_name=cleaned.tax_rate_name,
        tags_=stored_tags,
        custom=custom,
    )


def update_customer(
    session: Session, customer_id: int, changes: Mapping[str, object], *, via: str = "form"
) -> CustomerRecord:
    """Change only the fields given; :class:`ValidationFailed` lists every problem.
    A consent that changes is stamped with the time and ``via``.

    A blank code keeps the customer's code (codes are printed on cards: they change only
    when a new one is typed).
    """
    current = current_values(session, customer_id)
    changes = dict(changes)
    if "customer_code" in changes and not as_text(changes["customer_code"]).strip():
        del changes["customer_code"]
    cleaned = clean(session, changes, customer_id=customer_id, current=current)
    if cleaned.errors:
        raise ValidationFailed(cleaned.errors, labels_for(cleaned.errors))
    columns = dict(cleaned.columns)
    if "customer_code" in columns:
        columns["code_key"] = normalise_code(columns["customer_code"])
    columns["updated_at"] = utcnow()
    columns.update(consents.stamps(current, columns, via, columns["updated_at"]))
    session.exec(update(CUSTOMER_TABLE).where(CUSTOMER_TABLE.c.id == customer_id).values(**columns))
    if cleaned.tags is not None:
        tags.set_customer_tags(session, customer_id, cleaned.tags)
    if cleaned.custom:
        custom_fields.store_values(session, customer_id, cleaned.custom)
    return get_customer(session, customer_id)


def archive_customer(session: Session, customer_id: int) -> CustomerRecord:
    """Hide a customer from lists and search; sales and ledgers keep pointing at them."""
    current_values(session, customer_id)
    session.exec(
        update(CUSTOMER_TABLE)
        .where(CUSTOMER_TABLE.c.id == customer_id, CUSTOMER_TABLE.c.archived_at.is_(None))
        .values(archived_at=utcnow(), updated_at=utcnow())
    )
    return get_customer(session, customer_id)


def restore_customer(session: Session, customer_id: int) -> CustomerRecord:
    """Bring an archived customer back."""
    current_values(session, customer_id)
    session.exec(
        update(CUSTOMER_TABLE)
        .where(CUSTOMER_TABLE.c.id == customer_id)
        .values(archived_at=None, updated_at=utcnow())
    )
    return get_customer(session, customer_id)


def delete_customer(session: Session, customer_id: int) -> None:
    """Delete a customer who never bought anything (a mistake); others are archived."""
    current_values(session, customer_id)
    for model in (Sale, LoyaltyEntry, AccountEntry, OpeningSpend):
        used = session.execute(
            select(col(model.id)).where(col(model.customer_id) == customer_id).limit(1)
        ).first()
        if used is not None:
            raise TilltermError(
                _("This customer has sales or ledger entries: archive them instead of deleting.")
            )
    for column in (CustomerMerge.survivor_id, CustomerMergeAbsorbed.customer_id):
        merged = session.execute(select(col(column)).where(col(column) == customer_id).limit(1))
        if merged.first() is not None:
            # a merge, even undone, is history that names them: they stay on file
            raise TilltermError(_("This customer was part of a merge: archive them instead."))
    session.execute(text("DELETE FROM customer WHERE id = :id").bindparams(id=customer_id))
