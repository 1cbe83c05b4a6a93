"""Ledger reasons as a person reads them, in the till's language.

A loyalty or account entry keeps the reason written when it was made ("Earned on
R0000012", "opening balance, import 3"), in English: the ledger is part of the books and
is never rewritten, and other code reads those texts back (a return is told from a refund
by its note). So the words are translated where they are shown, from the few forms the
till writes; anything else (a reason typed by a person, a form this module does not know)
is shown as stored.
"""

from __future__ import annotations

import re

from tillterm.i18n import N_, _

#: the forms the till writes (``sales.lifecycle``, ``sales.refunds``, ``sales.returns``,
#: ``spreadsheet.opening``), each with its wording for the catalog
_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Earned on (?P<receipt>\S+)"), N_("Earned on {receipt}")),
    (re.compile(r"Redeemed on (?P<receipt>\S+)"), N_("Redeemed on {receipt}")),
    (re.compile(r"Sale (?P<receipt>\S+)"), N_("Sale {receipt}")),
    (re.compile(r"Refund of (?P<receipt>\S+)"), N_("Refund of {receipt}")),
    (re.compile(r"Return of (?P<receipt>\S+)"), N_("Return of {receipt}")),
    (re.compile(r"Return without receipt"), N_("Return without receipt")),
    (
        re.compile(r"reversal of opening balance, import (?P<number>\d+)"),
        N_("reversal of opening balance, import {number}"),
    ),
    (
        re.compile(r"opening balance, import (?P<number>\d+)"),
        N_("opening balance, import {number}"),
    ),
)
_CAPPED = " (capped at balance)"


def shown_reason(stored: str) -> str:
    """``stored`` in the process's language when the till wrote it, else as stored."""
    capped = stored.endswith(_CAPPED)
    core = stored[: -len(_CAPPED)] if capped else stored
    for pattern, wording in _FORMS:
        found = pattern.fullmatch(core)
        if found is not None:
            text = _(wording).format(**found.groupdict())
            return text + _(" (capped at balance)") if capped else text
    return stored
