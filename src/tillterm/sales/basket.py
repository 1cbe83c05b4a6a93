"""The basket: lines, quantities, line discounts, the customer on the sale, and what
a scan or a typed text means (a card, a product, a name to search).

Each function is one small transaction's worth of work (the caller owns the
transaction), so each scan is on disk the moment the screen shows it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from tillterm.catalog.products import search_products
from tillterm.catalog.settings import StoreInfo, load_settings
from tillterm.core.errors import NotFound
from tillterm.core.money import to_cents
from tillterm.i18n import _, ngettext
from tillterm.sales.reading import (
    _Buyer,
    _buyer_by_code,
    _commit_lines,
    _Line,
    _read_buyer,
    _read_lines,
    _read_open,
    _register_sale,
    code_key,
    ensure_open_sale,
)
from tillterm.sales.statements import (
    _LINE_T,
    _PAYMENTS_OF_SALE,
    _PRODUCT_BY_CODE,
    _PRODUCT_BY_ID,
    _SALE_T,
)
from tillterm.sales.views import (
    ACCOUNT,
    LOYALTY,
    MAX_QUANTITY,
    SaleError,
    SaleView,
    ScanOutcome,
)
from tillterm.store.models import (
    Customer,
)

# --------------------------------------------------------------------------- lines


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise SaleError(_("The quantity must be at least 1 (Ctrl+D removes the line)."))
    if quantity > MAX_QUANTITY:
        raise SaleError(_("The quantity cannot be more than {limit}.").format(limit=MAX_QUANTITY))


def _next_position(lines: Sequence[_Line]) -> int:
    return max((line.position for line in lines), default=0) + 1


def _add_product_line(lines: list[_Line], product: Any, quantity: int) -> None:
    """Add to the product's line at the same price (no line discount), or a new line."""
    _check_quantity(quantity)
    for line in lines:
        if (
            line.product_id == product.id
            and line.unit_price_cents == product.price_cents
            and line.line_discount_percent is None
            and line.list_price_cents is None
        ):
            _check_quantity(line.quantity + quantity)
            line.quantity += quantity
            line.dirty = True
            return
    lines.append(
        _Line(
            id=None,
            position=_next_position(lines),
            product_id=product.id,
            description=product.name[:200],
            quantity=quantity,
            unit_price_cents=product.price_cents,
            line_discount_percent=None,
            discount_cents=0,
            tax_rate=None,
            tax_cents=0,
            total_cents=0,
            item_rate=product.rate if product.rate is not None else Decimal(0),
        )
    )


def _default_tax(settings: StoreInfo) -> int | None:
    return settings.default_tax.id if settings.default_tax else None


def add_product(session: Session, sale_id: int, product_id: int, quantity: int = 1) -> SaleView:
    """Add a product (a second scan of the same product adds to its line)."""
    sale = _read_open(session, sale_id)
    settings = load_settings(session)
    product = session.execute(
        _PRODUCT_BY_ID, {"product_id": product_id, "default_tax": _default_tax(settings)}
    ).first()
    if product is None or not product.active:
        raise SaleError(_("This product is no longer sold."))
    lines = _read_lines(session, sale_id, settings)
    _add_product_line(lines, product, quantity)
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def add_misc_item(
    session: Session, sale_id: int, price: Decimal, description: str = "", quantity: int = 1
) -> SaleView:
    """An open-price item: whatever the cashier types, at the store's default tax."""
    sale = _read_open(session, sale_id)
    _check_quantity(quantity)
    if price <= 0:
        raise SaleError(_("An open-price item needs a price above zero."))
    if price >= Decimal("1000000"):
        raise SaleError(_("That price is too large for one item."))
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    lines.append(
        _Line(
            id=None,
            position=_next_position(lines),
            product_id=None,
            description=(" ".join(description.split()) or _("Misc item"))[:200],
            quantity=quantity,
            unit_price_cents=to_cents(price),
            line_discount_percent=None,
            discount_cents=0,
            tax_rate=None,
            tax_cents=0,
            total_cents=0,
            item_rate=settings.default_tax.rate if settings.default_tax else Decimal(0),
        )
    )
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def _change_line(
    session: Session, sale_id: int, line_id: int, change: Callable[[_Line], None]
) -> SaleView:
    sale = _read_open(session, sale_id)
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    line = next((ln for ln in lines if ln.id == line_id), None)
    if line is None:
        raise SaleError(_("That line is no longer on the sale."))
    change(line)
    line.dirty = True
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def set_quantity(session: Session, sale_id: int, line_id: int, quantity: int) -> SaleView:
    _check_quantity(quantity)

    def change(line: _Line) -> None:
        line.quantity = quantity

    return _change_line(session, sale_id, line_id, change)


def change_quantity(session: Session, sale_id: int, line_id: int, delta: int) -> SaleView:
    """``+``/``-`` on a line; going below 1 is refused (removing is a separate key)."""

    def change(line: _Line) -> None:
        _check_quantity(line.quantity + delta)
        line.quantity += delta

    return _change_line(session, sale_id, line_id, change)


