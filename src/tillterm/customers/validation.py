"""Reading what a person typed into a customer's values, and every problem with it.

Validation reads what a person typed ("25/12/1980", "12,5", "yes") and reports every
problem at once, per field, in a cashier's words (:class:`ValidationFailed`); nothing is
written unless everything is valid. The form, the CLI and the services all validate
here; the importer checks whole columns by the same rules (``EMAIL_PATTERN``,
``TRUE_WORDS``/``FALSE_WORDS``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from tillterm.core.dates import parse_date
from tillterm.core.errors import NotFound
from tillterm.core.money import parse_amount, parse_percent, to_cents
from tillterm.core.typed_text import text_problem
from tillterm.customers import custom_fields, phones, tags
from tillterm.customers.codes import code_holder
from tillterm.customers.fields import (
    FALSE_WORDS,
    FIELD_BY_KEY,
    FIELDS,
    TRUE_WORDS,
    custom_name,
    keys_of,
)
from tillterm.customers.phones import digits
from tillterm.i18n import N_, _, pgettext
from tillterm.store.models import Customer, CustomerGroup, TaxRate, table_of

#: every editable field and how a person would name it (messages, import reports)
LABELS: dict[str, str] = {
    **{f.key: f.label for f in FIELDS},
    "custom": pgettext("customer field", "Custom fields"),
}
TEXT_FIELDS = keys_of("text", "email", "phone", "notes")
PHONE_FIELDS = keys_of("phone")
EMAIL_FIELDS = keys_of("email")
BOOL_FIELDS = keys_of("bool")
NAME_FIELDS = ("first_name", "last_name", "company", "email")
#: shown and exported, never typed in or imported (SPEC §1): quietly ignored on input
READ_ONLY = frozenset(
    {"id", "created_at", "updated_at", "archived_at", "group_name", "tax_rate_name"}
)
#: alternatives a caller may give instead of an id
BY_NAME = {"group": "group_id", "tax_rate": "tax_rate_id"}
MAX_CODE = FIELD_BY_KEY["customer_code"].max_length or 64

#: an email address; written so Python's ``re`` and polars' (Rust) engine read it alike,
#: which lets the importer check a whole column at once by the same rule
EMAIL_PATTERN = r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)*\.[^\W\d_]{2,}"
_EMAIL = re.compile(EMAIL_PATTERN, re.UNICODE)
_PHONE = re.compile(r"\+?[\d\s().\-/]+")
_POSTAL = re.compile(r"[^\W_][^\W_ \-]*([ \-][^\W_]+)*")
_WEBSITE = re.compile(
    r"(https?://)?([^\W_]([^\W_]|-)*\.)+[^\W\d_]{2,}(:\d{1,5})?(/\S*)?", re.IGNORECASE
)


def _max_length(key: str) -> int:
    length = FIELD_BY_KEY[key].max_length
    assert length is not None, key  # every text field has one (tests/test_customer_fields)
    return length


def labels_for(errors: Mapping[str, str]) -> dict[str, str]:
    """How each problem's field is named: its label, or a custom field's own name."""
    return {key: LABELS.get(key) or custom_name(key) or key for key in errors}


def phone_digits(values: Mapping[str, str], region: str) -> str:
    """Every phone's digit forms (typed, national, E.164: :mod:`tillterm.customers.phones`),
    space separated: the words phone search matches."""
    return phones.phone_digits((values.get(f, "") or "" for f in PHONE_FIELDS), region)


def as_text(value: object) -> str:
    return "" if value is None else str(value)


def _clean_text(name: str, value: object, errors: dict[str, str], region: str | None = None) -> str:
    """The text as stored; with ``region``, a phone is also checked for a possible length
    (``None``: a phone kept as it is on file is not judged again, see :func:`clean`)."""
    typed = as_text(value).strip()
    multiline = name == "notes"
    typed = typed.replace("\r\n", "\n") if multiline else " ".join(typed.split())
    problem = text_problem(typed, _max_length(name), multiline=multiline)
    if problem:
        errors[name] = problem
    if name in errors or not typed:
        return typed
    if name in EMAIL_FIELDS and not _EMAIL.fullmatch(typed):
        errors[name] = _("not an email address (it looks like marie@example.com)")
    elif name in PHONE_FIELDS:
        found = digits(typed)
        if not _PHONE.fullmatch(typed) or "+" in typed[1:]:
            errors[name] = _("a phone number has digits, spaces and + ( ) - . / only")
        elif not 6 <= len(found) <= 20:
            errors[name] = _("a phone number has 6 to 20 digits (this one has {count})").format(
                count=len(found)
            )
        elif region is not None and (problem := phones.phone_problem(typed, region)):
            errors[name] = problem
    elif name == "postal_code" and (not _POSTAL.fullmatch(typed) or len(typed) > 12):
        errors[name] = _("a postal code has letters, digits, spaces and hyphens only")
    elif name == "website" and not _WEBSITE.fullmatch(typed):
        errors[name] = _("not a web address (it looks like www.example.com)")
    return typed


def parse_bool(value: object) -> bool:
    """Yes/no as given or typed ("yes", "x", "0"...); ``ValueError`` otherwise."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
        raise ValueError(_("answer yes or no"))
    typed = str(value).strip().lower()
    if typed in TRUE_WORDS:
        return True
    if typed in FALSE_WORDS:
        return False
    raise ValueError(_("answer yes or no (not “{typed}”)").format(typed=str(value).strip()))


