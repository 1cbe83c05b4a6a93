"""Dates as people type them at a till: ``25/12/1980``, ``25.12.1980``, ``1980-12-25``.

Day first (the store's customers write dates the European way); ISO dates are read too,
since that is what exports and spreadsheets write. Two-digit years are refused rather
than guessed: "80" could be 1980 or 2080.
"""

from __future__ import annotations

import datetime as dt
import re

from tillterm.i18n import _

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{2,4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")


def parse_date(value: object) -> dt.date:
    """A date from a ``date``/``datetime`` or typed text; ``ValueError`` says what is wrong."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    typed = str(value).strip()
    iso = _ISO.fullmatch(typed)
    match = _DAY_FIRST.fullmatch(typed)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif match:
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) != 4:
            raise ValueError(_("write the year with 4 digits (“{typed}”)").format(typed=typed))
    else:
        raise ValueError(
            _("“{typed}” is not a date (write it like 25/12/1980)").format(typed=typed)
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(_("“{typed}” is not a real date").format(typed=typed)) from None


def format_date(value: dt.date | None) -> str:
    """How tillterm writes a date back (the form, exports): ``25/12/1980``."""
    return "" if value is None else value.strftime("%d/%m/%Y")
