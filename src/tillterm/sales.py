"""Sales: lines, customer, payments and the life of a sale on a named register.

Every function here is one small transaction (the caller wraps it in
``session_scope``), so each scan, quantity change or payment is on disk the moment the
screen shows it: a crash, a power cut or a dropped SSH session loses nothing, and the
next start finds the register's open sale with :func:`find_open_sale`.

States: ``open`` (being rung up; one per register), ``parked`` (put aside, resumable on
any register), ``completed`` and ``voided`` (final). A refund is a sale of its own
(``kind="refund"``) pointing at the original, so completed sales are never rewritten.

Balances are sums of ledger rows (:class:`~tillterm.models.LoyaltyEntry`,
:class:`~tillterm.models.AccountEntry`), written only when a sale completes. The checks
that guard them (balance limit, points available, refund once) run after taking a write
lock — the customer's row on PostgreSQL, the database's write lock on SQLite — so two
registers selling to one customer at once queue instead of both spending the same
points or the same credit.

Screens get frozen dataclasses (:class:`SaleView`...), never ORM rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from tillterm.errors import NotFound, TilltermError
from tillterm.models import (
    AccountEntry,
    Customer,
    CustomerGroup,
    LoyaltyEntry,
    Payment,
    Product,
    Sale,
    SaleLine,
    TaxRate,
    utcnow,
)
from tillterm.money import format_money, from_cents, to_cents
from tillterm.pricing import (
    LineInput,
    effective_discount,
    effective_tax_rate_id,
    loyalty_points_earned,
    points_for_amount,
    price_line,
)
from tillterm.products import ProductInfo, find_product_row, search_products
from tillterm.search import normalise_code
from tillterm.settings import StoreInfo, load_settings

OPEN, PARKED, COMPLETED, VOIDED = "open", "parked", "completed", "voided"
SALE, REFUND = "sale", "refund"
CASH, CARD, ACCOUNT, LOYALTY = "cash", "card", "account", "loyalty"
METHODS = (CASH, CARD, ACCOUNT, LOYALTY)
METHOD_LABELS = {CASH: "Cash", CARD: "Card", ACCOUNT: "On account", LOYALTY: "Loyalty points"}
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


@dataclass(frozen=True)
class PaymentView:
    id: int
    method: str
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
    state: str
    kind: str
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
    #: points earned by this sale (known once completed)
    loyalty_earned: int = 0

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
class ScanOutcome:
    """What a scanned or typed code turned out to be."""

    kind: str  # "product", "customer", "unknown"
    view: SaleView | None
    message: str
    matches: tuple[ProductInfo, ...] = ()


# --------------------------------------------------------------------------- helpers


def code_key(code: str) -> str:
    """A customer code as compared (the customer core's rule, one indexed probe)."""
    return normalise_code(code)


def customer_label(row: Customer) -> str:
    name = f"{row.first_name} {row.last_name}".strip()
    return name or row.company or row.email or row.customer_code


def _sale_row(session: Session, sale_id: int) -> Sale:
    sale = session.get(Sale, sale_id)
    if sale is None:
        raise NotFound(f"Sale {sale_id} no longer exists.")
    return sale


def _open_row(session: Session, sale_id: int) -> Sale:
    sale = _sale_row(session, sale_id)
    if sale.state != OPEN:
        raise SaleError(f"This sale is {sale.state}; it can no longer be changed.")
    return sale


def _lines(session: Session, sale_id: int) -> list[SaleLine]:
    return list(
        session.exec(
            select(SaleLine).where(SaleLine.sale_id == sale_id).order_by(col(SaleLine.position))
        ).all()
    )


def _payments(session: Session, sale_id: int) -> list[Payment]:
    return list(
        session.exec(
            select(Payment).where(Payment.sale_id == sale_id).order_by(col(Payment.id))
        ).all()
    )


def loyalty_balance(session: Session, customer_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.customer_id == customer_id
        )
    ).one()
    return int(total)


def account_balance_cents(session: Session, customer_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
            AccountEntry.customer_id == customer_id
        )
    ).one()
    return int(total)


