"""The customer use cases, for the screens and the CLI: one transaction each.

A screen used to open its own session, decide what to validate, look for duplicates
and save, each its own way. Here each use case is one call that owns its transaction
(``session_scope``: committed when it returns, rolled back on any error) and answers
with plain frozen dataclasses:

- a search page (``page``) and its count (``count``), a customer with its activity
  (``open``), a scanned code's owner (``find_by_code``);
- a save answers :class:`Saved`, :class:`Invalid` (every problem, by field) or
  :class:`Duplicates` (customers that look like this one; saving again with
  ``allow_duplicates`` goes ahead): three outcomes a form shows, never exceptions;
- archive, restore and delete; groups and tags, listed and changed; the choices a
  form or the filter panel offers; an export of the listed customers.

A :class:`~tillterm.core.errors.TilltermError` (a locked store, a customer deleted
meanwhile) is the caller's to say; nothing else is expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tillterm.catalog.settings import list_tax_rates
from tillterm.core.errors import TilltermError, ValidationFailed
from tillterm.customers import custom_fields, groups, profiles, tags
from tillterm.customers.groups import GroupRecord
from tillterm.customers.records import (
    CustomerActivity,
    CustomerRecord,
    CustomerSummary,
    Duplicate,
)
from tillterm.i18n import _, pgettext
from tillterm.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from tillterm.customers.privacy import Erased

__all__ = [
    "Choices",
    "CustomChoice",
    "CustomerCare",
    "Duplicates",
    "ExportOutcome",
    "FormStart",
    "GroupOutcome",
    "GroupSaved",
    "Invalid",
    "Opened",
    "Page",
    "SaveOutcome",
    "Saved",
]


@dataclass(frozen=True)
class Page:
    """A page of matches, best first; ``more``: there are matches after it."""

    rows: tuple[CustomerSummary, ...]
    more: bool


@dataclass(frozen=True)
class Opened:
    """A customer's profile and activity, read in one transaction."""

    record: CustomerRecord
    activity: CustomerActivity


@dataclass(frozen=True)
class CustomChoice:
    """A custom field as a form needs it: its name, and its choices if it has any."""

    name: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choices:
    """What a form or the filter panel offers, as ``(label, id)`` pairs."""

    groups: tuple[tuple[str, int], ...]
    taxes: tuple[tuple[str, int], ...]
    custom_fields: tuple[CustomChoice, ...] = field(default=())


@dataclass(frozen=True)
class FormStart:
    """What a customer form opens with: its choices and, when editing, the customer."""

    choices: Choices
    opened: Opened | None


@dataclass(frozen=True)
class Saved:
    """The customer was created or updated (and committed)."""

    record: CustomerRecord


@dataclass(frozen=True)
class Invalid:
    """Nothing was saved: every problem, by field key (``custom:<Name>`` for custom)."""

    errors: Mapping[str, str]


@dataclass(frozen=True)
class Duplicates:
    """Nothing was saved: these customers look like the one being entered."""

    candidates: tuple[Duplicate, ...]


SaveOutcome = Saved | Invalid | Duplicates


@dataclass(frozen=True)
class GroupSaved:
    """The group was created or updated."""

    group: GroupRecord


GroupOutcome = GroupSaved | Invalid


@dataclass(frozen=True)
class ExportOutcome:
    """How an export ended: ``count`` written, or ``exists`` (nothing written: the file
    is there and replacing it was not asked), or ``cancelled`` with its reason."""

    count: int = 0
    exists: bool = False
    cancelled: str | None = None


