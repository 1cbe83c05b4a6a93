"""What the customer context hands out: plain frozen read models, never ORM rows.

Screens, the register, the CLI and the services all get these; nothing outside this
package needs to know how a customer is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


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
    #: sold without tax (the lines of a sale the customer is attached to)
    tax_exempt: bool
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
    # when and how each consent was last given or withdrawn (tillterm.customers.consents)
    marketing_opt_in_at: dt.datetime | None
    marketing_opt_in_via: str
    consent_email_at: dt.datetime | None
    consent_email_via: str
    consent_mail_at: dt.datetime | None
    consent_mail_via: str
    consent_phone_at: dt.datetime | None
    consent_phone_via: str

    @property
    def display_name(self) -> str:
        return _display_name(
            self.first_name, self.last_name, self.company, self.email, self.customer_code
        )

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


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


#: the record fields that are customer columns as they are
CUSTOMER_FIELDS: tuple[str, ...] = tuple(
    name
    for name in CustomerRecord.__dataclass_fields__
    if name not in {"group_name", "tax_rate_name", "balance_limit", "tags", "custom"}
)