def year_to_date_cents(session: Session, customer_id: int, now: dt.datetime | None = None) -> int:
    """Completed sales (refunds count negative) since 1 January, local time."""
    local_now = (now or utcnow()).astimezone()
    start = local_now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    total = session.exec(
        select(func.coalesce(func.sum(Sale.total_cents), 0)).where(
            Sale.customer_id == customer_id,
            col(Sale.completed_at) >= start.astimezone(dt.UTC),
            Sale.state == COMPLETED,
        )
    ).one()
    return int(total)


def _customer_panel(session: Session, row: Customer) -> SaleCustomer:
    group = session.get(CustomerGroup, row.group_id) if row.group_id else None
    discount = effective_discount(row.discount_percent, group.discount_percent if group else None)
    tax_id = (
        row.tax_rate_id if row.tax_rate_id is not None else (group.tax_rate_id if group else None)
    )
    tax = session.get(TaxRate, tax_id) if tax_id else None
    cid = row.id or 0
    return SaleCustomer(
        id=cid,
        customer_code=row.customer_code,
        display_name=customer_label(row),
        group_name=group.name if group else None,
        discount_percent=discount,
        discount_from_group=row.discount_percent is None and discount is not None,
        tax_name=tax.name if tax else None,
        loyalty_enabled=row.loyalty_enabled,
        loyalty_balance=loyalty_balance(session, cid),
        account_balance=from_cents(account_balance_cents(session, cid)),
        on_account_allowed=row.on_account_allowed,
        balance_limit=None
        if row.balance_limit_cents is None
        else from_cents(row.balance_limit_cents),
        year_to_date_spend=from_cents(year_to_date_cents(session, cid)),
        archived=row.archived_at is not None,
    )


def _line_view(line: SaleLine) -> LineView:
    return LineView(
        id=line.id or 0,
        position=line.position,
        product_id=line.product_id,
        description=line.description,
        quantity=line.quantity,
        unit_price=from_cents(line.unit_price_cents),
        line_discount_percent=line.line_discount_percent,
        gross=from_cents(line.unit_price_cents * line.quantity),
        discount=from_cents(line.discount_cents),
        tax_rate=line.tax_rate,
        tax=from_cents(line.tax_cents),
        total=from_cents(line.total_cents),
    )


def _payment_view(p: Payment) -> PaymentView:
    return PaymentView(
        id=p.id or 0,
        method=p.method,
        amount=from_cents(p.amount_cents),
        tendered=None if p.tendered_cents is None else from_cents(p.tendered_cents),
        change=from_cents(p.change_cents),
        loyalty_points=p.loyalty_points,
    )


def _view(
    session: Session,
    sale: Sale,
    settings: StoreInfo | None = None,
    lines: Sequence[SaleLine] | None = None,
    customer: Customer | None = None,
) -> SaleView:
    settings = settings or load_settings(session)
    sale_id = sale.id or 0
    lines = _lines(session, sale_id) if lines is None else lines
    payments = _payments(session, sale_id)
    if customer is None and sale.customer_id is not None:
        customer = session.get(Customer, sale.customer_id)
    earned = 0
    if sale.state == COMPLETED and sale.customer_id is not None:
        earned = int(
            session.exec(
                select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                    LoyaltyEntry.sale_id == sale_id, col(LoyaltyEntry.points) > 0
                )
            ).one()
        )
    return SaleView(
        id=sale_id,
        register_name=sale.register_name,
        state=sale.state,
        kind=sale.kind,
        original_sale_id=sale.original_sale_id,
        receipt_no=sale.receipt_no,
        customer=_customer_panel(session, customer) if customer is not None else None,
        lines=tuple(_line_view(line) for line in lines),
        payments=tuple(_payment_view(p) for p in payments),
        subtotal=from_cents(sale.subtotal_cents),
        discount=from_cents(sale.discount_cents),
        tax=from_cents(sale.tax_cents),
        total=from_cents(sale.total_cents),
        paid=from_cents(sum(p.amount_cents for p in payments)),
        currency=settings.currency,
        prices_include_tax=settings.prices_include_tax,
        created_at=sale.created_at,
        completed_at=sale.completed_at,
        loyalty_earned=earned,
    )


