"""Merging duplicate customers into one survivor, and undoing a merge exactly.

A merge never deletes anybody. The survivor takes, field by field, the value the caller
chose (by default its own unless empty, then the first other customer's that is not);
its tags and custom values are united with the others'. Every sale, loyalty and account
entry and opening spend of an absorbed customer moves to the survivor (only
``customer_id`` changes: a sale keeps the name and code it was printed with), so its
balances stay the sums of their entries. An absorbed customer stays on file, archived:
hidden from lists and search, its card code leading to the survivor
(:func:`survivor_of`).

The merge is recorded so that it can be undone **exactly**, at any later time: which
rows moved and whose they were (``customer_merge_move``), the survivor's changed fields
before and after (``customer_merge.survivor_before``), what the absorbed customers'
stamps were. Undo moves back exactly those rows (a sale made on the survivor after the
merge stays with it) and puts back each survivor field nobody changed since. An undo
that could not be exact is refused, saying why: a later merge of the same customers
still standing, or a moved row that is no longer the survivor's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from tillterm.core.errors import NotFound, TilltermError
from tillterm.customers.fields import CUSTOM_PREFIX, FIELDS, custom_key
from tillterm.customers.phones import store_region
from tillterm.customers.validation import current_values, phone_digits
from tillterm.i18n import _
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    CustomerMerge,
    CustomerMergeAbsorbed,
    CustomerMergeMove,
    CustomerTag,
    CustomField,
    CustomFieldValue,
    LoyaltyEntry,
    OpeningSpend,
    Sale,
    TaxRate,
    table_of,
    utcnow,
)

__all__ = [
    "MERGE_FIELDS",
    "MergeDone",
    "MergeField",
    "MergeRecord",
    "MergeRefused",
    "UndoDone",
    "default_choices",
    "merge_customers",
    "merge_fields",
    "merges_of",
    "survivor_of",
    "undo_merge",
]

_MERGE = table_of(CustomerMerge)
_ABSORBED = table_of(CustomerMergeAbsorbed)
_MOVE = table_of(CustomerMergeMove)
_LINK = table_of(CustomerTag)
_VALUE = table_of(CustomFieldValue)
_FIELD = table_of(CustomField)
_CUSTOMER = table_of(Customer)
#: the tables whose rows belong to a customer and move with a merge
MOVED_TABLES = {
    "sale": table_of(Sale),
    "loyalty_entry": table_of(LoyaltyEntry),
    "account_entry": table_of(AccountEntry),
    "opening_spend": table_of(OpeningSpend),
}
#: profile fields a merge chooses between, by registry key, with their column: the
#: code is not chosen (the survivor keeps its card; the others' cards lead to it) and
#: tags are united
MERGE_FIELDS: dict[str, str] = {
    f.key: ("balance_limit_cents" if f.key == "balance_limit" else f.key)
    for f in FIELDS
    if f.key not in {"customer_code", "tags"}
}
#: how many merges deep a code is followed (a chain of merges into merges)
MAX_HOPS = 32


#: what an erasure leaves of a merge's record of the survivor's fields (they said who
#: the person was): such a merge can no longer be undone
ERASED_RECORD = '{"erased": true}'


def standing_absorbed(session: Session, survivor_id: int) -> list[int]:
    """The customers merged into ``survivor_id`` by merges not undone (one person: an
    erasure of the survivor erases them too)."""
    rows = session.execute(
        select(_ABSORBED.c.customer_id)
        .join(_MERGE, _MERGE.c.id == _ABSORBED.c.merge_id)
        .where(_MERGE.c.survivor_id == survivor_id, _MERGE.c.undone_at.is_(None))
    ).scalars()
    return [int(r) for r in rows]


def forget_merges(session: Session, customer_ids: Sequence[int]) -> None:
    """Erase what the merges of these customers kept of their fields (erasure)."""
    session.execute(
        update(_MERGE)
        .where(_MERGE.c.survivor_id.in_(list(customer_ids)))
        .values(survivor_before=ERASED_RECORD)
    )


class MergeRefused(TilltermError):
    """A merge or an undo that cannot be done (as asked, or exactly): says why."""


@dataclass(frozen=True)
class MergeField:
    """One field of a merge: each customer's value as shown, and whose stays."""

    key: str
    label: str
    values: tuple[str, ...]
    chosen: int


@dataclass(frozen=True)
class MergeDone:
    id: int
    survivor_id: int
    absorbed: tuple[int, ...]
    #: rows moved to the survivor, by table
    moved: Mapping[str, int]


