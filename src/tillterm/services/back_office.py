"""The back office's use cases: the store's details, its tax rates, its custom fields.

Each call is one transaction. A form's refusal comes back as :class:`Refused` (every
field's problem at once, nothing written) so the screen can put each message under its
field; a refusal of an action on a list (retiring the default tax, deleting a rate that
was sold) is a :class:`~tillterm.core.errors.TilltermError` whose sentence the screen
shows as it is.

Imported when first asked for (``Services.back_office``), in a worker: it loads the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tillterm.catalog import store_details, tax_rates
from tillterm.catalog.settings import StoreInfo, list_tax_rates, load_settings
from tillterm.catalog.tax_rates import TaxRateRecord
from tillterm.core.errors import ValidationFailed
from tillterm.customers import custom_fields
from tillterm.customers.custom_fields import CustomFieldDef
from tillterm.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["BackOffice", "CustomFieldDef", "Refused", "StoreForm", "TaxRateRecord"]


@dataclass(frozen=True)
class Refused:
    """What must be fixed, by field; nothing was written."""

    errors: Mapping[str, str]


@dataclass(frozen=True)
class StoreForm:
    """What the Store screen opens with: the values as stored and the rates to offer."""

    values: Mapping[str, object]
    taxes: tuple[tuple[str, int], ...]


class BackOffice:
    """Setting up the store, in transactions of its own."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    # -- store ---------------------------------------------------------------------

    def store_form(self) -> StoreForm:
        """The settings and the active tax rates (plus the default, even if retired)."""
        with session_scope(self._engine()) as session:
            info = load_settings(session)
            keep = None if info.default_tax is None else info.default_tax.id
            taxes = tuple((t.name, t.id) for t in list_tax_rates(session, keep=keep))
            return StoreForm(store_details.form_values(info), taxes)

    def save_store(self, values: Mapping[str, object]) -> StoreInfo | Refused:
        try:
            with session_scope(self._engine()) as session:
                return store_details.save_store(session, values)
        except ValidationFailed as exc:
            return Refused(exc.errors)

    # -- tax rates -----------------------------------------------------------------

    def tax_rates(self) -> tuple[TaxRateRecord, ...]:
        with session_scope(self._engine()) as session:
            return tuple(tax_rates.list_rates(session))

    def save_tax_rate(self, rate_id: int | None, name: str, rate: str) -> TaxRateRecord | Refused:
        try:
            with session_scope(self._engine()) as session:
                if rate_id is None:
                    return tax_rates.create_rate(session, name, rate)
                return tax_rates.update_rate(session, rate_id, name, rate)
        except ValidationFailed as exc:
            return Refused(exc.errors)

    def retire_tax_rate(self, rate_id: int, *, retired: bool = True) -> TaxRateRecord:
        with session_scope(self._engine()) as session:
            if retired:
                return tax_rates.retire_rate(session, rate_id)
            return tax_rates.restore_rate(session, rate_id)

    def delete_tax_rate(self, rate_id: int) -> None:
        with session_scope(self._engine()) as session:
            tax_rates.delete_rate(session, rate_id)

    def make_default_tax(self, rate_id: int) -> StoreInfo | Refused:
        """The store's default tax from the Tax rates list (D), checked as the form is."""
        return self.save_store({"default_tax_rate_id": rate_id})

    # -- custom fields -------------------------------------------------------------

    def custom_fields(self) -> tuple[CustomFieldDef, ...]:
        """Every field, retired ones included, in form order."""
        with session_scope(self._engine()) as session:
            return tuple(custom_fields.list_fields(session, retired_too=True))

    def save_custom_field(
        self, field_id: int | None, name: str, field_type: str, choices: str
    ) -> CustomFieldDef | Refused:
        """Define a field, or rename one / change its choices (its type stays)."""
        try:
            with session_scope(self._engine()) as session:
                if field_id is None:
                    return custom_fields.define_field(session, name, field_type, choices)
                return custom_fields.update_field(
                    session,
                    field_id,
                    name=name,
                    choices=choices if field_type == "choice" else None,
                )
        except ValidationFailed as exc:
            return Refused(exc.errors)

    def retire_custom_field(self, field_id: int, *, retired: bool = True) -> CustomFieldDef:
        with session_scope(self._engine()) as session:
            return custom_fields.retire_field(session, field_id, retired=retired)

    def move_custom_field(self, field_id: int, step: int) -> tuple[CustomFieldDef, ...]:
        with session_scope(self._engine()) as session:
            return tuple(custom_fields.move_field(session, field_id, step))