def _reprice(
    session: Session, sale: Sale, settings: StoreInfo, customer: Customer | None
) -> list[SaleLine]:
    """Price every line again from the current customer and settings, and the totals.

    Only rows whose amounts actually change are written.
    """
    lines = _lines(session, sale.id or 0)
    group = None
    if customer is not None and customer.group_id is not None:
        group = session.get(CustomerGroup, customer.group_id)
    discount = None
    override_tax_id = None
    if customer is not None:
        discount = effective_discount(
            customer.discount_percent, group.discount_percent if group else None
        )
        override_tax_id = effective_tax_rate_id(
            customer.tax_rate_id, group.tax_rate_id if group else None, None
        )
    default_tax_id = settings.default_tax.id if settings.default_tax else None
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    product_tax: dict[int, int | None] = {}
    if product_ids and override_tax_id is None:
        for pid, tax_id in session.exec(
            select(Product.id, Product.tax_rate_id).where(col(Product.id).in_(product_ids))
        ).all():
            product_tax[pid or 0] = tax_id
    rates: dict[int, Decimal] = {}

    def rate_of(tax_id: int | None) -> Decimal:
        if tax_id is None:
            return Decimal(0)
        if tax_id not in rates:
            tax = session.get(TaxRate, tax_id)
            rates[tax_id] = tax.rate if tax is not None else Decimal(0)
        return rates[tax_id]

    subtotal = disc = tax_total = total = 0
    for line in lines:
        item_tax_id = product_tax.get(line.product_id or 0) or default_tax_id
        tax_id = override_tax_id if override_tax_id is not None else item_tax_id
        rate = rate_of(tax_id)
        priced = price_line(
            LineInput(line.unit_price_cents, line.quantity, line.line_discount_percent, rate),
            discount,
            settings.prices_include_tax,
        )
        changed = (
            line.discount_cents != priced.discount_cents
            or line.tax_cents != priced.tax_cents
            or line.total_cents != priced.total_cents
            or line.tax_rate != rate
        )
        if changed:
            line.discount_cents = priced.discount_cents
            line.tax_cents = priced.tax_cents
            line.total_cents = priced.total_cents
            line.tax_rate = rate
            session.add(line)
        subtotal += priced.gross_cents
        disc += priced.discount_cents
        tax_total += priced.tax_cents
        total += priced.total_cents
    sale.subtotal_cents, sale.discount_cents = subtotal, disc
    sale.tax_cents, sale.total_cents = tax_total, total
    sale.updated_at = utcnow()
    session.add(sale)
    return lines


def _commit_view(session: Session, sale: Sale) -> SaleView:
    """Re-price, flush and build the view: the tail of every change."""
    settings = load_settings(session)
    customer = session.get(Customer, sale.customer_id) if sale.customer_id else None
    lines = _reprice(session, sale, settings, customer)
    session.flush()
    return _view(session, sale, settings, lines, customer)


# --------------------------------------------------------------------------- open sale


def find_open_sale(session: Session, register: str) -> SaleView | None:
    """The register's open sale, as left by the last run (or ``None``)."""
    sale = session.exec(
        select(Sale)
        .where(Sale.register_name == register, Sale.state == OPEN)
        .order_by(col(Sale.id).desc())
        .limit(1)
    ).first()
    return None if sale is None else _view(session, sale)


def _open_sale_row(session: Session, register: str) -> Sale:
    sale = session.exec(
        select(Sale)
        .where(Sale.register_name == register, Sale.state == OPEN)
        .order_by(col(Sale.id).desc())
        .limit(1)
    ).first()
    if sale is None:
        sale = Sale(register_name=register[:40], state=OPEN, kind=SALE)
        session.add(sale)
        session.flush()
    return sale


def ensure_open_sale(session: Session, register: str) -> int:
    """The register's open sale id, opening an empty sale when there is none."""
    return _open_sale_row(session, register).id or 0


def get_sale(session: Session, sale_id: int) -> SaleView:
    return _view(session, _sale_row(session, sale_id))


# --------------------------------------------------------------------------- lines


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise SaleError("The quantity must be at least 1 (Ctrl+D removes the line).")
    if quantity > MAX_QUANTITY:
        raise SaleError(f"The quantity cannot be more than {MAX_QUANTITY}.")


def _next_position(session: Session, sale_id: int) -> int:
    current = session.exec(
        select(func.coalesce(func.max(SaleLine.position), 0)).where(SaleLine.sale_id == sale_id)
    ).one()
    return int(current) + 1


