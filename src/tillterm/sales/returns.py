"""Returns: chosen lines and quantities of a completed sale given back, or an item
given back without a receipt.

A return is a refund (a completed sale of its own, ``kind="refund"``) like the
whole-sale refund of :mod:`tillterm.sales.refunds`; the original is never rewritten.
Each returned line points at the line it returns (``sale_line.returned_line_id``), so
"already returned" is a sum over those links, read under the same write lock as the
whole-sale refund: two registers returning the same line at once queue, and the second
sees what the first took.

Amounts are the line's as sold, pro rata: ``k`` of ``n`` units give back ``k`` times the
unit price and ``round(amount × k / n)`` of its discount and tax (half away from zero),
and a total that adds up as the line's did (net, plus tax on tax-exclusive prices). The
return that takes a line's last units gives back exactly what is left of it, so
returning a sale piece by piece gives back, to the cent, what was paid.

Money goes back the way it came, method by method in this order, never more per method
than was paid by it (less what earlier returns gave back by it):

1. **on account**: credited back to the account first — goods bought on credit that
   come back cancel that debt before any cash or card money leaves the store;
2. **loyalty points**: the points redeemed, given back (the store's own currency);
3. **card**: to the card, which is traceable;
4. **cash** last: the drawer pays out only what nothing else can take.

Loyalty points the sale earned are taken back pro rata to the money returned: after the
returns the customer holds ``round(earned × returned / total)`` fewer, so the last
return takes back exactly what is left; never below a zero balance (as a whole-sale
refund). Points given back for a loyalty payment are rounded up to a whole point
(a part-point in the customer's favour; never more points than were redeemed).

A return without a receipt has no original: one negative line (description, price,
quantity, tax rate) at the store's current tax rule, no discount, and a mandatory reason
kept in ``sale.note`` and printed; paid back only in cash or as store credit (on account
to an attached customer, who must be allowed an account to spend it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from tillterm.catalog.settings import load_settings
from tillterm.core.money import format_money, from_cents, to_cents
from tillterm.core.pricing import LineInput, price_line, round_half_up
from tillterm.i18n import N_, _, ngettext
from tillterm.sales.basket import find_customer_row
from tillterm.sales.lifecycle import _lock_customer, _next_receipt_no, _print, _take_write_lock
from tillterm.sales.reading import _lines, _view, customer_label, loyalty_balance
from tillterm.sales.receipts import WIDTH
from tillterm.sales.views import (
    ACCOUNT,
    CARD,
    CASH,
    COMPLETED,
    LOYALTY,
    MAX_QUANTITY,
    OPEN,
    PARKED,
    REFUND,
    SALE,
    VOIDED,
    PaymentMethod,
    SaleError,
    SaleView,
)
from tillterm.store.models import (
    AccountEntry,
    CustomerGroup,
    LoyaltyEntry,
    Payment,
    Sale,
    SaleLine,
    utcnow,
)

#: the order money goes back in (see the module's docstring for why)
RETURN_ORDER: tuple[PaymentMethod, ...] = (ACCOUNT, LOYALTY, CARD, CASH)
#: a return without a receipt is paid back only in these
NO_RECEIPT_METHODS: tuple[PaymentMethod, ...] = (CASH, ACCOUNT)
MAX_REASON = 150


@dataclass(frozen=True)
class ReturnableLine:
    """A line of the original sale: as sold, and what earlier returns gave back of it
    (all in positive cents)."""

    line_id: int
    position: int
    description: str
    sold: int
    returned: int
    unit_price_cents: int
    discount_cents: int
    tax_cents: int
    total_cents: int
    returned_discount_cents: int
    returned_tax_cents: int
    returned_total_cents: int

    @property
    def left(self) -> int:
        return max(self.sold - self.returned, 0)

    @property
    def unit_price(self) -> Decimal:
        return from_cents(self.unit_price_cents)


@dataclass(frozen=True)
class MethodRoom:
    """One payment method of the original sale: paid by it, already given back by it."""

    method: PaymentMethod
    paid_cents: int
    returned_cents: int
    points: int = 0
    returned_points: int = 0

    @property
    def room_cents(self) -> int:
        return max(self.paid_cents - self.returned_cents, 0)

    @property
    def room_points(self) -> int:
        return max(self.points - self.returned_points, 0)


@dataclass(frozen=True)
class ReturnableSale:
    """What can still be returned of a completed sale (for the screen and the plan)."""

    sale: SaleView
    lines: tuple[ReturnableLine, ...]
    methods: tuple[MethodRoom, ...]
    #: loyalty points the sale earned
    earned_points: int
    #: what earlier returns gave back in all (positive cents)
    returned_total_cents: int
    #: refunded in full before returns by line existed: nothing is left to return
    legacy_refund: bool = False


@dataclass(frozen=True)
class ReturnPart:
    """One line returned: quantity and the amounts given back (positive cents)."""

    line_id: int
    quantity: int
    gross_cents: int
    discount_cents: int
    tax_cents: int
    total_cents: int


@dataclass(frozen=True)
class MoneyBack:
    method: PaymentMethod
    amount_cents: int
    points: int = 0


@dataclass(frozen=True)
class ReturnPlan:
    """A return worked out: the lines, the money back per method, the points taken back
    (before the zero-balance cap, which only the ledger knows)."""

    parts: tuple[ReturnPart, ...]
    money: tuple[MoneyBack, ...]
    earned_taken_back: int
    total_cents: int


def _share(amount: int, k: int, n: int) -> int:
    return round_half_up(Decimal(amount) * k / n) if n else 0


def plan_return(returnable: ReturnableSale, quantities: Mapping[int, int]) -> ReturnPlan:
    """Work out a return of ``quantities`` (original line id → units); pure, so the
    screen shows the same figures the return will write. Raises :class:`SaleError`
    for a quantity beyond what is left, an unknown line, or nothing to return."""
    if returnable.legacy_refund:
        raise SaleError(
            _("Sale {receipt} was already refunded in full.").format(
                receipt=returnable.sale.receipt_no
            )
        )
    by_id = {line.line_id: line for line in returnable.lines}
    parts: list[ReturnPart] = []
    for line_id, qty in quantities.items():
        if qty == 0:
            continue
        line = by_id.get(line_id)
        if line is None:
            raise SaleError(_("That line is not on the sale."))
        if qty < 0:
            raise SaleError(_("A quantity to return cannot be negative."))
        if qty > line.left:
            raise SaleError(
                _(
                    "Only {left} of “{item}” can still be returned "
                    "({returned} of {sold} already were)."
                ).format(
                    left=line.left, item=line.description, returned=line.returned, sold=line.sold
                )
            )
        gross = line.unit_price_cents * qty
        if qty == line.left:  # the last units: exactly what is left of the line
            disc = line.discount_cents - line.returned_discount_cents
            tax = line.tax_cents - line.returned_tax_cents
            total = line.total_cents - line.returned_total_cents
        else:
            disc = _share(line.discount_cents, qty, line.sold)
            tax = _share(line.tax_cents, qty, line.sold)
            # what the line's total adds to its net (tax on exclusive prices, nothing on
            # inclusive ones, minus the exempted part): the part still adds up
            extra = line.total_cents - (line.unit_price_cents * line.sold - line.discount_cents)
            total = gross - disc + _share(extra, qty, line.sold)
        parts.append(ReturnPart(line_id, qty, gross, disc, tax, total))
    if not parts:
        raise SaleError(_("Choose at least one item to return."))
    parts.sort(key=lambda p: by_id[p.line_id].position)
    total = sum(p.total_cents for p in parts)
    money: list[MoneyBack] = []
    left = total
    rooms = {m.method: m for m in returnable.methods}
    for method in RETURN_ORDER:
        room = rooms.get(method)
        if room is None or left <= 0:
            continue
        amount = min(left, room.room_cents)
        if amount <= 0:
            continue
        points = 0
        if method == LOYALTY:
            value = room.paid_cents // room.points if room.points else 0
            if value <= 0:
                continue
            points = min(-(-amount // value), room.room_points)  # rounded up
            if amount == room.room_cents:
                points = room.room_points
        money.append(MoneyBack(method, amount, points))
        left -= amount
    if left > 0:
        raise SaleError(
            _("The sale's payments cannot take this return back ({amount} left over).").format(
                amount=format_money(left, returnable.sale.currency)
            )
        )
    sale_total = to_cents(returnable.sale.total)
    before = returnable.returned_total_cents
    earned = returnable.earned_points
    if sale_total > 0:
        taken = _share(earned, before + total, sale_total) - _share(earned, before, sale_total)
    else:
        taken = earned if all(by_id[p.line_id].left == p.quantity for p in parts) else 0
    return ReturnPlan(tuple(parts), tuple(money), max(taken, 0), total)


# --------------------------------------------------------------------------- reading


#: why a sale that is not completed cannot be returned, a whole sentence per state
_NOT_RETURNABLE: dict[str, str] = {
    OPEN: N_("Sale {sale} is open; it cannot be returned."),
    PARKED: N_("Sale {sale} is parked; it cannot be returned."),
    VOIDED: N_("Sale {sale} is voided; it cannot be returned."),
}


def returnable_sale(session: Session, sale_id: int) -> ReturnableSale:
    """A completed sale with what is left to return of each line and each payment."""
    view = _view(session, sale_id)
    if view.state != COMPLETED:
        said = _NOT_RETURNABLE.get(view.state)
        raise SaleError(
            _(said).format(sale=view.receipt_no or view.id)
            if said
            else f"Sale {view.receipt_no or view.id} is {view.state}; it cannot be returned."
        )
    if view.kind != SALE:
        raise SaleError(
            _("{receipt} is a refund; it cannot be returned.").format(receipt=view.receipt_no)
        )
    refund_ids = select(Sale.id).where(
        Sale.original_sale_id == sale_id, Sale.kind == REFUND, Sale.state == COMPLETED
    )
    returned: dict[int | None, tuple[int, int, int, int]] = {
        row[0]: (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0))
        for row in session.execute(
            sa.select(  # Core columns, more than sqlmodel's select is typed for
                col(SaleLine.returned_line_id),
                func.sum(SaleLine.quantity),
                func.sum(SaleLine.discount_cents),
                func.sum(SaleLine.tax_cents),
                func.sum(SaleLine.total_cents),
            )
            .where(col(SaleLine.sale_id).in_(refund_ids))
            .group_by(col(SaleLine.returned_line_id))
        ).all()
    }
    legacy = None in returned  # a whole-sale refund made before lines were linked
    lines = tuple(
        _returnable_line(line, returned.get(line.id, (0, 0, 0, 0)))
        for line in _lines(session, sale_id)
    )
    paid: dict[str, list[int]] = {}
    for method, amount, points in session.execute(
        sa.select(
            col(Payment.method), func.sum(Payment.amount_cents), func.sum(Payment.loyalty_points)
        )
        .where(col(Payment.sale_id) == sale_id)
        .group_by(Payment.method)
    ).all():
        paid[method] = [int(amount or 0), int(points or 0), 0, 0]
    for method, amount, points in session.execute(
        sa.select(
            col(Payment.method), func.sum(Payment.amount_cents), func.sum(Payment.loyalty_points)
        )
        .where(col(Payment.sale_id).in_(refund_ids))
        .group_by(Payment.method)
    ).all():
        paid.setdefault(method, [0, 0, 0, 0])
        paid[method][2:] = [-int(amount or 0), -int(points or 0)]
    methods = tuple(
        MethodRoom(PaymentMethod(m), v[0], v[2], v[1], v[3]) for m, v in sorted(paid.items())
    )
    earned = int(
        session.exec(
            select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                LoyaltyEntry.sale_id == sale_id, LoyaltyEntry.points > 0
            )
        ).one()
    )
    returned_total = -int(
        session.exec(
            select(func.coalesce(func.sum(Sale.total_cents), 0)).where(col(Sale.id).in_(refund_ids))
        ).one()
    )
    return ReturnableSale(view, lines, methods, earned, returned_total, legacy)


def _returnable_line(line: SaleLine, back: tuple[int, int, int, int]) -> ReturnableLine:
    """``back``: the sums of the lines returning it (negative: quantity, discount, tax,
    total)."""
    quantity, discount, tax, total = back
    return ReturnableLine(
        line_id=line.id or 0,
        position=line.position,
        description=line.description,
        sold=line.quantity,
        returned=-quantity,
        unit_price_cents=line.unit_price_cents,
        discount_cents=line.discount_cents,
        tax_cents=line.tax_cents,
        total_cents=line.total_cents,
        returned_discount_cents=-discount,
        returned_tax_cents=-tax,
        returned_total_cents=-total,
    )


# --------------------------------------------------------------------------- writing


def _refund_row(register: str, original: Sale | None, note: str) -> Sale:
    now = utcnow()
    return Sale(
        register_name=register[:40],
        state=COMPLETED,
        kind=REFUND,
        original_sale_id=None if original is None else original.id,
        customer_id=None if original is None else original.customer_id,
        group_id=None if original is None else original.group_id,
        customer_name=None if original is None else original.customer_name,
        customer_code=None if original is None else original.customer_code,
        group_name=None if original is None else original.group_name,
        note=note[:200],
        created_at=now,
        updated_at=now,
        completed_at=now,
    )


def returning_line(refund_id: int, line: SaleLine, part: ReturnPart | None = None) -> SaleLine:
    """The refund's line giving back ``part`` of ``line`` (all of it without ``part``):
    the line as sold, quantity and amounts negated, pointing at it."""
    if part is None:
        part = ReturnPart(
            line.id or 0,
            line.quantity,
            line.unit_price_cents * line.quantity,
            line.discount_cents,
            line.tax_cents,
            line.total_cents,
        )
    return SaleLine(
        sale_id=refund_id,
        position=line.position,
        product_id=line.product_id,
        description=line.description,
        quantity=-part.quantity,
        unit_price_cents=line.unit_price_cents,
        list_price_cents=line.list_price_cents,
        price_reason=line.price_reason,
        line_discount_percent=line.line_discount_percent,
        discount_cents=-part.discount_cents,
        tax_rate=line.tax_rate,
        tax_cents=-part.tax_cents,
        total_cents=-part.total_cents,
        returned_line_id=line.id,
    )


def return_lines(
    session: Session,
    register: str,
    original_sale_id: int,
    quantities: Mapping[int, int],
    *,
    width: int = WIDTH,
) -> SaleView:
    """Return ``quantities`` (original line id → units) of a completed sale: a refund
    holding only those lines, money back the way it came, loyalty and account adjusted.

    The original sale is locked first (the database's write lock on SQLite, its row on
    PostgreSQL: :func:`~tillterm.sales.lifecycle._take_write_lock`, as the whole-sale
    refund), then what is left to return is read: two registers returning the same
    line at once queue, and the second is refused what the first already took.
    """
    original = _take_write_lock(session, original_sale_id, (COMPLETED,))
    if original.kind != SALE:
        raise SaleError(_("A refund cannot itself be returned."))
    customer = _lock_customer(session, original.customer_id) if original.customer_id else None
    plan = plan_return(returnable_sale(session, original_sale_id), quantities)
    refund = _refund_row(register, original, f"Return of {original.receipt_no}")
    refund.subtotal_cents = -sum(p.gross_cents for p in plan.parts)
    refund.discount_cents = -sum(p.discount_cents for p in plan.parts)
    refund.tax_cents = -sum(p.tax_cents for p in plan.parts)
    refund.total_cents = -plan.total_cents
    session.add(refund)
    session.flush()
    rid = refund.id or 0
    refund.receipt_no = _next_receipt_no(session)
    originals = {line.id: line for line in _lines(session, original_sale_id)}
    for part in plan.parts:
        session.add(returning_line(rid, originals[part.line_id], part))
    now = refund.created_at
    reason = f"Return of {original.receipt_no}"
    for back in plan.money:
        session.add(
            Payment(
                sale_id=rid,
                method=back.method,
                amount_cents=-back.amount_cents,
                tendered_cents=-back.amount_cents if back.method == CASH else None,
                change_cents=0,
                loyalty_points=-back.points,
                created_at=now,
            )
        )
    if customer is not None:
        cid = customer.id or 0
        credited = sum(b.amount_cents for b in plan.money if b.method == ACCOUNT)
        if credited:
            session.add(
                AccountEntry(
                    customer_id=cid,
                    sale_id=rid,
                    amount_cents=-credited,
                    reason=reason,
                    created_at=now,
                )
            )
        given = sum(b.points for b in plan.money if b.method == LOYALTY)
        moved = given - plan.earned_taken_back
        balance = loyalty_balance(session, cid)
        note = reason
        if balance + moved < 0:
            moved = -balance
            note += " (capped at balance)"
        if moved:
            session.add(
                LoyaltyEntry(
                    customer_id=cid, sale_id=rid, points=moved, reason=note, created_at=now
                )
            )
    session.add(refund)
    session.flush()
    return _print(session, refund, load_settings(session), width)


@dataclass(frozen=True)
class NoReceiptItem:
    """The item given back without a receipt, as the cashier typed it."""

    description: str
    unit_price: Decimal
    quantity: int
    tax_rate: Decimal


def return_without_receipt(
    session: Session,
    register: str,
    item: NoReceiptItem,
    reason: str,
    method: str,
    customer_code: str = "",
    *,
    width: int = WIDTH,
) -> SaleView:
    """Give back an item bought without a receipt shown: an explicit, recorded choice.

    The refund has no original sale; its reason is mandatory, kept in ``sale.note``
    and printed. Cash, or store credit: on account to the customer whose card is given
    (credited, so their balance goes down; they must be allowed an account, or the
    credit could never be spent).
    """
    description = " ".join(item.description.split())
    why = " ".join(reason.split())
    if not description:
        raise SaleError(_("Describe the item given back."))
    if len(description) > 200:
        raise SaleError(_("The description is at most 200 characters."))
    if not why:
        raise SaleError(_("A return without a receipt needs a reason."))
    if len(why) > MAX_REASON:
        raise SaleError(_("The reason is at most {limit} characters.").format(limit=MAX_REASON))
    price = to_cents(item.unit_price)
    if price <= 0:
        raise SaleError(_("The price must be more than zero."))
    if not 1 <= item.quantity <= MAX_QUANTITY:
        raise SaleError(_("The quantity is between 1 and {limit}.").format(limit=MAX_QUANTITY))
    if not Decimal(0) <= item.tax_rate <= Decimal(100):
        raise SaleError(_("The tax rate is between 0 and 100 %."))
    if method not in NO_RECEIPT_METHODS:
        raise SaleError(_("A return without a receipt is paid back in cash or as store credit."))
    customer = None
    code = customer_code.strip()
    if method == ACCOUNT and not code:
        raise SaleError(_("Store credit goes to a customer: give their card or code."))
    if code:
        found = find_customer_row(session, code)
        if found is None:
            raise SaleError(_("No customer with the code “{code}”.").format(code=code))
        customer = _lock_customer(session, found.id or 0)
        if customer is None or customer.archived_at is not None:
            raise SaleError(_("{customer} is archived.").format(customer=customer_label(found)))
        if method == ACCOUNT and not customer.on_account_allowed:
            raise SaleError(
                _(
                    "{customer} has no account for store credit; "
                    "allow it on their card first, or give cash."
                ).format(customer=customer_label(customer))
            )
    settings = load_settings(session)
    priced = price_line(
        LineInput(price, item.quantity, None, item.tax_rate), None, settings.prices_include_tax
    )
    refund = _refund_row(register, None, why)
    refund.subtotal_cents = -priced.gross_cents
    refund.discount_cents = -priced.discount_cents
    refund.tax_cents = -priced.tax_cents
    refund.total_cents = -priced.total_cents
    if customer is not None:
        refund.customer_id = customer.id
        refund.group_id = customer.group_id
        refund.customer_name = customer_label(customer)[:200]
        refund.customer_code = customer.customer_code
        if customer.group_id is not None:
            group = session.get(CustomerGroup, customer.group_id)
            refund.group_name = group.name if group is not None else None
    session.add(refund)
    session.flush()
    rid = refund.id or 0
    refund.receipt_no = _next_receipt_no(session)  # the store's write lock from here on
    session.add(
        SaleLine(
            sale_id=rid,
            position=1,
            description=description,
            quantity=-item.quantity,
            unit_price_cents=price,
            discount_cents=0,
            tax_rate=item.tax_rate,
            tax_cents=-priced.tax_cents,
            total_cents=-priced.total_cents,
        )
    )
    now = refund.created_at
    amount = priced.total_cents
    session.add(
        Payment(
            sale_id=rid,
            method=method,
            amount_cents=-amount,
            tendered_cents=-amount if method == CASH else None,
            change_cents=0,
            created_at=now,
        )
    )
    if method == ACCOUNT and customer is not None:
        session.add(
            AccountEntry(
                customer_id=customer.id or 0,
                sale_id=rid,
                amount_cents=-amount,
                reason="Return without receipt",
                created_at=now,
            )
        )
    session.flush()
    return _print(session, refund, settings, width)


def describe_plan(plan: ReturnPlan, currency: str) -> str:
    """How a planned return's money goes back, in one line, for the cashier to read
    before confirming (the points cap is applied at the return itself)."""
    words = {
        ACCOUNT: _("{amount} credited to the account"),
        LOYALTY: _("{amount} in loyalty points ({points} pts)"),
        CARD: _("{amount} to the card"),
        CASH: _("{amount} in cash"),
    }
    parts = [
        words[back.method].format(
            amount=format_money(back.amount_cents, currency), points=back.points
        )
        for back in plan.money
    ]
    if plan.earned_taken_back:
        parts.append(
            ngettext(
                "{count} point earned taken back",
                "{count} points earned taken back",
                plan.earned_taken_back,
            ).format(count=plan.earned_taken_back)
        )
    total = format_money(plan.total_cents, currency)
    if not parts:
        return _("Refund {total}: nothing was paid.").format(total=total)
    if len(parts) == 1 and plan.money[0].amount_cents == plan.total_cents:
        # all of it one way: "Refund 9.00 EUR to the card.", not the sum said twice
        return _("Refund {what}.").format(what=parts[0])
    return _("Refund {total}: {what}.").format(total=total, what="; ".join(parts))
