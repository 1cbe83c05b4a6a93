"""Money and percentages as exact decimals.

Amounts are stored as integer cents and handled as :class:`~decimal.Decimal` in code;
percentages and rates are decimals with up to three places (9.975 % exists). Rounding
is half-up to the cent, as tills and tax offices expect, never banker's rounding.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    """A decimal amount as integer cents, rounded half-up."""
    return int(round_cents(value) * 100)


def from_cents(cents: int | None) -> Decimal:
    """Integer cents as a two-place decimal (``None`` counts as zero)."""
    return (Decimal(cents or 0) / 100).quantize(CENT)


def parse_amount(text: str) -> Decimal:
    """Parse what a person types as an amount: ``12``, ``12.5``, ``12,50``, ``€ 3``.

    Raises :class:`ValueError` with a readable message.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    for symbol in ("€", "$", "£"):
        cleaned = cleaned.replace(symbol, "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"“{text.strip()}” is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"“{text.strip()}” is not an amount")
    return value


def format_money(value: Decimal | int, currency: str = "EUR") -> str:
    """Format an amount for a receipt or the screen: ``12.50 EUR``.

    An ``int`` is taken as cents.
    """
    amount = from_cents(value) if isinstance(value, int) else round_cents(value)
    return f"{amount:.2f} {currency}"


def parse_percent(value: object) -> Decimal | None:
    """A percentage as typed ("10", "12,5", "7.5 %") or given; ``ValueError`` if not 0–100."""
    if value is None:
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        typed = str(value).strip().rstrip("%").strip().replace("\u00a0", "").replace(" ", "")
        if not typed:
            return None
        if typed.count(",") == 1 and "." not in typed:
            typed = typed.replace(",", ".")
        try:
            number = Decimal(typed)
        except InvalidOperation:
            raise ValueError(f"“{str(value).strip()}” is not a percentage") from None
    if not number.is_finite():
        raise ValueError("not a percentage")
    if number < 0 or number > 100:
        raise ValueError("a discount is between 0 and 100 %")
    if number != number.quantize(Decimal("0.001")):
        raise ValueError("at most 3 decimals")
    return number
