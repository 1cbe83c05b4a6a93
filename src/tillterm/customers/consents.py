"""When and how each consent was given or withdrawn.

A consent is only worth what its record is: data-protection law asks the store to show
when a customer agreed to promotional email (or to be written to, or called) and how.
Each of the four yes/no consents carries the time and the means ("form", "register",
"import", "cli") of its last change, stamped here whenever its value changes, and never
otherwise: saving a profile for another reason leaves the record of the consent alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tillterm.i18n import _

#: the yes/no consents, as the customer table names them
CONSENTS = ("marketing_opt_in", "consent_email", "consent_mail", "consent_phone")
#: how a consent can reach the till
MEANS = ("form", "register", "import", "cli")

LABELS = {
    "marketing_opt_in": _("Promotional email"),
    "consent_email": _("Contact by email"),
    "consent_mail": _("Contact by mail"),
    "consent_phone": _("Contact by phone"),
}


@dataclass(frozen=True)
class ConsentRecord:
    """One consent as on file: its value, and when and how it was last set (``None``
    and ``""`` when it predates the record: never invented)."""

    name: str
    label: str
    given: bool
    at: dt.datetime | None
    via: str


def stamps(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], via: str, now: dt.datetime
) -> dict[str, Any]:
    """The ``<consent>_at``/``_via`` columns to write for the consents a save changes.

    ``before`` is the row as stored (``None`` for a new customer: a consent given at
    creation is stamped, one left "no" is not — nothing was asked yet).
    """
    if via not in MEANS:
        raise ValueError(f"unknown means {via!r}")
    out: dict[str, Any] = {}
    for name in CONSENTS:
        if name not in after:
            continue
        new = bool(after[name])
        old = bool(before[name]) if before is not None else False
        if new != old:
            out[f"{name}_at"] = now
            out[f"{name}_via"] = via
    return out


def records(row: Mapping[str, Any]) -> tuple[ConsentRecord, ...]:
    """The four consents of a customer row, with their date and means."""
    return tuple(
        ConsentRecord(
            name,
            LABELS[name],
            bool(row[name]),
            row.get(f"{name}_at"),
            row.get(f"{name}_via") or "",
        )
        for name in CONSENTS
    )
