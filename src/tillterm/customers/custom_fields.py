"""Custom customer fields: store-defined ("Shoe size", "Preferred shop"), typed.

A field is text, number, date, yes/no (``bool``) or choice. Values are validated by type
and stored in a canonical text form (numbers as plain decimals, dates as ISO
``YYYY-MM-DD``, yes/no as ``yes`` or ``no``, choices spelled as defined), so exports,
imports and search all see the same thing. A blank value means "no value" and removes it.

A field the store no longer wants is retired, not deleted: the customer form and the
import stop asking for it, while every customer's value stays (shown on the profile,
exported), so retiring by mistake loses nothing and can be undone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session, col

from tillterm.core.dates import parse_date
from tillterm.core.errors import NotFound, ValidationFailed
from tillterm.core.typed_text import text_problem
from tillterm.customers.fields import FALSE_WORDS, TRUE_WORDS, custom_key
from tillterm.i18n import _, pgettext
from tillterm.store.models import CustomField, CustomFieldValue, table_of, utcnow

FIELD_TYPES = ("text", "number", "date", "bool", "choice")
#: what the back office calls each type
TYPE_NAMES = {
    "text": pgettext("custom field type", "text"),
    "number": pgettext("custom field type", "number"),
    "date": pgettext("custom field type", "date"),
    "bool": pgettext("custom field type", "yes/no"),
    "choice": pgettext("custom field type", "choice"),
}
#: the canonical yes/no values (the words accepted for them are the customer core's)
YES, NO = "yes", "no"
MAX_NAME = 60
MAX_VALUE = 500
#: search packs (customer id, field id) into one index rowid: field ids stay below this
MAX_FIELD_ID = (1 << 20) - 1
#: writes go through the tables (Core): ORM-enabled bulk statements cost milliseconds
_FIELD = table_of(CustomField)
_VALUE = table_of(CustomFieldValue)
_LABELS = {
    "name": pgettext("custom field", "Name"),
    "field_type": pgettext("custom field", "Type"),
    "choices": pgettext("custom field", "Choices"),
}


@dataclass(frozen=True)
class CustomFieldDef:
    id: int
    name: str
    field_type: str
    choices: tuple[str, ...]
    position: int
    retired: bool = False

    @property
    def offered(self) -> tuple[str, ...]:
        """The values a form offers to pick from (none: typed freely)."""
        return (YES, NO) if self.field_type == "bool" else self.choices


def _def(row: CustomField) -> CustomFieldDef:
    choices = tuple(c for c in row.choices.splitlines() if c.strip())
    return CustomFieldDef(
        row.id or 0, row.name, row.field_type, choices, row.position, row.retired_at is not None
    )


def field_key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def list_fields(session: Session, *, retired_too: bool = False) -> list[CustomFieldDef]:
    """The custom fields a form and an import ask for, in form order.

    ``retired_too``: every field (the back office's list).
    """
    query = select(CustomField).order_by(col(CustomField.position), col(CustomField.id))
    if not retired_too:
        query = query.where(col(CustomField.retired_at).is_(None))
    return [_def(row) for row in session.execute(query).scalars()]


def get_field(session: Session, name: str) -> CustomFieldDef | None:
    row = session.execute(
        select(CustomField).where(col(CustomField.name_key) == field_key(name))
    ).scalar_one_or_none()
    return None if row is None else _def(row)


def _check_definition(
    session: Session, name: str, field_type: str, choices: tuple[str, ...], field_id: int | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    problem = text_problem(name, MAX_NAME) if name else _("give the field a name")
    if problem:
        errors["name"] = problem
    else:
        clash = session.execute(
            select(col(CustomField.id), col(CustomField.retired_at)).where(
                col(CustomField.name_key) == field_key(name)
            )
        ).first()
        if clash is not None and clash[0] != field_id:
            # a retired one still holds its values under that name: restoring it says so
            clashing = (
                _("there is already a field named “{name}” (retired: restore it with R)")
                if clash[1] is not None
                else _("there is already a field named “{name}”")
            )
            errors["name"] = clashing.format(name=name)
    if field_type not in FIELD_TYPES:
        errors["field_type"] = _("choose text, number, date, yes/no or choice")
    elif field_type == "choice" and not choices:
        errors["choices"] = _("a choice field needs at least one choice")
    problem = next(filter(None, (text_problem(c, MAX_VALUE) for c in choices)), None)
    if problem:
        errors["choices"] = _("a choice: {problem}").format(problem=problem)
    return errors


def _choices(choices: Iterable[str] | str) -> tuple[str, ...]:
    items = choices.splitlines() if isinstance(choices, str) else list(choices)
    seen: dict[str, str] = {}
    for item in items:
        clean = " ".join(str(item).split())
        if clean:
            seen.setdefault(clean.casefold(), clean)
    return tuple(seen.values())


def define_field(
    session: Session, name: str, field_type: str, choices: Iterable[str] | str = ()
) -> CustomFieldDef:
    """Add a custom field; ``ValidationFailed`` on a blank/duplicate name or bad type."""
    name = " ".join(str(name).split())
    field_type = str(field_type).strip().lower()
    clean = _choices(choices)
    errors = _check_definition(session, name, field_type, clean, None)
    if errors:
        raise ValidationFailed(errors, _LABELS)
    position = session.execute(
        select(func.coalesce(func.max(col(CustomField.position)), 0))
    ).scalar()
    new_id = session.exec(
        insert(_FIELD)
        .values(
            name=name,
            name_key=field_key(name),
            field_type=field_type,
            choices="\n".join(clean),
            position=int(position or 0) + 1,
        )
        .returning(_FIELD.c.id)
    ).scalar_one()
    if new_id > MAX_FIELD_ID:  # pragma: no cover - a million field definitions
        raise ValidationFailed({"name": _("too many custom fields have been defined")}, _LABELS)
    return CustomFieldDef(int(new_id), name, field_type, clean, int(position or 0) + 1)


def update_field(
    session: Session,
    field_id: int,
    *,
    name: str | None = None,
    choices: Iterable[str] | str | None = None,
) -> CustomFieldDef:
    """Rename a field or change its choices (the type of a field with values is fixed)."""
    row = session.get(CustomField, field_id)
    if row is None:
        raise NotFound(_("This custom field no longer exists."))
    new_name = row.name if name is None else " ".join(str(name).split())
    new_choices = _def(row).choices if choices is None else _choices(choices)
    errors = _check_definition(session, new_name, row.field_type, new_choices, field_id)
    if errors:
        raise ValidationFailed(errors, _LABELS)
    session.exec(
        update(_FIELD)
        .where(_FIELD.c.id == field_id)
        .values(name=new_name, name_key=field_key(new_name), choices="\n".join(new_choices))
    )
    return CustomFieldDef(
        field_id,
        new_name,
        row.field_type,
        new_choices,
        row.position,
        row.retired_at is not None,
    )


def retire_field(session: Session, field_id: int, *, retired: bool = True) -> CustomFieldDef:
    """Stop (or start again) asking for a field; customers' values are kept either way."""
    row = session.get(CustomField, field_id)
    if row is None:
        raise NotFound(_("This custom field no longer exists."))
    session.exec(
        update(_FIELD)
        .where(_FIELD.c.id == field_id)
        .values(retired_at=utcnow() if retired else None)
    )
    session.refresh(row)
    return _def(row)


def move_field(session: Session, field_id: int, step: int) -> list[CustomFieldDef]:
    """Move a field ``step`` places up (-1) or down (+1) in form order; every field.

    Positions are renumbered 1, 2, 3… as they are written: fields defined by an older
    version or by the demo may share a position, and a swap of two equal numbers would
    move nothing.
    """
    fields = list_fields(session, retired_too=True)
    index = next((i for i, f in enumerate(fields) if f.id == field_id), None)
    if index is None:
        raise NotFound(_("This custom field no longer exists."))
    target = max(0, min(len(fields) - 1, index + step))
    fields.insert(target, fields.pop(index))
    for position, field in enumerate(fields, start=1):
        if field.position != position:
            session.exec(update(_FIELD).where(_FIELD.c.id == field.id).values(position=position))
    return list_fields(session, retired_too=True)


def delete_field(session: Session, field_id: int) -> None:
    """Remove a field and every customer's value for it."""
    session.exec(delete(_VALUE).where(_VALUE.c.field_id == field_id))
    session.exec(delete(_FIELD).where(_FIELD.c.id == field_id))


def clean_value(definition: CustomFieldDef, value: object) -> str:
    """The canonical text of a value for this field; ``ValueError`` says what is wrong.

    A blank value gives ``""`` (no value).
    """
    typed = "" if value is None else str(value).strip()
    if not typed:
        return ""
    if definition.field_type == "number":
        cleaned = typed.replace("\u00a0", "").replace(" ", "")
        if cleaned.count(",") == 1 and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(_("“{typed}” is not a number").format(typed=typed)) from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ValueError(_("“{typed}” is not a number").format(typed=typed))
        text = format(number.normalize(), "f")
        return text if text != "-0" else "0"
    if definition.field_type == "date":
        return parse_date(value).isoformat()
    if definition.field_type == "bool":
        word = typed.casefold()
        if word in TRUE_WORDS:
            return YES
        if word in FALSE_WORDS:
            return NO
        raise ValueError(_("“{typed}” is not yes or no").format(typed=typed[:20]))
    if definition.field_type == "choice":
        for choice in definition.choices:
            if choice.casefold() == " ".join(typed.split()).casefold():
                return choice
        raise ValueError(
            _("choose one of: {choices}").format(choices=", ".join(definition.choices))
        )
    problem = text_problem(typed, MAX_VALUE, multiline=True)
    if problem:
        raise ValueError(problem)
    return typed


def error_key(name: str) -> str:
    """The key a custom field's problem is reported under in ``ValidationFailed.errors``:
    ``custom:<Name>``, as the form and the spreadsheet columns key it too."""
    return custom_key(name)


def clean_values(
    session: Session, values: Mapping[str, object]
) -> tuple[dict[int, str], dict[str, str]]:
    """Validate values given by field name: ({field id: canonical text}, errors)."""
    cleaned: dict[int, str] = {}
    errors: dict[str, str] = {}
    if not values:
        return cleaned, errors
    fields = {field_key(f.name): f for f in list_fields(session)}
    for name, value in values.items():
        definition = fields.get(field_key(name))
        if definition is None:
            errors[error_key(str(name))] = _("there is no custom field named “{name}”").format(
                name=name
            )
            continue
        try:
            cleaned[definition.id] = clean_value(definition, value)
        except ValueError as exc:
            errors[error_key(definition.name)] = str(exc)
    return cleaned, errors


def customer_values(session: Session, customer_id: int) -> dict[str, str]:
    """A customer's custom values by field name, in form order."""
    stmt = (
        select(col(CustomField.name), col(CustomFieldValue.value))
        .join(CustomFieldValue, col(CustomFieldValue.field_id) == col(CustomField.id))
        .where(col(CustomFieldValue.customer_id) == customer_id)
        .order_by(col(CustomField.position), col(CustomField.id))
    )
    return {name: value for name, value in session.execute(stmt)}


def store_values(session: Session, customer_id: int, cleaned: Mapping[int, str]) -> None:
    """Write already-cleaned values (blank removes); other fields are left alone."""
    if not cleaned:
        return
    session.exec(
        delete(_VALUE).where(
            _VALUE.c.customer_id == customer_id,
            _VALUE.c.field_id.in_(list(cleaned)),
        )
    )
    rows = [
        {"customer_id": customer_id, "field_id": field_id, "value": value}
        for field_id, value in cleaned.items()
        if value
    ]
    if rows:
        session.exec(insert(_VALUE), params=rows)


def set_customer_values(
    session: Session, customer_id: int, values: Mapping[str, object]
) -> dict[str, str]:
    """Validate and write values given by field name; returns all the customer's values."""
    cleaned, errors = clean_values(session, values)
    if errors:
        raise ValidationFailed(errors)
    store_values(session, customer_id, cleaned)
    return customer_values(session, customer_id)
