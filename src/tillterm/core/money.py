"""Money and percentages as exact decimals.

Amounts are stored as integer cents and handled as :class:`~decimal.Decimal` in code;
percentages and rates are decimals with up to three places (9.975 % exists). Rounding
is half-up to the cent, as tills and tax offices expect, never banker's rounding.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from tillterm.i18n import _, formats

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
#: the largest amount typed anywhere (a price, a tender, a limit): far beyond any till,
#: far below what integer cents in a database column can hold
MAX_AMOUNT = Decimal("1000000000")

#: what a person types as a number: ASCII digits, one decimal point or comma, a sign.
#: ``Decimal`` alone also takes ``1e3``, ``NaN``, ``inf``, ``1_000`` and other scripts'
#: digits (``١٢``): a scanner or a slip of the finger would become a real amount.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
#: spaces people put between thousands (plain, no-break, narrow no-break)
_SPACES = str.maketrans("", "", " \u00a0\u202f")


def _plain_decimal(typed: str) -> Decimal | None:
    """``typed`` as a Decimal if it is a plain decimal number, else ``None``.

    A negative zero comes back as zero, so ``-0`` never shows as ``-0.00``.
    """
    cleaned = typed.translate(_SPACES)
    if not _PLAIN.fullmatch(cleaned):
        return None
    return Decimal(cleaned.replace(",", ".")) + 0


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

    Plain decimals only (see ``_PLAIN``): ``1e3``, ``NaN``, ``inf``, ``1_000``, ``1,000.50``
    and digits of other scripts are refused, as is anything of a billion or more.
    Raises :class:`ValueError` with a readable message.
    """
    shown = text.strip()[:40]
    cleaned = text.strip()
    for symbol in ("€", "$", "£"):
        cleaned = cleaned.replace(symbol, "")
    if not cleaned.translate(_SPACES):
        raise ValueError(_("No amount was typed"))
    value = _plain_decimal(cleaned)
    if value is None:
        raise ValueError(
            _("“{shown}” is not an amount (digits, one decimal point)").format(shown=shown)
        )
    if abs(value) >= MAX_AMOUNT:
        raise ValueError(_("“{shown}” is too large an amount").format(shown=shown))
    return value


def format_money(value: Decimal | int, currency: str = "EUR") -> str:
    """Format an amount for a receipt or the screen: ``12.50 EUR`` (``12,50 €`` in French).

    An ``int`` is taken as cents.
    """
    amount = from_cents(value) if isinstance(value, int) else round_cents(value)
    return formats.money(amount, currency)


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
        plain = _plain_decimal(typed)
        if plain is None:
            shown = str(value).strip()[:40]
            raise ValueError(_("“{shown}” is not a percentage").format(shown=shown))
        number = plain
    if not number.is_finite():
        raise ValueError(_("not a percentage"))
    if number < 0 or number > 100:
        raise ValueError(_("a discount is between 0 and 100 %"))
    if number != number.quantize(Decimal("0.001")):
        raise ValueError(_("at most 3 decimals"))
    return number