@dataclass(frozen=True)
class UndoDone:
    id: int
    survivor_id: int
    restored: tuple[int, ...]
    moved_back: Mapping[str, int]
    #: survivor fields not put back because they were changed after the merge
    kept: tuple[str, ...]


@dataclass(frozen=True)
class MergeRecord:
    """A merge as a profile lists it."""

    id: int
    survivor_id: int
    created_at: dt.datetime
    undone_at: dt.datetime | None
    #: the absorbed customers' codes and names
    absorbed: tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------- values


def _encode(value: Any) -> Any:
    """A column value as JSON (Decimal and dates tagged, so they come back as they were)."""
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "decimal" in value:
            return Decimal(value["decimal"])
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
    return value


def _empty(value: Any) -> bool:
    """Nothing worth keeping: a blank text, no value, or "no" (a "yes" elsewhere wins)."""
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


def _custom_values(session: Session, ids: Sequence[int]) -> dict[int, dict[int, str]]:
    rows = session.execute(
        select(_VALUE.c.customer_id, _VALUE.c.field_id, _VALUE.c.value).where(
            _VALUE.c.customer_id.in_(list(ids))
        )
    )
    found: dict[int, dict[int, str]] = {i: {} for i in ids}
    for customer_id, field_id, value in rows:
        found[int(customer_id)][int(field_id)] = str(value)
    return found


def _custom_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(_FIELD.c.id, _FIELD.c.name).order_by(_FIELD.c.position))
    return {int(i): str(n) for i, n in rows}


