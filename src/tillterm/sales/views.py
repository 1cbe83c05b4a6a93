"""What a sale looks like to the screens and the receipt: states, payment methods and
the frozen read models (:class:`SaleView`...), never ORM rows.

Kept apart from the use cases so that the receipt, the reports and the screens can
read a sale without importing the code that changes one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tillterm.catalog.products import ProductInfo
from tillterm.core.errors import TilltermError
from tillterm.i18n import N_, _, pgettext


class SaleState(StrEnum):
    """Where a sale is in its life; stored as these strings (``sale.state``).

    ``open`` (being rung up), ``parked`` (put aside, resumable on any register),
    ``completed`` and ``voided`` (final). A ``StrEnum`` so a value read back from the
    database compares equal to its member without a conversion on the hot path.
    """

    OPEN = "open"
    PARKED = "parked"
    COMPLETED = "completed"
    VOIDED = "voided"


class SaleKind(StrEnum):
    """A sale, or a refund (a sale of its own pointing at the original)."""

    SALE = "sale"
    REFUND = "refund"


class PaymentMethod(StrEnum):
    """How a payment was taken; stored as these strings (``payment.method``)."""

    CASH = "cash"
    CARD = "card"
    ACCOUNT = "account"
    LOYALTY = "loyalty"


# the members under their short names, as the use cases and the screens spell them
OPEN, PARKED, COMPLETED, VOIDED = (
    SaleState.OPEN,
    SaleState.PARKED,
    SaleState.COMPLETED,
    SaleState.VOIDED,
)
SALE, REFUND = SaleKind.SALE, SaleKind.REFUND
CASH, CARD, ACCOUNT, LOYALTY = (
    PaymentMethod.CASH,
    PaymentMethod.CARD,
    PaymentMethod.ACCOUNT,
    PaymentMethod.LOYALTY,
)
METHODS: tuple[PaymentMethod, ...] = tuple(PaymentMethod)
METHOD_LABELS: dict[str, str] = {
    CASH: pgettext("payment method", "Cash"),
    CARD: pgettext("payment method", "Card"),
    ACCOUNT: pgettext("payment method", "On account"),
    LOYALTY: pgettext("payment method", "Loyalty points"),
}
#: "This sale is <state>; it can no longer be changed.", a whole sentence per state so a
#: translation agrees the state with its noun
_NO_LONGER_CHANGED: dict[str, str] = {
    OPEN: N_("This sale is open; it can no longer be changed."),
    PARKED: N_("This sale is parked; it can no longer be changed."),
    COMPLETED: N_("This sale is completed; it can no longer be changed."),
    VOIDED: N_("This sale is voided; it can no longer be changed."),
}


def no_longer_changed(state: str) -> str:
    """Why a sale in ``state`` refuses a change, in the cashier's language."""
    said = _NO_LONGER_CHANGED.get(state)
    return _(said) if said else f"This sale is {state}; it can no longer be changed."


MAX_QUANTITY = 9999


class SaleError(TilltermError):
    """Something the cashier asked cannot be done to this sale; the sale is unchanged."""


class PaymentRefused(SaleError):
    """A payment was refused; the message says why (limit, points, amount due...)."""


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class SaleCustomer:
    """What the register shows about the attached customer."""

    id: int
    customer_code: str
    display_name: str
    group_name: str | None
    discount_percent: Decimal | None
    discount_from_group: bool
    tax_name: str | None
    loyalty_enabled: bool
    loyalty_balance: int
    account_balance: Decimal
    on_account_allowed: bool
    balance_limit: Decimal | None
    year_to_date_spend: Decimal
    archived: bool
    #: sold without tax: the sale's lines carry none (README "Pricing rules")
    tax_exempt: bool = False
    #: the customer's notes, shown at the till (seed 001: what the cashier should know)
    notes: str = ""


@dataclass(frozen=True)
class LineView:
    id: int
    position: int
    product_id: int | None
    description: str
    quantity: int
    unit_price: Decimal
    line_discount_percent: Decimal | None
    gross: Decimal
    discount: Decimal
    tax_rate: Decimal | None
    tax: Decimal
    total: Decimal
    #: the listed price when the cashier changed it (``None``: sold at the listed price)
    list_price: Decimal | None = None
    price_reason: str = ""


@dataclass(frozen=True)
class PaymentView:
    id: int
    method: PaymentMethod
    amount: Decimal
    tendered: Decimal | None
    change: Decimal
    loyalty_points: int

    @property
    def label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)


@dataclass(frozen=True)
class SaleView:
    id: int
    register_name: str
    state: SaleState
    kind: SaleKind
    original_sale_id: int | None
    receipt_no: str | None
    customer: SaleCustomer | None
    lines: tuple[LineView, ...]
    payments: tuple[PaymentView, ...]
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    currency: str
    prices_include_tax: bool
    created_at: dt.datetime
    completed_at: dt.datetime | None
    #: points earned by this sale (known once completed); for a refund, the points it
    #: moved (negative when it takes back what the sale earned)
    loyalty_earned: int = 0
    #: a refund: the receipt number of the sale it refunds
    original_receipt_no: str | None = None
    #: a refunded sale: the receipt number of its refund (of each return, comma-separated)
    refunded_by: str | None = None
    #: a completed sale: its receipt exactly as printed (``None`` for sales completed
    #: before tillterm kept it; :func:`tillterm.sales.receipts.receipt_text` renders those)
    receipt_text: str | None = None
    #: a discount on the whole sale (compounded into every line's discount) and its reason
    sale_discount_percent: Decimal | None = None
    discount_reason: str = ""
    #: a refund: "Refund of R…", "Return of R…", or a return without a receipt's reason
    note: str = ""

    @property
    def due(self) -> Decimal:
        return self.total - self.paid

    @property
    def change(self) -> Decimal:
        return sum((p.change for p in self.payments), Decimal("0.00"))

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class ParkedSale:
    id: int
    register_name: str
    customer_name: str | None
    line_count: int
    total: Decimal
    parked_at: dt.datetime


@dataclass(frozen=True)
class CompletedSale:
    """A completed sale or refund in the recent-sales list (to reprint or refund)."""

    id: int
    receipt_no: str
    kind: SaleKind
    register_name: str
    customer_name: str | None
    total: Decimal
    completed_at: dt.datetime
    #: a sale that already has its refund (a sale is refunded once)
    refunded: bool


@dataclass(frozen=True)
class ScanOutcome:
    """What a scanned or typed code turned out to be."""

    kind: str  # "product", "customer", "other customer", "unknown", "matches"
    view: SaleView | None
    message: str
    matches: tuple[ProductInfo, ...] = ()
    #: "other customer": whose card it is (not attached: another customer is on the sale)
    customer_id: int | None = None
    #: "matches": the quantity typed before the name (``3*crois``), for the one picked
    quantity: int = 1