def _add_product_row(session: Session, sale: Sale, product: Product, quantity: int) -> None:
    _check_quantity(quantity)
    sale_id = sale.id or 0
    same = session.exec(
        select(SaleLine).where(
            SaleLine.sale_id == sale_id,
            SaleLine.product_id == product.id,
            SaleLine.unit_price_cents == product.price_cents,
            col(SaleLine.line_discount_percent).is_(None),
        )
    ).first()
    if same is not None:
        _check_quantity(same.quantity + quantity)
        same.quantity += quantity
        session.add(same)
        return
    session.add(
        SaleLine(
            sale_id=sale_id,
            position=_next_position(session, sale_id),
            product_id=product.id,
            description=product.name[:200],
            quantity=quantity,
            unit_price_cents=product.price_cents,
        )
    )


def add_product(session: Session, sale_id: int, product_id: int, quantity: int = 1) -> SaleView:
    """Add a product (a second scan of the same product adds to its line)."""
    sale = _open_row(session, sale_id)
    product = session.get(Product, product_id)
    if product is None or not product.active:
        raise SaleError("This product is no longer sold.")
    _add_product_row(session, sale, product, quantity)
    session.flush()
    return _commit_view(session, sale)


def add_misc_item(
    session: Session, sale_id: int, price: Decimal, description: str = "", quantity: int = 1
) -> SaleView:
    """An open-price item: whatever the cashier types, at the store's default tax."""
    sale = _open_row(session, sale_id)
    _check_quantity(quantity)
    if price <= 0:
        raise SaleError("An open-price item needs a price above zero.")
    if price >= Decimal("1000000"):
        raise SaleError("That price is too large for one item.")
    session.add(
        SaleLine(
            sale_id=sale_id,
            position=_next_position(session, sale_id),
            product_id=None,
            description=(" ".join(description.split()) or "Misc item")[:200],
            quantity=quantity,
            unit_price_cents=to_cents(price),
        )
    )
    session.flush()
    return _commit_view(session, sale)


def _line_row(session: Session, sale_id: int, line_id: int) -> SaleLine:
    line = session.get(SaleLine, line_id)
    if line is None or line.sale_id != sale_id:
        raise SaleError("That line is no longer on the sale.")
    return line


def set_quantity(session: Session, sale_id: int, line_id: int, quantity: int) -> SaleView:
    sale = _open_row(session, sale_id)
    _check_quantity(quantity)
    line = _line_row(session, sale_id, line_id)
    line.quantity = quantity
    session.add(line)
    return _commit_view(session, sale)


def change_quantity(session: Session, sale_id: int, line_id: int, delta: int) -> SaleView:
    """``+``/``-`` on a line; going below 1 is refused (removing is a separate key)."""
    sale = _open_row(session, sale_id)
    line = _line_row(session, sale_id, line_id)
    _check_quantity(line.quantity + delta)
    line.quantity += delta
    session.add(line)
    return _commit_view(session, sale)


def set_line_discount(
    session: Session, sale_id: int, line_id: int, percent: Decimal | None
) -> SaleView:
    sale = _open_row(session, sale_id)
    if percent is not None and not (Decimal(0) <= percent <= Decimal(100)):
        raise SaleError("A discount is a percentage between 0 and 100.")
    if percent is not None and percent != percent.quantize(Decimal("0.001")):
        raise SaleError("A discount has at most three decimals.")
    line = _line_row(session, sale_id, line_id)
    line.line_discount_percent = percent or None
    session.add(line)
    return _commit_view(session, sale)


def remove_line(session: Session, sale_id: int, line_id: int) -> SaleView:
    sale = _open_row(session, sale_id)
    session.delete(_line_row(session, sale_id, line_id))
    session.flush()
    return _commit_view(session, sale)


# --------------------------------------------------------------------------- customer


def _attach(session: Session, sale: Sale, customer: Customer) -> SaleView:
    if customer.archived_at is not None:
        raise SaleError(f"{customer_label(customer)} is archived and cannot be attached.")
    sale.customer_id = customer.id
    session.add(sale)
    return _commit_view(session, sale)


def attach_customer(session: Session, sale_id: int, customer_id: int) -> SaleView:
    """Attach a customer and re-price at once with their discount and tax."""
    sale = _open_row(session, sale_id)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("That customer no longer exists.")
    return _attach(session, sale, customer)