def default_choices(columns: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """For each field, whose value stays: the survivor's (index 0) unless empty, then the
    first other customer's that is not."""
    chosen: dict[str, int] = {}
    for key, column in MERGE_FIELDS.items():
        values = [row[column] for row in columns]
        chosen[key] = next((i for i, v in enumerate(values) if not _empty(v)), 0)
    return chosen


def _group_names(session: Session) -> dict[int, str]:
    """Group names by id, and tax names by minus their id: what a merge shows."""
    group, tax = table_of(CustomerGroup), table_of(TaxRate)
    names = {int(i): str(n) for i, n in session.execute(select(group.c.id, group.c.name))}
    taxes = {-int(i): str(n) for i, n in session.execute(select(tax.c.id, tax.c.name))}
    return {**names, **taxes}


def merge_fields(
    session: Session, customer_ids: Sequence[int], choices: Mapping[str, int] | None = None
) -> list[MergeField]:
    """The fields a merge of these customers (survivor first) decides, with each one's
    value as shown and whose stays (``choices`` over the defaults). Only fields where
    some customer has a value are listed."""
    columns = [current_values(session, i) for i in customer_ids]
    chosen = {**default_choices(columns), **(choices or {})}
    names = _group_names(session)
    labels = {f.key: f.label for f in FIELDS}
    found: list[MergeField] = []
    for key, column in MERGE_FIELDS.items():
        raw = [row[column] for row in columns]
        if all(_empty(v) for v in raw):
            continue
        if key == "group_id":
            shown = tuple(names.get(v, "") if v else "" for v in raw)
        elif key == "tax_rate_id":
            shown = tuple(names.get(-v, "") if v else "" for v in raw)
        elif key == "balance_limit":
            shown = tuple("" if v is None else f"{Decimal(v) / 100:.2f}" for v in raw)
        else:
            shown = tuple(_shown(v) for v in raw)
        found.append(MergeField(key, labels[key], shown, chosen[key]))
    custom = _custom_values(session, customer_ids)
    for field_id, name in _custom_names(session).items():
        values = tuple(custom[i].get(field_id, "") for i in customer_ids)
        if not any(values):
            continue
        key = custom_key(name)
        default = next((i for i, v in enumerate(values) if v), 0)
        found.append(MergeField(key, name, values, chosen.get(key, default)))
    return found


# --------------------------------------------------------------------------- finding


def survivor_of(session: Session, customer_id: int) -> int | None:
    """Whom a customer was merged into, following merges of merges; ``None`` when the
    customer stands on its own (no merge absorbing it stands)."""
    stmt = (
        select(_MERGE.c.survivor_id)
        .join(_ABSORBED, _ABSORBED.c.merge_id == _MERGE.c.id)
        .where(_ABSORBED.c.customer_id == bindparam("cid"), _MERGE.c.undone_at.is_(None))
    )
    found: int | None = None
    current = customer_id
    for _hop in range(MAX_HOPS):
        nxt = session.execute(stmt, {"cid": current}).scalar()
        if nxt is None:
            break
        found = current = int(nxt)
    return found


def merges_of(session: Session, customer_id: int) -> list[MergeRecord]:
    """The merges into this customer, latest first (undone ones too)."""
    c = _CUSTOMER
    rows = session.execute(
        select(
            _MERGE.c.id,
            _MERGE.c.created_at,
            _MERGE.c.undone_at,
            c.c.customer_code,
            c.c.first_name,
            c.c.last_name,
            c.c.company,
            c.c.email,
        )
        .join(_ABSORBED, _ABSORBED.c.merge_id == _MERGE.c.id)
        .join(c, c.c.id == _ABSORBED.c.customer_id)
        .where(_MERGE.c.survivor_id == customer_id)
        .order_by(_MERGE.c.id.desc(), _ABSORBED.c.position)
    )
    merges: dict[int, tuple[dt.datetime, dt.datetime | None, list[tuple[str, str]]]] = {}
    for merge_id, created, undone, code, first, last, company, email in rows:
        name = " ".join(p for p in (first, last) if p) or company or email or code
        merges.setdefault(int(merge_id), (created, undone, []))[2].append((code, name))
    return [
        MergeRecord(merge_id, customer_id, created, undone, tuple(absorbed))
        for merge_id, (created, undone, absorbed) in merges.items()
    ]


# --------------------------------------------------------------------------- merging


def _lock(session: Session, ids: Sequence[int]) -> None:
    """On PostgreSQL, hold the customers' rows: a sale completing for one of them waits
    for the merge (it locks its customer too), so no row is left behind."""
    if session.get_bind().dialect.name == "postgresql":
        c = _CUSTOMER
        session.execute(select(c.c.id).where(c.c.id.in_(list(ids))).with_for_update())


def _check_standing(session: Session, ids: Sequence[int]) -> None:
    stmt = (
        select(_ABSORBED.c.customer_id, _MERGE.c.id)
        .join(_MERGE, _MERGE.c.id == _ABSORBED.c.merge_id)
        .where(_ABSORBED.c.customer_id.in_(list(ids)), _MERGE.c.undone_at.is_(None))
    )
    for customer_id, merge_id in session.execute(stmt):
        raise MergeRefused(
            _(
                "Customer {customer} was merged away already (merge {merge}); "
                "undo that merge first."
            ).format(customer=customer_id, merge=merge_id)
        )


def merge_customers(
    session: Session,
    survivor_id: int,
    other_ids: Sequence[int],
    choices: Mapping[str, int] | None = None,
) -> MergeDone:
    """Merge ``other_ids`` into ``survivor_id``; ``choices`` maps a field key to whose
    value stays (0 the survivor, 1 the first other...), over :func:`default_choices`.

    Raises :class:`MergeRefused` (nothing written) when a customer is given twice, is
    the survivor, was merged away already, or the survivor is archived.
    """
    others = [int(i) for i in other_ids]
    ids = [int(survivor_id), *others]
    if not others:
        raise MergeRefused(_("Choose at least one other customer to merge."))
    if len(set(ids)) != len(ids):
        raise MergeRefused(_("A customer cannot be merged with itself."))
    _lock(session, ids)
    columns = [current_values(session, i) for i in ids]
    if columns[0]["archived_at"] is not None:
        raise MergeRefused(_("The customer kept is archived: restore them first."))
    _check_standing(session, ids)
    chosen = {**default_choices(columns), **(choices or {})}
    for key, index in chosen.items():
        if not 0 <= index < len(ids):
            raise MergeRefused(
                _("No customer number {number} to take “{field}” from.").format(
                    number=index + 1, field=key
                )
            )
    now = utcnow()
    before = columns[0]
    after: dict[str, Any] = {}
    for key, column in MERGE_FIELDS.items():
        value = columns[chosen[key]][column] if key in chosen else before[column]
        if value != before[column]:
            after[column] = value
    merged_row = {**before, **after}
    digits = phone_digits(
        {k: merged_row[k] or "" for k in MERGE_FIELDS.values()}, store_region(session)
    )
    if digits != before["phone_digits"]:
        after["phone_digits"] = digits
    after["updated_at"] = now
    fields_record = {k: [_encode(before[k]), _encode(v)] for k, v in after.items()}

    # tags: the others' added to the survivor's
    tag_rows = session.execute(
        select(_LINK.c.customer_id, _LINK.c.tag_id).where(_LINK.c.customer_id.in_(ids))
    ).all()
    own = {int(t) for c, t in tag_rows if c == ids[0]}
    added_tags = sorted({int(t) for c, t in tag_rows if c != ids[0]} - own)
    # custom values: the chosen one (default: the survivor's unless blank)
    custom = _custom_values(session, ids)
    names = _custom_names(session)
    custom_record: dict[str, list[str | None]] = {}
    for field_id, name in names.items():
        values = [custom[i].get(field_id, "") for i in ids]
        default = next((i for i, v in enumerate(values) if v), 0)
        index = chosen.get(custom_key(name), default)
        value = values[index] if 0 <= index < len(ids) else values[default]
        old = custom[ids[0]].get(field_id)
        if value and value != (old or ""):
            custom_record[str(field_id)] = [old, value]
        elif not value and old:
            custom_record[str(field_id)] = [old, None]

    merge_id = int(
        session.execute(
            insert(_MERGE)
            .values(
                survivor_id=ids[0],
                created_at=now,
                undone_at=None,
                survivor_before="{}",  # written whole once the rows are moved
            )
            .returning(_MERGE.c.id)
        ).scalar_one()
    )
    session.execute(
        insert(_ABSORBED),
        [
            {
                "merge_id": merge_id,
                "customer_id": other,
                "position": n,
                "archived_at_before": columns[n]["archived_at"],
                "updated_at_before": columns[n]["updated_at"],
            }
            for n, other in enumerate(others, start=1)
        ],
    )
    moved: dict[str, int] = {}
    for name, table in MOVED_TABLES.items():
        moved[name] = 0
        for other in others:
            # RETURNING: exactly the rows this statement moved are recorded, even with a
            # sale being completed for the customer on another register meanwhile
            row_ids = (
                session.execute(
                    update(table)
                    .where(table.c.customer_id == other)
                    .values(customer_id=ids[0])
                    .returning(table.c.id)
                )
                .scalars()
                .all()
            )
            if row_ids:
                session.execute(
                    insert(_MOVE).values(
                        merge_id=merge_id,
                        table_name=name,
                        customer_id=other,
                        row_ids=json.dumps(sorted(int(i) for i in row_ids)),
                    )
                )
            moved[name] += len(row_ids)

    record = {
        "fields": fields_record,
        "tags_added": added_tags,
        "custom": custom_record,
        "moved": moved,
    }
    session.execute(
        update(_MERGE)
        .where(_MERGE.c.id == merge_id)
        .values(survivor_before=json.dumps(record, sort_keys=True))
    )
    customer = _CUSTOMER
    session.execute(update(customer).where(customer.c.id == ids[0]).values(**after))
    session.execute(
        update(customer)
        .where(customer.c.id.in_(others), customer.c.archived_at.is_(None))
        .values(archived_at=now)
    )
    if added_tags:
        session.execute(insert(_LINK), [{"customer_id": ids[0], "tag_id": t} for t in added_tags])
    for key, (_old, value) in custom_record.items():
        session.execute(
            delete(_VALUE).where(_VALUE.c.customer_id == ids[0], _VALUE.c.field_id == int(key))
        )
        if value:
            session.execute(
                insert(_VALUE).values(customer_id=ids[0], field_id=int(key), value=value)
            )
    return MergeDone(merge_id, ids[0], tuple(others), moved)


# --------------------------------------------------------------------------- undoing


def _ids_in(session: Session, table: Table, row_ids: str) -> ColumnElement[bool]:
    """``table.id`` is one of the JSON list ``row_ids``, as one bound value (10,000 ids
    would be 10,000 parameters, past SQLite's limit for more)."""
    ids: Select[Any]
    if session.get_bind().dialect.name == "postgresql":
        # imported here: PostgreSQL's dialect costs a SQLite till 40 ms on first use
        from sqlalchemy.dialects.postgresql import JSONB

        listed = cast(json.loads(row_ids), JSONB)  # the list itself: JSONB encodes it
        ids = select(cast(func.jsonb_array_elements_text(listed), Integer))
    else:
        ids = select(literal_column("value")).select_from(func.json_each(row_ids))
    return table.c.id.in_(ids)


def undo_merge(session: Session, merge_id: int) -> UndoDone:
    """Undo merge ``merge_id`` exactly, or refuse (:class:`MergeRefused`, nothing
    written) when it cannot be: undone already, or a later merge of the same customers
    still standing, or a moved row no longer the survivor's."""
    merge = session.execute(select(_MERGE).where(_MERGE.c.id == merge_id)).first()
    if merge is None:
        raise NotFound(_("There is no merge {merge}.").format(merge=merge_id))
    if merge.undone_at is not None:
        raise MergeRefused(_("Merge {merge} was undone already.").format(merge=merge_id))
    survivor = int(merge.survivor_id)
    if merge.survivor_before == ERASED_RECORD:
        raise MergeRefused(
            _(
                "Merge {merge} cannot be undone: the customer was erased (a privacy "
                "request), and with them what the merge had kept."
            ).format(merge=merge_id)
        )
    absorbed = session.execute(
        select(_ABSORBED).where(_ABSORBED.c.merge_id == merge_id).order_by(_ABSORBED.c.position)
    ).all()
    others = [int(a.customer_id) for a in absorbed]
    involved = [survivor, *others]
    _lock(session, involved)
    later = session.execute(
        select(_MERGE.c.id)
        .outerjoin(_ABSORBED, _ABSORBED.c.merge_id == _MERGE.c.id)
        .where(
            _MERGE.c.id > merge_id,
            _MERGE.c.undone_at.is_(None),
            (_MERGE.c.survivor_id.in_(involved)) | (_ABSORBED.c.customer_id.in_(involved)),
        )
        .order_by(_MERGE.c.id.desc())
        .limit(1)
    ).scalar()
    if later is not None:
        raise MergeRefused(
            _(
                "Merge {merge} cannot be undone exactly: merge {later}, made after it, "
                "involves the same customers. Undo merge {later} first."
            ).format(merge=merge_id, later=later)
        )
    moved_back: dict[str, int] = {}
    record = json.loads(merge.survivor_before)
    for name, table in MOVED_TABLES.items():
        expected = int(record["moved"].get(name, 0))
        done = 0
        recorded = session.execute(
            select(_MOVE.c.customer_id, _MOVE.c.row_ids).where(
                _MOVE.c.merge_id == merge_id, _MOVE.c.table_name == name
            )
        ).all()
        for other, row_ids in recorded:
            where = [_ids_in(session, table, row_ids), table.c.customer_id == survivor]
            if name == "sale":
                # a sale open at the merge and completed after it was sold to the customer
                # kept (its ledger entries are theirs): it stays, like every later sale
                later = session.execute(
                    select(func.count()).where(*where, table.c.completed_at > merge.created_at)
                ).scalar_one()
                expected -= int(later)
                where.append(
                    table.c.completed_at.is_(None) | (table.c.completed_at <= merge.created_at)
                )
            result = session.exec(update(table).where(*where).values(customer_id=int(other)))
            done += int(result.rowcount or 0)
        if done != expected:
            raise MergeRefused(
                _(
                    "Merge {merge} cannot be undone exactly: {count} of its "
                    "{table} rows no longer belong to the customer kept."
                ).format(merge=merge_id, count=expected - done, table=name.replace("_", " "))
            )
        moved_back[name] = done

    customer = _CUSTOMER
    now_values = current_values(session, survivor)
    restore: dict[str, Any] = {}
    kept: list[str] = []
    for column, (old, new) in record["fields"].items():
        if now_values[column] == _decode(new):
            restore[column] = _decode(old)
        elif column != "updated_at":
            kept.append(column)
    if kept and "updated_at" in restore:
        del restore["updated_at"]  # the survivor was edited since: that edit's time stays
    if restore:
        session.execute(update(customer).where(customer.c.id == survivor).values(**restore))
    if record["tags_added"]:
        session.execute(
            delete(_LINK).where(
                _LINK.c.customer_id == survivor, _LINK.c.tag_id.in_(record["tags_added"])
            )
        )
    custom_now = _custom_values(session, [survivor])[survivor]
    for field_id, (old, new) in record["custom"].items():
        fid = int(field_id)
        if custom_now.get(fid) != new:
            kept.append(f"{CUSTOM_PREFIX}{fid}")
            continue
        session.execute(
            delete(_VALUE).where(_VALUE.c.customer_id == survivor, _VALUE.c.field_id == fid)
        )
        if old:
            session.execute(insert(_VALUE).values(customer_id=survivor, field_id=fid, value=old))
    for row in absorbed:
        session.execute(
            update(customer)
            .where(customer.c.id == row.customer_id)
            .values(archived_at=row.archived_at_before, updated_at=row.updated_at_before)
        )
    session.execute(update(_MERGE).where(_MERGE.c.id == merge_id).values(undone_at=utcnow()))
    return UndoDone(merge_id, survivor, tuple(others), moved_back, tuple(kept))
