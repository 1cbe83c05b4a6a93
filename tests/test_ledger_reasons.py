"""Ledger reasons are kept in English and shown in the till's language."""

from __future__ import annotations

import pytest

from tillterm.customers.ledger_reasons import shown_reason
from tillterm.i18n import set_language


@pytest.mark.parametrize(
    ("stored", "english", "french"),
    [
        ("Earned on R0000012", "Earned on R0000012", "Gagnés, R0000012"),
        ("Redeemed on R0000012", "Redeemed on R0000012", "Utilisés, R0000012"),
        (
            "Refund of R7 (capped at balance)",
            "Refund of R7 (capped at balance)",
            "Rembours. R7 (limité au solde)",
        ),
        ("opening balance, import 3", "opening balance, import 3", "solde d’ouverture, import 3"),
        (
            "reversal of opening balance, import 3",
            "reversal of opening balance, import 3",
            "annulation du solde d’ouverture, import 3",
        ),
        ("goodwill, broken mug", "goodwill, broken mug", "goodwill, broken mug"),
        ("sale", "sale", "sale"),
    ],
)
def test_a_reason_the_till_wrote_reads_in_the_language(
    stored: str, english: str, french: str
) -> None:
    assert shown_reason(stored) == english
    try:
        set_language("fr")
        assert shown_reason(stored) == french
    finally:
        set_language("en")
