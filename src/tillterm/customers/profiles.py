"""Customers: profiles, validation, codes, duplicates, activity and search (SPEC §1, §4).

Screens, the register and import all go through these functions with a session from
``tillterm.store.engine.session_scope``; they get plain frozen dataclasses back, never ORM rows.

Validation reads what a person typed ("25/12/1980", "12,5", "yes") and reports every
problem at once, per field, in a cashier's words (:class:`ValidationFailed`); nothing is
written unless everything is valid.

Customer codes are what a loyalty card scans. They are compared trimmed and
case-insensitively through ``code_key`` (a unique index, so a scan is one B-tree
lookup). A blank code gets a generated one: eight characters from an alphabet without
look-alikes (no 0/O, 1/I/L). Two registers creating customers at the same moment cannot
both get one code: the insert itself is ``ON CONFLICT DO NOTHING`` on ``code_key``, and a
generated code that lost the race is simply drawn again.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, case, func, select, text, update
from sqlmodel import Session

from tillterm.core.dates import parse_date
from tillterm.core.errors import NotFound, TilltermError, ValidationFailed
from tillterm.core.money import from_cents, parse_amount, parse_percent, to_cents
from tillterm.core.typed_text import text_problem
from tillterm.customers import custom_fields, tags
from tillterm.customers.search import (
    SearchFilters,
    count_matches,
    normalise_code,
    search_ids,
    sqlite_driver,
    word_matches,
)
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    LoyaltyEntry,
    Sale,
    TaxRate,
    utcnow,
)

__all__ = [
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
    "restore_customer",
    "search_customers",
    "update_customer",
    "validate_customer",
]

# ------------------------------------------------------------------------ records


@dataclass(frozen=True)
class CustomerRecord:
    """A whole customer profile, as the form and the register show it."""

    id: int
    customer_code: str
    first_name: str
    last_name: str
    email: str
    phone: str
    group_id: int | None
    group_name: str | None
    marketing_opt_in: bool
    address1: str
    address2: str
    city: str
    state: str
    postal_code: str
    country: str
    birth_date: dt.date | None
    title: str
    company: str
    company_reg_no: str
    vat_number: str
    website: str
    phone_home: str
    phone_work: str
    phone_mobile: str
    phone_pager: str
    phone_fax: str
    email2: str
    discount_percent: Decimal | None
    tax_rate_id: int | None
    tax_rate_name: str | None
    on_account_allowed: bool
    balance_limit: Decimal | None
    loyalty_enabled: bool
    consent_email: bool
    consent_mail: bool
    consent_phone: bool
    notes: str
    tags: tuple[str, ...]
    custom: dict[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None

    @property
    def display_name(self) -> str:
        return _display_name(
            self.first_name, self.last_name, self.company, self.email, self.customer_code
        )

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


#: the record fields that are customer columns as they are
CUSTOMER_FIELDS: tuple[str, ...] = tuple(
    name
    for name in CustomerRecord.__dataclass_fields__
    if name not in {"group_name", "tax_rate_name", "balance_limit", "tags", "custom"}
)


@dataclass(frozen=True)
class CustomerSummary:
    """One line of a customer list or of search results."""

    id: int
    customer_code: str
    first_name: str
    last_name: str
    company: str
    email: str
    phone: str
    postal_code: str
    city: str
    group_id: int | None
    group_name: str | None
    created_at: dt.datetime
    archived: bool

    @property
    def display_name(self) -> str:
        return _display_name(
            self.first_name, self.last_name, self.company, self.email, self.customer_code
        )


def _display_name(first: str, last: str, company: str, email: str, code: str) -> str:
    return " ".join(p for p in (first, last) if p) or company or email or code


@dataclass(frozen=True)
class Duplicate:
    """An existing customer that looks like the one being entered, and why."""

    customer: CustomerSummary
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SaleBrief:
    id: int
    receipt_no: str | None
    completed_at: dt.datetime | None
    total: Decimal
    state: str
    kind: str


@dataclass(frozen=True)
class LedgerLine:
    created_at: dt.datetime
    points: int
    reason: str
    sale_id: int | None


@dataclass(frozen=True)
class AccountLine:
    created_at: dt.datetime
    amount: Decimal
    reason: str
    sale_id: int | None


@dataclass(frozen=True)
class CustomerActivity:
    """What a customer's activity adds up to; computed from the ledgers, never stored."""

    customer_id: int
    year_to_date_spend: Decimal
    account_balance: Decimal
    loyalty_balance: int
    sales_count: int
    recent_sales: tuple[SaleBrief, ...] = field(default=())
    loyalty_ledger: tuple[LedgerLine, ...] = field(default=())
    account_ledger: tuple[AccountLine, ...] = field(default=())