def _check_percent(percent: Decimal | None) -> None:
    if percent is not None and not (Decimal(0) <= percent <= Decimal(100)):
        raise SaleError(_("A discount is a percentage between 0 and 100."))
    if percent is not None and percent != percent.quantize(Decimal("0.001")):
        raise SaleError(_("A discount has at most three decimals."))


def _reason(reason: str) -> str:
    """A reason as kept and printed: one line, at most 80 characters."""
    return " ".join(reason.split())[:80]


def set_line_discount(
    session: Session, sale_id: int, line_id: int, percent: Decimal | None
) -> SaleView:
    _check_percent(percent)

    def change(line: _Line) -> None:
        line.line_discount_percent = percent or None

    return _change_line(session, sale_id, line_id, change)


def set_sale_discount(
    session: Session, sale_id: int, percent: Decimal | None, reason: str = ""
) -> SaleView:
    """A discount on the whole sale (0 or ``None`` takes it off).

    Kept on the sale, so lines added afterwards get it too; it compounds with each line's
    own discount and the customer's (10 % + 10 % is 19 %), so nothing passes 100 %.
    """
    _check_percent(percent)
    sale = _read_open(session, sale_id)
    percent = percent or None
    session.execute(
        update(_SALE_T)
        .where(_SALE_T.c.id == sale_id)
        .values(sale_discount_percent=percent, discount_reason=_reason(reason) if percent else "")
    )
    sale = _read_open(session, sale_id)
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


def override_price(
    session: Session, sale_id: int, line_id: int, price: Decimal, reason: str
) -> SaleView:
    """Sell a line at another unit price than listed, for a stated reason.

    The listed price is kept beside it (the first one, however often the price is
    changed), and both are printed: a receipt shows what was changed and why. Setting
    the listed price again takes the override off.
    """
    why = _reason(reason)
    if price < 0:
        raise SaleError(_("A price cannot be negative (a return goes through Ctrl+T)."))
    if price >= Decimal("1000000"):
        raise SaleError(_("That price is too large for one item."))
    cents = to_cents(price)

    def change(line: _Line) -> None:
        listed = line.list_price_cents
        if listed is None:
            listed = line.unit_price_cents
        if cents == listed:
            line.list_price_cents, line.price_reason = None, ""
        else:
            if not why:
                raise SaleError(_("Say why the price changes, e.g. @8.00 damaged box."))
            line.list_price_cents, line.price_reason = listed, why
        line.unit_price_cents = cents

    return _change_line(session, sale_id, line_id, change)


def remove_line(session: Session, sale_id: int, line_id: int) -> SaleView:
    sale = _read_open(session, sale_id)
    deleted = session.execute(
        delete(_LINE_T).where(_LINE_T.c.id == line_id, _LINE_T.c.sale_id == sale_id)
    )
    if deleted.rowcount == 0:  # type: ignore[attr-defined]  # execute() -> Result, is a CursorResult
        raise SaleError(_("That line is no longer on the sale."))
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _commit_lines(session, sale, lines, settings, _read_buyer(session, sale.customer_id))


# --------------------------------------------------------------------------- customer


def _attach(session: Session, sale: Any, buyer: _Buyer, settings: StoreInfo) -> SaleView:
    if buyer.archived:
        raise SaleError(_archived(buyer.panel.display_name))
    lines = _read_lines(session, sale.id, settings)
    return _commit_lines(session, sale, lines, settings, buyer, customer_id=buyer.panel.id)


def attach_customer(session: Session, sale_id: int, customer_id: int) -> SaleView:
    """Attach a customer and re-price at once with their discount and tax."""
    sale = _read_open(session, sale_id)
    buyer = _read_buyer(session, customer_id)
    if buyer is None:
        raise NotFound(_("That customer no longer exists."))
    return _attach(session, sale, buyer, load_settings(session))


def detach_customer(session: Session, sale_id: int) -> SaleView:
    sale = _read_open(session, sale_id)
    payments = session.execute(_PAYMENTS_OF_SALE, {"sale_id": sale_id}).all()
    if any(p.method in (ACCOUNT, LOYALTY) for p in payments):
        raise SaleError(
            _("Remove the on-account or loyalty payment before detaching the customer.")
        )
    settings = load_settings(session)
    lines = _read_lines(session, sale_id, settings)
    return _commit_lines(session, sale, lines, settings, None, customer_id=None)


def find_customer_row(session: Session, code: str) -> Customer | None:
    key = code_key(code)
    if not key:
        return None
    return session.exec(select(Customer).where(Customer.code_key == key)).first()


# --------------------------------------------------------------------------- scans


#: ``3*4006381333931``, ``3 * crois``: a quantity, then what to add
_QUANTITY_PREFIX = re.compile(r"\s*(\d{1,6})\s*\*\s*(.*)", re.DOTALL)


