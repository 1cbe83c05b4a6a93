"""The data model: every table of the store (SPEC §1–§6).

Money is integer cents (``*_cents`` columns); percentages and rates are exact decimals
stored as integer thousandths (:class:`Percent`), because SQLite has no exact decimal
type and a float must never touch money. Timestamps are UTC.

Balances are never stored: the loyalty balance is the sum of :class:`LoyaltyEntry`
rows and the account balance the sum of :class:`AccountEntry` rows, so two registers
selling to one customer at once append rows instead of racing on a counter.

These classes stay inside the domain layer; screens receive plain dataclasses built
from them (see ``tillterm.customers.profiles`` and friends).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    inspect,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a model, for statements built once at import time.

    SQLModel sets ``__table__`` on a table model but does not declare it, so reading it
    types every statement built from it as ``Any``; the mapper gives the same table typed.
    """
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


class Percent(TypeDecorator[Decimal]):
    """A decimal with three places, stored exactly as integer thousandths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 1000).to_integral_value())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)) / 1000

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        return str(self.process_bind_param(value, dialect))


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp always handed back timezone-aware in UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _percent(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Percent(), nullable=nullable))


def _ts(nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=index))
    return Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index)
    )


def _fk(target: str, ondelete: str, index: bool = True, nullable: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
        ),
    )


class StoreSettings(SQLModel, table=True):
    """The store's settings: one row, ``id = 1``."""

    __tablename__ = "store_settings"

    id: int = Field(default=1, primary_key=True)
    name: str = Field(default="My store", max_length=120)
    currency: str = Field(default="EUR", max_length=3)
    default_tax_rate_id: int | None = _fk("tax_rate.id", "SET NULL", index=False)
    prices_include_tax: bool = Field(default=True)
    #: loyalty points earned per whole currency unit spent (after discount, tax included)
    loyalty_points_per_unit: Decimal | None = _percent()
    #: what one point is worth when redeemed, in cents
    loyalty_point_value_cents: int = Field(default=1)
    receipt_footer: str = Field(default="Thank you!", max_length=200)
    # the store's legal identity, printed at the top of every receipt and report
    address_line1: str = Field(default="", max_length=120)
    address_line2: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=100)
    country: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    company_reg_no: str = Field(default="", max_length=60)
    vat_number: str = Field(default="", max_length=60)


class TaxRate(SQLModel, table=True):
    """A named sales tax ("Standard 20 %", "Out of province", "Tax exempt")."""

    __tablename__ = "tax_rate"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    name_key: str = Field(max_length=80, unique=True)
    rate: Decimal = Field(sa_column=Column(Percent(), nullable=False))
    #: a rate used by past sales is never changed or deleted: it is retired (offered no
    #: more for new products, groups or customers; what was sold keeps its rate)
    retired_at: dt.datetime | None = _ts(nullable=True)


class CustomerGroup(SQLModel, table=True):
    """A group of customers (VIP, Wholesale...), with an optional discount and tax."""

    __tablename__ = "customer_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    name_key: str = Field(max_length=80, unique=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    discount_percent: Decimal | None = _percent()
    tax_rate_id: int | None = _fk("tax_rate.id", "SET NULL", index=False)
    created_at: dt.datetime = _ts()


class Customer(SQLModel, table=True):
    """A customer profile: the Contact and Details tabs of SPEC §1."""

    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_created_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    #: as typed and as printed on the loyalty card
    customer_code: str = Field(max_length=64)
    #: trimmed, case-folded: what uniqueness and scans compare
    code_key: str = Field(max_length=64, unique=True)

    # Contact tab
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    group_id: int | None = _fk("customer_group.id", "SET NULL")
    marketing_opt_in: bool = Field(default=False)

    # Details tab: address
    address1: str = Field(default="", max_length=200)
    address2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=100)
    # Details tab: identity
    birth_date: dt.date | None = Field(default=None)
    title: str = Field(default="", max_length=40)
    company: str = Field(default="", max_length=200)
    company_reg_no: str = Field(default="", max_length=60)
    vat_number: str = Field(default="", max_length=60)
    website: str = Field(default="", max_length=200)
    # Details tab: more phones and a second email
    phone_home: str = Field(default="", max_length=40)
    phone_work: str = Field(default="", max_length=40)
    phone_mobile: str = Field(default="", max_length=40)
    phone_pager: str = Field(default="", max_length=40)
    phone_fax: str = Field(default="", max_length=40)
    email2: str = Field(default="", max_length=254)
    # Details tab: sales settings
    discount_percent: Decimal | None = _percent()
    tax_rate_id: int | None = _fk("tax_rate.id", "SET NULL", index=False)
    #: sold without tax (README "Pricing rules"); the old system's "Tax Exempt" column
    tax_exempt: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    on_account_allowed: bool = Field(default=False)
    balance_limit_cents: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    loyalty_enabled: bool = Field(default=False)
    # Details tab: explicit consents
    consent_email: bool = Field(default=False)
    consent_mail: bool = Field(default=False)
    consent_phone: bool = Field(default=False)
    # when and how each consent was last given or withdrawn (GDPR: a consent must be
    # shown with its date and means): "form", "register", "import", "cli"
    marketing_opt_in_at: dt.datetime | None = _ts(nullable=True)
    marketing_opt_in_via: str = Field(default="", max_length=20)
    consent_email_at: dt.datetime | None = _ts(nullable=True)
    consent_email_via: str = Field(default="", max_length=20)
    consent_mail_at: dt.datetime | None = _ts(nullable=True)
    consent_mail_via: str = Field(default="", max_length=20)
    consent_phone_at: dt.datetime | None = _ts(nullable=True)
    consent_phone_via: str = Field(default="", max_length=20)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))

    #: every phone number's digits, space separated: what phone search matches
    phone_digits: str = Field(default="", max_length=240)
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()
    #: indexed: lists and counts skip the (few) archived customers without a scan
    archived_at: dt.datetime | None = _ts(nullable=True, index=True)