# ------------------------------------------------------------------------ fields

#: every editable field and how a person would name it (messages, import reports)
LABELS: dict[str, str] = {
    "customer_code": "Customer code",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "group_id": "Customer group",
    "marketing_opt_in": "Promotional email",
    "address1": "Address line 1",
    "address2": "Address line 2",
    "city": "City",
    "state": "State/province",
    "postal_code": "Postal code",
    "country": "Country",
    "birth_date": "Date of birth",
    "title": "Title",
    "company": "Company",
    "company_reg_no": "Company registration number",
    "vat_number": "VAT number",
    "website": "Website",
    "phone_home": "Home phone",
    "phone_work": "Work phone",
    "phone_mobile": "Mobile phone",
    "phone_pager": "Pager",
    "phone_fax": "Fax",
    "email2": "Email 2",
    "discount_percent": "Discount",
    "tax_rate_id": "Sales tax",
    "on_account_allowed": "On-account sales",
    "balance_limit": "Balance limit",
    "loyalty_enabled": "Loyalty",
    "consent_email": "Consent: email",
    "consent_mail": "Consent: postal mail",
    "consent_phone": "Consent: phone calls",
    "notes": "Notes",
    "tags": "Tags",
    "custom": "Custom fields",
}
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country",
    "title",
    "company",
    "company_reg_no",
    "vat_number",
    "website",
    "phone_home",
    "phone_work",
    "phone_mobile",
    "phone_pager",
    "phone_fax",
    "email2",
    "notes",
)
PHONE_FIELDS = ("phone", "phone_home", "phone_work", "phone_mobile", "phone_pager", "phone_fax")
EMAIL_FIELDS = ("email", "email2")
BOOL_FIELDS = (
    "marketing_opt_in",
    "on_account_allowed",
    "loyalty_enabled",
    "consent_email",
    "consent_mail",
    "consent_phone",
)
NAME_FIELDS = ("first_name", "last_name", "company", "email")
#: shown and exported, never typed in or imported (SPEC §1): quietly ignored on input
READ_ONLY = frozenset(
    {"id", "created_at", "updated_at", "archived_at", "group_name", "tax_rate_name"}
)
#: alternatives a caller may give instead of an id
BY_NAME = {"group": "group_id", "tax_rate": "tax_rate_id"}
MAX_NOTES = 10_000
MAX_CODE = 64

#: what a cashier or a spreadsheet may write for yes and no (English and French)
TRUE_WORDS = frozenset({"1", "yes", "y", "true", "t", "on", "x", "oui", "o", "vrai"})
FALSE_WORDS = frozenset({"", "0", "no", "n", "false", "f", "off", "non", "faux"})
#: an email address; written so Python's ``re`` and polars' (Rust) engine read it alike,
#: which lets the importer check a whole column at once by the same rule
EMAIL_PATTERN = r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)*\.[^\W\d_]{2,}"
_EMAIL = re.compile(EMAIL_PATTERN, re.UNICODE)
_PHONE = re.compile(r"\+?[\d\s().\-/]+")
_POSTAL = re.compile(r"[^\W_][^\W_ \-]*([ \-][^\W_]+)*")
_WEBSITE = re.compile(
    r"(https?://)?([^\W_]([^\W_]|-)*\.)+[^\W\d_]{2,}(:\d{1,5})?(/\S*)?", re.IGNORECASE
)