def detach_customer(session: Session, sale_id: int) -> SaleView:
    sale = _open_row(session, sale_id)
    if any(p.method in (ACCOUNT, LOYALTY) for p in _payments(session, sale_id)):
        raise SaleError("Remove the on-account or loyalty payment before detaching the customer.")
    sale.customer_id = None
    session.add(sale)
    return _commit_view(session, sale)


def find_customer_row(session: Session, code: str) -> Customer | None:
    key = code_key(code)
    if not key:
        return None
    return session.exec(select(Customer).where(Customer.code_key == key)).first()


# --------------------------------------------------------------------------- scans


def scan_code(session: Session, register: str, code: str) -> ScanOutcome:
    """A scanned or typed code: a product barcode/SKU adds the product, a customer code
    (a loyalty card) attaches the customer, anything else changes nothing."""
    code = code.strip()
    if not code:
        return ScanOutcome("unknown", None, "Nothing was scanned.")
    product = find_product_row(session, code)
    if product is not None:
        sale = _open_sale_row(session, register)
        _add_product_row(session, sale, product, 1)
        session.flush()
        return ScanOutcome("product", _commit_view(session, sale), f"Added {product.name}.")
    customer = find_customer_row(session, code)
    if customer is not None:
        if customer.archived_at is not None:
            raise SaleError(f"{customer_label(customer)} is archived and cannot be attached.")
        sale = _open_sale_row(session, register)
        return ScanOutcome(
            "customer", _attach(session, sale, customer), f"Customer: {customer_label(customer)}."
        )
    return ScanOutcome("unknown", None, f"No customer or product with code “{code}”.")


def enter_text(session: Session, register: str, text: str) -> ScanOutcome:
    """What the cashier typed in the scan field and confirmed with Enter.

    A code is tried first (barcode, SKU, customer code); otherwise the text is a product
    name and the matches are returned for the cashier to pick (one match is added).
    """
    outcome = scan_code(session, register, text)
    if outcome.kind != "unknown":
        return outcome
    matches = tuple(search_products(session, text, limit=20))
    if len(matches) == 1:
        sale = _open_sale_row(session, register)
        return ScanOutcome(
            "product",
            add_product(session, sale.id or 0, matches[0].id),
            f"Added {matches[0].name}.",
        )
    if matches:
        return ScanOutcome("matches", None, f"{len(matches)} products match.", matches)
    return ScanOutcome(
        "unknown", None, f"No customer or product with code or name “{text.strip()}”."
    )


# --------------------------------------------------------------------------- payments


def _account_room_cents(session: Session, customer: Customer, pending_cents: int) -> int | None:
    """How much more may go on the account (``None`` = no limit)."""
    if customer.balance_limit_cents is None:
        return None
    balance = account_balance_cents(session, customer.id or 0)
    return customer.balance_limit_cents - balance - pending_cents


def _check_account(
    session: Session,
    customer: Customer | None,
    amount_cents: int,
    pending_cents: int,
    currency: str,
) -> None:
    if customer is None:
        raise PaymentRefused("Attach a customer to put the sale on account.")
    name = customer_label(customer)
    if not customer.on_account_allowed:
        raise PaymentRefused(f"{name} is not allowed to buy on account.")
    room = _account_room_cents(session, customer, pending_cents)
    if room is not None and amount_cents > room:
        balance = account_balance_cents(session, customer.id or 0)
        raise PaymentRefused(
            f"{name}'s account has {format_money(max(room, 0), currency)} left "
            f"(balance {format_money(balance, currency)}, "
            f"limit {format_money(customer.balance_limit_cents or 0, currency)})."
        )