class Tag(SQLModel, table=True):
    """A free keyword on customers ("newsletter", "wedding 2026")."""

    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    name_key: str = Field(max_length=60, unique=True)


class CustomerTag(SQLModel, table=True):
    __tablename__ = "customer_tag"

    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class CustomField(SQLModel, table=True):
    """A store-defined customer field ("Shoe size"): text, number, date or choice."""

    __tablename__ = "custom_field"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    name_key: str = Field(max_length=60, unique=True)
    field_type: str = Field(default="text", max_length=10)
    #: for ``choice`` fields: the allowed values, one per line
    choices: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    position: int = Field(default=0)
    #: a retired field is no longer shown or asked for; the values customers have stay
    retired_at: dt.datetime | None = _ts(nullable=True)


class CustomFieldValue(SQLModel, table=True):
    """One customer's value for one custom field, stored in canonical text form."""

    __tablename__ = "custom_field_value"

    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    )
    field_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("custom_field.id", ondelete="CASCADE"), primary_key=True
        )
    )
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Product(SQLModel, table=True):
    """Something the store sells, found by barcode, SKU or name."""

    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    sku: str | None = Field(default=None, max_length=64, unique=True)
    barcode: str | None = Field(default=None, max_length=64, unique=True)
    name: str = Field(max_length=200, index=True)
    price_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: indexed: the back office counts each tax rate's products
    tax_rate_id: int | None = _fk("tax_rate.id", "SET NULL")
    active: bool = Field(default=True)


#: at most one open sale per register name: the database refuses a second one
OPEN_SALE_PER_REGISTER = "uq_sale_open_register"


class Sale(SQLModel, table=True):
    """A sale on one register: open, parked, completed or voided.

    A refund is a sale of its own with ``kind = "refund"`` pointing at the original,
    so the original's record is never rewritten. A completed sale keeps what it was
    sold under (``customer_name``, ``customer_code``, ``group_name``, and the receipt
    exactly as printed in ``receipt_text``): renaming, archiving or deleting a customer
    or a group later changes no receipt and no report.
    """

    __tablename__ = "sale"
    __table_args__ = (
        Index("ix_sale_register_state", "register_name", "state"),
        Index("ix_sale_customer_completed", "customer_id", "completed_at"),
        Index("ix_sale_state_completed", "state", "completed_at"),
        Index(
            OPEN_SALE_PER_REGISTER,
            "register_name",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
        Index("uq_sale_change_key", "change_key", unique=True),
        #: a register's sales no Z has counted yet, from a moment (the X report), and
        #: those one Z counted (its figures); days are never deleted, so no other index
        Index("ix_sale_register_day_completed", "register_name", "drawer_day_id", "completed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    register_name: str = Field(max_length=40)
    state: str = Field(default="open", max_length=10)
    kind: str = Field(default="sale", max_length=10)
    original_sale_id: int | None = _fk("sale.id", "RESTRICT")
    customer_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="RESTRICT"), nullable=True),
    )
    #: the customer's group when the sale completed: reports group by this
    group_id: int | None = _fk("customer_group.id", "SET NULL", index=False)
    receipt_no: str | None = Field(default=None, max_length=40, unique=True)
    subtotal_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    discount_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    tax_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    total_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    note: str = Field(default="", max_length=200)
    #: a discount on the whole sale, compounding with line and customer discounts (so it
    #: reaches lines added after it was given), and why the cashier gave it
    sale_discount_percent: Decimal | None = _percent()
    discount_reason: str = Field(default="", max_length=80)
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()
    completed_at: dt.datetime | None = _ts(nullable=True)
    #: as printed when the sale completed (the customer may be renamed or erased later)
    customer_name: str | None = Field(default=None, max_length=200)
    customer_code: str | None = Field(default=None, max_length=64)
    #: the group's name when the sale completed (the group may be renamed or deleted)
    group_name: str | None = Field(default=None, max_length=80)
    #: the receipt exactly as printed at completion; reprints and lost files use it
    receipt_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: when the receipt file was written; ``None`` on a completed sale: write it again
    receipt_filed_at: dt.datetime | None = _ts(nullable=True)
    #: the idempotency key of the last register action that changed the sale (for a
    #: completed sale: of its completion): a retry after a lost answer finds it here
    change_key: str | None = Field(default=None, max_length=32)
    #: the register day (:class:`DrawerDay`) whose Z report counted this sale, set when
    #: the Z is taken: a sale is in exactly one Z, and one completed after it is in the next
    drawer_day_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            # no ON DELETE: SQLite reads no action back from a column added in place,
            # and a day is never deleted anyway (the default refuses it, like RESTRICT)
            ForeignKey("drawer_day.id"),
            nullable=True,
        ),
    )