def split_quantity(text: str) -> tuple[int, str] | None:
    """``3*code`` as (3, "code"); ``None`` when the text has no quantity in front.

    A zero or a quantity over the maximum is refused here, with the rule, rather than
    read as a code: the cashier meant a quantity.
    """
    match = _QUANTITY_PREFIX.fullmatch(text)
    if match is None:
        return None
    quantity = int(match.group(1))
    _check_quantity(quantity)
    return quantity, match.group(2).strip()


def scan_code(
    session: Session,
    register: str,
    code: str,
    *,
    replace_customer: bool = True,
    quantity: int = 1,
) -> ScanOutcome:
    """A scanned or typed code: a product barcode/SKU adds the product, a customer code
    (a loyalty card) attaches the customer, anything else changes nothing.

    With ``replace_customer=False`` another customer's card, while a customer is on the
    sale, changes nothing either: the outcome is ``"other customer"`` (with its id), for
    the register to ask the cashier first. Read in the same transaction, so a card
    scanned right after another is compared with the customer really on the sale.

    About ten Core statements in the caller's one transaction: settings, the code as a
    product (barcode or SKU, one statement), else as a customer card, the register's
    open sale and its lines, the customer, then the writes and the payments.
    """
    code = code.strip()
    if not code:
        return ScanOutcome("unknown", None, _("Nothing was scanned."))
    _check_quantity(quantity)
    settings = load_settings(session)
    product = session.execute(
        _PRODUCT_BY_CODE,
        {"code": code, "upper": code.upper(), "default_tax": _default_tax(settings)},
    ).first()
    if product is not None:
        sale = _register_sale(session, register)
        lines = _read_lines(session, sale.id, settings)
        _add_product_line(lines, product, quantity)
        buyer = _read_buyer(session, sale.customer_id)
        view = _commit_lines(session, sale, lines, settings, buyer)
        return ScanOutcome("product", view, _added(quantity, product.name))
    buyer = _buyer_by_code(session, code)
    if buyer is not None:
        if quantity != 1:
            raise SaleError(
                _("{quantity}* is a quantity for a product; “{code}” is a customer's card.").format(
                    quantity=quantity, code=code
                )
            )
        if buyer.archived:
            raise SaleError(_archived(buyer.panel.display_name))
        sale = _register_sale(session, register)
        if not replace_customer and sale.customer_id not in (None, buyer.panel.id):
            current = _read_buyer(session, sale.customer_id)
            card_of = buyer.panel.display_name[:24]
            said = (
                _("Card of {customer}; {current} is on this sale.").format(
                    customer=card_of, current=current.panel.display_name[:24]
                )
                if current
                else _("Card of {customer}; another customer is on this sale.").format(
                    customer=card_of
                )
            )
            return ScanOutcome("other customer", None, said, customer_id=buyer.panel.id)
        view = _attach(session, sale, buyer, settings)
        return ScanOutcome(
            "customer", view, _("Customer: {customer}.").format(customer=buyer.panel.display_name)
        )
    return ScanOutcome(
        "unknown", None, _("No customer or product with code “{code}”.").format(code=code)
    )


def _added(quantity: int, name: str) -> str:
    """The status line after a product is added: "Added 3 x Croissant."."""
    if quantity == 1:
        return _("Added {product}.").format(product=name)
    return _("Added {quantity} x {product}.").format(quantity=quantity, product=name)


def _archived(name: str) -> str:
    return _("{customer} is archived and cannot be attached.").format(customer=name)


def enter_text(
    session: Session, register: str, text: str, *, replace_customer: bool = True
) -> ScanOutcome:
    """What the cashier typed in the scan field and confirmed with Enter.

    A code is tried first (barcode, SKU, customer code; ``replace_customer`` as in
    :func:`scan_code`); otherwise the text is a product name and the matches are
    returned for the cashier to pick (one match is added). A quantity in front
    (``3*code``, ``3*crois``) adds that many of the product.
    """
    quantity = 1
    split = split_quantity(text)
    if split is not None:
        quantity, text = split
        if not text:
            raise SaleError(_("Scan or type the item after {quantity}*.").format(quantity=quantity))
    outcome = scan_code(
        session, register, text, replace_customer=replace_customer, quantity=quantity
    )
    if outcome.kind != "unknown":
        return outcome
    matches = tuple(search_products(session, text, limit=20))
    if len(matches) == 1:
        sale_id = ensure_open_sale(session, register)
        return ScanOutcome(
            "product",
            add_product(session, sale_id, matches[0].id, quantity),
            _added(quantity, matches[0].name),
        )
    if matches:
        said = ngettext("{count} product matches.", "{count} products match.", len(matches))
        return ScanOutcome(
            "matches", None, said.format(count=len(matches)), matches, quantity=quantity
        )
    return ScanOutcome(
        "unknown",
        None,
        _("No customer or product with code or name “{text}”.").format(text=text.strip()),
    )
