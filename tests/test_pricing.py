"""The pricing rules of the README, table-driven, including the rounding edges."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tillterm.core.pricing import (
    LineInput,
    PricedLine,
    combined_discount,
    effective_discount,
    effective_tax_rate_id,
    loyalty_points_earned,
    points_for_amount,
    price_line,
    round_half_up,
    sum_lines,
)

# (unit cents, qty, line %, customer %, tax %, inclusive) -> (gross, discount, tax, total)
CASES = [
    # tax-inclusive: total is what is on the label, tax extracted from it
    (1000, 1, None, None, D(20), True, (1000, 0, 167, 1000)),  # 166.67 -> 167
    (1200, 1, None, None, D(20), True, (1200, 0, 200, 1200)),
    (450, 3, None, None, D("5.5"), True, (1350, 0, 70, 1350)),  # 70.38
    # tax-exclusive: tax added on top
    (1000, 1, None, None, D(20), False, (1000, 0, 200, 1200)),
    (333, 1, None, None, D("5.5"), False, (333, 0, 18, 351)),  # 18.315 -> 18
    (1, 1, None, None, D(50), False, (1, 0, 1, 2)),  # 0.5 cent rounds half up
    # discounts: customer alone, line alone, both compound
    (1000, 1, None, D(10), D(20), True, (1000, 100, 150, 900)),
    (1000, 1, D(10), None, D(0), True, (1000, 100, 0, 900)),
    (1000, 1, D(10), D(10), D(0), True, (1000, 190, 0, 810)),
    (1000, 2, D(50), D(50), D(0), False, (2000, 1500, 0, 500)),
    (999, 1, D(100), None, D(20), True, (999, 999, 0, 0)),
    # half-up on the discount: 5 % of 10 cents = 0.5 -> 1
    (10, 1, None, D(5), D(0), True, (10, 1, 0, 9)),
    (30, 1, None, D(5), D(0), True, (30, 2, 0, 28)),  # 1.5 -> 2
    (25, 1, None, D("2.5"), D(0), False, (25, 1, 0, 24)),  # 0.625 -> 1
    # three-decimal rates (Québec-style 9.975 %), exclusive
    (1999, 1, None, None, D("9.975"), False, (1999, 0, 199, 2198)),  # 199.40
    (2005, 1, None, None, D("9.975"), False, (2005, 0, 200, 2205)),  # 199.998
    # tax-exempt customer: no tax either way
    (1000, 1, None, D(15), D(0), False, (1000, 150, 0, 850)),
    # a refund line is the exact negation (halves away from zero)
    (1000, -1, None, None, D(20), True, (-1000, 0, -167, -1000)),
    (30, -1, None, D(5), D(0), True, (-30, -2, 0, -28)),
]


@pytest.mark.parametrize(("unit", "qty", "line", "cust", "rate", "incl", "expected"), CASES)
def test_price_line(
    unit: int, qty: int, line: D | None, cust: D | None, rate: D, incl: bool, expected: tuple
) -> None:
    priced = price_line(LineInput(unit, qty, line, rate), cust, incl)
    assert (priced.gross_cents, priced.discount_cents, priced.tax_cents, priced.total_cents) == (
        expected
    )


@pytest.mark.parametrize("inclusive", [True, False])
def test_totals_always_add_up(inclusive: bool) -> None:
    """Many awkward lines: the sale's totals are the sums, and total = sub - disc (+ tax)."""
    lines = [
        price_line(LineInput(unit, qty, D(pct) if pct else None, D(rate)), D("7.5"), inclusive)
        for unit, qty, pct, rate in [
            (333, 3, 0, "20"),
            (1, 7, "12.5", "5.5"),
            (1999, 1, "33.333", "9.975"),
            (5, 11, 0, "20"),
            (12345, 2, "3", "0"),
        ]
    ]
    totals = sum_lines(lines)
    assert totals.total_cents == sum(line.total_cents for line in lines)
    expected = totals.subtotal_cents - totals.discount_cents
    if not inclusive:
        expected += totals.tax_cents
    assert totals.total_cents == expected


def test_totals_of_nothing() -> None:
    assert sum_lines([]).total_cents == 0
    assert sum_lines([PricedLine(100, 10, 15, 90)]).subtotal_cents == 100


@pytest.mark.parametrize(
    ("customer", "group", "expected"),
    [(D(5), D(10), D(5)), (None, D(10), D(10)), (D(0), D(10), D(0)), (None, None, None)],
)
def test_customer_discount_wins_over_group(customer: D | None, group: D | None, expected) -> None:
    assert effective_discount(customer, group) == expected


@pytest.mark.parametrize(
    ("customer", "group", "default", "expected"),
    [(1, 2, 3, 1), (None, 2, 3, 2), (None, None, 3, 3), (None, None, None, None)],
)
def test_tax_customer_then_group_then_default(customer, group, default, expected) -> None:
    assert effective_tax_rate_id(customer, group, default) == expected


def test_combined_discount_compounds() -> None:
    assert combined_discount(D(10), D(10)) == D(19)
    assert combined_discount(None, None) == 0
    assert combined_discount(D(100), D(50)) == D(100)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("0.5"), 1), (D("1.49"), 1), (D("-0.5"), -1), (D("2.5"), 3), (D("-2.5"), -3)],
)
def test_round_half_up(value: D, expected: int) -> None:
    assert round_half_up(value) == expected


def test_loyalty_points() -> None:
    assert loyalty_points_earned(1299, D(1)) == 12
    assert loyalty_points_earned(1299, D("0.5")) == 6
    assert loyalty_points_earned(99, D(1)) == 0
    assert loyalty_points_earned(-500, D(1)) == 0
    assert loyalty_points_earned(1000, D(0)) == 0
    assert points_for_amount(1000, 1) == 1000
    assert points_for_amount(1002, 5) == 200
    assert points_for_amount(3, 5) == 0
