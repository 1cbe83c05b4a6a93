"""Phones as people type them, read with the ``phonenumbers`` library (E.164).

A phone is stored exactly as typed (what the cashier wrote is what the profile keeps)
*and* normalised into the customer's ``phone_digits``, the words phone search reads.
Each phone gives three digit forms there, so any way a person types it finds it:

- the national number with its trunk prefix, ``0698765432`` (what a French customer
  says aloud, and "06 98" is a prefix of it);
- the E.164 digits, ``33698765432`` (what "+33 6 98 76 54 32" or a foreign card gives);
- the national significant number, ``698765432`` (what "698765" is a prefix of).

A number without a country code is read in the store's region: the store settings'
``country`` is free text ("France", "FR", "Belgique"), so :func:`region_for_country`
maps the usual names and ISO codes to a region and falls back to **FR** (the market
tillterm was written for) when it cannot tell.

A number is refused (the form) or warned about (the import) only when its *length*
cannot be right for its country ("06 98 76 54 3 is too short for a French number"). A
number of the right length that the library's ranges do not know is kept: the ranges
lag behind real allocations, and refusing a customer's real number is worse than
keeping an odd one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberFormat
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tillterm.core.folding import fold
from tillterm.i18n import _
from tillterm.store.models import StoreSettings, table_of

#: the region used when the store's country says nothing we recognise
DEFAULT_REGION = "FR"
#: ``phone_digits`` holds at most this many characters (the column's max_length)
MAX_DIGITS_TEXT = 240

#: region → how a cashier names one of its numbers ("too short for a French number")
_NUMBER_NAMES = {
    "FR": _("a French number"),
    "BE": _("a Belgian number"),
    "CH": _("a Swiss number"),
    "LU": _("a Luxembourg number"),
    "MC": _("a Monaco number"),
    "DE": _("a German number"),
    "AT": _("an Austrian number"),
    "NL": _("a Dutch number"),
    "GB": _("a British number"),
    "IE": _("an Irish number"),
    "IT": _("an Italian number"),
    "ES": _("a Spanish number"),
    "PT": _("a Portuguese number"),
    "US": _("a US number"),
    "CA": _("a Canadian number"),
    "AU": _("an Australian number"),
    "NZ": _("a New Zealand number"),
    "BR": _("a Brazilian number"),
}

#: folded country names (English, French, German, native) → region
_COUNTRY_NAMES = {
    "france": "FR",
    "republique francaise": "FR",
    "belgium": "BE",
    "belgique": "BE",
    "belgie": "BE",
    "switzerland": "CH",
    "suisse": "CH",
    "schweiz": "CH",
    "svizzera": "CH",
    "luxembourg": "LU",
    "monaco": "MC",
    "germany": "DE",
    "allemagne": "DE",
    "deutschland": "DE",
    "austria": "AT",
    "autriche": "AT",
    "osterreich": "AT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "pays bas": "NL",
    "nederland": "NL",
    "holland": "NL",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "royaume uni": "GB",
    "ireland": "IE",
    "irlande": "IE",
    "italy": "IT",
    "italie": "IT",
    "italia": "IT",
    "spain": "ES",
    "espagne": "ES",
    "espana": "ES",
    "portugal": "PT",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "etats unis": "US",
    "canada": "CA",
    "australia": "AU",
    "australie": "AU",
    "new zealand": "NZ",
    "nouvelle zelande": "NZ",
    "brazil": "BR",
    "brasil": "BR",
    "bresil": "BR",
}


def region_for_country(country: str) -> str:
    """The phone region of a store country as typed in its settings.

    An ISO code ("fr", "BE") or a usual name in English, French or German ("France",
    "Belgique", "Deutschland", accents and case ignored) gives its region; anything
    else, or nothing, gives :data:`DEFAULT_REGION` ("FR").
    """
    typed = country.strip()
    if len(typed) == 2 and typed.upper() in phonenumbers.SUPPORTED_REGIONS:
        return typed.upper()
    folded = " ".join("".join(ch if ch.isalnum() else " " for ch in fold(typed)).split())
    return _COUNTRY_NAMES.get(folded, DEFAULT_REGION)


def store_region(db: Session | Connection) -> str:
    """The region the store's phones are read in (its settings' country)."""
    table = table_of(StoreSettings)
    country = db.execute(select(table.c.country).where(table.c.id == 1)).scalar()
    return region_for_country(country or "")


def digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _parse(typed: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(typed, region)
    except NumberParseException:
        return None


def _metadata(country_code: int) -> PhoneMetadata | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    if region == "001":  # non-geographic (satellite, international freephone)
        return PhoneMetadata.metadata_for_nongeo_region(country_code)
    return PhoneMetadata.metadata_for_region(region)


@dataclass(frozen=True)
class PhoneForms:
    """The digit forms of one phone that search matches (see the module docstring)."""

    #: the typed digits, the trunk-prefixed national digits and the E.164 digits
    main: tuple[str, ...]
    #: the national significant number
    extra: tuple[str, ...] = ()


def phone_forms(typed: str, region: str) -> PhoneForms:
    """Digit forms of a phone as typed.

    The typed digits always come first: a number the library reads oddly (one digit
    short keeps its 0 in the national number) is still found as it was typed.
    """
    found = digits(typed)
    if not found:
        return PhoneForms(())
    number = _parse(typed, region)
    meta = None if number is None else _metadata(number.country_code or 0)
    if number is None or meta is None:
        return PhoneForms((found,))
    nsn = phonenumbers.national_significant_number(number)
    trunk = (meta.national_prefix or "") + nsn
    e164 = f"{number.country_code}{nsn}"
    return PhoneForms((found, trunk, e164), (nsn,))


def digits_text(forms: Iterable[PhoneForms]) -> str:
    """``phone_digits`` for a customer's phones: every main form, then the extra ones,
    each once, space separated, cut at a whole form to fit :data:`MAX_DIGITS_TEXT`.

    Main forms go first so that a customer with six long foreign phones loses only
    the least useful forms to the column's length.
    """
    listed = list(forms)
    seen: dict[str, None] = {}
    for form in [f for p in listed for f in p.main] + [f for p in listed for f in p.extra]:
        seen.setdefault(form, None)
    text = " ".join(seen)
    if len(text) > MAX_DIGITS_TEXT:
        text = text[: MAX_DIGITS_TEXT + 1].rsplit(" ", 1)[0]
    return text


def phone_digits(phones: Iterable[str], region: str) -> str:
    """The ``phone_digits`` of a customer whose phones are ``phones`` (empty ones skipped)."""
    return digits_text(phone_forms(p, region) for p in phones if p)


def number_name(region: str, country_code: int) -> str:
    return _NUMBER_NAMES.get(region) or _("a +{code} number").format(code=country_code)


#: a number that starts with + or 00 and no country's code after it
_NO_CALLING_CODE = _("“{typed}” does not start with a country's calling code (+33, +44…)")


def phone_problem(typed: str, region: str) -> str | None:
    """Why this phone cannot be a real number (its length), in a cashier's words; ``None``
    when it can (see the module docstring for why a right-length number is kept)."""
    found = digits(typed)
    if not found:
        return None
    stripped = typed.strip()
    number = _parse(stripped, region)
    if number is None:
        if stripped.startswith(("+", "00")):
            return _NO_CALLING_CODE.format(typed=stripped)
        return _("“{typed}” is not a phone number").format(typed=stripped)
    if phonenumbers.is_valid_number(number):
        return None
    meta = _metadata(number.country_code or 0)
    if meta is None:
        return _NO_CALLING_CODE.format(typed=stripped)
    cc = str(number.country_code or 0)
    if stripped.startswith("+") or found.startswith("00" + cc):
        rest = found.removeprefix("00").removeprefix(cc)
    else:
        prefix = meta.national_prefix or ""
        rest = found.removeprefix(prefix) if prefix else found
    lengths = meta.general_desc.possible_length if meta.general_desc else ()
    if not lengths or len(rest) in lengths:
        return None
    what = number_name(phonenumbers.region_code_for_country_code(int(cc)), int(cc))
    if len(rest) < min(lengths):
        return _("“{typed}” is too short for {number}").format(typed=stripped, number=what)
    if len(rest) > max(lengths):
        return _("“{typed}” is too long for {number}").format(typed=stripped, number=what)
    return _("“{typed}” has the wrong number of digits for {number}").format(
        typed=stripped, number=what
    )


def display_phone(typed: str, region: str) -> str:
    """How a phone is shown: national format in the store's country ("06 98 76 54 32"),
    international elsewhere ("+44 7911 123456"); as typed when it cannot be read."""
    number = _parse(typed, region)
    if number is None or not phonenumbers.is_valid_number(number):
        return typed
    # by calling code, not region: +44 7911… is Guernsey's to the library, British to a till
    home = number.country_code == phonenumbers.country_code_for_region(region)
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    )
