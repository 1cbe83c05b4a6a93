"""Money and dates as the cashier's language writes them: ``12.50 EUR`` / ``12,50 €``.

English keeps the forms tillterm always printed (``12.50 EUR``, ISO dates on screens), so
receipts and reports of an English store do not change. French follows the French locale
of CLDR (through Babel): decimal comma, a no-break space between thousands and before
the currency's symbol, day/month/year. Plain U+00A0 is used where CLDR now has the narrow
no-break space: console fonts and receipt printers' code pages have the one, not the other.

The symbol is looked up once per currency; the formatting itself is done here, not by
Babel, because a page of a hundred rows formats hundreds of amounts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from tillterm.i18n import language

NBSP = "\u00a0"


@lru_cache(maxsize=64)
def currency_symbol(currency: str) -> str:
    """The French symbol of a currency (``EUR`` → ``€``, ``USD`` → ``$US``)."""
    try:
        from babel.numbers import get_currency_symbol

        return str(get_currency_symbol(currency, locale="fr_FR"))
    except Exception:  # an unknown code or a Babel without the data: the code itself
        return currency


def money(amount: Decimal, currency: str) -> str:
    """A rounded amount (two places) with its currency, in the process's language."""
    if language() != "fr":
        return f"{amount:.2f} {currency}"
    return f"{decimal_text(amount)}{NBSP}{currency_symbol(currency)}"


def decimal_text(amount: Decimal, places: int = 2) -> str:
    """A number without currency: ``1234.5`` → ``1 234,50`` in French, ``1234.50`` else."""
    plain = f"{amount:.{places}f}"
    if language() != "fr":
        return plain
    sign = "-" if plain.startswith("-") else ""
    whole, _, fraction = plain.lstrip("-").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = NBSP.join(groups)
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def whole(count: int) -> str:
    """A count shown to a person: ``12,345`` in English, ``12 345`` (no-break) in French."""
    text = f"{count:,}"
    return text.replace(",", NBSP) if language() == "fr" else text


def day(value: dt.date | None) -> str:
    """A date shown to a person: ``2026-11-30`` in English, ``30/11/2026`` in French."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y" if language() == "fr" else "%Y-%m-%d")


def moment(value: dt.datetime | None) -> str:
    """A local date and time shown to a person (minutes), as :func:`day` writes dates."""
    if value is None:
        return ""
    local = value.astimezone() if value.tzinfo is not None else value
    return f"{day(local.date())} {local.strftime('%H:%M')}"
