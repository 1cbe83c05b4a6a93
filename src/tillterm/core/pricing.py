"""Pricing: discounts, tax and rounding for one sale (the README's "Pricing rules").

Pure functions over integer cents and exact decimals, so the rules can be tested
table-driven without a database and every register computes the same cent. Each line
is rounded on its own (half-up, to the cent) and the sale's totals are plain sums of the
rounded lines, so the printed receipt always adds up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
ONE = Decimal(1)


def round_half_up(value: Decimal) -> int:
    """Round to a whole number of cents, halves away from zero.

    Away from zero (not towards +∞) so a refund line is exactly the negation of the
    line it refunds.
    """
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def effective_discount(
    customer_discount: Decimal | None, group_discount: Decimal | None
) -> Decimal | None:
    """The customer's own discount, else their group's (an explicit 0 % wins too)."""
    return customer_discount if customer_discount is not None else group_discount


def effective_tax_rate_id(
    customer_tax_id: int | None, group_tax_id: int | None, default_tax_id: int | None
) -> int | None:
    """The customer's sales tax, else their group's, else the store default for the item."""
    for candidate in (customer_tax_id, group_tax_id, default_tax_id):
        if candidate is not None:
            return candidate
    return None


@dataclass(frozen=True)
class LineInput:
    unit_price_cents: int
    quantity: int
    line_discount: Decimal | None
    tax_rate: Decimal


@dataclass(frozen=True)
class PricedLine:
    """One line's amounts in cents. ``total = gross - discount (+ tax if exclusive)``;
    for a tax-exempt buyer ``tax`` is 0 and, on tax-inclusive prices, ``total = gross -
    discount - exempted`` (the tax part the price held, taken off)."""

    gross_cents: int
    discount_cents: int
    tax_cents: int
    total_cents: int
    #: the tax part taken off a tax-inclusive price for a tax-exempt buyer
    exempted_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.discount_cents


def combined_discount(line_discount: Decimal | None, customer_discount: Decimal | None) -> Decimal:
    """Line discount then customer discount on what is left, as one percentage.

    10 % on the line and 10 % for the customer is 19 %, not 20 %: discounts compound, so
    no combination can ever exceed 100 %.
    """
    keep = ONE
    for pct in (line_discount, customer_discount):
        if pct:
            keep *= ONE - pct / HUNDRED
    return (ONE - keep) * HUNDRED


def price_line(
    line: LineInput,
    customer_discount: Decimal | None,
    prices_include_tax: bool,
    *,
    tax_exempt: bool = False,
) -> PricedLine:
    """Price one line: gross, one rounded discount, one rounded tax.

    A tax-exempt buyer pays no tax: on tax-exclusive prices none is added; on
    tax-inclusive prices the tax part the price holds (the same rounded cents it would
    have shown as "incl. tax") is taken off, so the exempt buyer pays the price before
    tax, whichever way the store writes its prices.
    """
    gross = line.unit_price_cents * line.quantity
    pct = combined_discount(line.line_discount, customer_discount)
    discount = round_half_up(Decimal(gross) * pct / HUNDRED) if pct else 0
    net = gross - discount
    rate = line.tax_rate
    if tax_exempt:
        if prices_include_tax and rate:
            part = round_half_up(Decimal(net) * rate / (HUNDRED + rate))
            return PricedLine(gross, discount, 0, net - part, part)
        return PricedLine(gross, discount, 0, net)
    if prices_include_tax:
        tax = round_half_up(Decimal(net) * rate / (HUNDRED + rate)) if rate else 0
        total = net
    else:
        tax = round_half_up(Decimal(net) * rate / HUNDRED) if rate else 0
        total = net + tax
    return PricedLine(gross, discount, tax, total)


@dataclass(frozen=True)
class Totals:
    subtotal_cents: int = 0
    discount_cents: int = 0
    tax_cents: int = 0
    total_cents: int = 0
    exempted_cents: int = 0


def sum_lines(lines: Iterable[PricedLine]) -> Totals:
    """Totals as sums of the rounded lines: they add up by construction."""
    subtotal = discount = tax = total = exempted = 0
    for line in lines:
        subtotal += line.gross_cents
        discount += line.discount_cents
        tax += line.tax_cents
        total += line.total_cents
        exempted += line.exempted_cents
    return Totals(subtotal, discount, tax, total, exempted)


def loyalty_points_earned(amount_cents: int, points_per_unit: Decimal) -> int:
    """Points for an amount: per whole currency unit, rounded down, never negative."""
    if amount_cents <= 0 or points_per_unit <= 0:
        return 0
    units = amount_cents // 100
    return int((Decimal(units) * points_per_unit).to_integral_value(rounding=ROUND_FLOOR))


def points_for_amount(amount_cents: int, point_value_cents: int) -> int:
    """How many whole points pay at most ``amount_cents`` (a part-point is not spent)."""
    if point_value_cents <= 0 or amount_cents <= 0:
        return 0
    return amount_cents // point_value_cents