def add_payment(
    session: Session,
    sale_id: int,
    method: str,
    amount: Decimal | None = None,
    *,
    tendered: Decimal | None = None,
) -> SaleView:
    """Record a payment. ``amount`` ``None`` means "whatever is due".

    Cash takes ``tendered`` (or ``amount``) and gives change; card, account and loyalty
    can never pay more than is due. Loyalty pays in whole points at the store's rate.
    """
    if method not in METHODS:
        raise PaymentRefused(f"Unknown payment method “{method}”.")
    sale = _open_row(session, sale_id)
    settings = load_settings(session)
    customer = session.get(Customer, sale.customer_id) if sale.customer_id else None
    _reprice(session, sale, settings, customer)
    payments = _payments(session, sale_id)
    due = sale.total_cents - sum(p.amount_cents for p in payments)
    if due <= 0:
        raise PaymentRefused("Nothing is due on this sale.")
    cur = settings.currency
    if method == CASH:
        given = tendered if tendered is not None else amount
        given_cents = due if given is None else to_cents(given)
        if given_cents <= 0:
            raise PaymentRefused("The amount must be more than zero.")
        pay = min(given_cents, due)
        row = Payment(
            sale_id=sale_id,
            method=CASH,
            amount_cents=pay,
            tendered_cents=given_cents,
            change_cents=given_cents - pay,
        )
    else:
        amount_cents = due if amount is None else to_cents(amount)
        if amount_cents <= 0:
            raise PaymentRefused("The amount must be more than zero.")
        if amount_cents > due:
            raise PaymentRefused(
                f"{METHOD_LABELS[method]} cannot pay more than the {format_money(due, cur)} due."
            )
        points = 0
        if method == ACCOUNT:
            pending = sum(p.amount_cents for p in payments if p.method == ACCOUNT)
            _check_account(session, customer, amount_cents, pending, cur)
        elif method == LOYALTY:
            if customer is None:
                raise PaymentRefused("Attach a customer to pay with loyalty points.")
            pending_pts = sum(p.loyalty_points for p in payments if p.method == LOYALTY)
            available = loyalty_balance(session, customer.id or 0) - pending_pts
            value = settings.loyalty_point_value_cents
            points = min(points_for_amount(amount_cents, value), max(available, 0))
            if points <= 0:
                raise PaymentRefused(
                    f"{customer_label(customer)} has no loyalty points to redeem"
                    + (" for that amount." if available > 0 else ".")
                )
            amount_cents = points * value
        row = Payment(
            sale_id=sale_id, method=method, amount_cents=amount_cents, loyalty_points=points
        )
    session.add(row)
    session.flush()
    return _view(session, sale, settings, None, customer)


def remove_payment(session: Session, sale_id: int, payment_id: int) -> SaleView:
    sale = _open_row(session, sale_id)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.sale_id != sale_id:
        raise SaleError("That payment is no longer on the sale.")
    session.delete(payment)
    session.flush()
    return _commit_view(session, sale)


# --------------------------------------------------------------------------- park / void


def park_sale(session: Session, sale_id: int) -> SaleView:
    sale = _open_row(session, sale_id)
    if not _lines(session, sale_id):
        raise SaleError("There is nothing to park.")
    if _payments(session, sale_id):
        raise SaleError("A sale with payments cannot be parked; complete it or remove them.")
    sale.state = PARKED
    sale.updated_at = utcnow()
    session.add(sale)
    session.flush()
    return _view(session, sale)


def list_parked(session: Session, *, limit: int = 100) -> list[ParkedSale]:
    """Parked sales of every register, the most recent first."""
    counts = (
        select(SaleLine.sale_id, func.count().label("n")).group_by(col(SaleLine.sale_id)).subquery()
    )
    rows = session.exec(
        select(Sale, Customer, counts.c.n)
        .join(Customer, col(Customer.id) == Sale.customer_id, isouter=True)
        .join(counts, counts.c.sale_id == Sale.id, isouter=True)
        .where(Sale.state == PARKED)
        .order_by(col(Sale.updated_at).desc())
        .limit(limit)
    ).all()
    return [
        ParkedSale(
            id=sale.id or 0,
            register_name=sale.register_name,
            customer_name=customer_label(customer) if customer is not None else None,
            line_count=int(n or 0),
            total=from_cents(sale.total_cents),
            parked_at=sale.updated_at,
        )
        for sale, customer, n in rows
    ]


def resume_sale(session: Session, register: str, sale_id: int) -> SaleView:
    """Bring a parked sale back on this register; the sale in progress is parked
    (or dropped if it is empty)."""
    sale = _sale_row(session, sale_id)
    if sale.state != PARKED:
        raise SaleError("That sale is no longer parked (another register may have resumed it).")
    current = session.exec(
        select(Sale).where(Sale.register_name == register, Sale.state == OPEN)
    ).all()
    for other in current:
        if _lines(session, other.id or 0) and not _payments(session, other.id or 0):
            other.state = PARKED
            other.updated_at = utcnow()
            session.add(other)
        elif _lines(session, other.id or 0):
            raise SaleError("The sale in progress has payments; complete it first.")
        else:
            session.delete(other)
    sale.state = OPEN
    sale.register_name = register[:40]
    session.add(sale)
    session.flush()
    return _commit_view(session, sale)