#: the three problems of a group or tax rate given by id or name, as whole sentences
#: (a translation agrees each with its noun): gone, unreadable name, unknown name
_LOOKUP_PROBLEMS = {
    "group": (
        N_("this customer group no longer exists"),
        N_("there is no customer group named like that"),
        N_("there is no customer group named “{name}”"),
    ),
    "tax": (
        N_("this sales tax no longer exists"),
        N_("there is no sales tax named like that"),
        N_("there is no sales tax named “{name}”"),
    ),
}


def _by_id_or_name(
    session: Session, model: Any, value: object, what: str
) -> tuple[int | None, str | None, str | None]:
    """Resolve a group or tax rate given by id or by name: (id, name, error)."""
    gone, unreadable, unknown = _LOOKUP_PROBLEMS[what]
    if value is None or (isinstance(value, str) and not value.strip()) or value == 0:
        return None, None, None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        row = session.get(model, int(value))
        if row is None:
            return None, None, _(gone)
        return row.id, row.name, None
    key = " ".join(str(value).split()).casefold()
    if not key.isprintable():
        return None, None, _(unreadable)
    found = session.execute(select(model.id, model.name).where(model.name_key == key)).first()
    if found is None:
        return None, None, _(unknown).format(name=str(value).strip())
    return int(found[0]), found[1], None