class CustomerCare:
    """The customer use cases on one store (``engine`` is asked for at each call)."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    # -- reading ------------------------------------------------------------------

    def page(
        self, text: str, filters: Mapping[str, Any], *, offset: int = 0, limit: int = 25
    ) -> Page:
        """Matches ``offset`` to ``offset + limit`` of ``text`` and the filter keywords."""
        with session_scope(self._engine()) as session:
            rows = profiles.search_customers(
                session, text, limit=limit + 1, offset=offset, **dict(filters)
            )
        return Page(tuple(rows[:limit]), len(rows) > limit)

    def count(self, text: str, filters: Mapping[str, Any]) -> int:
        """How many customers match (a list header; this one counts them all)."""
        with session_scope(self._engine()) as session:
            return profiles.count_customers(session, text, **dict(filters))

    def open(self, customer_id: int) -> Opened:
        """The profile and its activity; ``NotFound`` if the customer is gone."""
        with session_scope(self._engine()) as session:
            return Opened(
                profiles.get_customer(session, customer_id),
                profiles.customer_activity(session, customer_id),
            )

    def get(self, customer_id: int) -> CustomerRecord:
        """The profile alone; ``NotFound`` if the customer is gone."""
        with session_scope(self._engine()) as session:
            return profiles.get_customer(session, customer_id)

    def find_by_code(self, code: str) -> CustomerRecord | None:
        """Whose card this is (trimmed, case ignored), or ``None``."""
        with session_scope(self._engine()) as session:
            return profiles.find_by_code(session, code)

    def choices(self, *, custom_fields_too: bool = False) -> Choices:
        """Groups and sales taxes to choose from (and the custom fields, for a form)."""
        with session_scope(self._engine()) as session:
            return self._choices(session, custom_fields_too=custom_fields_too)

    @staticmethod
    def _choices(
        session: Session, *, custom_fields_too: bool, keep_tax: int | None = None
    ) -> Choices:
        """``keep_tax``: the customer's own rate, offered even if it was retired since."""
        group_choices = tuple((g.name, g.id) for g in groups.list_groups(session))
        taxes = tuple((t.name, t.id) for t in list_tax_rates(session, keep=keep_tax))
        custom: tuple[CustomChoice, ...] = ()
        if custom_fields_too:
            custom = tuple(
                CustomChoice(f.name, f.offered) for f in custom_fields.list_fields(session)
            )
        return Choices(group_choices, taxes, custom)

    def start_form(self, customer_id: int | None) -> FormStart:
        """A form's choices and (editing) its customer, read in one transaction."""
        with session_scope(self._engine()) as session:
            opened = None
            if customer_id is not None:
                opened = Opened(
                    profiles.get_customer(session, customer_id),
                    profiles.customer_activity(session, customer_id),
                )
            keep = None if opened is None else opened.record.tax_rate_id
            return FormStart(self._choices(session, custom_fields_too=True, keep_tax=keep), opened)

    # -- saving -------------------------------------------------------------------

    def save(
        self,
        values: Mapping[str, object],
        *,
        customer_id: int | None = None,
        allow_duplicates: bool = False,
        via: str = "form",
    ) -> SaveOutcome:
        """Validate, look for duplicates (unless allowed), then create or update.

        ``values`` are keyed as the field registry names them
        (:mod:`tillterm.customers.fields`), custom values under ``custom``. Nothing is
        written unless the answer is :class:`Saved`, and then it is committed.
        """
        try:
            with session_scope(self._engine()) as session:
                errors = profiles.validate_customer(session, values, customer_id=customer_id)
                if errors:
                    return Invalid(dict(errors))
                if not allow_duplicates:
                    found = profiles.find_duplicates(session, values, exclude_id=customer_id)
                    if found:
                        return Duplicates(tuple(found))
                if customer_id is None:
                    return Saved(profiles.create_customer(session, values, via=via))
                return Saved(profiles.update_customer(session, customer_id, values, via=via))
        except ValidationFailed as exc:  # lost a race (a code given meanwhile)
            return Invalid(dict(exc.errors))

    def archive(self, customer_id: int) -> CustomerRecord:
        """Hide a customer from lists and search; their sales keep pointing at them."""
        with session_scope(self._engine()) as session:
            return profiles.archive_customer(session, customer_id)

    def restore(self, customer_id: int) -> CustomerRecord:
        """Bring an archived customer back to lists, search and new sales.

        Refused (:class:`~tillterm.core.errors.TilltermError`, nothing written) for an
        erased customer (the person asked to be forgotten: there is nobody to bring
        back) and for one merged into another (their sales are the survivor's now:
        restoring the row alone would make two customers of one; undoing the merge
        brings them back whole).
        """
        from tillterm.customers.merging import survivor_of
        from tillterm.customers.privacy import erased_code

        with session_scope(self._engine()) as session:
            record = profiles.get_customer(session, customer_id)
            if record.customer_code == erased_code(customer_id):
                raise TilltermError(
                    _(
                        "This customer's identity was erased (a privacy request): "
                        "there is nobody to restore."
                    )
                )
            survivor = survivor_of(session, customer_id)
            if survivor is not None:
                kept = profiles.get_customer(session, survivor)
                raise TilltermError(
                    _(
                        "This customer was merged into {name} ({code}): undo the merge "
                        "from their profile instead."
                    ).format(name=kept.display_name, code=kept.customer_code)
                )
            if record.archived_at is None:
                return record
            return profiles.restore_customer(session, customer_id)

    def delete(self, customer_id: int) -> None:
        """Delete a customer who never bought anything; others must be archived."""
        with session_scope(self._engine()) as session:
            profiles.delete_customer(session, customer_id)

    # -- groups and tags ------------------------------------------------------------

    def groups(self, *, counted: bool = True) -> tuple[GroupRecord, ...]:
        """Every group with its member count (if ``counted``), by name."""
        with session_scope(self._engine()) as session:
            return tuple(groups.list_groups(session, counted=counted))

    def group_member_counts(self) -> dict[int, int]:
        """How many active customers each group holds (slow on a big store: a scan)."""
        with session_scope(self._engine()) as session:
            return groups.member_counts(session)

    def tax_choices(self, keep: int | None = None) -> tuple[tuple[str, int], ...]:
        """The sales taxes a group or a customer can have, as ``(label, id)``: retired
        ones left out, except ``keep`` (the one the group being edited has)."""
        with session_scope(self._engine()) as session:
            return tuple((t.name, t.id) for t in list_tax_rates(session, keep=keep))

    def save_group(
        self,
        group_id: int | None,
        name: str,
        *,
        description: str = "",
        discount_percent: Decimal | None = None,
        tax_rate_id: int | None = None,
    ) -> GroupOutcome:
        """Create (``group_id`` ``None``) or update a group; :class:`Invalid` if refused."""
        try:
            with session_scope(self._engine()) as session:
                if group_id is None:
                    group = groups.create_group(
                        session,
                        name,
                        description=description,
                        discount_percent=discount_percent,
                        tax_rate_id=tax_rate_id,
                    )
                else:
                    group = groups.update_group(
                        session,
                        group_id,
                        name=name,
                        description=description,
                        discount_percent=discount_percent,
                        tax_rate_id=tax_rate_id,
                    )
        except ValidationFailed as exc:
            return Invalid(dict(exc.errors))
        return GroupSaved(group)

    def delete_group(self, group_id: int) -> int:
        """Delete a group; its members stay, without a group. Returns how many."""
        with session_scope(self._engine()) as session:
            return groups.delete_group(session, group_id)

    def tags(self) -> dict[str, int]:
        """Every tag in use, with how many customers have it."""
        with session_scope(self._engine()) as session:
            return tags.tag_counts(session)

    def set_tags(self, customer_id: int, names: Sequence[str] | str) -> tuple[str, ...]:
        """Replace a customer's tags; a refused list raises ``ValidationFailed`` (``tags``)."""
        parsed = tags.parse_tags(names)
        problem = tags.tag_problem(parsed)
        if problem:
            raise ValidationFailed({"tags": problem}, {"tags": pgettext("customer field", "Tags")})
        with session_scope(self._engine()) as session:
            profiles.get_customer(session, customer_id)  # NotFound if gone
            return tags.set_customer_tags(session, customer_id, parsed)

    # -- export -----------------------------------------------------------------------

    def export(
        self,
        path: str,
        text: str,
        filters: Mapping[str, Any],
        *,
        overwrite: bool = False,
        cancelled: Callable[[], bool] | None = None,
        started: Callable[[], None] | None = None,
    ) -> ExportOutcome:
        """Write the customers listed to ``.csv`` or ``.xlsx``.

        An existing file is never replaced unless ``overwrite`` (the cashier confirmed):
        the answer says ``exists`` and nothing is written. ``started`` is called once
        the file is known to be free, when the writing begins.
        """
        # imported when first used: the export brings polars and a writer process
        from tillterm.spreadsheet.export import ExportCancelled, export_view
        from tillterm.store.private_files import OutputExists

        target = Path(path).expanduser()
        if not overwrite and (target.exists() or target.is_symlink()):
            return ExportOutcome(exists=True)
        if started is not None:
            started()
        try:
            count = export_view(
                self._engine(), path, text, filters, overwrite=overwrite, cancelled=cancelled
            )
        except OutputExists:  # it appeared while the export ran
            return ExportOutcome(exists=True)
        except ExportCancelled as exc:
            return ExportOutcome(cancelled=str(exc))
        return ExportOutcome(count=count)

    def find_id_by_code(self, code: str) -> int | None:
        """The customer a code (as typed or printed on a card) belongs to."""
        with session_scope(self._engine()) as session:
            found = profiles.find_by_code(session, code)
            return None if found is None else found.id

    def export_data(self, customer_id: int, folder: Path, *, via: str, actor: str) -> list[Path]:
        """Everything stored about the customer, written to ``folder``; logged."""
        from tillterm.customers import privacy

        with session_scope(self._engine()) as session:
            return privacy.export_customer(session, customer_id, folder, via=via, actor=actor)

    def erase(self, customer_id: int, *, via: str, actor: str) -> Erased:
        """Remove the person's identity, keep the store's books; logged. Irreversible."""
        from tillterm.customers import privacy

        with session_scope(self._engine()) as session:
            return privacy.erase_customer(session, customer_id, via=via, actor=actor)