def _max_length(column: str) -> int:
    length = getattr(Customer.__table__.c[column].type, "length", None)  # type: ignore[attr-defined]
    return int(length) if length else MAX_NOTES


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def phone_digits(values: Mapping[str, str]) -> str:
    """Every phone's digits, space separated: the form phone search matches."""
    return " ".join(d for d in (_digits(values.get(f, "") or "") for f in PHONE_FIELDS) if d)


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def _clean_text(name: str, value: object, errors: dict[str, str]) -> str:
    typed = _as_text(value).strip()
    multiline = name == "notes"
    typed = typed.replace("\r\n", "\n") if multiline else " ".join(typed.split())
    problem = text_problem(typed, _max_length(name), multiline=multiline)
    if problem:
        errors[name] = problem
    if name in errors or not typed:
        return typed
    if name in EMAIL_FIELDS and not _EMAIL.fullmatch(typed):
        errors[name] = "not an email address (it looks like marie@example.com)"
    elif name in PHONE_FIELDS:
        digits = _digits(typed)
        if not _PHONE.fullmatch(typed) or "+" in typed[1:]:
            errors[name] = "a phone number has digits, spaces and + ( ) - . / only"
        elif not 6 <= len(digits) <= 20:
            errors[name] = f"a phone number has 6 to 20 digits (this one has {len(digits)})"
    elif name == "postal_code" and (not _POSTAL.fullmatch(typed) or len(typed) > 12):
        errors[name] = "a postal code has letters, digits, spaces and hyphens only"
    elif name == "website" and not _WEBSITE.fullmatch(typed):
        errors[name] = "not a web address (it looks like www.example.com)"
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
        raise ValueError("answer yes or no")
    typed = str(value).strip().lower()
    if typed in TRUE_WORDS:
        return True
    if typed in FALSE_WORDS:
        return False
    raise ValueError(f"answer yes or no (not “{str(value).strip()}”)")


def _by_id_or_name(
    session: Session, model: Any, value: object, what: str
) -> tuple[int | None, str | None, str | None]:
    """Resolve a group or tax rate given by id or by name: (id, name, error)."""
    if value is None or (isinstance(value, str) and not value.strip()) or value == 0:
        return None, None, None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        row = session.get(model, int(value))
        if row is None:
            return None, None, f"this {what} no longer exists"
        return row.id, row.name, None
    key = " ".join(str(value).split()).casefold()
    if not key.isprintable():
        return None, None, f"there is no {what} named like that"
    found = session.exec(select(model.id, model.name).where(model.name_key == key)).first()
    if found is None:
        return None, None, f"there is no {what} named “{str(value).strip()}”"
    return int(found[0]), found[1], None


@dataclass
class _Cleaned:
    """Validated values: ``columns`` for the customer row, plus the rest."""

    columns: dict[str, Any] = field(default_factory=dict)
    tags: list[str] | None = None
    custom: dict[int, str] | None = None
    group_name: str | None = None
    tax_rate_name: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _clean(
    session: Session,
    data: Mapping[str, object],
    *,
    customer_id: int | None,
    current: Mapping[str, Any] | None,
) -> _Cleaned:
    out = _Cleaned()
    errors = out.errors
    known = set(LABELS) | READ_ONLY | set(BY_NAME)
    unknown = set(data) - known
    if unknown:
        raise TypeError(f"unknown customer field(s): {', '.join(sorted(unknown))}")
    cols = out.columns
    for name in TEXT_FIELDS:
        if name in data:
            cols[name] = _clean_text(name, data[name], errors)
    if "customer_code" in data:
        code = _as_text(data["customer_code"]).strip()  # inner spaces are part of a code
        problem = text_problem(code, MAX_CODE)
        if problem:
            errors["customer_code"] = problem
        elif code:
            holder = _code_holder(session, code, exclude_id=customer_id)
            if holder is not None:
                errors["customer_code"] = (
                    f"this code is already used by {holder.display_name} "
                    f"(customer {holder.customer_code})"
                )
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
                    errors["birth_date"] = "a date of birth cannot be in the future"
                elif born.year < 1900:
                    errors["birth_date"] = "a date of birth before 1900 cannot be right"
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
                    raise ValueError("a balance limit cannot be negative")
                if amount >= Decimal("1e12"):
                    raise ValueError("this balance limit is too large")
                cols["balance_limit_cents"] = to_cents(amount)
        except ValueError as exc:
            errors["balance_limit"] = str(exc)
    for alias, target in BY_NAME.items():
        given = target if target in data else alias if alias in data else None
        if given is None:
            continue
        model, what = (
            (CustomerGroup, "customer group") if alias == "group" else (TaxRate, "sales tax")
        )
        found_id, found_name, problem = _by_id_or_name(session, model, data[given], what)
        if problem:
            errors[target] = problem
        cols[target] = found_id
        if alias == "group":
            out.group_name = found_name
        else:
            out.tax_rate_name = found_name
    if "tags" in data:
        out.tags = tags.parse_tags(data["tags"])  # type: ignore[arg-type]
        problem = tags.tag_problem(out.tags)
        if problem:
            errors["tags"] = problem
    if data.get("custom"):
        if not isinstance(data["custom"], Mapping):
            errors["custom"] = "custom fields must be given by name"
        else:
            out.custom, custom_errors = custom_fields.clean_values(session, data["custom"])
            errors.update(custom_errors)
    merged = {**(current or {}), **cols}
    if not any(_as_text(merged.get(name)).strip() for name in NAME_FIELDS):
        errors.setdefault(
            "first_name", "give at least a first name, a last name, a company or an email"
        )
    if any(name in cols for name in PHONE_FIELDS):
        cols["phone_digits"] = phone_digits({f: _as_text(merged.get(f)) for f in PHONE_FIELDS})
    return out


