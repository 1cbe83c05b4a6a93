"""Amounts and percentages as people type them: plain decimals, nothing else."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tillterm.core.money import parse_amount, parse_percent


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12", D("12")),
        ("12.5", D("12.5")),
        ("12,50", D("12.50")),
        ("€ 3", D("3")),
        ("1 000,50", D("1000.50")),
        ("1\u00a0000", D("1000")),
        (".5", D("0.5")),
        ("12.", D("12")),
        ("+4", D("4")),
        ("-2.5", D("-2.5")),
    ],
)
def test_plain_amounts(typed: str, amount: D) -> None:
    assert parse_amount(typed) == amount


def test_negative_zero_is_zero() -> None:
    value = parse_amount("-0")
    assert value == 0 and not value.is_signed() and f"{value:.2f}" == "0.00"


@pytest.mark.parametrize(
    "typed",
    [
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "sNaN",
        "inf",
        "-Infinity",
        "1_000",
        "١٢",  # Arabic-Indic digits: Decimal takes them
        "１２",  # fullwidth digits
        "1,000.50",
        "1.2.3",
        "0x10",
        "12abc",
        "--1",
        "",
        " ",
    ],
)
def test_anything_else_is_refused_with_a_message(typed: str) -> None:
    with pytest.raises(ValueError, match=r"not an amount|No amount"):
        parse_amount(typed)


def test_huge_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_amount("1000000000")
    with pytest.raises(ValueError, match="too large"):
        parse_amount("9" * 400)
    assert parse_amount("999999999.99") == D("999999999.99")


@pytest.mark.parametrize("typed", ["1e1", "NaN", "inf", "1_0", "١٠"])
def test_percentages_are_plain_decimals_too(typed: str) -> None:
    with pytest.raises(ValueError, match="not a percentage"):
        parse_percent(typed)


def test_percentages() -> None:
    assert parse_percent("12,5 %") == D("12.5")
    assert parse_percent("-0") == 0
    assert parse_percent("") is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        parse_percent("101")