def void_sale(session: Session, sale_id: int) -> SaleView:
    sale = _sale_row(session, sale_id)
    if sale.state not in (OPEN, PARKED):
        raise SaleError(f"A {sale.state} sale cannot be voided.")
    sale.state = VOIDED
    sale.updated_at = utcnow()
    session.add(sale)
    session.flush()
    return _view(session, sale)


# --------------------------------------------------------------------------- completion


def _take_write_lock(session: Session, sale_id: int, states: tuple[str, ...]) -> Sale:
    """Start the transaction with a write, so every check after it sees the latest rows.

    On SQLite the first write takes the database's write lock (waiting up to the busy
    timeout) before anything is read; on PostgreSQL it locks the sale row, and
    :func:`_lock_customer` then serialises per customer.
    """
    result = session.execute(
        update(Sale)
        .where(col(Sale.id) == sale_id, col(Sale.state).in_(states))
        .values(state=Sale.state)
    )
    sale = session.get(Sale, sale_id, populate_existing=True)
    if sale is None:
        raise NotFound(f"Sale {sale_id} no longer exists.")
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise SaleError(f"This sale is {sale.state}; it can no longer be changed.")
    return sale


def _lock_customer(session: Session, customer_id: int) -> Customer | None:
    stmt = (
        select(Customer).where(Customer.id == customer_id).execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def complete_sale(session: Session, sale_id: int) -> SaleView:
    """Close the sale: check it is paid, write the ledgers, give it a receipt number."""
    sale = _take_write_lock(session, sale_id, (OPEN,))
    customer = _lock_customer(session, sale.customer_id) if sale.customer_id else None
    if customer is not None and customer.archived_at is not None:
        raise SaleError(
            f"{customer_label(customer)} was archived while this sale was open; "
            "detach the customer (Ctrl+U) to complete the sale."
        )
    settings = load_settings(session)
    lines = _reprice(session, sale, settings, customer)
    if not lines:
        raise SaleError("There is nothing to sell yet.")
    payments = _payments(session, sale_id)
    paid = sum(p.amount_cents for p in payments)
    cur = settings.currency
    if paid < sale.total_cents:
        raise SaleError(f"{format_money(sale.total_cents - paid, cur)} is still due.")
    if paid > sale.total_cents:
        raise SaleError(
            f"The payments are {format_money(paid - sale.total_cents, cur)} more than the "
            "total; remove one."
        )
    on_account = sum(p.amount_cents for p in payments if p.method == ACCOUNT)
    redeemed = sum(p.loyalty_points for p in payments if p.method == LOYALTY)
    loyalty_paid = sum(p.amount_cents for p in payments if p.method == LOYALTY)
    sale.receipt_no = f"R{sale_id:07d}"
    now = utcnow()
    if customer is not None:
        cid = customer.id or 0
        if on_account:
            _check_account(session, customer, on_account, 0, cur)
            session.add(
                AccountEntry(
                    customer_id=cid,
                    sale_id=sale_id,
                    amount_cents=on_account,
                    reason=f"Sale {sale.receipt_no}",
                    created_at=now,
                )
            )
        if redeemed:
            if loyalty_balance(session, cid) < redeemed:
                raise PaymentRefused(
                    f"{customer_label(customer)} no longer has {redeemed} points "
                    "(spent at another register?); remove the loyalty payment."
                )
            session.add(
                LoyaltyEntry(
                    customer_id=cid,
                    sale_id=sale_id,
                    points=-redeemed,
                    reason=f"Redeemed on {sale.receipt_no}",
                    created_at=now,
                )
            )
        earned = (
            loyalty_points_earned(sale.total_cents - loyalty_paid, settings.loyalty_points_per_unit)
            if customer.loyalty_enabled
            else 0
        )
        if earned:
            session.add(
                LoyaltyEntry(
                    customer_id=cid,
                    sale_id=sale_id,
                    points=earned,
                    reason=f"Earned on {sale.receipt_no}",
                    created_at=now,
                )
            )
        sale.group_id = customer.group_id
    elif on_account or redeemed:
        raise SaleError("On-account and loyalty payments need the customer attached.")
    sale.state = COMPLETED
    sale.completed_at = now
    sale.updated_at = now
    session.add(sale)
    session.flush()
    return _view(session, sale, settings, lines, customer)


def refund_sale(session: Session, register: str, original_sale_id: int) -> SaleView:
    """Refund a completed sale in full: a new completed ``refund`` sale mirroring it.

    Lines and payments are the original's, negated (money goes back the way it came);
    the original's loyalty and account movements are reversed by new ledger rows. A
    loyalty balance never goes below zero: if the customer has already spent the points
    the sale earned, the reversal takes what is left.
    """
    original = _take_write_lock(session, original_sale_id, (COMPLETED,))
    if original.kind != SALE:
        raise SaleError("A refund cannot itself be refunded.")
    already = session.exec(
        select(Sale.id).where(Sale.original_sale_id == original_sale_id, Sale.kind == REFUND)
    ).first()
    if already is not None:
        raise SaleError(f"Sale {original.receipt_no} has already been refunded.")
    customer = _lock_customer(session, original.customer_id) if original.customer_id else None
    now = utcnow()
    refund = Sale(
        register_name=register[:40],
        state=COMPLETED,
        kind=REFUND,
        original_sale_id=original_sale_id,
        customer_id=original.customer_id,
        group_id=original.group_id,
        subtotal_cents=-original.subtotal_cents,
        discount_cents=-original.discount_cents,
        tax_cents=-original.tax_cents,
        total_cents=-original.total_cents,
        note=f"Refund of {original.receipt_no}",
        created_at=now,
        updated_at=now,
        completed_at=now,
    )
    session.add(refund)
    session.flush()
    rid = refund.id or 0
    refund.receipt_no = f"R{rid:07d}"
    for line in _lines(session, original_sale_id):
        session.add(
            SaleLine(
                sale_id=rid,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                quantity=-line.quantity,
                unit_price_cents=line.unit_price_cents,
                line_discount_percent=line.line_discount_percent,
                discount_cents=-line.discount_cents,
                tax_rate=line.tax_rate,
                tax_cents=-line.tax_cents,
                total_cents=-line.total_cents,
            )
        )
    for p in _payments(session, original_sale_id):
        session.add(
            Payment(
                sale_id=rid,
                method=p.method,
                amount_cents=-p.amount_cents,
                tendered_cents=None if p.tendered_cents is None else -p.amount_cents,
                change_cents=0,
                loyalty_points=-p.loyalty_points,
                created_at=now,
            )
        )
    if customer is not None:
        cid = customer.id or 0
        moved = session.exec(
            select(func.coalesce(func.sum(AccountEntry.amount_cents), 0)).where(
                AccountEntry.sale_id == original_sale_id
            )
        ).one()
        if moved:
            session.add(
                AccountEntry(
                    customer_id=cid,
                    sale_id=rid,
                    amount_cents=-int(moved),
                    reason=f"Refund of {original.receipt_no}",
                    created_at=now,
                )
            )
        points = int(
            session.exec(
                select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                    LoyaltyEntry.sale_id == original_sale_id
                )
            ).one()
        )
        if points:
            reversal = -points
            balance = loyalty_balance(session, cid)
            reason = f"Refund of {original.receipt_no}"
            if balance + reversal < 0:
                reversal = -balance
                reason += " (capped at balance)"
            if reversal:
                session.add(
                    LoyaltyEntry(
                        customer_id=cid,
                        sale_id=rid,
                        points=reversal,
                        reason=reason,
                        created_at=now,
                    )
                )
    session.add(refund)
    session.flush()
    return _view(session, refund, None, None, customer)


def find_sale_by_receipt(session: Session, receipt_no: str) -> SaleView:
    sale = session.exec(select(Sale).where(Sale.receipt_no == receipt_no.strip().upper())).first()
    if sale is None:
        raise NotFound(f"No sale with receipt number “{receipt_no.strip()}”.")
    return _view(session, sale)


def recent_sales(session: Session, register: str, *, limit: int = 20) -> list[SaleView]:
    """The register's last completed sales (for reprinting or refunding)."""
    rows = session.exec(
        select(Sale)
        .where(Sale.register_name == register, Sale.state == COMPLETED)
        .order_by(col(Sale.completed_at).desc())
        .limit(limit)
    ).all()
    return [_view(session, s) for s in rows]
