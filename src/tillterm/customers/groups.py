"""Customer groups (SPEC §2): VIP, Wholesale, Student... with a discount and a sales tax.

A customer is in at most one group. Deleting a group never deletes its customers: they
are released (no group). Past sales are untouched: a completed sale keeps the group's
name as it was when it completed (``sale.group_name``), so receipts and the
sales-by-group report still say it. Names are unique, compared trimmed and
case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session, col

from tillterm.core.errors import NotFound, ValidationFailed
from tillterm.core.money import parse_percent
from tillterm.core.typed_text import text_problem
from tillterm.i18n import _, pgettext
from tillterm.store.models import Customer, CustomerGroup, TaxRate, table_of, utcnow

MAX_NAME = 80
#: writes go through the tables (Core), not ORM-enabled statements
_GROUP = table_of(CustomerGroup)
_CUSTOMER = table_of(Customer)
MAX_DESCRIPTION = 500
LABELS = {
    "name": pgettext("customer group", "Name"),
    "description": pgettext("customer group", "Description"),
    "discount_percent": pgettext("customer field", "Discount"),
    "tax_rate_id": pgettext("customer field", "Sales tax"),
}


@dataclass(frozen=True)
class GroupRecord:
    id: int
    name: str
    description: str
    discount_percent: Decimal | None
    tax_rate_id: int | None
    tax_rate_name: str | None
    #: ``None``: not counted (``list_groups(counted=False)``)
    member_count: int | None


def group_key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def member_counts(session: Session) -> dict[int, int]:
    """How many active customers each group holds (groups with none left out).

    A scan of every customer in a group: about a second at a million customers, which
    is why the Groups screen shows its list first and these counts after.
    """
    stmt = (
        select(col(Customer.group_id), func.count())
        .where(col(Customer.group_id).is_not(None), col(Customer.archived_at).is_(None))
        .group_by(col(Customer.group_id))
    )
    return {int(group_id): int(count) for group_id, count in session.execute(stmt)}


def _records(session: Session, where: Any = None, *, counted: bool = True) -> list[GroupRecord]:
    stmt = select(CustomerGroup, col(TaxRate.name)).outerjoin(
        TaxRate, col(TaxRate.id) == col(CustomerGroup.tax_rate_id)
    )
    if where is not None:
        stmt = stmt.where(where)
    rows = session.execute(stmt.order_by(CustomerGroup.name_key)).all()
    counts = member_counts(session) if rows and counted else None
    return [
        GroupRecord(
            id=group.id or 0,
            name=group.name,
            description=group.description,
            discount_percent=group.discount_percent,
            tax_rate_id=group.tax_rate_id,
            tax_rate_name=tax_name,
            member_count=None if counts is None else counts.get(group.id or 0, 0),
        )
        for group, tax_name in rows
    ]


def list_groups(session: Session, *, counted: bool = True) -> list[GroupRecord]:
    """Every group, by name, with how many (active) customers are in it (``counted``)."""
    return _records(session, counted=counted)


def get_group(session: Session, group_id: int) -> GroupRecord:
    found = _records(session, CustomerGroup.id == group_id)
    if not found:
        raise NotFound(_("This customer group no longer exists."))
    return found[0]


def find_group(session: Session, name: str) -> GroupRecord | None:
    """The group with this name (case and spacing ignored), if any."""
    found = _records(session, CustomerGroup.name_key == group_key(name))
    return found[0] if found else None


def _clean(
    session: Session, values: dict[str, Any], group_id: int | None
) -> tuple[dict[str, Any], dict[str, str]]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "name" in values:
        name = " ".join(str(values["name"] or "").split())
        problem = text_problem(name, MAX_NAME) if name else _("give the group a name")
        if problem:
            errors["name"] = problem
        else:
            clash = session.execute(
                select(col(CustomerGroup.id)).where(col(CustomerGroup.name_key) == group_key(name))
            ).scalar()
            if clash is not None and clash != group_id:
                errors["name"] = _("there is already a group named “{name}”").format(name=name)
            cleaned["name"] = name
            cleaned["name_key"] = group_key(name)
    if "description" in values:
        description = str(values["description"] or "").strip()
        problem = text_problem(description, MAX_DESCRIPTION, multiline=True)
        if problem:
            errors["description"] = problem
        cleaned["description"] = description
    if "discount_percent" in values:
        try:
            cleaned["discount_percent"] = parse_percent(values["discount_percent"])
        except ValueError as exc:
            errors["discount_percent"] = str(exc)
    if "tax_rate_id" in values:
        tax_rate_id = values["tax_rate_id"]
        if tax_rate_id in (None, "", 0):
            cleaned["tax_rate_id"] = None
        elif session.get(TaxRate, int(tax_rate_id)) is None:
            errors["tax_rate_id"] = _("this sales tax no longer exists")
        else:
            cleaned["tax_rate_id"] = int(tax_rate_id)
    return cleaned, errors


def create_group(
    session: Session,
    name: str,
    description: str = "",
    discount_percent: Decimal | str | None = None,
    tax_rate_id: int | None = None,
) -> GroupRecord:
    """Add a group; ``ValidationFailed`` names every problem (duplicate name...)."""
    cleaned, errors = _clean(
        session,
        {
            "name": name,
            "description": description,
            "discount_percent": discount_percent,
            "tax_rate_id": tax_rate_id,
        },
        None,
    )
    if errors:
        raise ValidationFailed(errors, LABELS)
    new_id = session.exec(
        insert(_GROUP).values(**cleaned, created_at=utcnow()).returning(_GROUP.c.id)
    ).scalar_one()
    return get_group(session, int(new_id))


def update_group(session: Session, group_id: int, **changes: Any) -> GroupRecord:
    """Rename or edit a group: only the given fields change."""
    unknown = set(changes) - set(LABELS)
    if unknown:
        raise TypeError(f"unknown group field(s): {', '.join(sorted(unknown))}")
    get_group(session, group_id)
    cleaned, errors = _clean(session, changes, group_id)
    if errors:
        raise ValidationFailed(errors, LABELS)
    if cleaned:
        session.exec(update(_GROUP).where(_GROUP.c.id == group_id).values(**cleaned))
    return get_group(session, group_id)


def delete_group(session: Session, group_id: int) -> int:
    """Delete a group; its customers stay, with no group. Returns how many were released."""
    get_group(session, group_id)
    released = session.exec(
        update(_CUSTOMER).where(_CUSTOMER.c.group_id == group_id).values(group_id=None)
    ).rowcount
    session.exec(delete(_GROUP).where(_GROUP.c.id == group_id))
    return int(released or 0)