@dataclass
class Cleaned:
    """Validated values: ``columns`` for the customer row, plus the rest."""

    columns: dict[str, Any] = field(default_factory=dict)
    tags: list[str] | None = None
    custom: dict[int, str] | None = None
    group_name: str | None = None
    tax_rate_name: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def clean(
    session: Session,
    data: Mapping[str, object],
    *,
    customer_id: int | None,
    current: Mapping[str, Any] | None,
) -> Cleaned:
    out = Cleaned()
    errors = out.errors
    known = set(LABELS) | READ_ONLY | set(BY_NAME)
    unknown = set(data) - known
    if unknown:
        raise TypeError(f"unknown customer field(s): {', '.join(sorted(unknown))}")
    cols = out.columns
    # a phone the customer already has is not refused again (an import may have kept a
    # number the form would refuse, with a warning): editing the email must not fail on it
    region = phones.store_region(session) if any(f in data for f in PHONE_FIELDS) else None
    for name in TEXT_FIELDS:
        if name in data:
            kept = current is not None and as_text(current.get(name)) == as_text(data[name])
            checked = None if kept or name not in PHONE_FIELDS else region
            cols[name] = _clean_text(name, data[name], errors, checked)
    if "customer_code" in data:
        code = as_text(data["customer_code"]).strip()  # inner spaces are part of a code
        problem = text_problem(code, MAX_CODE)
        if problem:
            errors["customer_code"] = problem
        elif code:
            holder = code_holder(session, code, exclude_id=customer_id)
            if holder is not None:
                errors["customer_code"] = _(
                    "this code is already used by {name} (customer {code})"
                ).format(name=holder.display_name, code=holder.customer_code)
        cols["customer_code"] = code
    for name in BOOL_FIELDS:
        if name in data:
            try:
                cols[name] = parse_bool(data[name])
            except ValueError as exc:
                errors[name] = str(exc)
    if "birth_date" in data:
        value = data["birth_date"]
        if value is None or (isinstance(value, str) and not value.strip()):
            cols["birth_date"] = None
        else:
            try:
                born = parse_date(value)
            except ValueError as exc:
                errors["birth_date"] = str(exc)
            else:
                if born > dt.date.today():
                    errors["birth_date"] = _("a date of birth cannot be in the future")
                elif born.year < 1900:
                    errors["birth_date"] = _("a date of birth before 1900 cannot be right")
                cols["birth_date"] = born
    if "discount_percent" in data:
        try:
            cols["discount_percent"] = parse_percent(data["discount_percent"])
        except ValueError as exc:
            errors["discount_percent"] = str(exc)
    if "balance_limit" in data:
        value = data["balance_limit"]
        try:
            if value is None or (isinstance(value, str) and not value.strip()):
                cols["balance_limit_cents"] = None
            else:
                amount = value if isinstance(value, Decimal | int) else parse_amount(str(value))
                amount = Decimal(amount)
                if amount < 0:
                    raise ValueError(_("a balance limit cannot be negative"))
                if amount >= Decimal("1e12"):
                    raise ValueError(_("this balance limit is too large"))
                cols["balance_limit_cents"] = to_cents(amount)
        except ValueError as exc:
            errors["balance_limit"] = str(exc)
    for alias, target in BY_NAME.items():
        given = target if target in data else alias if alias in data else None
        if given is None:
            continue
        model, what = (CustomerGroup, "group") if alias == "group" else (TaxRate, "tax")
        found_id, found_name, problem = _by_id_or_name(session, model, data[given], what)
        if problem:
            errors[target] = problem
        cols[target] = found_id
        if alias == "group":
            out.group_name = found_name
        else:
            out.tax_rate_name = found_name
    if "tags" in data:
        out.tags = tags.parse_tags(data["tags"])  # type: ignore[arg-type]  # checked by parse_tags
        problem = tags.tag_problem(out.tags)
        if problem:
            errors["tags"] = problem
    if data.get("custom"):
        if not isinstance(data["custom"], Mapping):
            errors["custom"] = _("custom fields must be given by name")
        else:
            out.custom, custom_errors = custom_fields.clean_values(session, data["custom"])
            errors.update(custom_errors)
    merged = {**(current or {}), **cols}
    if not any(as_text(merged.get(name)).strip() for name in NAME_FIELDS):
        errors.setdefault(
            "first_name", _("give at least a first name, a last name, a company or an email")
        )
    if any(name in cols for name in PHONE_FIELDS):
        cols["phone_digits"] = phone_digits(
            {f: as_text(merged.get(f)) for f in PHONE_FIELDS}, region or phones.DEFAULT_REGION
        )
    return out


def validate_customer(
    session: Session, data: Mapping[str, object], *, customer_id: int | None = None
) -> dict[str, str]:
    """Every problem with these values, by field (empty when they can be saved).

    With ``customer_id``, ``data`` holds changes to that customer: the rest of the
    profile is taken as it is now.
    """
    current = current_values(session, customer_id) if customer_id is not None else None
    return clean(session, data, customer_id=customer_id, current=current).errors


def current_values(session: Session, customer_id: int) -> dict[str, Any]:
    """The customer's columns as stored now (Core, not the ORM: this package writes with
    Core statements, so an identity-map copy could be stale)."""
    table = table_of(Customer)
    row = session.execute(select(table).where(table.c.id == customer_id)).first()
    if row is None:
        raise NotFound(_("This customer no longer exists."))
    return dict(row._mapping)