#: at most one day open per register name (the one its next Z report closes)
OPEN_DAY_PER_REGISTER = "uq_drawer_day_open"


class DrawerDay(SQLModel, table=True):
    """One register's day: from its drawer's opening (or its previous Z) to its Z report.

    Open while ``closed_at`` is ``None``. Taking the Z closes it and keeps the report as
    printed (``report_text``) with its figures (``figures``, JSON): printed again it is
    those bytes, never recomputed, so later sales, renamed tax rates or changed store
    details never rewrite it. ``opened_at`` is ``None`` for a day whose drawer was never
    opened with a float (a Z taken without it).
    """

    __tablename__ = "drawer_day"
    __table_args__ = (
        Index(
            OPEN_DAY_PER_REGISTER,
            "register_name",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("uq_drawer_day_z", "register_name", "z_no", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    register_name: str = Field(max_length=40)
    #: where the day's sales begin: the previous Z, or the local midnight before the
    #: register's first day (sales rung up before the drawer was opened still count)
    started_at: dt.datetime = _ts()
    opened_at: dt.datetime | None = _ts(nullable=True)
    float_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    closed_at: dt.datetime | None = _ts(nullable=True)
    #: the register's Z number (Z0001 is 1), given when the Z is taken
    z_no: int | None = Field(default=None)
    counted_cents: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    report_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    figures: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DrawerMove(SQLModel, table=True):
    """Cash put into (``in``) or taken out of (``out``) a register's drawer, with why."""

    __tablename__ = "drawer_move"

    id: int | None = Field(default=None, primary_key=True)
    day_id: int = _fk("drawer_day.id", "RESTRICT", nullable=False)
    kind: str = Field(max_length=10)
    #: always positive; ``kind`` gives the direction
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(max_length=120)
    created_at: dt.datetime = _ts()


class ReceiptCounter(SQLModel, table=True):
    """The store's last receipt number: one row, ``id = 1``.

    Taken (``last_no + 1``) in the completing transaction, so a number is used only by a
    sale that committed: gap-free, never reused, and two registers completing at once
    queue on this row instead of both taking the same number.
    """

    __tablename__ = "receipt_counter"

    id: int = Field(default=1, primary_key=True)
    last_no: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class SaleLine(SQLModel, table=True):
    """A line of a sale; prices and tax are copied in so history never shifts."""

    __tablename__ = "sale_line"
    #: "was this tax rate ever charged?" (the back office never rewrites one that was)
    __table_args__ = (Index("ix_sale_line_tax_rate", "tax_rate"),)

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = _fk("sale.id", "CASCADE", nullable=False)
    position: int = Field(default=0)
    product_id: int | None = _fk("product.id", "SET NULL", index=False)
    description: str = Field(max_length=200)
    quantity: int = Field(default=1)
    unit_price_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: the price the item was listed at when the cashier overrode it (``None``: sold at
    #: the listed price), and the reason given; both printed on the receipt
    list_price_cents: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    price_reason: str = Field(default="", max_length=80)
    line_discount_percent: Decimal | None = _percent()
    #: filled in by pricing; kept so a completed sale's lines read back exactly
    discount_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    tax_rate: Decimal | None = _percent()
    tax_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    total_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    #: on a refund's line: the original sale's line it returns (summed per original
    #: line, so a line is never returned beyond its quantity)
    #: (no ON DELETE clause: an original line is never deleted, and SQLite does not
    #: reflect the clause of a column added in place, so models and schema could not agree)
    returned_line_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("sale_line.id"), nullable=True, index=True),
    )


class Payment(SQLModel, table=True):
    """A payment on a sale: cash, card, on account or loyalty points."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = _fk("sale.id", "CASCADE", nullable=False)
    method: str = Field(max_length=10)
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    tendered_cents: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    change_cents: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    loyalty_points: int = Field(default=0)
    created_at: dt.datetime = _ts()


class LoyaltyEntry(SQLModel, table=True):
    """One movement of a customer's loyalty points (earned +, redeemed −)."""

    __tablename__ = "loyalty_entry"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", "RESTRICT", nullable=False)
    sale_id: int | None = _fk("sale.id", "SET NULL")
    points: int
    reason: str = Field(default="", max_length=80)
    created_at: dt.datetime = _ts()


class OpeningSpend(SQLModel, table=True):
    """Year-to-date spend brought over from the old system (``--opening-balances``).

    Year-to-date spend is otherwise summed from the sales made here; the old system's
    figure for the year is an entry of its own, never a stored counter, counted while
    ``as_of`` (the moment of the import) falls in the current year, so it drops out on
    1 January by itself. Like the ledgers it is only ever added to: a reversal is the
    opposite amount with the same ``as_of`` (it cancels the figure in the year it
    counts in) and ``reason`` "reversal of opening balance, import N".
    """

    __tablename__ = "opening_spend"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", "RESTRICT", nullable=False)
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    as_of: dt.datetime = _ts()
    reason: str = Field(default="", max_length=80)
    created_at: dt.datetime = _ts()


class AccountEntry(SQLModel, table=True):
    """One movement of a customer's account (sale on account +, payment/refund −)."""

    __tablename__ = "account_entry"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", "RESTRICT", nullable=False)
    sale_id: int | None = _fk("sale.id", "SET NULL")
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(default="", max_length=80)
    created_at: dt.datetime = _ts()


class PrivacyRequest(SQLModel, table=True):
    """A privacy request carried out (a customer's data exported, or their identity
    erased): who asked the till, when, through what. Never holds the person's identity:
    an erased customer's log says which record was erased, not who they were."""

    __tablename__ = "privacy_request"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # "export", "erase"
    customer_id: int | None = _fk("customer.id", "SET NULL")
    at: dt.datetime = _ts()
    #: "cli" or "app", and the register or user it ran as
    via: str = Field(default="", max_length=20)
    actor: str = Field(default="", max_length=60)
    #: for an export, where it was written
    detail: str = Field(default="", max_length=400)


class CustomerMerge(SQLModel, table=True):
    """Duplicate customers merged into one survivor (``tillterm.customers.merging``).

    ``survivor_before`` (JSON) holds each survivor field the merge changed, before and
    after, and the tags and custom values it added: undo puts back what nobody changed
    since. The merge is kept after an undo (``undone_at``): it happened.
    """

    __tablename__ = "customer_merge"

    id: int | None = Field(default=None, primary_key=True)
    survivor_id: int = _fk("customer.id", "RESTRICT", nullable=False)
    created_at: dt.datetime = _ts()
    undone_at: dt.datetime | None = _ts(nullable=True)
    survivor_before: str = Field(sa_column=Column(Text, nullable=False))


class CustomerMergeAbsorbed(SQLModel, table=True):
    """A customer a merge absorbed: archived while the merge stands, its code leading to
    the survivor; what its archive and update stamps were, for undo."""

    __tablename__ = "customer_merge_absorbed"

    merge_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("customer_merge.id", ondelete="CASCADE"), primary_key=True
        )
    )
    customer_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("customer.id", ondelete="RESTRICT"), primary_key=True, index=True
        )
    )
    position: int
    archived_at_before: dt.datetime | None = _ts(nullable=True)
    updated_at_before: dt.datetime = _ts()


class CustomerMergeMove(SQLModel, table=True):
    """The rows of one table a merge moved from one absorbed customer to the survivor
    (sales, ledger entries...), their ids as a JSON list: undo moves exactly these back,
    nothing recorded after the merge. One row per table and customer, not per moved row:
    a merge of 10,000 sales writes a few rows here, not 30,000 index entries."""

    __tablename__ = "customer_merge_move"

    merge_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("customer_merge.id", ondelete="CASCADE"), primary_key=True
        )
    )
    table_name: str = Field(sa_column=Column(String(20), primary_key=True))
    customer_id: int = Field(sa_column=Column(Integer, primary_key=True))
    row_ids: str = Field(sa_column=Column(Text, nullable=False))


metadata = SQLModel.metadata
