"""Merging duplicate customers and undoing merges, for the screens and the CLI.

Each use case is one transaction (``session_scope``); the answers are plain frozen
dataclasses. The domain is :mod:`tillterm.customers.merging`; a merge or undo that
cannot be done raises :class:`~tillterm.customers.merging.MergeRefused` (a
``TilltermError``: its message is for the person), with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tillterm.customers import merging
from tillterm.customers.duplicates import possible_duplicates
from tillterm.customers.merging import MergeDone, MergeField, MergeRecord, UndoDone
from tillterm.customers.reading import find_by_code, get_customer
from tillterm.customers.records import CustomerRecord, Duplicate
from tillterm.i18n import _
from tillterm.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["MergePreview", "Merges"]


@dataclass(frozen=True)
class MergePreview:
    """What a merge screen shows: the customers (the one kept first) and each field
    where one of them has a value, with whose value stays."""

    customers: tuple[CustomerRecord, ...]
    fields: tuple[MergeField, ...]


class Merges:
    """Merges of duplicate customers on one store (``engine`` is asked for at each call)."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def preview(
        self, survivor_id: int, other_ids: Sequence[int], choices: Mapping[str, int] | None = None
    ) -> MergePreview:
        with session_scope(self._engine()) as session:
            ids = [survivor_id, *other_ids]
            return MergePreview(
                tuple(get_customer(session, i) for i in ids),
                tuple(merging.merge_fields(session, ids, choices)),
            )

    def possible_duplicates(self, customer_id: int) -> tuple[Duplicate, ...]:
        """Customers that may be the same person (same email, phone, name + postcode)."""
        with session_scope(self._engine()) as session:
            return tuple(possible_duplicates(session, customer_id))

    def merge(
        self, survivor_id: int, other_ids: Sequence[int], choices: Mapping[str, int] | None = None
    ) -> MergeDone:
        with session_scope(self._engine()) as session:
            return merging.merge_customers(session, survivor_id, other_ids, choices)

    def merge_codes(self, keep_code: str, other_codes: Sequence[str]) -> MergeDone:
        """The CLI's merge: customers named by their codes (an unknown code refuses)."""
        with session_scope(self._engine()) as session:
            ids = []
            for code in (keep_code, *other_codes):
                found = find_by_code(session, code)
                if found is None:
                    raise merging.MergeRefused(
                        _("There is no customer with code “{code}”.").format(code=code)
                    )
                ids.append(found.id)
            return merging.merge_customers(session, ids[0], ids[1:])

    def undo(self, merge_id: int) -> UndoDone:
        with session_scope(self._engine()) as session:
            return merging.undo_merge(session, merge_id)

    def of_customer(self, customer_id: int) -> tuple[MergeRecord, ...]:
        """The merges into this customer, latest first."""
        with session_scope(self._engine()) as session:
            return tuple(merging.merges_of(session, customer_id))
