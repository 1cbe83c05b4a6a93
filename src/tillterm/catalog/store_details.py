"""The Store form's values checked and saved: the seller's identity and how it sells.

Everything a store owner types in the back office's Store screen comes here as text (or
a yes/no and a chosen tax rate), is checked all at once so the form can put each
message under its own field, and only then written, through
:func:`tillterm.catalog.settings.update_settings`. The checks are here, not in the
screen, so that a command or an import setting up a store meets the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlmodel import Session

from tillterm.catalog.settings import LEGAL_FIELDS, StoreInfo, update_settings
from tillterm.catalog.tax_rates import rate_text
from tillterm.core.errors import ValidationFailed
from tillterm.core.money import parse_amount
from tillterm.core.typed_text import text_problem
from tillterm.i18n import _
from tillterm.store.models import TaxRate

#: ISO 4217 codes of the currencies in use (funds, metals and test codes left out): a
#: typo ("EUE") would otherwise print on every receipt
_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR
    ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
CURRENCIES = frozenset(_ISO_4217.split())

#: each text field of the form with its longest value (the settings row's columns)
TEXT_LIMITS = {
    "name": 120,
    "address_line1": 120,
    "address_line2": 120,
    "postal_code": 20,
    "city": 100,
    "country": 100,
    "phone": 40,
    "company_reg_no": 60,
    "vat_number": 60,
    "receipt_footer": 200,
}
assert set(LEGAL_FIELDS) <= set(TEXT_LIMITS)

LABELS = {
    "name": _("Store name"),
    "address_line1": _("Address"),
    "address_line2": _("Address (2)"),
    "postal_code": _("Postcode"),
    "city": _("City"),
    "country": _("Country"),
    "phone": _("Phone"),
    "company_reg_no": _("Company reg. no."),
    "vat_number": _("VAT number"),
    "currency": _("Currency"),
    "default_tax_rate_id": _("Default tax"),
    "prices_include_tax": _("Prices incl. tax"),
    "loyalty_points_per_unit": _("Points per unit"),
    "loyalty_point_value_cents": _("Point value (cents)"),
    "receipt_footer": _("Receipt footer"),
}

#: a point worth more than this many cents is a typing mistake (1000 = 10.00 per point)
MAX_POINT_VALUE_CENTS = 1000
MAX_POINTS_PER_UNIT = Decimal(1000)


def form_values(info: StoreInfo) -> dict[str, object]:
    """The settings as the form shows them (what :func:`check_store` reads back)."""
    values: dict[str, object] = {name: getattr(info, name) for name in TEXT_LIMITS}
    values.update(
        currency=info.currency,
        default_tax_rate_id=None if info.default_tax is None else info.default_tax.id,
        prices_include_tax=info.prices_include_tax,
        loyalty_points_per_unit=rate_text(info.loyalty_points_per_unit),
        loyalty_point_value_cents=str(info.loyalty_point_value_cents),
    )
    return values


def check_store(session: Session, values: Mapping[str, object]) -> dict[str, object]:
    """The changes to write; ``ValidationFailed`` names every problem at once.

    Only the names given are checked and changed, so a caller may set just the VAT
    number. The default tax must be an existing rate, and not a retired one unless it
    is already the default (retiring refuses the default, so that is an old database).
    """
    unknown = set(values) - set(LABELS)
    if unknown:
        raise TypeError(f"unknown store settings: {sorted(unknown)}")
    errors: dict[str, str] = {}
    changes: dict[str, object] = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in values:
            continue
        text = " ".join(str(values[name] or "").split())
        problem = text_problem(text, limit)
        if problem:
            errors[name] = problem
        elif name == "name" and not text:
            errors[name] = _("the store needs a name (it heads every receipt)")
        else:
            changes[name] = text
    if "currency" in values:
        code = str(values["currency"] or "").strip().upper()
        if code in CURRENCIES:
            changes["currency"] = code
        elif not code:
            errors["currency"] = _("type the currency's 3-letter code, e.g. EUR, GBP, USD")
        else:
            errors["currency"] = _(
                "“{code}” is not an ISO 4217 currency code (EUR, GBP, USD…)"
            ).format(code=code[:10])
    if "default_tax_rate_id" in values:
        chosen = values["default_tax_rate_id"]
        if chosen is None or chosen == "":
            changes["default_tax_rate_id"] = None
        else:
            try:
                tax_id = int(str(chosen))
            except ValueError:
                tax_id = 0
            tax = session.get(TaxRate, tax_id) if tax_id else None
            if tax is None:
                errors["default_tax_rate_id"] = _("this tax rate no longer exists: choose another")
            elif tax.retired_at is not None and not _is_default(session, tax_id):
                errors["default_tax_rate_id"] = _("{name} is retired: choose another rate").format(
                    name=tax.name
                )
            else:
                changes["default_tax_rate_id"] = tax_id
    if "prices_include_tax" in values:
        changes["prices_include_tax"] = bool(values["prices_include_tax"])
    if "loyalty_points_per_unit" in values:
        typed = str(values["loyalty_points_per_unit"] or "").strip() or "0"
        try:
            points: Decimal | None = parse_amount(typed)
        except ValueError:
            points = None
        if points is None or points < 0 or points > MAX_POINTS_PER_UNIT:
            errors["loyalty_points_per_unit"] = _(
                "“{typed}”: type the points earned per unit spent, 0 to {most} (0: no points)"
            ).format(typed=typed[:20], most=MAX_POINTS_PER_UNIT)
        elif points != points.quantize(Decimal("0.001")):
            errors["loyalty_points_per_unit"] = _("at most 3 decimals")
        else:
            changes["loyalty_points_per_unit"] = points
    if "loyalty_point_value_cents" in values:
        typed = str(values["loyalty_point_value_cents"] or "").strip() or "0"
        if not typed.isascii() or not typed.isdigit() or int(typed) > MAX_POINT_VALUE_CENTS:
            errors["loyalty_point_value_cents"] = _(
                "“{typed}”: type what one point is worth in whole cents, 0 to {most}"
            ).format(typed=typed[:20], most=MAX_POINT_VALUE_CENTS)
        else:
            changes["loyalty_point_value_cents"] = int(typed)
    if errors:
        raise ValidationFailed(errors, LABELS)
    return changes


def _is_default(session: Session, tax_id: int) -> bool:
    from tillterm.store.models import StoreSettings

    row = session.get(StoreSettings, 1)
    return row is not None and row.default_tax_rate_id == tax_id


def save_store(session: Session, values: Mapping[str, object]) -> StoreInfo:
    """Check then write; nothing is written unless every value is right."""
    return update_settings(session, **check_store(session, values))