def validate_customer(
    session: Session, data: Mapping[str, object], *, customer_id: int | None = None
) -> dict[str, str]:
    """Every problem with these values, by field (empty when they can be saved).

    With ``customer_id``, ``data`` holds changes to that customer: the rest of the
    profile is taken as it is now.
    """
    current = _current_values(session, customer_id) if customer_id is not None else None
    return _clean(session, data, customer_id=customer_id, current=current).errors


# ------------------------------------------------------------------------ codes

#: no 0/O, 1/I/L: what a person can read off a card and type without doubt
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
#: where generated codes draw their characters (tests swap in a seeded generator)
_code_rng: Any = secrets.SystemRandom()


def generate_code() -> str:
    """A fresh code candidate: 8 characters, about 850 billion possibilities."""
    return "".join(_code_rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def generate_codes(count: int) -> list[str]:
    """``count`` code candidates at once, as :func:`generate_code` draws them one by one.

    An import of customers without codes needs thousands: one draw of random bytes,
    each mapped to a character (bytes past the last whole multiple of the alphabet are
    dropped, so every character stays equally likely), costs a fraction of a
    ``choice()`` per character.
    """
    alphabet = CODE_ALPHABET.encode()
    usable = 256 - 256 % len(alphabet)
    table = bytes(alphabet[b % len(alphabet)] for b in range(256))
    dropped = bytes(range(usable, 256))
    need = count * CODE_LENGTH
    drawn = b""
    while len(drawn) < need:
        drawn += _code_rng.randbytes(need - len(drawn) + 16).translate(table, dropped)
    text = drawn[:need].decode("ascii")
    return [text[i : i + CODE_LENGTH] for i in range(0, need, CODE_LENGTH)]


def _code_holder(
    session: Session, code: str, *, exclude_id: int | None = None
) -> CustomerSummary | None:
    stmt = select(Customer.id).where(Customer.code_key == normalise_code(code))
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    found = session.exec(stmt).scalar()
    if found is None:
        return None
    return _summaries(session, [int(found)])[0]


#: writes go through the table (Core): ORM-enabled statements cost milliseconds
_CUSTOMER = Customer.__table__  # type: ignore[attr-defined]
_INSERTS: dict[str, Any] = {}


def _insert_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (code_key) DO NOTHING RETURNING id``, built once: values go
    in as parameters, so SQLAlchemy compiles it a single time."""
    if dialect not in _INSERTS:
        # imported here: PostgreSQL's dialect costs a SQLite till 40 ms on first F3
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as insert_
        else:
            from sqlalchemy.dialects.sqlite import insert as insert_
        _INSERTS[dialect] = (
            insert_(_CUSTOMER)
            .on_conflict_do_nothing(index_elements=["code_key"])
            .returning(_CUSTOMER.c.id)
        )
    return _INSERTS[dialect]


def _insert_or_nothing(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a customer unless its code is taken (then ``None``): no exception, so the
    caller's transaction stays usable on PostgreSQL too."""
    stmt = _insert_statement(session.get_bind().dialect.name)
    found = session.exec(stmt, params=values).scalar()
    return None if found is None else int(found)


# ------------------------------------------------------------------------ reading

_SUMMARY_COLUMNS = (
    Customer.id,
    Customer.customer_code,
    Customer.first_name,
    Customer.last_name,
    Customer.company,
    Customer.email,
    Customer.phone,
    Customer.postal_code,
    Customer.city,
    Customer.group_id,
    CustomerGroup.name,
    Customer.created_at,
    Customer.archived_at,
)


_SUMMARY_SQL = (
    "SELECT c.id, c.customer_code, c.first_name, c.last_name, c.company, c.email, c.phone, "
    "c.postal_code, c.city, c.group_id, g.name, c.created_at, c.archived_at FROM customer c "
    "LEFT JOIN customer_group g ON g.id = c.group_id WHERE c.id IN ({marks})"
)


def _stored_utc(value: Any) -> dt.datetime:
    """A timestamp as SQLite stores it (``2026-01-31 10:00:00.000000``, UTC) → aware."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _summaries(session: Session, ids: Sequence[int]) -> list[CustomerSummary]:
    """Summaries for these ids, in the order given (search results, lists)."""
    by_id: dict[int, CustomerSummary] = {}
    driver = sqlite_driver(session)
    for start in range(0, len(ids), 500):
        chunk = [int(i) for i in ids[start : start + 500]]
        if driver is not None:  # the search hot path: no ORM bookkeeping
            sql = _SUMMARY_SQL.format(marks=", ".join("?" * len(chunk)))
            for row in driver.execute(sql, chunk):
                by_id[row[0]] = CustomerSummary(
                    *row[:11], created_at=_stored_utc(row[11]), archived=row[12] is not None
                )
            continue
        stmt = (
            select(*_SUMMARY_COLUMNS)
            .outerjoin(CustomerGroup, CustomerGroup.id == Customer.group_id)
            .where(Customer.id.in_(chunk))
        )
        for row in session.exec(stmt):
            by_id[row[0]] = CustomerSummary(*row[:12], archived=row[12] is not None)
    return [by_id[i] for i in ids if i in by_id]


def _current_values(session: Session, customer_id: int) -> dict[str, Any]:
    """The customer's columns as stored now (Core, not the ORM: this module writes with
    Core statements, so an identity-map copy could be stale)."""
    table = Customer.__table__  # type: ignore[attr-defined]
    row = session.exec(select(table).where(table.c.id == customer_id)).first()
    if row is None:
        raise NotFound("This customer no longer exists.")
    return dict(row._mapping)


def get_customer(session: Session, customer_id: int) -> CustomerRecord:
    """The whole profile; :class:`NotFound` if there is no such customer."""
    found = _load(session, "id", customer_id)
    if found is None:
        raise NotFound("This customer no longer exists.")
    return found


_PROFILE_COLUMNS = (*(n for n in CUSTOMER_FIELDS), "balance_limit_cents")
#: a customer's tags and custom values in one round trip (kind 0 = tag, 1 = custom)
_EXTRAS = text(
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
_EXTRAS_SQL = str(_EXTRAS)
#: per dialect: how each profile column's stored value becomes a Python value
_READERS: dict[str, list[Any]] = {}


def _readers(dialect: Any) -> list[Any]:
    if dialect.name not in _READERS:
        table = Customer.__table__  # type: ignore[attr-defined]
        _READERS[dialect.name] = [
            table.c[name].type._cached_result_processor(dialect, None) for name in _PROFILE_COLUMNS
        ]
    return _READERS[dialect.name]


def _load(session: Session, column: str, key: object) -> CustomerRecord | None:
    """One profile in two queries (the row with its group and tax; tags and custom).

    On SQLite both go straight to the session's connection (a scan at the register must
    attach its customer well inside a millisecond), decoded by the columns' own types.
    """
    driver = sqlite_driver(session)
    if driver is not None:
        row = driver.execute(_PROFILE_SQL.format(column=column), {"key": key}).fetchone()
        if row is None:
            return None
        readers = _readers(session.get_bind().dialect)
        values = {
            name: (read(value) if read is not None and value is not None else value)
            for name, read, value in zip(_PROFILE_COLUMNS, readers, row, strict=False)
        }
        extras = driver.execute(_EXTRAS_SQL, {"cid": values["id"]}).fetchall()
    else:
        table = Customer.__table__  # type: ignore[attr-defined]
        stmt = (
            select(*(table.c[name] for name in _PROFILE_COLUMNS), CustomerGroup.name, TaxRate.name)
            .select_from(table)
            .outerjoin(CustomerGroup, CustomerGroup.id == table.c.group_id)
            .outerjoin(TaxRate, TaxRate.id == table.c.tax_rate_id)
            .where(table.c[column] == key)
        )
        row = session.exec(stmt).first()
        if row is None:
            return None
        values = dict(zip(_PROFILE_COLUMNS, row, strict=False))
        extras = list(session.exec(_EXTRAS.bindparams(cid=values["id"])))
    tag_rows: list[tuple[str, str]] = []
    custom_rows: list[tuple[int, int, str, str]] = []
    for kind, name, value, position, field_id in extras:
        if kind == 0:
            tag_rows.append((value, name))
        else:
            custom_rows.append((position, field_id, name, value))
    return _record(
        values,
        group_name=row[-2],
        tax_rate_name=row[-1],
        tags_=[name for _key, name in sorted(tag_rows)],
        custom={name: value for _p, _i, name, value in sorted(custom_rows)},
    )


def _record(
    values: Mapping[str, Any],
    *,
    group_name: str | None,
    tax_rate_name: str | None,
    tags_: Iterable[str],
    custom: dict[str, str],
) -> CustomerRecord:
    limit = values.get("balance_limit_cents")
    return CustomerRecord(
        **{name: values[name] for name in _RECORD_COLUMNS},
        group_name=group_name,
        tax_rate_name=tax_rate_name,
        balance_limit=None if limit is None else from_cents(limit),
        tags=tuple(tags_),
        custom=custom,
    )


_RECORD_COLUMNS = CUSTOMER_FIELDS


def find_by_code(session: Session, code: str) -> CustomerRecord | None:
    """The customer a scanned or typed code belongs to (trimmed, case ignored)."""
    key = normalise_code(code or "")
    if not key or not key.isprintable():
        return None
    return _load(session, "code_key", key)


# ------------------------------------------------------------------------ writing


def create_customer(session: Session, data: Mapping[str, object]) -> CustomerRecord:
    """Validate and add a customer (a blank code gets a generated one).

    Raises :class:`ValidationFailed` with every problem; nothing is written then.
    """
    cleaned = _clean(session, data, customer_id=None, current=None)
    if cleaned.errors:
        raise ValidationFailed(cleaned.errors, LABELS)
    now = utcnow()
    values: dict[str, Any] = Customer(customer_code="", code_key="").model_dump()
    values.update(cleaned.columns)
    values.pop("id", None)
    values.update(created_at=now, updated_at=now, archived_at=None)
    values.setdefault("phone_digits", "")
    typed_code = values.get("customer_code", "")
    new_id = None
    for _attempt in range(50):
        code = typed_code or generate_code()
        values.update(customer_code=code, code_key=normalise_code(code))
        new_id = _insert_or_nothing(session, values)
        if new_id is not None:
            break
        if typed_code:
            holder = _code_holder(session, typed_code)
            who = holder.display_name if holder else "another customer"
            raise ValidationFailed({"customer_code": f"this code was just given to {who}"}, LABELS)
    if new_id is None:  # pragma: no cover - 50 collisions in 850 billion
        raise TilltermError("Could not find a free customer code; please try again.")
    stored_tags: tuple[str, ...] = ()
    if cleaned.tags:
        stored_tags = tags.set_customer_tags(session, new_id, cleaned.tags)
    custom: dict[str, str] = {}
    if cleaned.custom:
        custom_fields.store_values(session, new_id, cleaned.custom)
        custom = custom_fields.customer_values(session, new_id)
    return _record(
        {**values, "id": new_id},
        group_name=cleaned.group_name,
        tax_rate_name=cleaned.tax_rate_name,
        tags_=stored_tags,
        custom=custom,
    )


def update_customer(
    session: Session, customer_id: int, changes: Mapping[str, object]
) -> CustomerRecord:
    """Change only the fields given; :class:`ValidationFailed` lists every problem.

    A blank code keeps the customer's code (codes are printed on cards: they change only
    when a new one is typed).
    """
    current = _current_values(session, customer_id)
    changes = dict(changes)
    if "customer_code" in changes and not _as_text(changes["customer_code"]).strip():
        del changes["customer_code"]
    cleaned = _clean(session, changes, customer_id=customer_id, current=current)
    if cleaned.errors:
        raise ValidationFailed(cleaned.errors, LABELS)
    columns = dict(cleaned.columns)
    if "customer_code" in columns:
        columns["code_key"] = normalise_code(columns["customer_code"])
    columns["updated_at"] = utcnow()
    session.exec(update(_CUSTOMER).where(_CUSTOMER.c.id == customer_id).values(**columns))
    if cleaned.tags is not None:
        tags.set_customer_tags(session, customer_id, cleaned.tags)
    if cleaned.custom:
        custom_fields.store_values(session, customer_id, cleaned.custom)
    return get_customer(session, customer_id)


def archive_customer(session: Session, customer_id: int) -> CustomerRecord:
    """Hide a customer from lists and search; sales and ledgers keep pointing at them."""
    _current_values(session, customer_id)
    session.exec(
        update(_CUSTOMER)
        .where(_CUSTOMER.c.id == customer_id, _CUSTOMER.c.archived_at.is_(None))
        .values(archived_at=utcnow(), updated_at=utcnow())
    )
    return get_customer(session, customer_id)


def restore_customer(session: Session, customer_id: int) -> CustomerRecord:
    """Bring an archived customer back."""
    _current_values(session, customer_id)
    session.exec(
        update(_CUSTOMER)
        .where(_CUSTOMER.c.id == customer_id)
        .values(archived_at=None, updated_at=utcnow())
    )
    return get_customer(session, customer_id)


def delete_customer(session: Session, customer_id: int) -> None:
    """Delete a customer who never bought anything (a mistake); others are archived."""
    _current_values(session, customer_id)
    for model in (Sale, LoyaltyEntry, AccountEntry):
        used = session.exec(
            select(model.id).where(model.customer_id == customer_id).limit(1)  # type: ignore[attr-defined]
        ).first()
        if used is not None:
            raise TilltermError(
                "This customer has sales or ledger entries: archive them instead of deleting."
            )
    session.exec(text("DELETE FROM customer WHERE id = :id").bindparams(id=customer_id))


# ------------------------------------------------------------------------ duplicates


def find_duplicates(
    session: Session, data: Mapping[str, object], *, exclude_id: int | None = None
) -> list[Duplicate]:
    """Existing customers with the same email, customer code or phone number (by digits)."""
    reasons: dict[int, list[str]] = {}

    def note(customer_id: int, reason: str) -> None:
        if customer_id != exclude_id and reason not in reasons.setdefault(customer_id, []):
            reasons[customer_id].append(reason)

    code = _as_text(data.get("customer_code")).strip()
    if code and code.isprintable():
        found = session.exec(
            select(Customer.id).where(Customer.code_key == normalise_code(code))
        ).scalar()
        if found is not None:
            note(int(found), "same customer code")
    emails = {_as_text(data.get(f)).strip().casefold() for f in EMAIL_FIELDS} - {""}
    for email in sorted(emails):
        for customer_id, values in word_matches(session, "email", email):
            if email in {v.strip().casefold() for v in values}:
                note(customer_id, "same email")
    numbers = {_digits(_as_text(data.get(f))) for f in PHONE_FIELDS} - {""}
    for number in sorted(n for n in numbers if len(n) >= 6):
        for customer_id, values in word_matches(session, "phone", number):
            if number in " ".join(values).split():
                note(customer_id, "same phone number")
    summaries = _summaries(session, list(reasons))
    return [Duplicate(s, tuple(reasons[s.id])) for s in summaries]


# ------------------------------------------------------------------------ activity


def _year_start() -> dt.datetime:
    today = dt.date.today()
    return dt.datetime.combine(dt.date(today.year, 1, 1), dt.time.min).astimezone(dt.UTC)


@functools.cache
def _activity_statements() -> tuple[Any, ...]:
    """The activity's statements, built once with bound parameters (``cid``, ``since``,
    ``recent``): building them on every opening cost more than running them."""
    cid, since, recent = bindparam("cid"), bindparam("since"), bindparam("recent")
    is_refund = Sale.kind == "refund"
    exists = select(Customer.id).where(Customer.id == cid)
    totals = select(
        func.coalesce(
            func.sum(
                case((and_(~is_refund, Sale.completed_at >= since), Sale.total_cents), else_=0)
            ),
            0,
        ),
        func.coalesce(
            func.sum(
                case(
                    (and_(is_refund, Sale.completed_at >= since), func.abs(Sale.total_cents)),
                    else_=0,
                )
            ),
            0,
        ),
        func.count(case((~is_refund, Sale.id))),
    ).where(Sale.customer_id == cid, Sale.state == "completed")
    loyalty = select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.customer_id == cid
    )
    account = select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
        AccountEntry.customer_id == cid
    )
    when = func.coalesce(Sale.completed_at, Sale.created_at)
    sales = (
        select(Sale.id, Sale.receipt_no, Sale.completed_at, Sale.total_cents, Sale.state, Sale.kind)
        .where(Sale.customer_id == cid)
        .order_by(when.desc(), Sale.id.desc())
        .limit(recent)
    )
    loyalty_rows = (
        select(
            LoyaltyEntry.created_at, LoyaltyEntry.points, LoyaltyEntry.reason, LoyaltyEntry.sale_id
        )
        .where(LoyaltyEntry.customer_id == cid)
        .order_by(LoyaltyEntry.created_at.desc(), LoyaltyEntry.id.desc())
        .limit(recent)
    )
    account_rows = (
        select(
            AccountEntry.created_at,
            AccountEntry.amount_cents,
            AccountEntry.reason,
            AccountEntry.sale_id,
        )
        .where(AccountEntry.customer_id == cid)
        .order_by(AccountEntry.created_at.desc(), AccountEntry.id.desc())
        .limit(recent)
    )
    return exists, totals, loyalty, account, sales, loyalty_rows, account_rows


def customer_activity(session: Session, customer_id: int, *, recent: int = 20) -> CustomerActivity:
    """Year-to-date spend, balances and the latest movements, summed from the ledgers.

    Year-to-date spend counts completed sales since 1 January (local time), minus
    completed refunds, whatever sign a refund's total is stored with.
    """
    exists, totals, loyalty, account, sales, loyalty_rows, account_rows = _activity_statements()
    params = {"cid": customer_id, "since": _year_start(), "recent": recent}
    if session.execute(exists, params).first() is None:
        raise NotFound("This customer no longer exists.")
    spend, refunds, count = session.execute(totals, params).one()
    loyalty_sum = session.execute(loyalty, params).scalar()
    account_sum = session.execute(account, params).scalar()
    sale_rows = session.execute(sales, params).all()
    points = session.execute(loyalty_rows, params).all()
    movements = session.execute(account_rows, params).all()
    return CustomerActivity(
        customer_id=customer_id,
        year_to_date_spend=from_cents(int(spend) - int(refunds)),
        account_balance=from_cents(int(account_sum or 0)),
        loyalty_balance=int(loyalty_sum or 0),
        sales_count=int(count),
        recent_sales=tuple(
            SaleBrief(r[0], r[1], r[2], from_cents(r[3]), r[4], r[5]) for r in sale_rows
        ),
        loyalty_ledger=tuple(LedgerLine(r[0], int(r[1]), r[2], r[3]) for r in points),
        account_ledger=tuple(AccountLine(r[0], from_cents(r[1]), r[2], r[3]) for r in movements),
    )


# ------------------------------------------------------------------------ search


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
    ids = search_ids(session, text, limit=limit, offset=offset, filters=flt)
    return _summaries(session, ids)


def count_customers(
    session: Session, text: str, *, filters: SearchFilters | None = None, **more_filters: Any
) -> int:
    """How many customers match (for list headers; this one does count them all)."""
    return count_matches(session, text, filters=SearchFilters.of(filters, more_filters))
