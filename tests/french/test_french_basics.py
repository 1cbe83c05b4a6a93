"""In the French run, the process speaks French: amounts, dates and the core's messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tillterm.core.money import format_money, parse_amount
from tillterm.i18n import language


def test_the_french_run_is_in_french() -> None:
    assert language() == "fr"
    assert format_money(Decimal("12.5")) == "12,50\u00a0€"
    with pytest.raises(ValueError, match="n’est pas un montant"):
        parse_amount("douze")
