"""Reading customers: summaries for lists, whole profiles by id or code, search.

These are the hot reads (a keystroke in the search box, a card scanned at the
register); they go through ``tillterm.store.fastpath``, which talks to the driver
directly and translates its errors like every other read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlmodel import Session

from tillterm.core.errors import NotFound
from tillterm.core.folding import normalise_code
from tillterm.core.money import from_cents
from tillterm.customers.records import CUSTOMER_FIELDS, CustomerRecord, CustomerSummary
from tillterm.customers.search import SearchFilters, count_matches, search_ids, search_page
from tillterm.i18n import _
from tillterm.store.fastpath import decode, decoders, fetch_all, fetch_one
from tillterm.store.models import Customer, table_of

#: what a list shows of a customer (:class:`CustomerSummary`), over customer ``c``
_SUMMARY_COLUMNS = (
    "c.id, c.customer_code, c.first_name, c.last_name, c.company, c.email, c.phone, "
    "c.postal_code, c.city, c.group_id, g.name, c.created_at, c.archived_at"
)
_SUMMARY_JOINS = "LEFT JOIN customer_group g ON g.id = c.group_id"
_SUMMARY_SQL = f"SELECT {_SUMMARY_COLUMNS} FROM customer c {_SUMMARY_JOINS} WHERE c.id IN :ids"


def _stored_utc(value: Any) -> dt.datetime:
    """A timestamp as stored (SQLite: ``2026-01-31 10:00:00.000000``, UTC) → aware UTC.

    Parsed by hand, not by the column type: a page of fifty results pays this fifty
    times per keystroke.
    """
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _summary(row: Sequence[Any]) -> CustomerSummary:
    """A summary from a row of :data:`_SUMMARY_COLUMNS`."""
    return CustomerSummary(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        created_at=_stored_utc(row[11]),
        archived=row[12] is not None,
    )


def summaries(session: Session, ids: Sequence[int]) -> list[CustomerSummary]:
    """Summaries for these ids, in the order given (search results, lists)."""
    by_id: dict[int, CustomerSummary] = {}
    for start in range(0, len(ids), 500):
        chunk = [int(i) for i in ids[start : start + 500]]
        for row in fetch_all(session, _SUMMARY_SQL, {"ids": chunk}):
            by_id[row[0]] = _summary(row)
    return [by_id[i] for i in ids if i in by_id]


def get_customer(session: Session, customer_id: int) -> CustomerRecord:
    """The whole profile; :class:`NotFound` if there is no such customer."""
    found = _load(session, "id", customer_id)
    if found is None:
        raise NotFound(_("This customer no longer exists."))
    return found


_PROFILE_COLUMNS = (*CUSTOMER_FIELDS, "balance_limit_cents")
#: a customer's tags and custom values in one round trip (kind 0 = tag, 1 = custom)
_EXTRAS_SQL = (
    "SELECT 0, t.name, t.name_key, 0, 0 FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
    "WHERE ct.customer_id = :cid "
    "UNION ALL SELECT 1, f.name, v.value, f.position, f.id FROM custom_field_value v "
    "JOIN custom_field f ON f.id = v.field_id WHERE v.customer_id = :cid"
)
_PROFILE_SQL = (
    "SELECT "
    + ", ".join(f"c.{name}" for name in _PROFILE_COLUMNS)
    + ", g.name, t.name FROM customer c LEFT JOIN customer_group g ON g.id = c.group_id "
    "LEFT JOIN tax_rate t ON t.id = c.tax_rate_id WHERE c.{column} = :key"
)
#: each profile column's own type: stored values are decoded as the ORM would
_PROFILE_TYPES = tuple(table_of(Customer).c[name].type for name in _PROFILE_COLUMNS)


def _load(session: Session, column: str, key: object) -> CustomerRecord | None:
    """One profile in two queries (the row with its group and tax; tags and custom).

    Both go through the fast path: a scan at the register must attach its customer well
    inside a millisecond.
    """
    row = fetch_one(session, _PROFILE_SQL.format(column=column), {"key": key})
    if row is None:
        return None
    readers = decoders(session, _PROFILE_TYPES)
    values = dict(zip(_PROFILE_COLUMNS, decode(row, readers), strict=False))
    extras = fetch_all(session, _EXTRAS_SQL, {"cid": values["id"]})
    tag_rows: list[tuple[str, str]] = []
    custom_rows: list[tuple[int, int, str, str]] = []
    for kind, name, value, position, field_id in extras:
        if kind == 0:
            tag_rows.append((value, name))
        else:
            custom_rows.append((position, field_id, name, value))
    return record(
        values,
        group_name=row[-2],
        tax_rate_name=row[-1],
        tags_=[name for _key, name in sorted(tag_rows)],
        custom={name: value for _p, _i, name, value in sorted(custom_rows)},
    )


def record(
    values: Mapping[str, Any],
    *,
    group_name: str | None,
    tax_rate_name: str | None,
    tags_: Iterable[str],
    custom: dict[str, str],
) -> CustomerRecord:
    """A record from a customer's column values and what is stored beside them."""
    limit = values.get("balance_limit_cents")
    return CustomerRecord(
        **{name: values[name] for name in CUSTOMER_FIELDS},
        group_name=group_name,
        tax_rate_name=tax_rate_name,
        balance_limit=None if limit is None else from_cents(limit),
        tags=tuple(tags_),
        custom=custom,
    )


def find_by_code(session: Session, code: str) -> CustomerRecord | None:
    """The customer a scanned or typed code belongs to (trimmed, case ignored); the
    card of a customer merged into another gives the customer kept."""
    key = normalise_code(code or "")
    if not key or not key.isprintable():
        return None
    found = _load(session, "code_key", key)
    if found is not None and found.archived_at is not None:
        # the card of a customer merged into another leads to the one kept
        from tillterm.customers.merging import survivor_of

        survivor = survivor_of(session, found.id)
        if survivor is not None:
            return _load(session, "id", survivor)
    return found


def search_customers(
    session: Session,
    text: str,
    *,
    limit: int = 50,
    offset: int = 0,
    filters: SearchFilters | None = None,
    **more_filters: Any,
) -> list[CustomerSummary]:
    """Customers matching what was typed, best first (see ``tillterm.customers.search``).

    Filters: ``group_id`` (0 = no group), ``created_from``/``created_to`` (dates,
    inclusive), ``discount`` ("any" or an exact Decimal), ``tax_rate_id``,
    ``tags_all``/``tags_none`` (tag names), ``include_archived``; or ``filters=``.
    """
    flt = SearchFilters.of(filters, more_filters)
    if session.get_bind().dialect.name == "postgresql":
        # a server: the search and the rows it shows in one round trip
        rows = search_page(
            session,
            text,
            select=_SUMMARY_COLUMNS,
            joins=_SUMMARY_JOINS,
            limit=limit,
            offset=offset,
            filters=flt,
        )
        return [_summary(row) for row in rows]
    ids = search_ids(session, text, limit=limit, offset=offset, filters=flt)
    return summaries(session, ids)


def count_customers(
    session: Session, text: str, *, filters: SearchFilters | None = None, **more_filters: Any
) -> int:
    """How many customers match (for list headers; this one does count them all)."""
    return count_matches(session, text, filters=SearchFilters.of(filters, more_filters))
